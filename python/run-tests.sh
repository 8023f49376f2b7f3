#!/usr/bin/env bash
# The Python package's tests as a user runs them: installs ziggydb into a temporary prefix
# (install.sh), then runs pytest with $PYTHON (default /usr/bin/python3) against that installed
# copy, never the source tree. Arguments go to pytest. With $ZIGGYDB_SANITIZE (see install.sh)
# the interpreter, which is not instrumented, loads the sanitizers' runtimes first (LD_PRELOAD),
# and the first report fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
prefix=$(mktemp -d "${TMPDIR:-/tmp}/ziggydb-python.XXXXXX")
trap 'rm -rf "$prefix"' EXIT

PYTHON="$python" PYTHON_PREFIX="$prefix" "$here/install.sh"
init=$(find "$prefix" -path '*/ziggydb/__init__.py' | head -n 1)
if [ -z "$init" ]; then
  echo "run-tests: ziggydb was not installed under $prefix" >&2
  exit 1
fi
site=$(dirname "$(dirname "$init")")
# conftest.py checks that `import ziggydb` finds this copy.
cd "$here/tests"
preload=()
if [ -n "${ZIGGYDB_SANITIZE:-}" ]; then
  # The runtimes of the compiler that built the extension (setup.py: $CXX, else g++).
  runtimes=""
  for pair in address:libasan.so undefined:libubsan.so; do
    case ",$ZIGGYDB_SANITIZE," in
      *,"${pair%%:*}",*)
        runtime=$("${CXX:-g++}" -print-file-name="${pair#*:}")
        if [ "${runtime#/}" = "$runtime" ]; then
          echo "run-tests: ${CXX:-g++} has no ${pair#*:}" >&2
          exit 1
        fi
        runtimes+=" $runtime" ;;
    esac
  done
  # The interpreter's own allocations are not ours to report: leaks off.
  preload=(env "LD_PRELOAD=${runtimes# }"
    "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}")
fi
ZIGGYDB_EXPECT_SITE="$site" PYTHONPATH="$site" "${preload[@]}" "$python" -m pytest -q -p no:cacheprovider "$@" .
