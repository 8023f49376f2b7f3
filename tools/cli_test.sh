#!/usr/bin/env bash
# Smoke test of the ziggy CLI (ctest label "cli"): data round trip, exit codes, error messages,
# unknown commands and out-of-range numbers, demo refusing a DB it did not make, load + verify (and verify catching a flipped byte), compact + inspect, dump-wal/dump-sst, a
# tiny bench, and a tiny YCSB run with its HTML report.
# Usage: cli_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/db"
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

# put / get / del round trip.
expect_rc 0 "$ZIGGY" put --db "$DB" apple red
expect_rc 0 "$ZIGGY" put --db "$DB" "key with spaces" "value two"
expect_rc 0 "$ZIGGY" get --db "$DB" apple
[[ "$OUT" == "red" ]] || fail "get apple printed '$OUT'"
expect_rc 0 "$ZIGGY" get --db "$DB" "key with spaces"
[[ "$OUT" == "value two" ]] || fail "get 'key with spaces' printed '$OUT'"
expect_rc 0 "$ZIGGY" put --db "$DB" apple green
expect_rc 0 "$ZIGGY" get --db "$DB" apple
[[ "$OUT" == "green" ]] || fail "overwritten apple printed '$OUT'"
expect_rc 0 "$ZIGGY" del --db "$DB" apple
expect_rc 2 "$ZIGGY" get --db "$DB" apple
expect_contains "$ERR" "not found"
# A missing key exits 1 with "not found"; deleting it again is fine.
expect_rc 2 "$ZIGGY" get --db "$DB" never-written
expect_contains "$ERR" "not found"
expect_rc 0 "$ZIGGY" del --db "$DB" never-written

# scan lists live keys in order, honouring bounds, direction and limit.
expect_rc 0 "$ZIGGY" put --db "$DB" banana yellow
expect_rc 0 "$ZIGGY" put --db "$DB" cherry red
expect_rc 0 "$ZIGGY" scan --db "$DB" --keys-only
[[ "$OUT" == $'banana\ncherry\nkey with spaces' ]] || fail "scan printed '$OUT'"
expect_rc 0 "$ZIGGY" scan --db "$DB" --from c --to k
[[ "$OUT" == $'cherry\tred' ]] || fail "bounded scan printed '$OUT'"
expect_rc 0 "$ZIGGY" scan --db "$DB" --reverse --limit 1 --keys-only
[[ "$OUT" == "key with spaces" ]] || fail "reverse scan printed '$OUT'"

# Bad --db paths: clear errors, non-zero exit, nothing created.
expect_rc 2 "$ZIGGY" get --db "$WORK/missing" apple
expect_contains "$ERR" "cannot open the DB"
[[ ! -e "$WORK/missing" ]] || fail "get created $WORK/missing"
expect_rc 4 "$ZIGGY" put --db "$WORK/no/such/parent" k v
expect_contains "$ERR" "cannot open the DB"
touch "$WORK/plainfile"
expect_rc 4 "$ZIGGY" put --db "$WORK/plainfile" k v
expect_rc 2 "$ZIGGY" stats --db "$WORK/missing"
expect_rc 2 "$ZIGGY" verify --db "$WORK/missing"
# Bad arguments are usage errors, not crashes.
expect_rc 1 "$ZIGGY" get
expect_rc 1 "$ZIGGY" load --db "$DB" --num -5
# An unknown command is named as such, with the list of commands.
expect_rc 1 "$ZIGGY" nosuchcommand
expect_contains "$ERR" "unknown command 'nosuchcommand'"
expect_contains "$ERR" "demo"
expect_contains "$ERR" "verify"
# Numeric options outside their range (negative ones included, which unsigned parsing would wrap
# to huge values) are refused with the accepted range.
expect_rc 1 "$ZIGGY" scan --db "$DB" --limit -1
expect_contains "$ERR" "'-1' must be an integer from 0 to"
expect_rc 1 "$ZIGGY" load --db "$WORK/never" --num 10 --seed -1
expect_contains "$ERR" "must be an integer from 0 to"
expect_rc 1 "$ZIGGY" load --db "$WORK/never" --num 10 --batch 0
expect_contains "$ERR" "'0' must be an integer from 1 to 1000000"
# --batch x --value-size past the largest write batch (up to terabytes once): refused before
# the DB is created.
expect_rc 1 "$ZIGGY" load --db "$WORK/never" --num 10 --batch 1000000 --value-size 16777216
expect_contains "$ERR" "over the largest write batch"
[[ ! -e "$WORK/never" ]] || fail "a refused load created its DB"
# The random order of up to 10^12 keys takes constant memory (it once took 8 bytes a key: for
# 10^12, bad_alloc and a new empty DB left behind): the load starts, and Ctrl-C stops it.
timeout --foreground --preserve-status -s INT 2 "$ZIGGY" load --db "$WORK/huge" \
  --num 1000000000000 --value-size 0 >/dev/null 2>"$WORK/err"
