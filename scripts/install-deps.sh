#!/usr/bin/env bash
# Installs the Debian packages ZiggyDB builds, tests and benchmarks with. Idempotent and
# non-interactive: packages already present are skipped, and apt is only touched when something is
# missing. Peers (RocksDB, LevelDB, LMDB) are benchmark-only; the build works without them.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libxxhash-dev
  libzstd-dev liblz4-dev libsnappy-dev
  librocksdb-dev libleveldb-dev liblmdb-dev libisal-dev
  # The Python package (python/): built with pybind11 for Debian's python3, tested with pytest
  # and hypothesis, benchmarked against plyvel and py-lmdb.
  python3-dev python3-pip python3-setuptools pybind11-dev python3-pybind11
  python3-wheel python3-pytest python3-hypothesis python3-plyvel python3-lmdb
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
