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
# expect_watch_interrupted DB SECONDS OUT: `ziggy stats --watch` on DB, interrupted (SIGINT) once it
# has printed two reports (so its handler is in place however slow the start), exits 0.
expect_watch_interrupted() {
  "$ZIGGY" stats --db "$1" --watch "$2" >"$3" 2>&1 &
  local pid=$! waited=0
  while (($(grep -c 'last sequence' "$3") < 2 && waited < 600)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -INT "$pid"
  wait "$pid"
  local rc=$?
  [[ $rc -eq 0 ]] || fail "stats --watch exited $rc after SIGINT, want 0"
  [[ $(grep -c 'last sequence' "$3") -ge 2 ]] || fail "stats --watch printed fewer than 2 reports"
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
