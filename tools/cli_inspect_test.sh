#!/usr/bin/env bash
# Test of the read-only commands of the ziggy CLI (ctest label "cli"): stats, inspect and verify
# recover the DB as Open does without writing anything, and refuse what Open refuses; dump-wal
# reports a file that is not the log it is told; dump-sst prints the index through the reader.
# Usage: cli_inspect_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_inspect_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-inspect-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"
# Names, sizes and contents of every file of a directory.
snapshot() { (cd "$1" && ls -la --time-style=+ | awk '{print $1, $5, $NF}' && sha256sum -- *); }
# The newest WAL of a DB.
newest_log() { ls "$1"/*.log | tail -n 1; }

# A DB whose newest WAL holds 400 records (over 32 KiB: two WAL blocks) not yet in a table (load
# does not flush at close).
DB="$WORK/db"
expect_rc 0 "$ZIGGY" load --db "$DB" --num 20 --value-size 100 --sequential
expect_rc 0 "$ZIGGY" compact --db "$DB"
expect_rc 0 "$ZIGGY" load --db "$DB" --num 400 --value-size 100 --seed 2
cp -r "$DB" "$WORK/pristine"

# stats, inspect and verify write nothing: every file is byte-identical afterwards, the WAL
# replay included (stats --watch recovers once per tick).
before=$(snapshot "$DB")
expect_rc 0 "$ZIGGY" stats --db "$DB"
expect_contains "$OUT" "last sequence: 420"
expect_contains "$OUT" "wal records: 400"
expect_contains "$OUT" "wal tail records dropped: 0"
expect_rc 0 "$ZIGGY" stats --db "$DB" --prometheus
expect_contains "$OUT" 'ziggydb_level_files{level="0"}'
expect_contains "$OUT" "ziggydb_wal_records 400"
grep -vE '^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [0-9+Inf.e-]+)$' <<<"$OUT" &&
  fail "stats --prometheus printed lines outside the exposition format"
expect_watch_interrupted "$DB" 0.3 "$WORK/out"
expect_rc 0 "$ZIGGY" inspect --db "$DB"
expect_contains "$OUT" "wal: 1 logs, 400 records"
expect_rc 0 "$ZIGGY" verify --db "$DB"
expect_contains "$OUT" "logs: 1 OK (400 records replayed, up to sequence 420)"
[[ "$(snapshot "$DB")" == "$before" ]] || fail "stats/inspect/verify changed the DB's files"

# (a) The last MANIFEST edit is torn and the edit before it names a log that is gone: Open
# refuses, and so do verify and inspect (the old verify replayed the MANIFEST itself and passed).
TORN="$WORK/torn-manifest"
expect_rc 0 "$ZIGGY" put --db "$TORN" a 1
expect_rc 0 "$ZIGGY" put --db "$TORN" b 2  # replays the first log, deletes it: a new edit
truncate -s -3 "$TORN/$(cat "$TORN/CURRENT")"
expect_rc 3 "$ZIGGY" get --db "$TORN" a
expect_contains "$ERR" "a WAL the MANIFEST needs is missing"
expect_rc 3 "$ZIGGY" verify --db "$TORN"
expect_contains "$ERR" "Open would refuse this DB"
expect_contains "$ERR" "a WAL the MANIFEST needs is missing"
expect_rc 3 "$ZIGGY" inspect --db "$TORN"
expect_rc 3 "$ZIGGY" stats --db "$TORN"

# (b) WAL damage is judged as Open judges it, per recovery mode. A torn last record: dropped by
# default (verify notes it, Open drops it), refused under absolute consistency.
cp -r "$WORK/pristine" "$WORK/torn-wal"
truncate -s -3 "$(newest_log "$WORK/torn-wal")"
expect_rc 0 "$ZIGGY" verify --db "$WORK/torn-wal"
expect_contains "$OUT" "note: recovery drops a torn WAL tail"
expect_contains "$OUT" "399 records replayed"
expect_rc 3 "$ZIGGY" verify --db "$WORK/torn-wal" --wal-recovery-mode absolute-consistency
expect_contains "$ERR" "absolute-consistency"
expect_rc 0 "$ZIGGY" verify --db "$WORK/torn-wal" --wal-recovery-mode point-in-time
expect_contains "$OUT" "note: point-in-time recovery stops at"
expect_rc 1 "$ZIGGY" verify --db "$WORK/torn-wal" --wal-recovery-mode no-such-mode
# A damaged record that a later synced-bytes marker declares durable, followed by intact ones
# (every write synced): Open refuses, and verify says the same (docs/format/wal.md, version 3).
expect_rc 0 "$ZIGGY" load --db "$WORK/mid-log" --num 400 --value-size 100 --seed 2 --sync
printf '\xff' | dd of="$(newest_log "$WORK/mid-log")" bs=1 seek=80 conv=notrunc status=none
expect_rc 3 "$ZIGGY" verify --db "$WORK/mid-log"
expect_contains "$ERR" "damaged WAL record mid-log"
expect_rc 3 "$ZIGGY" get --db "$WORK/mid-log" k000000000000001
expect_contains "$ERR" "damaged WAL record mid-log"
# The same damage where no marker declares it durable (pristine's writes were not synced): a torn
# unsynced region, so the log ends there, as after a power loss.
cp -r "$WORK/pristine" "$WORK/unsynced-hole"
printf '\xff' | dd of="$(newest_log "$WORK/unsynced-hole")" bs=1 seek=80 conv=notrunc status=none
expect_rc 0 "$ZIGGY" verify --db "$WORK/unsynced-hole"
expect_contains "$OUT" "past every byte this log declares synced"

# dump-wal: a file that is not the log it is told to be is an error, not "0 records".
log=$(newest_log "$WORK/pristine")
expect_rc 0 "$ZIGGY" dump-wal "$log"
expect_contains "$OUT" "400 records"
expect_rc 3 "$ZIGGY" dump-wal "$log" --log-number 999
expect_contains "$ERR" "not a log numbered 999"
sst=$(ls "$WORK/pristine"/*.sst | head -n 1)
cp "$sst" "$WORK/table-as.log"
expect_rc 3 "$ZIGGY" dump-wal "$WORK/table-as.log" --log-number 7
expect_contains "$ERR" "not a log numbered 7"
head -c 4096 /dev/zero >"$WORK/unused.log"  # an unused preallocated log: empty, not damage
expect_rc 0 "$ZIGGY" dump-wal "$WORK/unused.log" --log-number 7
expect_contains "$OUT" "0 records"

# dump-sst prints the index the table reader holds.
expect_rc 0 "$ZIGGY" dump-sst --no-entries "$sst"
expect_contains "$OUT" "index (block at offset"
expect_contains "$OUT" " -> offset 0 size "

# --json: one strict JSON object on stdout, with the same numbers as the text; a key that is not
# UTF-8 appears in its escaped form. json_field FILTER reads a field of $OUT with Python's parser.
json_field() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1" <<<"$OUT"; }
if command -v python3 >/dev/null; then
  JDB="$WORK/json"
  expect_rc 0 "$ZIGGY" put --db "$JDB" --hex 6bff00 76
  expect_rc 0 "$ZIGGY" compact --db "$JDB"
  expect_rc 0 "$ZIGGY" put --db "$JDB" second v
  expect_rc 0 "$ZIGGY" inspect --db "$JDB" --json
  [[ $(wc -l <<<"$OUT") -eq 1 ]] || fail "inspect --json printed more than one line"
  [[ "$(json_field 'd["levels"][6]["tables"][0]["smallest"]["key"]')" == 'k\xff\x00' ]] ||
    fail "inspect --json: the binary key is not in its escaped form: $OUT"
  [[ "$(json_field 'd["last_sequence"], d["wal"]["records"], d["total"]["files"]')" == "(2, 1, 1)" ]] ||
    fail "inspect --json numbers: $OUT"
  expect_rc 0 "$ZIGGY" stats --db "$DB" --json
  [[ "$(json_field 'd["last_sequence"], d["wal"]["records"], len(d["levels"])')" == "(420, 400, 7)" ]] ||
    fail "stats --json numbers: $OUT"
  expect_rc 1 "$ZIGGY" stats --db "$DB" --json --prometheus
  expect_rc 0 "$ZIGGY" verify --db "$DB" --json
  [[ "$(json_field 'd["ok"], d["result"], d["logs"]["last_sequence"], d["tables"]["live"] == d["tables"]["checked"]')" == "(True, 'ok', 420, True)" ]] ||
    fail "verify --json: $OUT"
  # A damaged table: the verdict is "failed", exit 3, naming the file.
  cp -r "$DB" "$WORK/json-bad"
  bad_sst=$(ls "$WORK/json-bad"/*.sst | head -n 1)
  printf '\xff' | dd of="$bad_sst" bs=1 seek=20 conv=notrunc status=none
  expect_rc 3 "$ZIGGY" verify --db "$WORK/json-bad" --json
  [[ "$(json_field 'd["ok"], d["result"], d["stage"]')" == "(False, 'failed', 'tables')" ]] ||
    fail "verify --json on a damaged table: $OUT"
  expect_contains "$(json_field 'd["error"]')" "$(basename "$bad_sst")"
else
  echo "cli_inspect_test: no python3; --json output not checked" >&2
fi

finish cli_inspect_test
