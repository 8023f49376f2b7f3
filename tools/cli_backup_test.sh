#!/usr/bin/env bash
# ziggy checkpoint, backup create|list|verify|delete|purge and restore (ctest label "cli"):
# round trips, ids from 1, --json, verify of all backups, exit codes (docs/cli.md), a corrupted
# backup named, refused restore targets, point-in-time restore from a log archive kept with
# --wal-archive-dir (many random sequence numbers: src/backup/backup_test.cc), ids read as
# decimal (--id 010 is 10).
# Usage: cli_backup_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_backup_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-backup-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

DB="$WORK/db"
BK="$WORK/backups"
expect_rc 0 "$ZIGGY" load --db "$DB" --num 20000 --value-size 100 --batch 100

# Checkpoint: a DB of its own; an existing target is refused (usage, 1); a missing DB is 2.
expect_rc 0 "$ZIGGY" checkpoint --db "$DB" --to "$WORK/cp"
expect_contains "$OUT" "checkpoint $WORK/cp"
expect_rc 0 "$ZIGGY" verify --db "$WORK/cp"
expect_rc 1 "$ZIGGY" checkpoint --db "$DB" --to "$WORK/cp"
expect_rc 2 "$ZIGGY" checkpoint --db "$WORK/none" --to "$WORK/cp2"

# Targets are checked before the DB is opened for writing (which writes a new log, MANIFEST and
# LOG): a refused checkpoint or backup target leaves the DB directory as it was. A backup create
# that fails (a 100 KiB file size limit, EFBIG, standing in for a full disk) removes the backup
# directory it created.
expect_rc 0 "$ZIGGY" compact --db "$DB"
listing() { (cd "$1" && ls -l --time-style=+%s.%N); }
before=$(listing "$DB")
expect_rc 1 "$ZIGGY" checkpoint --db "$DB" --to "$WORK/cp"
echo not-a-dir >"$WORK/a-file"
expect_rc 4 "$ZIGGY" backup create --db "$DB" --backup-dir "$WORK/a-file"
[[ "$(listing "$DB")" == "$before" ]] || fail "a refused checkpoint or backup create changed the DB"
(ulimit -f 100 && trap '' XFSZ && exec "$ZIGGY" backup create --db "$DB" --backup-dir "$WORK/bk-efbig" \
  --no-flush) >/dev/null 2>"$WORK/err"
rc=$?
[[ $rc -eq 4 ]] || fail "backup create past the file size limit exited $rc, want 4 ($(cat "$WORK/err"))"
[[ ! -e "$WORK/bk-efbig" ]] || fail "a failed backup create left the directory it created"

# Two backups, ids 1 and 2; the second after one more key.
expect_rc 0 "$ZIGGY" backup create --db "$DB" --backup-dir "$BK"
expect_contains "$OUT" "backup 1:"
expect_rc 0 "$ZIGGY" put --db "$DB" added-key added-value
expect_rc 0 "$ZIGGY" backup create --db "$DB" --backup-dir "$BK"
expect_contains "$OUT" "backup 2:"
expect_rc 0 "$ZIGGY" backup list --backup-dir "$BK" --json
[[ $(grep -c '"id"' <<<"$OUT") -eq 2 ]] || fail "backup list --json: want 2 ids: $OUT"
expect_contains "$OUT" '"sequence"'
expect_rc 0 "$ZIGGY" backup verify --backup-dir "$BK"
expect_contains "$OUT" "backup 1: OK"
expect_contains "$OUT" "backup 2: OK"

# Restore: the newest by default; the first without the added key.
expect_rc 0 "$ZIGGY" restore --backup-dir "$BK" --to "$WORK/r2"
expect_rc 0 "$ZIGGY" get --db "$WORK/r2" added-key
expect_contains "$OUT" "added-value"
expect_rc 0 "$ZIGGY" restore --backup-dir "$BK" --id 1 --to "$WORK/r1"
expect_rc 2 "$ZIGGY" get --db "$WORK/r1" added-key
# A target holding a DB: refused without --overwrite; with it, replaced.
expect_rc 1 "$ZIGGY" restore --backup-dir "$BK" --id 1 --to "$WORK/r2"
expect_rc 0 "$ZIGGY" get --db "$WORK/r2" added-key
expect_rc 0 "$ZIGGY" restore --backup-dir "$BK" --id 1 --to "$WORK/r2" --overwrite
expect_rc 2 "$ZIGGY" get --db "$WORK/r2" added-key
# A sequence before the backup's: refused.
expect_rc 1 "$ZIGGY" restore --backup-dir "$BK" --id 2 --to-sequence 1 --to "$WORK/r3"
# Unknown backup or directory: 2.
expect_rc 2 "$ZIGGY" restore --backup-dir "$BK" --id 9 --to "$WORK/r4"
expect_rc 2 "$ZIGGY" backup list --backup-dir "$WORK/no-backups"
expect_rc 2 "$ZIGGY" backup delete --backup-dir "$BK" --id 9