rc=$?
[[ $rc -eq 130 ]] || fail "load --num 10^12 exited $rc, want 130 after SIGINT ($(cat "$WORK/err"))"
expect_contains "$(cat "$WORK/err")" "of 1,000,000,000,000 keys"
rm -rf "$WORK/huge"
# A load that fails removes the DB it created (a 1 MiB file size limit, EFBIG, standing in for a
# full disk; SIGXFSZ ignored so that the write fails rather than the process dying).
(ulimit -f 1024 && trap '' XFSZ && exec "$ZIGGY" load --db "$WORK/efbig" --num 100000) >/dev/null \
  2>"$WORK/err"
rc=$?
[[ $rc -eq 4 ]] || fail "load past the file size limit exited $rc, want 4 ($(cat "$WORK/err"))"
[[ ! -e "$WORK/efbig" ]] || fail "a failed load left the DB it created: $(ls "$WORK/efbig")"
expect_rc 1 "$ZIGGY" demo --db "$WORK/never" --value-size -1
expect_rc 1 "$ZIGGY" demo --db "$WORK/never" --num 1e3
expect_rc 1 "$ZIGGY" dump-wal --value-bytes -1 "$0"
expect_rc 1 "$ZIGGY" bench --threads 0 --db-dir "$WORK/never"
expect_rc 1 "$ZIGGY" bench --seed -3 --db-dir "$WORK/never"
expect_rc 1 "$ZIGGY" bench --threads 0x4 --db-dir "$WORK/never"
expect_rc 1 "$ZIGGY" stats --db "$DB" --watch 0
expect_contains "$ERR" "'0' must be a number from 0.001 to 86400"
# NaN passes every comparison with a bound: refused by name (--watch nan once busy-looped).
expect_rc 1 timeout 10 "$ZIGGY" stats --db "$DB" --watch nan
expect_contains "$ERR" "'nan' must be a number from 0.001 to 86400"
expect_rc 1 "$ZIGGY" stats --db "$DB" --watch inf
expect_rc 1 "$ZIGGY" bench --duration nan --db-dir "$WORK/never"
expect_rc 1 "$ZIGGY" bench --target nan --db-dir "$WORK/never"
expect_rc 1 "$ZIGGY" bench --settle-seconds nan --db-dir "$WORK/never"
[[ ! -e "$WORK/never" ]] || fail "a refused command created $WORK/never"

# load, stats, verify.
expect_rc 0 "$ZIGGY" load --db "$WORK/loaded" --num 5000 --value-size 50 --batch 10
expect_contains "$OUT" "5,000 ops"
expect_rc 0 "$ZIGGY" get --db "$WORK/loaded" k000000000004999
expect_rc 0 "$ZIGGY" stats --db "$WORK/loaded"
expect_contains "$OUT" "last sequence"
expect_rc 0 "$ZIGGY" stats --db "$WORK/loaded" --prometheus
expect_contains "$OUT" 'ziggydb_level_files{level="0"}'
# Every line is a comment or "name{labels} value".
grep -vE '^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [0-9+Inf.e-]+)$' <<<"$OUT" &&
  fail "stats --prometheus printed lines outside the exposition format"
