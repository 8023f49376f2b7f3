#!/usr/bin/env bash
# ctest entry of `ziggy stress` (make test): a short round of kills and power losses
# (scripts/crash-stress.sh), kills at whitebox kill points, a 1 s run heavy on transactions,
# checkpoints and backups, then checks that the verifier catches a backup and a DB that lost or
# garbled an acknowledged write, and a DB that after a kill holds one of a call's pending writes
# but not another, and refuses a state file of another key count and op weights over 1000.
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
# A quiet one-thread run over 50 keys without transactions or checkpoints: run_50 DIR SEED
# SECONDS BACKUP_PERMILLE (0: writes only; 1000: backups only).
run_50() {
  "$ZIGGY" stress --dir "$1" --seed "$2" --threads 1 --keys 50 --seconds "$3" --txn-permille 0 \
    --checkpoint-permille 0 --backup-permille "$4" >/dev/null 2>&1
}
# The newest saved backup window (backup_floors/<id>) of a stress directory; empty if none.
last_floor() {
  find "$1/backup_floors" -name '[0-9]*' ! -name '*.*' -printf '%f\n' | sort -n | tail -n 1
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
  # installed (the ops include Flush; the run would end with exit 0 without reaching it), and
  # CURRENT's second switch (the new MANIFEST of the first Open's recovery); each kill must be
  # SIGKILL at the point, and recovery verify.
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

# A short run, weighted towards transactions, checkpoints and backups so that all surely run,
# leaves a DB and its expected state, all writes acknowledged.
DIR="$WORK/run"
out=$("$ZIGGY" stress --dir "$DIR" --seed 42 --threads 2 --keys 500 --seconds 1 \
  --txn-permille 300 --checkpoint-permille 30 --backup-permille 20 2>&1) || fail "a 1 s run failed: $out"
[[ "$out" =~ \ ([1-9][0-9]*)\ transactions && "$out" =~ \ ([1-9][0-9]*)\ checkpoints &&
  "$out" =~ \ ([1-9][0-9]*)\ backups ]] ||
  fail "the run made no transaction, no checkpoint or no backup: $out"
# More threads than keys: the extra threads have no key of their own to write, so the run uses
# as many threads as keys (before, they wrote past the end of the key space, and a batch wider
# than a thread's own keys never ended).
out=$(timeout 60 "$ZIGGY" stress --dir "$WORK/few" --seed 7 --threads 8 --keys 3 --seconds 1 \
  --txn-permille 0 2>&1) || fail "3 keys, 8 threads: $out"
[[ "$out" == *"--threads 3 --keys 3"* ]] || fail "3 keys, 8 threads did not run 3 threads: $out"
err=$("$ZIGGY" stress --dir "$WORK/bad" --txn-permille 900 --backup-permille 200 2>&1)
rc=$?
[[ $rc -eq 1 && "$err" == *"exceed 1000"* ]] || fail "weights over 1000: exit $rc, $err"
out=$("$ZIGGY" stress --dir "$DIR" --keys 500 --verify-only 2>&1) ||
  fail "verify of a clean run failed: $out"
[[ "$out" == *"latest backup ("*") restored and checked"* ]] ||
  fail "the verify restored no backup: $out"

# Each run first restores the latest backup and checks it against the expected state. A run of
# backups only (no writes) leaves a latest backup whose floor is the whole expected state. Then a
# backup that lost an acknowledged write (given that floor) and one holding a value no write
# made are each caught, naming the backup and the key.
BK="$WORK/backup-check"
run_50 "$BK" 43 0.3 0 || fail "the writing run failed"
run_50 "$BK" 44 0.2 1000 || fail "the backup run failed"
last=$(last_floor "$BK")
bkey=$("$ZIGGY" scan --db "$BK/db" 2>/dev/null | head -n 1 | cut -f 1)
if [[ -z "$last" || -z "$bkey" ]]; then
  fail "the backup run left no floor ($last) or no key ($bkey)"
else
  "$ZIGGY" del --db "$BK/db" "$bkey" >/dev/null || fail "del $bkey failed"
  "$ZIGGY" backup create --db "$BK/db" --backup-dir "$BK/backups" >/dev/null ||
    fail "backup create failed"
  cp "$BK/backup_floors/$last" "$BK/backup_floors/$((last + 1))"
  err=$("$ZIGGY" stress --dir "$BK" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"restored backup $((last + 1))"*"key $bkey"*"found no value"* ]] ||
    fail "a backup without $bkey: exit $rc, $err"
  "$ZIGGY" put --db "$BK/db" "$bkey" bogus >/dev/null || fail "put $bkey failed"
  "$ZIGGY" backup create --db "$BK/db" --backup-dir "$BK/backups" >/dev/null ||
    fail "backup create failed"
  err=$("$ZIGGY" stress --dir "$BK" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"restored backup $((last + 2))"*"key $bkey"*"bogus"* ]] ||
    fail "a backup with a value no write made: exit $rc, $err"
fi

# A backup is checked against the expected state at its own point, saved when it was taken, not
# against the state now: a backup holding writes acknowledged after the saved point (here one made
# by the CLI after another writing run, given the saved windows of the backup before it) is
# caught, though each value it holds is one the expected state now allows.
BN="$WORK/backup-newer"
run_50 "$BN" 43 0.3 0 || fail "the first writing run failed"
run_50 "$BN" 44 0.2 1000 || fail "the backup run failed"
run_50 "$BN" 45 0.3 0 || fail "the second writing run failed"
last=$(last_floor "$BN")
if [[ -z "$last" ]]; then
  fail "the backup run left no saved windows"
