#!/usr/bin/env bash
# Test of `ziggy dump` and `ziggy restore-dump` (ctest label "cli"): a dump restored into a new
# DB scans the same as the source (keys with tabs and high bytes, empty and 100 KB values, a key
# range); a truncated, corrupted or foreign dump is refused with exit 3 and leaves no DB behind;
# restore-dump never writes into an existing DB, builds aside (TARGET.restore-dump-tmp, which a
# crashed run may leave and the next removes) and renames the DB into place once complete, and
# cleans up after an exception too; dump refuses to write binary to a terminal only (checked by
# the --out path instead: the file is complete or absent).
# Usage: cli_dump_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_dump_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-dump-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

DB="$WORK/db"
expect_rc 0 "$ZIGGY" load --db "$DB" --num 3000 --value-size 100
expect_rc 0 "$ZIGGY" compact --db "$DB"
expect_rc 0 "$ZIGGY" load --db "$DB" --num 500 --value-size 50 --seed 2  # some only in the WAL
expect_rc 0 "$ZIGGY" put --db "$DB" "$(printf 'tab\there\xff\x01')" "$(printf 'v\x7f\xfe')"
expect_rc 0 "$ZIGGY" put --db "$DB" "empty-value" ""
expect_rc 0 "$ZIGGY" put --db "$DB" "large-value" "$(head -c 100000 /dev/zero | tr '\0' 'L')"
expect_rc 0 "$ZIGGY" del --db "$DB" k000000000000007

# Round trip through a file and through a pipe.
expect_rc 0 "$ZIGGY" dump --db "$DB" --out "$WORK/all.dump"
expect_contains "$ERR" "3,002 records"
[[ -z "$(compgen -G "$WORK/all.dump.*")" ]] || fail "dump left its temporary file"
expect_rc 0 "$ZIGGY" restore-dump --db "$WORK/copy" --from-dump "$WORK/all.dump"
# An empty directory given as the target keeps its permissions.
mkdir -m 700 "$WORK/private"
expect_rc 0 "$ZIGGY" restore-dump --db "$WORK/private" --from-dump "$WORK/all.dump"
[[ $(stat -c %a "$WORK/private") == 700 ]] || fail "restore-dump made $WORK/private $(stat -c %a "$WORK/private")"
"$ZIGGY" scan --db "$DB" >"$WORK/scan.src"
"$ZIGGY" scan --db "$WORK/copy" >"$WORK/scan.copy"
cmp -s "$WORK/scan.src" "$WORK/scan.copy" || fail "the restored DB scans differently"
"$ZIGGY" dump --db "$DB" | "$ZIGGY" restore-dump --db "$WORK/piped" --from-dump - 2>/dev/null ||
  fail "dump | restore-dump failed"
"$ZIGGY" scan --db "$WORK/piped" >"$WORK/scan.piped"
cmp -s "$WORK/scan.src" "$WORK/scan.piped" || fail "the piped restore scans differently"

# dump opens the DB read-only: nothing in its directory changes.
snapshot() { (cd "$1" && ls -la --time-style=+%s.%N | awk '{print $1, $5, $6, $NF}' && sha256sum -- *); }
before=$(snapshot "$DB")
"$ZIGGY" dump --db "$DB" >/dev/null 2>&1 || fail "dump to /dev/null failed"
[[ "$(snapshot "$DB")" == "$before" ]] || fail "dump changed the DB directory"

# Ctrl-C: dump blocked on a full pipe, restore-dump waiting for more input; both exit 130, and
# restore-dump removes the DB it created. --foreground: without it timeout signals the command
# and then its own process group, so the command may get SIGINT twice, and a second Ctrl-C is
# meant to kill (SA_RESETHAND) before anything is cleaned up.
expect_rc 0 "$ZIGGY" load --db "$WORK/big" --num 40000 --value-size 100  # a 4.6 MB dump
timeout --foreground --preserve-status -s INT 1 "$ZIGGY" dump --db "$WORK/big" 2>"$WORK/err" |
  (sleep 2; cat >/dev/null)
rc=${PIPESTATUS[0]}
[[ $rc -eq 130 ]] || fail "dump exited $rc after SIGINT, want 130 ($(cat "$WORK/err"))"
grep -q "interrupted after" "$WORK/err" || fail "dump did not report the interruption"
(head -c 1000 "$WORK/all.dump"; sleep 2) |
  timeout --foreground --preserve-status -s INT 1 "$ZIGGY" restore-dump --db "$WORK/int" \
    --from-dump - 2>"$WORK/err"
rc=$?
[[ $rc -eq 130 ]] || fail "restore-dump exited $rc after SIGINT, want 130 ($(cat "$WORK/err"))"
[[ ! -e "$WORK/int" ]] || fail "an interrupted restore-dump left $WORK/int behind"
[[ ! -e "$WORK/int.restore-dump-tmp" ]] || fail "an interrupted restore-dump left its staging dir"
grep -q "the new DB was removed" "$WORK/err" || fail "restore-dump did not report the removal"

