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

# interrupt_load SIGNAL DB: starts a load far too long to finish, waits until it has the DB open
# (its WAL exists: Ctrl-C handling is installed before the DB is opened) and a little more, sends
# SIGNAL, and leaves its exit code in $rc and its stderr in $WORK/err.
interrupt_load() {
  "$ZIGGY" load --db "$2" --num 50000000 --sequential --value-size 10 >"$WORK/out" 2>"$WORK/err" &
  local pid=$!
  for _ in $(seq 400); do
    compgen -G "$2/*.log" >/dev/null && break
    sleep 0.05
  done
  sleep 0.5
  kill "-$1" "$pid"
  wait "$pid"
  rc=$?
}

# Ctrl-C during a load: exit 130, how far it got, and the DB keeps exactly the keys it reports (it
# verifies, and holds the last written key but not the next).
interrupt_load INT "$WORK/int"
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
interrupt_load TERM "$WORK/term"
[[ $rc -eq 130 ]] || fail "load exited $rc after SIGTERM, want 130 ($(cat "$WORK/err"))"
expect_contains "$(cat "$WORK/err")" "interrupted after"

# interrupt_while_replaying CMD...: runs CMD, and sends it SIGINT once it has a WAL open (it is
# replaying it: Ctrl-C handling is installed before that). Leaves the exit code in $rc.
interrupt_while_replaying() {
  "$@" >"$WORK/out" 2>"$WORK/err" &
  local pid=$!
  for _ in $(seq 2000); do
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -q '\.log$' && break
    sleep 0.01
  done
  kill -INT "$pid"
  wait "$pid"
  rc=$?
}

# verify and compact honour a Ctrl-C that arrives while they replay a WAL of ~35 MB: they stop
# before the first table (or at the next slice), say so, and exit 130; the DB is intact.
expect_rc 0 "$ZIGGY" load --db "$WORK/wal" --num 2000 --sequential
expect_rc 0 "$ZIGGY" compact --db "$WORK/wal"
expect_rc 0 "$ZIGGY" load --db "$WORK/wal" --num 300000 --value-size 100 --batch 100
interrupt_while_replaying "$ZIGGY" verify --db "$WORK/wal"
[[ $rc -eq 130 ]] || fail "verify exited $rc after SIGINT, want 130 ($(cat "$WORK/err"))"
expect_contains "$(cat "$WORK/err")" "interrupted: 0 of 1 tables checked"
interrupt_while_replaying "$ZIGGY" compact --db "$WORK/wal"
[[ $rc -eq 130 ]] || fail "compact exited $rc after SIGINT, want 130 ($(cat "$WORK/err"))"
expect_contains "$(cat "$WORK/err")" "ziggy compact: interrupted after "
expect_rc 0 "$ZIGGY" verify --db "$WORK/wal"
expect_contains "$OUT" "up to sequence 302000"

finish cli_long_test
