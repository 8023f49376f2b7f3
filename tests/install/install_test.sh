#!/usr/bin/env bash
# Installs a ZiggyDB build tree into a scratch prefix, then builds and runs tests/install/consumer
# against it twice: through find_package(ZiggyDB) and through pkg-config. Registered as the ctest
# test `install_consumer` (tests/install/CMakeLists.txt), which passes every argument.
#
# usage: install_test.sh BUILD_DIR WORK_DIR VERSION CMAKE GENERATOR CXX "CXX_FLAGS" "EXE_LINKER_FLAGS"
# The consumer is compiled with the build's compiler and flags, so sanitizer builds link too.
# $PKG_CONFIG names the pkg-config program (default: pkg-config).
set -euo pipefail

if [ $# -ne 8 ]; then
  echo "usage: $0 BUILD_DIR WORK_DIR VERSION CMAKE GENERATOR CXX CXX_FLAGS EXE_LINKER_FLAGS" >&2
  exit 2
fi
build_dir=$1 work_dir=$2 version=$3 cmake=$4 generator=$5 cxx=$6 cxx_flags=$7 ld_flags=$8
consumer_src=$(cd "$(dirname "$0")/consumer" && pwd)
prefix=$work_dir/prefix
pkg_config=${PKG_CONFIG:-pkg-config}

step() { echo "== install_test: $*"; }
fail() {
  echo "install_test: FAILED: $*" >&2
  exit 1
}

# Runs the consumer binary and checks both lines it prints on success.
check_output() {
  local binary=$1 how=$2 output
  output=$("$binary") || fail "$how consumer exited with status $?"
  echo "$output"
  grep -qx "ziggydb $version" <<<"$output" || fail "$how consumer did not print 'ziggydb $version'"
  grep -qx "consumer: ok" <<<"$output" || fail "$how consumer did not print 'consumer: ok'"
}

rm -rf "$work_dir"
mkdir -p "$work_dir"

step "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work_dir/install.log" ||
  { cat "$work_dir/install.log"; fail "cmake --install"; }
for f in include/ziggydb/db.h include/ziggydb/version.h; do
  [ -f "$prefix/$f" ] || fail "$f was not installed"
done
lib=$(find "$prefix" -name libziggydb.a -print -quit)
[ -n "$lib" ] || fail "libziggydb.a was not installed"
pc=$(find "$prefix" -name ziggydb.pc -print -quit)
[ -n "$pc" ] || fail "ziggydb.pc was not installed"

step "find_package(ZiggyDB) consumer"
"$cmake" -S "$consumer_src" -B "$work_dir/cmake-consumer" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$ld_flags" -DZIGGY_EXPECTED_VERSION="$version" ||
  fail "configuring the find_package consumer"
"$cmake" --build "$work_dir/cmake-consumer" || fail "building the find_package consumer"
check_output "$work_dir/cmake-consumer/consumer" find_package

step "pkg-config consumer ($pc)"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
pc_version=$("$pkg_config" --modversion ziggydb) || fail "pkg-config cannot read ziggydb.pc"
[ "$pc_version" = "$version" ] || fail "ziggydb.pc says version $pc_version, expected $version"
pc_cflags=$("$pkg_config" --cflags ziggydb-static)
# The static library by path (ziggydb.pc links the shared one; tests/c_api_test.sh uses that).
pc_libs=$("$pkg_config" --libs ziggydb-static)
echo "cflags: $pc_cflags"
echo "libs:   $pc_libs"
# Word splitting of the flag strings is intended.
# shellcheck disable=SC2086
"$cxx" -std=c++20 $cxx_flags $pc_cflags -DZIGGY_PACKAGE_VERSION="\"$pc_version\"" \
  "$consumer_src/main.cc" -o "$work_dir/pkg-consumer" $ld_flags $pc_libs ||
  fail "building the pkg-config consumer"
check_output "$work_dir/pkg-consumer" pkg-config

step "passed"
