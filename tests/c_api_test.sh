#!/usr/bin/env bash
# The C API as a user meets it: installs a ZiggyDB build tree into a scratch prefix, checks what
# libziggydb.so exports, then builds tests/c_api_test.c as C11 with the C compiler against the
# INSTALLED headers and libraries, found through pkg-config, and runs it: linked to the shared
# library (ziggydb.pc), then to the static one (ziggydb-static.pc); then once more built by a C
# CMake project through find_package(ZiggyDB COMPONENTS shared). Registered as the ctest test
# `c_api` (tests/CMakeLists.txt), which passes every argument; in a sanitizer build the flags carry
# -fsanitize=..., and LeakSanitizer checks that the program ends with nothing leaked.
#
# usage: c_api_test.sh BUILD_DIR WORK_DIR CMAKE CC CXX "FLAGS" "LINKER_FLAGS"
# $PKG_CONFIG names the pkg-config program (default: pkg-config).
set -euo pipefail

if [ $# -ne 7 ]; then
  echo "usage: $0 BUILD_DIR WORK_DIR CMAKE CC CXX FLAGS LINKER_FLAGS" >&2
  exit 2
fi
build_dir=$1 work_dir=$2 cmake=$3 cc=$4 cxx=$5 flags=$6 ld_flags=$7
src_dir=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$src_dir/.." && pwd)
prefix=$work_dir/prefix
pkg_config=${PKG_CONFIG:-pkg-config}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

step() { echo "== c_api_test: $*"; }
fail() {
  echo "c_api_test: FAILED: $*" >&2
  exit 1
}

rm -rf "$work_dir"
mkdir -p "$work_dir"

step "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work_dir/install.log" ||
  { cat "$work_dir/install.log"; fail "cmake --install"; }
[ -f "$prefix/include/ziggydb/c.h" ] || fail "include/ziggydb/c.h was not installed"
pc=$(find "$prefix" -name ziggydb.pc -print -quit)
[ -n "$pc" ] || fail "ziggydb.pc was not installed"
libdir=$(cd "$(dirname "$pc")/.." && pwd)
so=$libdir/libziggydb.so
[ -L "$so" ] || fail "$so (the link-time symlink) was not installed"
soname=$(objdump -p "$so" | awk '$1 == "SONAME" {print $2}')
[[ "$soname" =~ ^libziggydb\.so\.[0-9]+\.[0-9]+$ ]] || fail "SONAME '$soname' is not libziggydb.so.MAJOR.MINOR"
[ -f "$libdir/$soname" ] || fail "$soname was not installed"
[ -f "$libdir/libziggydb.a" ] || fail "libziggydb.a was not installed beside the shared library"

step "exports of $so (SONAME $soname)"
# Names the public headers declare at namespace level: classes, structs and functions.
public_names=$(grep -hoE '^(class|struct) (\[\[[a-z_]+\]\] )?[A-Za-z_][A-Za-z0-9_]*' \
  "$prefix"/include/ziggydb/*.h | awk '{print $NF}'
grep -hoE '^[A-Za-z_][A-Za-z0-9_:<>*& ]* [*&]?[A-Z][A-Za-z0-9_]*\(' "$prefix"/include/ziggydb/*.h |
  sed -E 's/.*[ *&]([A-Z][A-Za-z0-9_]*)\($/\1/')
public_names=$(sort -u <<<"$public_names")
exported=$(nm -D --defined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | c++filt)
bad=0
c_exports=0
while IFS= read -r symbol; do
  case "$symbol" in
    ZIGGYDB_*) continue ;; # the version node
    ziggydb_*)
      c_exports=$((c_exports + 1))
      continue
      ;;
  esac
  if [[ "$symbol" =~ ^((typeinfo name|typeinfo|vtable)\ for\ )?ziggydb::([A-Za-z0-9_]+) ]] &&
    grep -qxF "${BASH_REMATCH[3]}" <<<"$public_names"; then
    continue
  fi
  echo "  not public API, yet exported: $symbol"
  bad=$((bad + 1))
done <<<"$exported"
((bad == 0)) || fail "$bad exported symbol(s) outside the public API"
missing=0
for fn in $(grep -oE '\bziggydb_[a-z0-9_]+\(' "$prefix/include/ziggydb/c.h" | tr -d '(' | sort -u); do
  if ! grep -qxF "$fn" <<<"$exported"; then
    echo "  declared in c.h, not exported: $fn"
    missing=$((missing + 1))
  fi
done
((missing == 0)) || fail "$missing C function(s) not exported"
echo "  $(wc -l <<<"$exported") symbols, $c_exports of them the C API; no internal symbol exported"

export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
cflags=$("$pkg_config" --cflags ziggydb) || fail "pkg-config cannot read ziggydb.pc"
libs=$("$pkg_config" --libs ziggydb)
static_libs=$("$pkg_config" --libs ziggydb-static) || fail "pkg-config cannot read ziggydb-static.pc"
echo "cflags: $cflags"
echo "libs:   $libs"
echo "static: $static_libs"

# Word splitting of the flag strings is intended.
# shellcheck disable=SC2086
step "compile tests/c_api_test.c as C11 ($cc)"
# shellcheck disable=SC2086
"$cc" -std=c11 -pedantic -Wall -Wextra -Werror $flags $cflags -c "$src_dir/c_api_test.c" \
  -o "$work_dir/c_api_test.o" || fail "compiling c_api_test.c"

step "linked to the shared library, run"
# shellcheck disable=SC2086
"$cc" $flags "$work_dir/c_api_test.o" -o "$work_dir/c_api_test_shared" $ld_flags $libs \
  -Wl,-rpath,"$libdir" || fail "linking against libziggydb.so"
readelf -d "$work_dir/c_api_test_shared" | grep -q "NEEDED.*\[$soname\]" ||
  fail "the program does not load $soname"
mkdir -p "$work_dir/shared"
"$work_dir/c_api_test_shared" "$work_dir/shared" || fail "c_api_test (shared) exited with $?"

step "linked to the static library ($cxx: the library needs the C++ runtime), run"
# shellcheck disable=SC2086
"$cxx" $flags "$work_dir/c_api_test.o" -o "$work_dir/c_api_test_static" $ld_flags $static_libs ||
  fail "linking against libziggydb.a"
if readelf -d "$work_dir/c_api_test_static" | grep -q "NEEDED.*libziggydb"; then
  fail "the static build loads libziggydb.so"
fi
mkdir -p "$work_dir/static"
"$work_dir/c_api_test_static" "$work_dir/static" || fail "c_api_test (static) exited with $?"

step "find_package(ZiggyDB COMPONENTS shared), a C project, run"
mkdir -p "$work_dir/cmake-project"
cat >"$work_dir/cmake-project/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(CApiConsumer LANGUAGES C)
find_package(ZiggyDB CONFIG REQUIRED COMPONENTS shared)
add_executable(c_api_test $src_dir/c_api_test.c)
set_target_properties(c_api_test PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_link_libraries(c_api_test PRIVATE ZiggyDB::ziggydb)
CMAKE
"$cmake" -S "$work_dir/cmake-project" -B "$work_dir/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$ld_flags" \
  >"$work_dir/cmake-build.log" || { cat "$work_dir/cmake-build.log"; fail "configuring the C project"; }
"$cmake" --build "$work_dir/cmake-build" >>"$work_dir/cmake-build.log" ||
  { cat "$work_dir/cmake-build.log"; fail "building the C project"; }
readelf -d "$work_dir/cmake-build/c_api_test" | grep -q "NEEDED.*\[$soname\]" ||
  fail "COMPONENTS shared did not link $soname"
mkdir -p "$work_dir/cmake-run"
"$work_dir/cmake-build/c_api_test" "$work_dir/cmake-run" >/dev/null ||
  fail "c_api_test (find_package) exited with $?"

step "passed ($root_dir)"
