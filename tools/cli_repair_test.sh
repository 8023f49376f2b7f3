#!/usr/bin/env bash
# Test of `ziggy repair` (ctest label "cli"): after deleting CURRENT, truncating the MANIFEST or
# deleting it, repair brings back every key (the scan equals the one taken before the damage),
# the repaired DB verifies, and the originals are kept; a corrupt table is moved to lost/,
# reported, and makes the exit code 3; a missing directory is exit 2, one without DB files exit 1
# (left untouched).
# Usage: cli_repair_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_repair_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-repair-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

# Tables from a compaction and a flush, and records only in the WAL.
make_db() {
  rm -rf "$1"
  "$ZIGGY" load --db "$1" --num 3000 --value-size 100 >/dev/null
  "$ZIGGY" compact --db "$1" >/dev/null
  "$ZIGGY" load --db "$1" --num 400 --value-size 30 --seed 2 >/dev/null
  "$ZIGGY" del --db "$1" k000000000000009 >/dev/null
}
DB="$WORK/db"
make_db "$DB"
"$ZIGGY" scan --db "$DB" >"$WORK/model" 2>/dev/null

check_repaired() {  # $1: what was damaged
  expect_rc 0 "$ZIGGY" repair --db "$DB"
  expect_contains "$OUT" "repair: OK, nothing lost"
  "$ZIGGY" scan --db "$DB" >"$WORK/scan" 2>/dev/null
  cmp -s "$WORK/model" "$WORK/scan" || fail "$1: the repaired DB scans differently"
  expect_rc 0 "$ZIGGY" verify --db "$DB"
}

rm "$DB/CURRENT"
expect_rc 3 "$ZIGGY" get --db "$DB" k000000000000001
check_repaired "deleted CURRENT"
ls -d "$DB"/repair-old-* >/dev/null 2>&1 || fail "the originals were not kept aside"

make_db "$DB"
manifest="$DB/$(cat "$DB/CURRENT")"
truncate -s $(($(stat -c %s "$manifest") / 2)) "$manifest"
check_repaired "truncated MANIFEST"

make_db "$DB"
rm "$DB"/MANIFEST-*
check_repaired "deleted MANIFEST"

# The WAL recovery mode is Open's: any one is taken; an unknown one is refused.
make_db "$DB"
rm "$DB/CURRENT"
expect_rc 1 "$ZIGGY" repair --db "$DB" --wal-recovery-mode no-such-mode
expect_rc 0 "$ZIGGY" repair --db "$DB" --wal-recovery-mode point-in-time
expect_contains "$OUT" "repair: OK, nothing lost"

# A corrupt table: moved to lost/, named, exit 3; the DB opens and verifies.
make_db "$DB"
table=$(ls "$DB"/*.sst | head -n 1)
printf 'garbage garbage garbage' | dd of="$table" bs=1 seek=100 conv=notrunc status=none
rm "$DB/CURRENT"
expect_rc 3 "$ZIGGY" repair --db "$DB"
expect_contains "$OUT" "LOST (moved to lost/) $(basename "$table")"
[[ -f "$DB/lost/$(basename "$table")" ]] || fail "the corrupt table is not in lost/"
expect_rc 0 "$ZIGGY" verify --db "$DB"

expect_rc 2 "$ZIGGY" repair --db "$WORK/absent"
[[ ! -e "$WORK/absent" ]] || fail "repair created a directory"

mkdir "$WORK/empty"
expect_rc 1 "$ZIGGY" repair --db "$WORK/empty"
expect_contains "$ERR" "holds no ZiggyDB files"
[[ -z "$(ls -A "$WORK/empty")" ]] || fail "repair wrote into a directory without a DB"

finish cli_repair_test