# A stderr that cannot be written (2>/dev/full) loses the progress bar, nothing else: the bar
# once threw from its destructor and aborted (exit 134), leaving the temporary file.
"$ZIGGY" dump --db "$DB" --out "$WORK/full-stderr.dump" --progress 2>/dev/full
rc=$?
[[ $rc -eq 0 || $rc -eq 4 ]] || fail "dump --progress 2>/dev/full exited $rc, want 0 or 4"
[[ -z "$(compgen -G "$WORK/full-stderr.dump.*")" ]] || fail "dump 2>/dev/full left a temporary file"
if [[ -e "$WORK/full-stderr.dump" ]]; then
  cmp -s "$WORK/all.dump" "$WORK/full-stderr.dump" || fail "dump 2>/dev/full wrote another dump"
fi

# The temporary file is created exclusively, never through a file or link already there (a
# fixed FILE.ziggy-tmp once followed a planted link and overwrote what it named). A write that
# fails (a 1 MiB file size limit standing in for a full disk) keeps FILE as it was and removes
# the temporary file.
printf 'victim' >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/planted.dump.ziggy-tmp"
expect_rc 0 "$ZIGGY" dump --db "$DB" --out "$WORK/planted.dump"
[[ "$(cat "$WORK/victim")" == victim ]] || fail "dump wrote through a link at its temporary name"
cmp -s "$WORK/all.dump" "$WORK/planted.dump" || fail "dump --out beside a planted link differs"
printf 'old dump' >"$WORK/kept.dump"
expect_rc 0 "$ZIGGY" load --db "$WORK/toobig" --num 20000 --value-size 100  # a 2.3 MB dump
(ulimit -f 1024 && trap '' XFSZ && exec "$ZIGGY" dump --db "$WORK/toobig" --out "$WORK/kept.dump") \
  2>"$WORK/err"
rc=$?
[[ $rc -eq 4 ]] || fail "dump past the file size limit exited $rc, want 4 ($(cat "$WORK/err"))"
[[ "$(cat "$WORK/kept.dump")" == "old dump" ]] || fail "a failed dump --out changed FILE"
[[ -z "$(compgen -G "$WORK/kept.dump.*")" ]] || fail "a failed dump --out left a temporary file"
# A FIFO or device is written in place.
expect_rc 0 "$ZIGGY" dump --db "$DB" --out /dev/null

# A key range: [--from, --to).
expect_rc 0 "$ZIGGY" dump --db "$DB" --from k000000000000100 --to k000000000000200 --out "$WORK/range.dump"
expect_contains "$ERR" "100 records"
expect_rc 0 "$ZIGGY" restore-dump --db "$WORK/range" --from-dump "$WORK/range.dump"
"$ZIGGY" get --db "$WORK/range" k000000000000100 >/dev/null || fail "range: k...100 missing"
"$ZIGGY" get --db "$WORK/range" k000000000000200 >/dev/null 2>&1 && fail "range: k...200 restored"

# Damaged dumps: exit 3 naming the problem, and no DB left behind.
size=$(stat -c %s "$WORK/all.dump")
head -c $((size / 2)) "$WORK/all.dump" >"$WORK/truncated.dump"
expect_rc 3 "$ZIGGY" restore-dump --db "$WORK/t1" --from-dump "$WORK/truncated.dump"
expect_contains "$ERR" "truncated"
[[ ! -e "$WORK/t1" && ! -e "$WORK/t1.restore-dump-tmp" ]] || fail "a failed restore left $WORK/t1 behind"
head -c $((size - 1)) "$WORK/all.dump" >"$WORK/no-trailer.dump"
expect_rc 3 "$ZIGGY" restore-dump --db "$WORK/t2" --from-dump "$WORK/no-trailer.dump"
[[ ! -e "$WORK/t2" && ! -e "$WORK/t2.restore-dump-tmp" ]] || fail "a failed restore left $WORK/t2 behind"
cp "$WORK/all.dump" "$WORK/flipped.dump"
printf '\x55' | dd of="$WORK/flipped.dump" bs=1 seek=$((size / 3)) conv=notrunc status=none
expect_rc 3 "$ZIGGY" restore-dump --db "$WORK/t3" --from-dump "$WORK/flipped.dump"
expect_contains "$ERR" "checksum"
[[ ! -e "$WORK/t3" && ! -e "$WORK/t3.restore-dump-tmp" ]] || fail "a failed restore left $WORK/t3 behind"
head -c 5000 /dev/urandom >"$WORK/garbage.dump"
expect_rc 3 "$ZIGGY" restore-dump --db "$WORK/t4" --from-dump "$WORK/garbage.dump"
expect_contains "$ERR" "not a ZiggyDB dump"
expect_rc 3 "$ZIGGY" restore-dump --db "$WORK/t5" --from-dump /dev/null
[[ ! -e "$WORK/t4" && ! -e "$WORK/t4.restore-dump-tmp" && ! -e "$WORK/t5" &&
  ! -e "$WORK/t5.restore-dump-tmp" ]] || fail "a failed restore left t4 or t5 behind"

