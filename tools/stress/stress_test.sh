#!/usr/bin/env bash
# ctest entry of `ziggy stress` (make test): a short round of kills and power losses
# (scripts/crash-stress.sh), kills at whitebox kill points, a 1 s run heavy on transactions and
# checkpoints, then checks that the verifier catches a DB that lost or garbled an acknowledged
# write, and refuses a state file of another key count and op weights over 1000.
# Usage: stress_test.sh path/to/ziggy [SECONDS (default 20)]
set -u
ZIGGY=${1:?usage: stress_test.sh path/to/ziggy [SECONDS]}
SECONDS_TOTAL=${2:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-stress-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

"$ROOT/scripts/crash-stress.sh" "$ZIGGY" "$SECONDS_TOTAL" || fail "crash-stress.sh exited $?"

# Whitebox kill points, in a build with ZIGGY_KILL_POINTS (the asan preset; ctest sets
# ZIGGY_HAS_KILL_POINTS=1 there). Creating a DB renames its first CURRENT into place: armed there,
# the process dies by SIGKILL, and what it left opens and verifies (crash-stress.sh above ran
# rounds armed at random points, env and DB ones).
if [[ "${ZIGGY_HAS_KILL_POINTS:-0}" == 1 ]]; then
  KP="$WORK/killpoint"
  ZIGGY_KILL_POINT=rename:current "$ZIGGY" stress --dir "$KP" --keys 100 --seconds 1 >/dev/null 2>&1
  rc=$?
  [[ $rc -eq 137 ]] || fail "armed at rename:current, the run exited $rc, not 137 (SIGKILL)"
  "$ZIGGY" stress --dir "$KP" --keys 100 --verify-only 2>/dev/null ||
    fail "verify after the kill at rename:current failed"
  # DB-level points: the first MANIFEST written (creating the DB), the first flush's edit
  # installed (the ops include Flush; the run would end with exit 0 without reaching it), a
  # CURRENT switch after reopen; each kill must be SIGKILL at the point, and recovery verify.
  for point in db:manifest-written db:flush-installed db:current-renamed@2; do
    KP="$WORK/killpoint-${point//[:@]/_}"
    ZIGGY_KILL_POINT=$point "$ZIGGY" stress --dir "$KP" --seed 5 --keys 200 --seconds 10 \
      >/dev/null 2>&1
    rc=$?
    [[ $rc -eq 137 ]] || fail "armed at $point, the run exited $rc, not 137 (SIGKILL)"
    "$ZIGGY" stress --dir "$KP" --keys 200 --verify-only 2>/dev/null ||
      fail "verify after the kill at $point failed"
  done
fi

# A short run, weighted towards transactions and checkpoints so both surely run, leaves a DB and
# its expected state, all writes acknowledged.
DIR="$WORK/run"
out=$("$ZIGGY" stress --dir "$DIR" --seed 42 --threads 2 --keys 500 --seconds 1 \
  --txn-permille 300 --checkpoint-permille 30 2>&1) || fail "a 1 s run failed: $out"
[[ "$out" =~ \ ([1-9][0-9]*)\ transactions && "$out" =~ \ ([1-9][0-9]*)\ checkpoints ]] ||
  fail "the run made no transaction or no checkpoint: $out"
err=$("$ZIGGY" stress --dir "$WORK/bad" --txn-permille 900 --checkpoint-permille 200 2>&1)
rc=$?
[[ $rc -eq 1 && "$err" == *"exceed 1000"* ]] || fail "weights over 1000: exit $rc, $err"
"$ZIGGY" stress --dir "$DIR" --keys 500 --verify-only 2>/dev/null || fail "verify of a clean run failed"

# A lost acknowledged write: delete a key the run left present.
key=$("$ZIGGY" scan --db "$DIR/db" 2>/dev/null | head -n 1 | cut -f 1)
[[ -n "$key" ]] || fail "the run left no key"
"$ZIGGY" del --db "$DIR/db" "$key" >/dev/null || fail "del $key failed"
err=$("$ZIGGY" stress --dir "$DIR" --keys 500 --verify-only 2>&1)
rc=$?
[[ $rc -eq 3 ]] || fail "verify after deleting $key exited $rc, expected 3"
[[ "$err" == *"MISMATCH"*"key $key"*"found no value"* ]] || fail "no mismatch naming $key: $err"
[[ "$err" == *"seed"* ]] || fail "the mismatch message names no seed: $err"

# A value no write made.
"$ZIGGY" put --db "$DIR/db" "$key" bogus >/dev/null || fail "put $key failed"
err=$("$ZIGGY" stress --dir "$DIR" --keys 500 --verify-only 2>&1)
rc=$?
[[ $rc -eq 3 && "$err" == *"key $key"*"bogus"* ]] || fail "garbled $key: exit $rc, $err"

# Another key count than the state file's is refused before anything runs.
err=$("$ZIGGY" stress --dir "$DIR" --keys 501 --verify-only 2>&1)
rc=$?
[[ $rc -eq 1 && "$err" == *"expected_state"* ]] || fail "--keys 501: exit $rc, $err"

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "stress_test: ok"
