#!/usr/bin/env bash
# Space amplification under churn: write NUM keys, overwrite them PASSES-1 more times (each pass
# every key once, in a new random order, with new values), report the DB's size on disk against
# the live key+value bytes after every pass (background compaction only), then after
# `ziggy compact` (a full manual compaction).
#
# Usage: scripts/space-amp.sh [ZIGGY_BINARY] [NUM] [PASSES] [VALUE_BYTES] [DB_DIR]
# Defaults: build/release/tools/ziggy 1000000 10 100 (a fresh temp dir, removed at exit).
set -euo pipefail

ziggy=${1:-build/release/tools/ziggy}
num=${2:-1000000}
passes=${3:-10}
value_bytes=${4:-100}
db=${5:-}
if [[ -z "$db" ]]; then
  db=$(mktemp -d /tmp/ziggy-space-amp.XXXXXX)
  trap 'rm -rf "$db"' EXIT
  rmdir "$db"
fi

key_bytes=16  # GeneratedKey
live_bytes=$((num * (key_bytes + value_bytes)))

report() {  # label
  local disk
  disk=$(du -sb "$db" | cut -f1)
  awk -v label="$1" -v disk="$disk" -v live="$live_bytes" \
    'BEGIN { printf "%-22s %12d bytes on disk  %6.3fx live\n", label, disk, disk / live }'
}

echo "space-amp: $num keys x ($key_bytes + $value_bytes) B = $live_bytes live bytes, $passes passes"
for pass in $(seq 1 "$passes"); do
  "$ziggy" load --db "$db" --num "$num" --value-size "$value_bytes" --seed "$pass" >/dev/null
  report "after pass $pass"
done
"$ziggy" compact --db "$db" >/dev/null
report "after ziggy compact"