# --watch refreshes until interrupted, then exits 0.
expect_watch_interrupted "$WORK/loaded" 0.5 "$WORK/out"
# A reader that goes away (a broken pipe) is output that cannot be written: exit 4 with the
# reason, not death by SIGPIPE (141) with nothing said or cleaned up.
"$ZIGGY" scan --db "$WORK/loaded" 2>"$WORK/err" | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
[[ $rc -eq 4 ]] || fail "scan into a closed pipe exited $rc, want 4"
expect_contains "$(cat "$WORK/err")" "Broken pipe"
"$ZIGGY" dump --db "$WORK/loaded" 2>/dev/null | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
[[ $rc -eq 4 ]] || fail "dump into a closed pipe exited $rc, want 4"
# stats --help names what it does (it once named properties it never reads).
expect_rc 0 "$ZIGGY" stats --help
expect_contains "$OUT" "read-only"
[[ "$OUT" != *ziggydb.stats* && "$OUT" != *ziggydb.metrics* ]] || fail "stats --help names DB properties"
expect_rc 0 "$ZIGGY" verify --db "$WORK/loaded"
expect_contains "$OUT" "verify: OK"
# Integers are decimal whatever their leading zeros (CLI11 alone would read 010 as octal 8).
expect_rc 0 "$ZIGGY" scan --db "$WORK/loaded" --limit 010 --keys-only
[[ $(wc -l <<<"$OUT") -eq 10 ]] || fail "scan --limit 010 printed $(wc -l <<<"$OUT") rows, want 10"
expect_rc 1 "$ZIGGY" scan --db "$WORK/loaded" --limit 0x10
expect_contains "$ERR" "'0x10' must be an integer from 0 to"

# compact, then inspect: the MANIFEST summary and the tables of each level.
expect_rc 0 "$ZIGGY" compact --db "$WORK/loaded"
expect_rc 0 "$ZIGGY" inspect --db "$WORK/loaded"
expect_contains "$OUT" "manifest: MANIFEST-"
expect_contains "$OUT" "last sequence: 5000"
expect_contains "$OUT" "level 0: 0 files"
expect_contains "$OUT" "level 6: "
expect_contains "$OUT" ".sst "
expect_contains "$OUT" "'k000000000000000' @"
expect_rc 2 "$ZIGGY" inspect --db "$WORK/missing"
expect_contains "$ERR" "no CURRENT file"

