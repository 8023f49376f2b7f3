# Helpers shared by the CLI test scripts (cli_test.sh, cli_inspect_test.sh); sourced, not run.
# The sourcing script sets WORK (a scratch directory) and failures=0 first, and ends with
# finish NAME.

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# expect_rc CODE CMD...: runs CMD, captures stdout/stderr in $OUT/$ERR, checks the exit code.
expect_rc() {
  local want=$1
  shift
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  [[ $rc -eq $want ]] || fail "'$*' exited $rc, want $want (stdout: $OUT stderr: $ERR)"
}
expect_contains() { [[ "$1" == *"$2"* ]] || fail "expected '$2' in: $1"; }
# finish NAME: the script's verdict and exit status.
finish() {
  if [[ $failures -ne 0 ]]; then
    echo "$1: $failures failure(s)" >&2
    exit 1
  fi
  echo "$1: OK"
}
