#!/usr/bin/env bash
# The Python package's tests as a user runs them: installs ziggydb into a temporary prefix
# (install.sh), then runs pytest with $PYTHON (default /usr/bin/python3) against that installed
# copy, never the source tree. Arguments go to pytest.
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
ZIGGYDB_EXPECT_SITE="$site" PYTHONPATH="$site" "$python" -m pytest -q -p no:cacheprovider "$@" .