else
  "$ZIGGY" backup create --db "$BN/db" --backup-dir "$BN/backups" >/dev/null ||
    fail "backup create failed"
  cp "$BN/backup_floors/$last" "$BN/backup_floors/$((last + 1))"
  err=$("$ZIGGY" stress --dir "$BN" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"MISMATCH (Get from a restored backup $((last + 1)))"* ]] ||
    fail "a backup newer than its saved point: exit $rc, $err"
fi

# A first backup killed after it was listed but before its windows were saved leaves no
# backup_floors/ at all: the next run checks that backup with the upper bound only, and goes on.
BF="$WORK/backup-no-floors"
run_50 "$BF" 46 0.2 1000 || fail "the backup run failed"
rm -rf "$BF/backup_floors"
err=$("$ZIGGY" stress --dir "$BF" --keys 50 --verify-only 2>&1) ||
  fail "verify of a backup without saved windows failed: $err"

# An acknowledged backup (its windows saved) that is no longer listed, or whose metadata became
# unreadable, fails the next run: a kill must lose no backup.
BL="$WORK/backup-lost"
run_50 "$BL" 47 0.2 1000 || fail "the backup run failed"
last=$(last_floor "$BL")
if [[ -z "$last" ]]; then
  fail "the backup run left no saved windows"
else
  cp -a "$BL/backups" "$BL/backups.kept"
  : > "$BL/backups/meta/$last"
  err=$("$ZIGGY" stress --dir "$BL" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"backup $last's metadata is unreadable"* ]] ||
    fail "an unreadable backup: exit $rc, $err"
  rm -rf "$BL/backups" && mv "$BL/backups.kept" "$BL/backups"
  "$ZIGGY" backup delete --backup-dir "$BL/backups" --id "$last" >/dev/null ||
    fail "backup delete failed"
  err=$("$ZIGGY" stress --dir "$BL" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"backup $last was acknowledged but is not listed"* ]] ||
    fail "a lost backup: exit $rc, $err"
fi

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

# Numbers out of range are refused before anything runs: --kill-max-ms -1 once wrapped to 2^64-1
# and overflowed the kill deadline; a leading zero is decimal, not octal; NaN is no number.
for bad in "--kill-max-ms -1" "--kill-max-ms 0" "--seed -1" "--seed 0x10" "--threads 065"; do
  # shellcheck disable=SC2086  # $bad is an option and its value
  err=$("$ZIGGY" stress --dir "$WORK/never" --crash --rounds 1 $bad 2>&1)
  rc=$?
  [[ $rc -eq 1 && "$err" == *"must be an integer"* ]] || fail "stress $bad: exit $rc, $err"
done
for bad in nan inf -1; do
  err=$("$ZIGGY" stress --dir "$WORK/never" --seconds "$bad" 2>&1)
  rc=$?
  [[ $rc -eq 1 && "$err" == *"must be a number"* ]] || fail "stress --seconds $bad: exit $rc, $err"
done
[[ ! -e "$WORK/never" ]] || fail "a refused stress run created $WORK/never"

# A torn call after a kill: the expected state says one DB call issued deletes of two present
# keys (pending, not acknowledged: either outcome is legal per key); the DB applied only one.
TC="$WORK/torn"
"$ZIGGY" stress --dir "$TC" --keys 50 --seconds 1 --seed 47 --threads 2 >/dev/null 2>&1 ||
  fail "the run for the torn call failed"
mapfile -t present < <("$ZIGGY" scan --db "$TC/db" 2>/dev/null | cut -f 1 | head -n 2)
if [[ ${#present[@]} -eq 2 ]]; then
  # expected_state: u64 magic, u64 keys (50), 50 u64 words (acked | pending << 32, each record
  # (id << 1) | is_put), then 50 u64 call ids; little-endian.
  make_pending_deletes() {
    local k i acked pending word
    for k in "${present[@]}"; do
      i=$((10#${k#s}))
      acked=$(od -An -t u4 -j $((16 + 8 * i)) -N 4 "$TC/expected_state" | tr -d ' ')
      pending=$((((acked >> 1) + 1) << 1)) # the next id, a delete
      word=$(printf '%08x%08x' "$pending" "$acked")
      # shellcheck disable=SC2059  # the format is built from hex digits
      printf "$(echo "$word" | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\\x\8\\x\7\\x\6\\x\5\\x\4\\x\3\\x\2\\x\1/')" |
        dd of="$TC/expected_state" bs=1 seek=$((16 + 8 * i)) conv=notrunc status=none
      printf '\x07\x00\x00\x00\x00\x00\x00\x00' |
        dd of="$TC/expected_state" bs=1 seek=$((16 + 8 * 50 + 8 * i)) conv=notrunc status=none
    done
  }
  make_pending_deletes
  err=$("$ZIGGY" stress --dir "$TC" --keys 50 --verify-only 2>&1) ||
    fail "both deletes pending and neither applied: the verify failed: $err"
  make_pending_deletes # the verify settled them
  "$ZIGGY" del --db "$TC/db" "${present[0]}" >/dev/null || fail "del ${present[0]} failed"
  err=$("$ZIGGY" stress --dir "$TC" --keys 50 --verify-only 2>&1)
  rc=$?
  [[ $rc -eq 3 && "$err" == *"TORN CALL"*"${present[0]}"*"${present[1]}"* ]] ||
    fail "a call applied to one key of two: exit $rc, $err"
else
  fail "the run for the torn call left fewer than two keys"
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "stress_test: ok"