# Never into an existing DB; a missing dump file is an error before anything is created.
expect_rc 1 "$ZIGGY" restore-dump --db "$WORK/copy" --from-dump "$WORK/all.dump"
expect_contains "$ERR" "already holds a DB"
expect_rc 2 "$ZIGGY" restore-dump --db "$WORK/t6" --from-dump "$WORK/missing.dump"
[[ ! -e "$WORK/t6" ]] || fail "restore-dump of a missing file created $WORK/t6"
expect_rc 2 "$ZIGGY" dump --db "$WORK/absent" --out "$WORK/absent.dump"
[[ ! -e "$WORK/absent.dump" ]] || fail "a failed dump left a file"

# Only an empty directory may stand in for the new DB; anything else there is left untouched.
mkdir "$WORK/empty"
expect_rc 0 "$ZIGGY" restore-dump --db "$WORK/empty/" --from-dump "$WORK/range.dump"
expect_rc 0 "$ZIGGY" get --db "$WORK/empty" k000000000000100
mkdir "$WORK/foreign" && echo keep >"$WORK/foreign/notes.txt"
expect_rc 1 "$ZIGGY" restore-dump --db "$WORK/foreign" --from-dump "$WORK/range.dump"
expect_contains "$ERR" "is not empty"
[[ "$(ls "$WORK/foreign")" == notes.txt && ! -e "$WORK/foreign.restore-dump-tmp" ]] ||
  fail "a refused restore-dump changed $WORK/foreign"

# The DB is built in TARGET.restore-dump-tmp and renamed onto TARGET once closed: while the dump
# is still arriving the target does not exist.
mkfifo "$WORK/fifo"
"$ZIGGY" restore-dump --db "$WORK/slow" --from-dump "$WORK/fifo" 2>"$WORK/slow.err" &
pid=$!
exec 3>"$WORK/fifo"
head -c 1000 "$WORK/all.dump" >&3
for _ in $(seq 100); do
  [[ -e "$WORK/slow.restore-dump-tmp/CURRENT" ]] && break
  sleep 0.1
done
[[ -e "$WORK/slow.restore-dump-tmp/CURRENT" ]] || fail "no DB in the staging directory"
[[ ! -e "$WORK/slow" ]] || fail "the target exists before the dump is complete"
tail -c +1001 "$WORK/all.dump" >&3
exec 3>&-
wait "$pid" || fail "the restore-dump fed through a FIFO failed: $(cat "$WORK/slow.err")"
[[ ! -e "$WORK/slow.restore-dump-tmp" ]] || fail "the staging directory is left after success"
"$ZIGGY" scan --db "$WORK/slow" >"$WORK/scan.slow"
cmp -s "$WORK/scan.src" "$WORK/scan.slow" || fail "the restore through a FIFO scans differently"

# A staging directory a crashed run left (a whole DB or a few of its files) is removed by the next
# run, none of it kept.
expect_rc 0 "$ZIGGY" put --db "$WORK/again.restore-dump-tmp" stale-key stale-value
mkdir "$WORK/again2.restore-dump-tmp" && printf 'partial' >"$WORK/again2.restore-dump-tmp/000003.log"
for target in again again2; do
  expect_rc 0 "$ZIGGY" restore-dump --db "$WORK/$target" --from-dump "$WORK/all.dump"
  [[ ! -e "$WORK/$target.restore-dump-tmp" ]] || fail "the leftover $target.restore-dump-tmp stayed"
  "$ZIGGY" scan --db "$WORK/$target" >"$WORK/scan.$target"
  cmp -s "$WORK/scan.src" "$WORK/scan.$target" || fail "$target holds more or less than the dump"
done

# Whatever fails, nothing is left behind, including an exception (a thread that cannot start,
# bad_alloc) that once skipped the cleanup: restores under a falling address-space limit fail at
# every step of creating and filling the DB. Not under a sanitizer, which needs a huge mapping.
if ! grep -qa -e __asan_init -e __tsan_init "$ZIGGY"; then
  exceptions=0
  for limit_kib in $(seq 30000 6000 250000); do
    (ulimit -v "$limit_kib" && "$ZIGGY" restore-dump --db "$WORK/low" --from-dump "$WORK/range.dump") \
      >/dev/null 2>"$WORK/err"
    rc=$?
    grep -q "IO error: exception" "$WORK/err" && exceptions=$((exceptions + 1))
    if [[ $rc -eq 0 ]]; then
      rm -rf "$WORK/low"
    elif [[ -e "$WORK/low" || -e "$WORK/low.restore-dump-tmp" ]]; then
      fail "restore-dump under ulimit -v $limit_kib exited $rc and left a DB: $(cat "$WORK/err")"
      rm -rf "$WORK/low" "$WORK/low.restore-dump-tmp"
    fi
  done
  ((exceptions > 0)) || echo "note: no address-space limit made restore-dump throw here" >&2
fi

finish cli_dump_test
