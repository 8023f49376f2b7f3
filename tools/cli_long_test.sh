#!/usr/bin/env bash
# The long commands of the ziggy CLI (ctest label "cli"): the progress bar is drawn on a terminal
# only, and Ctrl-C stops load, compact and verify cleanly with exit 130 and a DB that verifies.
# Usage: cli_long_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_long_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-long-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

# Piped stderr: no bar (no carriage return), only the summary on stdout.
expect_rc 0 "$ZIGGY" load --db "$WORK/db" --num 20000 --value-size 200 --batch 100
[[ "$ERR" == *$'\r'* ]] && fail "load drew a progress bar into a pipe: $ERR"
expect_rc 0 "$ZIGGY" verify --db "$WORK/db"
[[ "$ERR" == *$'\r'* ]] && fail "verify drew a progress bar into a pipe"
expect_rc 0 "$ZIGGY" compact --db "$WORK/db"
[[ "$ERR" == *$'\r'* ]] && fail "compact drew a progress bar into a pipe"

# On a terminal (script(1) gives the command a pty) the bar shows bytes, a rate and an ETA.
if command -v script >/dev/null; then
  script -qec "$ZIGGY load --db $WORK/tty --num 200000 --value-size 100" /dev/null \
    >"$WORK/tty.out" 2>&1 || fail "load on a terminal failed: $(cat "$WORK/tty.out")"
  bar=$(tr '\r' '\n' <"$WORK/tty.out")
  expect_contains "$bar" "load ["
  expect_contains "$bar" "MiB/s"
  expect_contains "$bar" "100.0%"
  script -qec "$ZIGGY verify --db $WORK/db" /dev/null >"$WORK/tty.out" 2>&1 ||
    fail "verify on a terminal failed: $(cat "$WORK/tty.out")"
  expect_contains "$(tr '\r' '\n' <"$WORK/tty.out")" "verify ["
else
  echo "cli_long_test: script(1) not installed; terminal progress bar not checked" >&2
fi

# Ctrl-C during a load far too long to finish: exit 130, how far it got, and the DB keeps exactly
# the keys it reports (it verifies, and holds the first and last written key).
timeout --preserve-status -s INT 1 "$ZIGGY" load --db "$WORK/int" --num 50000000 --sequential \
  --value-size 10 >"$WORK/out" 2>"$WORK/err"
rc=$?
[[ $rc -eq 130 ]] || fail "load exited $rc after SIGINT, want 130 ($(cat "$WORK/err"))"
written=$(sed -n 's/.*interrupted after \([0-9,]*\) of 50,000,000 keys.*/\1/p' "$WORK/err" | tr -d ,)
[[ -n "$written" ]] || fail "load did not say how far it got: $(cat "$WORK/err")"
if [[ -n "$written" && $written -gt 0 ]]; then
  expect_rc 0 "$ZIGGY" verify --db "$WORK/int"
  expect_contains "$OUT" "up to sequence $written"
  expect_rc 0 "$ZIGGY" get --escape --db "$WORK/int" "$(printf 'k%015d' $((written - 1)))"
  expect_rc 2 "$ZIGGY" get --escape --db "$WORK/int" "$(printf 'k%015d' "$written")"
fi
# SIGTERM is honoured the same way.
timeout --preserve-status -s TERM 1 "$ZIGGY" load --db "$WORK/term" --num 50000000 --sequential \
  --value-size 10 >"$WORK/out" 2>"$WORK/err"
rc=$?
[[ $rc -eq 130 ]] || fail "load exited $rc after SIGTERM, want 130 ($(cat "$WORK/err"))"

finish cli_long_test
