#!/usr/bin/env bash
# Installs the ziggydb package for $PYTHON (default: Debian's /usr/bin/python3) with pip, offline:
# into the interpreter's site-packages, or under $PYTHON_PREFIX laid out as `pip install --prefix`
# lays it out. $ZIGGYDB_LIBRARY_DIR names a prebuilt libziggydb.a (see setup.py); without it the
# engine is built with the project's CMake.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}

if ! "$python" -c 'import setuptools' 2>/dev/null; then
  echo "python: $python has no setuptools (Debian: apt-get install python3-setuptools)" >&2
  exit 1
fi

# $ZIGGYDB_SANITIZE (e.g. address,undefined) compiles and links the extension with those
# sanitizers; the library in $ZIGGYDB_LIBRARY_DIR must be built with them too (build/asan/src).
if [ -n "${ZIGGYDB_SANITIZE:-}" ]; then
  if [ -z "${ZIGGYDB_LIBRARY_DIR:-}" ]; then
    echo "python: ZIGGYDB_SANITIZE needs ZIGGYDB_LIBRARY_DIR (an engine built with the same sanitizers)" >&2
    exit 1
  fi
  export CFLAGS="${CFLAGS:-} -fsanitize=$ZIGGYDB_SANITIZE -fno-omit-frame-pointer"
  export LDFLAGS="${LDFLAGS:-} -fsanitize=$ZIGGYDB_SANITIZE"
fi

if [ -n "${ZIGGYDB_SANITIZE:-}" ] || ! "$python" -c 'import pip, wheel' 2>/dev/null; then
  # An interpreter without pip or wheel (e.g. a bare /usr/local or pyenv build) cannot make a wheel
  # offline: build the extension in place and copy the package where pip would have put it. So
  # does a sanitized build: pip's in-tree build would reuse the objects of a plain one.
  build=$(mktemp -d "${TMPDIR:-/tmp}/ziggydb-build.XXXXXX")
  trap 'rm -rf "$build"' EXIT
  (cd "$here" && "$python" setup.py -q build_ext --build-lib "$build" --build-temp "$build/tmp")
  cp "$here"/ziggydb/*.py "$here"/ziggydb/*.pyi "$here"/ziggydb/py.typed "$build/ziggydb/"
  target=$("$python" -c 'import sys, sysconfig
prefix = sys.argv[1]
print(sysconfig.get_path("platlib", vars={"base": prefix, "platbase": prefix}) if prefix
      else sysconfig.get_path("platlib"))' "${PYTHON_PREFIX:-}")
  mkdir -p "$target"
  rm -rf "$target/ziggydb"
  cp -r "$build/ziggydb" "$target/ziggydb"
  echo "python: installed ziggydb for $python in $target (without pip)"
  exit 0
fi

args=(-m pip install --no-build-isolation --no-deps --no-index --quiet --disable-pip-version-check
  --root-user-action=ignore)
if [ -n "${PYTHON_PREFIX:-}" ]; then
  args+=(--prefix "$PYTHON_PREFIX")
elif "$python" - <<'PY'
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)
PY
then
  # Debian marks its interpreter externally managed (PEP 668); pip then installs under
  # /usr/local/lib/python3*/dist-packages, which apt never touches, only when asked to.
  args+=(--break-system-packages)
fi
"$python" "${args[@]}" "$here"
echo "python: installed ziggydb for $python${PYTHON_PREFIX:+ under $PYTHON_PREFIX}"