# dump-wal and dump-sst on the files the DB wrote.
log=$(ls "$WORK/loaded"/*.log | head -n 1)
expect_rc 0 "$ZIGGY" dump-wal "$log"
sst=$(ls "$WORK/loaded"/*.sst | head -n 1)
expect_rc 0 "$ZIGGY" dump-sst --verify "$sst"
expect_contains "$OUT" "properties:"
expect_contains "$OUT" "checksums: all blocks OK"
head -c 7 /dev/urandom >"$WORK/junk.sst"
expect_rc 3 "$ZIGGY" dump-sst "$WORK/junk.sst"
# A missing input file is "not found" (exit 2, as a missing DB or --from-dump), not a usage error;
# a directory given as the file is one.
expect_rc 2 "$ZIGGY" dump-wal "$WORK/does-not-exist.log"
expect_contains "$ERR" "no such file"
expect_rc 2 "$ZIGGY" dump-sst "$WORK/does-not-exist.sst"
expect_rc 2 "$ZIGGY" put --db "$WORK/never-put" k --value-file "$WORK/does-not-exist.bin"
[[ ! -e "$WORK/never-put" ]] || fail "put of a missing --value-file created the DB"
expect_rc 1 "$ZIGGY" dump-sst "$WORK"

# A flipped byte in a table's first data block: verify fails with the file and offset.
printf '\xff' | dd of="$sst" bs=1 seek=20 conv=notrunc status=none
expect_rc 3 "$ZIGGY" verify --db "$WORK/loaded"
expect_contains "$ERR" "$(basename "$sst")"
expect_contains "$ERR" "offset"

# demo replaces only a DB it made: a missing or empty directory, or one with its ZIGGY-DEMO marker.
expect_rc 0 "$ZIGGY" demo --db "$WORK/demo" --num 300
expect_contains "$OUT" "demo: OK"
[[ -f "$WORK/demo/ZIGGY-DEMO" ]] || fail "demo left no ZIGGY-DEMO marker"
expect_rc 0 "$ZIGGY" demo --db "$WORK/demo" --num 200
expect_contains "$OUT" "200 of 200 keys found"
mkdir "$WORK/demo-empty"
expect_rc 0 "$ZIGGY" demo --db "$WORK/demo-empty" --num 200
# Another DB (made by put) is refused, untouched, even with --keep; --force replaces it.
expect_rc 0 "$ZIGGY" put --db "$WORK/mine" precious data
expect_rc 1 "$ZIGGY" demo --db "$WORK/mine" --num 200
expect_contains "$ERR" "was not made by the demo"
expect_contains "$ERR" "--force"
expect_rc 1 "$ZIGGY" demo --db "$WORK/mine" --num 200 --keep
expect_rc 0 "$ZIGGY" get --db "$WORK/mine" precious
[[ "$OUT" == "data" ]] || fail "a refused demo changed the DB: get printed '$OUT'"
[[ ! -e "$WORK/mine/ZIGGY-DEMO" ]] || fail "a refused demo marked the DB as its own"
expect_rc 0 "$ZIGGY" demo --db "$WORK/mine" --num 200 --force
expect_rc 2 "$ZIGGY" get --db "$WORK/mine" precious
# A directory holding anything else, or a marker with other contents, is not the demo's either.
mkdir "$WORK/notes" && echo "notes" >"$WORK/notes/todo.txt"
expect_rc 1 "$ZIGGY" demo --db "$WORK/notes" --num 200
echo "forged" >"$WORK/notes/ZIGGY-DEMO"
expect_rc 1 "$ZIGGY" demo --db "$WORK/notes" --num 200
[[ $(cat "$WORK/notes/todo.txt") == "notes" ]] || fail "a refused demo touched notes/todo.txt"
expect_rc 1 "$ZIGGY" demo --db "$WORK/plainfile" --num 200
expect_contains "$ERR" "not a directory"

# A tiny benchmark. Each phase that wrote waits for the store to go quiet: a second by default,
# 50 ms here (the txn run below has 20 cells). A window of 0 is refused.
BENCH=("$ZIGGY" bench --settle-seconds 0.05)
expect_rc 1 "$ZIGGY" bench --settle-seconds 0 --db-dir "$WORK/never"
expect_rc 0 "${BENCH[@]}" --num 2000 --sync-num 100 --engines ziggydb --db-dir "$WORK/bench" \
  --json "$WORK/bench.json"
expect_contains "$OUT" "readrandom"
expect_contains "$OUT" "ziggydb"
[[ $(wc -l <"$WORK/bench.json") -ge 6 ]] || fail "bench wrote too few JSON lines"

# load and bench write datasets with one writer: the same seed gives the same keys and values.
expect_rc 0 "$ZIGGY" load --db "$WORK/same-load" --num 700 --value-size 40 --seed 7 --batch 3
expect_rc 0 "${BENCH[@]}" --benchmarks fillrandom --num 700 --value-size 40 --seed 7 \
  --engines ziggydb --db-dir "$WORK/same-bench" --keep
expect_rc 0 "$ZIGGY" scan --db "$WORK/same-load"
loaded=$OUT
expect_rc 0 "$ZIGGY" scan --db "$WORK/same-bench/ziggydb"
[[ "$OUT" == "$loaded" ]] || fail "bench fillrandom and load wrote different data for one seed"
[[ $(wc -l <<<"$loaded") -eq 700 ]] || fail "load --num 700 left $(wc -l <<<"$loaded") keys"

# A tiny YCSB run with the report: JSON lines per phase, well-formed HTML and SVG files.
expect_rc 0 "${BENCH[@]}" --benchmarks ycsba,ycsbe --records 500 --operations 500 \
  --engines ziggydb --db-dir "$WORK/bench" --json "$WORK/ycsb.json" --report "$WORK/report"
expect_contains "$OUT" "ycsba run"
expect_contains "$OUT" "p99 x/ziggy"
[[ $(wc -l <"$WORK/ycsb.json") -eq 4 ]] || fail "ycsb wrote $(wc -l <"$WORK/ycsb.json") JSON lines, want 4"
expect_contains "$(cat "$WORK/ycsb.json")" '"phase":"run"'
expect_contains "$(cat "$WORK/ycsb.json")" '"timeline_ops_per_sec"'
# well_formed FILE...: each parses as XML (xmllint if installed, else Python's parser).
well_formed() {
  local f
  for f in "$@"; do
    if command -v xmllint >/dev/null; then
      xmllint --noout "$f" 2>>"$WORK/xml.err" || fail "$f is not well-formed XML"
    else
      python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$f" \
        2>>"$WORK/xml.err" || fail "$f is not well-formed XML"
    fi
  done
}
[[ -f "$WORK/report/index.html" ]] || fail "no report/index.html"
[[ -f "$WORK/report/throughput.svg" ]] || fail "no report/throughput.svg"
[[ -f "$WORK/report/latency-ycsbe-run-scan.svg" ]] || fail "no scan latency chart"
well_formed "$WORK/report/index.html" "$WORK/report"/*.svg
expect_contains "$(cat "$WORK/report/index.html")" "<svg"
# bench-report re-renders the same charts from the JSON lines.
expect_rc 0 "$ZIGGY" bench-report --json "$WORK/ycsb.json" --out "$WORK/report2"
[[ $(ls "$WORK/report2" | wc -l) -eq $(ls "$WORK/report" | wc -l) ]] || fail "bench-report wrote other files"
well_formed "$WORK/report2/index.html"
# A workload file with an unknown key is refused with its line.
printf 'recordcount=10\nreadproportoin=1\n' >"$WORK/badworkload"
expect_rc 4 "$ZIGGY" bench --workload-file "$WORK/badworkload" --db-dir "$WORK/bench"
expect_contains "$ERR" "badworkload:2: unknown key 'readproportoin'"
expect_rc 0 "${BENCH[@]}" --workload-file "$(dirname "$0")/bench/workloads/workloadd" \
  --records 300 --operations 300 --db-dir "$WORK/bench"
expect_contains "$OUT" "workloadd run"

# Transaction workloads: a cell per thread count and isolation level (txn-transfer: per hot set
# too), each transfer cell's balance total checked; a bad isolation level is refused.
expect_rc 0 "${BENCH[@]}" --benchmarks txn --records 300 --operations 40 --txn-threads 1,2 \
  --txn-hot-keys 0,4 --engines ziggydb --db-dir "$WORK/bench" --json "$WORK/txn.json"
expect_contains "$OUT" "txn-transfer"
expect_contains "$OUT" "SER / SI"
[[ $(grep -c '"kind":"txn"' "$WORK/txn.json") -eq 20 ]] || fail "txn wrote other than 20 cells"
[[ $(grep -c '"total_checked":true' "$WORK/txn.json") -eq 8 ]] || fail "transfer totals unchecked"
expect_rc 1 "$ZIGGY" bench --benchmarks txn --txn-isolation repeatable --db-dir "$WORK/never"
expect_contains "$ERR" "not snapshot or serializable"

# Output that cannot be written fails the command (exit 4), whether the C library's last buffer
# or a closed stdout; a closed stderr neither aborts nor changes the exit code, and no file of
# the DB takes a closed descriptor's number.
expect_rc 0 "$ZIGGY" put --db "$WORK/out-db" k v
"$ZIGGY" scan --db "$WORK/out-db" >/dev/full 2>"$WORK/err"
[[ $? -eq 4 ]] || fail "scan to /dev/full did not exit 4"
expect_contains "$(cat "$WORK/err")" "No space left on device"
"$ZIGGY" scan --db "$WORK/out-db" >&- 2>/dev/null
[[ $? -eq 4 ]] || fail "scan with stdout closed did not exit 4"
# --help and --version too: their text is the output (it once exited 0 unwritten).
for args in --help --version "get --help"; do
  # shellcheck disable=SC2086
  "$ZIGGY" $args >/dev/full 2>/dev/null
  rc=$?
  [[ $rc -eq 4 ]] || fail "ziggy $args >/dev/full exited $rc, want 4"
done
"$ZIGGY" get --db "$WORK/out-db" missing >/dev/null 2>&-
[[ $? -eq 2 ]] || fail "get of a missing key with stderr closed did not exit 2"
# A stderr that cannot be written (2>/dev/full) loses the messages, not the exit code (an unknown
# command once aborted, and a missing key exited 4).
"$ZIGGY" get --db "$WORK/out-db" missing >/dev/null 2>/dev/full
[[ $? -eq 2 ]] || fail "get of a missing key with stderr full did not exit 2"
"$ZIGGY" nosuchcommand 2>/dev/full
[[ $? -eq 1 ]] || fail "an unknown command with stderr full did not exit 1"
"$ZIGGY" get --db "$WORK/never-made" k 2>/dev/full
[[ $? -eq 2 ]] || fail "get from a missing DB with stderr full did not exit 2"
"$ZIGGY" put --db "$WORK/out-db" k2 v2 2>&- >&-
expect_rc 0 "$ZIGGY" verify --db "$WORK/out-db"
expect_rc 0 "$ZIGGY" get --db "$WORK/out-db" k2

finish cli_test
