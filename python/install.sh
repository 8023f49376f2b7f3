#!/usr/bin/env bash
# Installs the ziggydb package for $PYTHON (default: Debian's /usr/bin/python3) with pip, offline:
# into the interpreter's site-packages, or under $PYTHON_PREFIX laid out as `pip install --prefix`
# lays it out. $ZIGGYDB_LIBRARY_DIR names a prebuilt libziggydb.a (see setup.py); without it the
# engine is built with the project's CMake.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}

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
