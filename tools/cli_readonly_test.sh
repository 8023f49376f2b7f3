#!/usr/bin/env bash
# The ziggy CLI with bytes a shell cannot pass, and its read-only commands (ctest label "cli"):
#  - binary keys and values (NULs, newlines, every byte, a value larger than an argument list)
#    round-trip through --hex, --escape (the form scan prints, parsed back), stdin and
#    --value-file;
#  - get, scan, stats, inspect and verify change nothing in the DB directory, work alongside each
#    other, are refused (exit 4, "open for writing") while a writer holds the DB, and work on a
#    read-only bind mount (as root) and as a user without write permission (setpriv nobody).
# Usage: cli_readonly_test.sh path/to/ziggy
set -u
ZIGGY=${1:?usage: cli_readonly_test.sh path/to/ziggy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-cli-readonly-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/db"
failures=0

# shellcheck source=cli_test_lib.sh
source "$(dirname "$0")/cli_test_lib.sh"

# state DIR: every entry's name, size, mtime (ns) and checksum, one line each.
state() { (cd "$1" && for f in *; do echo "$(stat -c '%n %s %y' "$f") $(md5sum <"$f")"; done); }

# ---- Bytes a shell cannot pass ----
# Every byte value, twice, in one value; and a key with a NUL, a newline and a tab.
for i in $(seq 0 255); do printf "\\x$(printf %02x "$i")"; done >"$WORK/all-bytes"
cat "$WORK/all-bytes" "$WORK/all-bytes" >"$WORK/value.bin"
key_hex=6b00ff0a09  # "k" NUL 0xff newline tab
expect_rc 0 "$ZIGGY" put --db "$DB" --hex "$key_hex" - <"$WORK/value.bin"
expect_rc 0 "$ZIGGY" get --db "$DB" --hex "$key_hex" --value-file "$WORK/got.bin"
cmp -s "$WORK/value.bin" "$WORK/got.bin" || fail "a value with every byte did not round-trip"
# The escaped form scan prints names the same key, and parses back to the same bytes.
expect_rc 0 "$ZIGGY" scan --db "$DB" --keys-only
escaped_key=$OUT
[[ "$escaped_key" == 'k\x00\xff\x0a\x09' ]] || fail "scan printed the key as '$escaped_key'"
expect_rc 0 "$ZIGGY" get --db "$DB" --hex "$key_hex"
value_hex=$OUT
# What get --escape prints, put --escape takes back: a second key with the same value.
"$ZIGGY" get --db "$DB" --escape "$escaped_key" --no-newline >"$WORK/escaped-value" ||
  fail "get --escape failed"
expect_rc 0 "$ZIGGY" put --db "$DB" --escape 'copy\x00' "$(cat "$WORK/escaped-value")"
expect_rc 0 "$ZIGGY" get --db "$DB" --hex 636f707900 --value-file "$WORK/copy.bin"
cmp -s "$WORK/value.bin" "$WORK/copy.bin" || fail "the escaped value did not parse back"
[[ "$value_hex" == "$(od -An -tx1 -v "$WORK/value.bin" | tr -d ' \n')" ]] ||
  fail "get --hex printed another value"
# scan --hex prints KEY<TAB>VALUE in hex; --from/--to take the same form.
expect_rc 0 "$ZIGGY" scan --db "$DB" --hex --from 6b --to 6c
expect_contains "$OUT" "$key_hex	$(od -An -tx1 -v "$WORK/value.bin" | tr -d ' \n')"
expect_rc 0 "$ZIGGY" scan --db "$DB" --escape --from 'k\x00' --to 'k\x01' --keys-only
[[ "$OUT" == "$escaped_key" ]] || fail "scan --escape --from/--to found '$OUT'"
# A value larger than an argument list may be (ARG_MAX is 2 MiB here): from a file and stdin.
head -c 3000000 /dev/urandom >"$WORK/big.bin"
expect_rc 0 "$ZIGGY" put --db "$DB" big --value-file "$WORK/big.bin"
"$ZIGGY" get --db "$DB" big -n >"$WORK/big.out" || fail "get of a 3 MB value failed"
cmp -s "$WORK/big.bin" "$WORK/big.out" || fail "a 3 MB value from --value-file did not round-trip"
# --value-file is replaced whole or not at all: a write that fails (here a 1 MiB file size limit,
# EFBIG, standing in for a full disk) leaves the file as it was, no temporary file, and says why.
# (SIGXFSZ ignored, so the write fails rather than the process dying.)
printf 'old contents' >"$WORK/kept.out"
(ulimit -f 1024 && trap '' XFSZ && exec "$ZIGGY" get --db "$DB" big --value-file "$WORK/kept.out") \
  2>"$WORK/err"
rc=$?
[[ $rc -eq 4 ]] || fail "get --value-file past the file size limit exited $rc, want 4"
[[ "$(cat "$WORK/kept.out")" == "old contents" ]] || fail "a failed get --value-file changed the file"
[[ -z "$(compgen -G "$WORK/kept.out.*")" ]] || fail "a failed get --value-file left a temporary file"
expect_contains "$(cat "$WORK/err")" "File too large"
# A replaced file keeps its mode; a symbolic link stays a link to the replaced file.
chmod 640 "$WORK/kept.out" && ln -s kept.out "$WORK/link.out"
expect_rc 0 "$ZIGGY" get --db "$DB" big --value-file "$WORK/link.out"
[[ -L "$WORK/link.out" ]] && cmp -s "$WORK/big.bin" "$WORK/kept.out" ||
  fail "get --value-file through a link did not replace the file it names"
[[ $(stat -c %a "$WORK/kept.out") == 640 ]] || fail "get --value-file changed the file's mode"
expect_rc 0 "$ZIGGY" put --db "$DB" big2 - <"$WORK/big.bin"
"$ZIGGY" get --db "$DB" big2 -n | cmp -s "$WORK/big.bin" - || fail "a 3 MB value from stdin differs"
# An empty value and a value that is only a newline.
expect_rc 0 "$ZIGGY" put --db "$DB" empty ""
expect_rc 0 "$ZIGGY" get --db "$DB" empty --value-file "$WORK/empty.out"
[[ -f "$WORK/empty.out" && ! -s "$WORK/empty.out" ]] || fail "the empty value did not come back"
expect_rc 0 "$ZIGGY" put --db "$DB" --hex 6e6c 0a
expect_rc 0 "$ZIGGY" get --db "$DB" --hex 6e6c
[[ "$OUT" == "0a" ]] || fail "a newline value came back as '$OUT'"
# del takes the same forms.
expect_rc 0 "$ZIGGY" del --db "$DB" --escape 'copy\x00'
expect_rc 2 "$ZIGGY" get --db "$DB" --hex 636f707900
# Malformed input: a usage error naming the offset, nothing written.
expect_rc 1 "$ZIGGY" put --db "$DB" --hex 6b0 v
expect_contains "$ERR" "odd"
expect_rc 1 "$ZIGGY" put --db "$DB" --escape 'a\q' v
expect_contains "$ERR" "offset 1"
expect_rc 1 "$ZIGGY" get --db "$DB" --hex zz
expect_rc 1 "$ZIGGY" put --db "$DB" --hex --escape 6b 76
expect_rc 1 "$ZIGGY" put --db "$DB" k
expect_rc 1 "$ZIGGY" put --db "$DB" k v --value-file "$WORK/big.bin"

# ---- Read-only commands ----
before=$(state "$DB")
expect_rc 0 "$ZIGGY" get --db "$DB" empty
expect_rc 0 "$ZIGGY" scan --db "$DB" --keys-only
expect_rc 0 "$ZIGGY" stats --db "$DB"
expect_rc 0 "$ZIGGY" inspect --db "$DB"
expect_rc 0 "$ZIGGY" verify --db "$DB"
expect_rc 2 "$ZIGGY" get --db "$DB" absent
[[ "$(state "$DB")" == "$before" ]] || fail "a read-only command changed the DB directory"
# A missing DB is not created by a reader.
expect_rc 2 "$ZIGGY" scan --db "$WORK/none"
[[ -e "$WORK/none" ]] && fail "scan created a directory"

# A writer holds the DB (a long load): readers are refused, clearly, with exit 4.
"$ZIGGY" load --db "$WORK/busy" --num 20000000 --sequential --value-size 10 >/dev/null 2>&1 &
writer=$!
for _ in $(seq 200); do
  compgen -G "$WORK/busy/*.log" >/dev/null && break
  sleep 0.05
done
expect_rc 4 "$ZIGGY" get --db "$WORK/busy" k000000000000000
expect_contains "$ERR" "open for writing"
expect_rc 4 "$ZIGGY" scan --db "$WORK/busy"
expect_rc 4 "$ZIGGY" stats --db "$WORK/busy"
expect_rc 4 "$ZIGGY" verify --db "$WORK/busy"
kill -INT "$writer"
wait "$writer"
expect_rc 0 "$ZIGGY" verify --db "$WORK/busy"

# A read-only bind mount (root only, in a private mount namespace that vanishes with it).
mkdir "$WORK/ro"
if [[ $(id -u) -eq 0 ]] && unshare -m true 2>/dev/null; then
  # shellcheck disable=SC2016
  unshare -m bash -c '
    mount --bind "$2" "$3" && mount -o remount,bind,ro "$3" || exit 99
    touch "$3/probe" 2>/dev/null && exit 98
    for cmd in "get --db $3 big2 -n" "scan --db $3 --keys-only" "stats --db $3" \
               "inspect --db $3" "verify --db $3"; do
      $1 $cmd >"$4.out" 2>"$4.err"
      echo "$? $cmd"
    done
    $1 put --db "$3" k v 2>>"$4.err"
    echo "$? put"
  ' _ "$ZIGGY" "$DB" "$WORK/ro" "$WORK/mount" >"$WORK/mount.rc"
  rc=$?
  if [[ $rc -eq 99 ]]; then
    echo "cli_readonly_test: mount --bind refused here; read-only mount not tested" >&2
  elif [[ $rc -ne 0 ]]; then
    fail "the read-only bind mount was writable, or the test script failed (rc $rc)"
  else
    grep -v '^0 ' "$WORK/mount.rc" | grep -v ' put$' && fail "a reader failed on a read-only mount"
    grep -q '^4 put$' "$WORK/mount.rc" || fail "put on a read-only mount: $(tail -1 "$WORK/mount.rc")"
    [[ $(grep -c '^0 ' "$WORK/mount.rc") -eq 5 ]] || fail "mount: $(cat "$WORK/mount.rc")"
  fi
  [[ "$(state "$DB")" == "$before" ]] || fail "reading through a read-only mount changed the DB"
else
  echo "cli_readonly_test: not root or no mount namespaces; read-only mount not tested" >&2
fi

# A user with read permission only (nobody): the readers work, put fails with a clear error.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# nobody must be able to run the binary: not so when it sits under a directory only root enters.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && as_nobody "$ZIGGY" --version >/dev/null 2>&1; then
  chmod o+rx "$WORK"
  chmod -R o+rX "$DB"
  expect_rc 0 as_nobody "$ZIGGY" get --db "$DB" --hex 6e6c
  [[ "$OUT" == "0a" ]] || fail "nobody read '$OUT'"
  expect_rc 0 as_nobody "$ZIGGY" scan --db "$DB" --keys-only
  expect_rc 0 as_nobody "$ZIGGY" stats --db "$DB"
  expect_rc 0 as_nobody "$ZIGGY" inspect --db "$DB"
  expect_rc 0 as_nobody "$ZIGGY" verify --db "$DB"
  expect_rc 4 as_nobody "$ZIGGY" put --db "$DB" k v
  expect_contains "$ERR" "ermission denied"
  [[ "$(state "$DB")" == "$before" ]] || fail "reading as nobody changed the DB"
else
  echo "cli_readonly_test: not root, no setpriv, or nobody cannot run $ZIGGY; the" \
    "read-permission-only user not tested" >&2
fi

finish cli_readonly_test