# A damaged file: verify and restore exit 3 naming it; the target is not left behind.
victim=$(ls "$BK"/shared/*.sst | head -1)
printf '\xff\xff\xff\xff' | dd of="$victim" bs=1 seek=64 conv=notrunc 2>/dev/null
expect_rc 3 "$ZIGGY" backup verify --backup-dir "$BK"
expect_contains "$ERR" "$victim"
expect_rc 3 "$ZIGGY" restore --backup-dir "$BK" --to "$WORK/r5"
expect_contains "$ERR" "$victim"
[[ -e "$WORK/r5" ]] && fail "a failed restore left $WORK/r5"

# Delete and purge. Deleting the damaged backups deletes the damaged file (both list it), so the
# next backup copies the table afresh; ids go on from the largest listed one.
expect_rc 0 "$ZIGGY" backup delete --backup-dir "$BK" --id 1
expect_rc 0 "$ZIGGY" backup delete --backup-dir "$BK" --id 2
[[ -e "$victim" ]] && fail "deleting every backup that lists $victim kept it"
expect_rc 0 "$ZIGGY" backup create --db "$DB" --backup-dir "$BK"
expect_contains "$OUT" "backup 1:"
expect_rc 0 "$ZIGGY" put --db "$DB" another-key v
expect_rc 0 "$ZIGGY" backup create --db "$DB" --backup-dir "$BK"
expect_contains "$OUT" "backup 2:"
expect_rc 0 "$ZIGGY" backup purge --backup-dir "$BK" --keep 1
expect_rc 0 "$ZIGGY" backup list --backup-dir "$BK" --json
[[ $(grep -c '"id"' <<<"$OUT") -eq 1 ]] || fail "purge --keep 1 left: $OUT"
expect_contains "$OUT" '"id": 2'
expect_rc 0 "$ZIGGY" backup verify --backup-dir "$BK" --id 2
expect_rc 0 "$ZIGGY" restore --backup-dir "$BK" --to "$WORK/r6"
expect_rc 0 "$ZIGGY" get --db "$WORK/r6" another-key
expect_rc 1 "$ZIGGY" backup purge --backup-dir "$BK"

# Ids are decimal: a leading zero is not octal (--id 010 is backup 10, never 8); a base prefix or
# a sign is refused.
expect_rc 0 "$ZIGGY" put --db "$WORK/small" k v
for i in $(seq 1 10); do
  "$ZIGGY" backup create --db "$WORK/small" --backup-dir "$WORK/ten" >/dev/null ||
    fail "backup create $i of $WORK/small failed"
done
expect_rc 0 "$ZIGGY" backup delete --backup-dir "$WORK/ten" --id 010
expect_contains "$OUT" "deleted backup 10"
expect_rc 1 "$ZIGGY" backup delete --backup-dir "$WORK/ten" --id 0x8
expect_rc 1 "$ZIGGY" backup verify --backup-dir "$WORK/ten" --id -1
expect_rc 1 "$ZIGGY" backup purge --backup-dir "$WORK/ten" --keep -1
expect_rc 1 "$ZIGGY" restore --backup-dir "$WORK/ten" --to-sequence -1 --to "$WORK/r7"
expect_rc 0 "$ZIGGY" backup list --backup-dir "$WORK/ten" --json
[[ $(grep -c '"id"' <<<"$OUT") -eq 9 ]] || fail "--id 010 deleted other than backup 10: $OUT"
expect_contains "$OUT" '"id": 8'

# Unreadable metadata of the newest backup is never hidden: list and verify exit 3 naming it,
# restore without --id fails on it rather than restoring an older backup, delete removes it.
truncate -s 20 "$WORK/ten/meta/9"
expect_rc 3 "$ZIGGY" backup list --backup-dir "$WORK/ten"
expect_contains "$ERR" "backup 9 has unreadable metadata"
expect_rc 3 "$ZIGGY" backup verify --backup-dir "$WORK/ten"
expect_contains "$OUT" "backup 8: OK"
expect_contains "$ERR" "meta/9"
expect_rc 3 "$ZIGGY" restore --backup-dir "$WORK/ten" --to "$WORK/r8"
expect_contains "$ERR" "backup 9"
[[ -e "$WORK/r8" ]] && fail "a refused restore left $WORK/r8"
expect_rc 0 "$ZIGGY" backup delete --backup-dir "$WORK/ten" --id 9
expect_rc 0 "$ZIGGY" backup list --backup-dir "$WORK/ten"
expect_rc 0 "$ZIGGY" restore --backup-dir "$WORK/ten" --to "$WORK/r8"
expect_contains "$OUT" "restored backup 8"

# Point-in-time restore: every command that writes keeps the log archive (--wal-archive-dir);
# the restore replays it up to the sequence asked for. The archive bounds need the directory.
DBA="$WORK/db-pit"
ARC="$WORK/archive"
BKA="$WORK/backups-pit"
expect_rc 0 "$ZIGGY" put --db "$DBA" --wal-archive-dir "$ARC" k0 v0
expect_rc 0 "$ZIGGY" backup create --db "$DBA" --backup-dir "$BKA" --wal-archive-dir "$ARC"
expect_contains "$OUT" "backup 1: sequence 1,"
expect_rc 0 "$ZIGGY" put --db "$DBA" --wal-archive-dir "$ARC" --wal-archive-max-mib 64 k1 v1
expect_rc 0 "$ZIGGY" put --db "$DBA" --wal-archive-dir "$ARC" --wal-archive-max-age-seconds 86400 \
  k2 v2
expect_rc 0 "$ZIGGY" compact --db "$DBA" --wal-archive-dir "$ARC"
ls "$ARC"/*.log >/dev/null 2>&1 || fail "no log in the archive $ARC"
expect_rc 0 "$ZIGGY" restore --backup-dir "$BKA" --to-sequence 2 --to "$WORK/pit2"
expect_rc 0 "$ZIGGY" get --db "$WORK/pit2" k1
expect_contains "$OUT" "v1"
expect_rc 2 "$ZIGGY" get --db "$WORK/pit2" k2
expect_rc 0 "$ZIGGY" restore --backup-dir "$BKA" --to-sequence 3 --to "$WORK/pit3"
expect_rc 0 "$ZIGGY" get --db "$WORK/pit3" k2
expect_rc 1 "$ZIGGY" put --db "$DBA" --wal-archive-max-mib 1 k3 v3

# list, verify and restore only read the backup directory (a shared LOCK, no clean-up): they work
# for a user who may only read it (nobody), and change nothing in it; create, delete and purge
# need write permission. (They once took the LOCK for writing and failed: Permission denied.)
BKR="$WORK/backups-read"
expect_rc 0 "$ZIGGY" backup create --db "$DB" --backup-dir "$BKR"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && as_nobody "$ZIGGY" --version >/dev/null 2>&1; then
  chmod o+rx "$WORK"
  chmod -R o+rX "$BKR"
  mkdir -m 777 "$WORK/nobody"
  state_of() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }
  before=$(state_of "$BKR")
  expect_rc 0 as_nobody "$ZIGGY" backup list --backup-dir "$BKR"
  expect_contains "$OUT" "time (UTC)"
  expect_rc 0 as_nobody "$ZIGGY" backup verify --backup-dir "$BKR"
  expect_contains "$OUT" "backup 1: OK"
  expect_rc 0 as_nobody "$ZIGGY" restore --backup-dir "$BKR" --to "$WORK/nobody/restored"
  expect_rc 0 "$ZIGGY" verify --db "$WORK/nobody/restored"
  expect_rc 4 as_nobody "$ZIGGY" backup delete --backup-dir "$BKR" --id 1
  expect_contains "$ERR" "ermission denied"
  [[ "$(state_of "$BKR")" == "$before" ]] || fail "reading the backups as nobody changed $BKR"
else
  echo "cli_backup_test: not root, no setpriv, or nobody cannot run $ZIGGY; read-only backup" \
    "commands not tested as a user without write permission" >&2
fi

finish cli_backup_test
