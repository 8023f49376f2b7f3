#!/usr/bin/env bash
# Every goal row of issue 17 in one command (`make bench-issue17`), all four engines, and the table
# of ZiggyDB / best peer ratios (scripts/bench-issue17-table.py) at the end. The issue's settings:
# 16 B keys, 100 B values, 64 MiB memtable and block cache, bloom 10, no compression; seekrandom is
# a seek and 10 nexts.
#
#   1. fillrandom, overwrite, readrandom, seekrandom at 1, 2, 4 and 8 threads (NUM keys)
#   2. YCSB A, B, C, E at 1 and 2 threads (NUM records of 1 x 100 B; the table's tails are the Gets
#      of YCSB A at 2 threads, while its updates keep compactions running)
#   3. fillsync at 8 threads (SYNC_NUM writes)
#   4. readrandom and seekrandom at BIG_NUM keys (READS operations each)
#   5. bigger than memory: scripts/bench-memcap.sh (MEM_NUM keys under MEMORY_MIB; root only)
#   6. the tails at the same offered load: YCSB A at 2 threads, TAIL_OPERATIONS operations paced
#      at TAIL_TARGET ops/s (`ziggy bench --target`: every engine then does the same updates,
#      flushes and compactions per second beside its Gets)
#
# Ratios are wall-clock and per CPU-second: on a shared host the engines, run one after another,
# meet different loads; the CPU column moves less (docs/benchmarks.md, issue 17).
#
#   ZIGGY (build/release/tools/ziggy), OUT (bench-results/issue17), ENGINES (all compiled in),
#   NUM (1000000), THREADS ("1 2 4 8"), YCSB_THREADS ("1 2"), OPERATIONS (200000), SYNC_NUM (10000),
#   BIG_NUM (10000000), READS (1000000), MEM_NUM (20000000), MEMORY_MIB (1024),
#   TAIL_OPERATIONS (2000000), TAIL_TARGET (80000, under LMDB's YCSB A rate here),
#   SKIP ("": any of threads, ycsb, fillsync, big, memcap, tails),
#   ROW_CACHE_MIB (0: none; else ZiggyDB's and RocksDB's row cache, `ziggy bench --row-cache-mib`)
set -euo pipefail

ziggy=${ZIGGY:-build/release/tools/ziggy}
out=${OUT:-bench-results/issue17}
num=${NUM:-1000000}
threads=${THREADS:-"1 2 4 8"}
ycsb_threads=${YCSB_THREADS:-"1 2"}
operations=${OPERATIONS:-200000}
sync_num=${SYNC_NUM:-10000}
big_num=${BIG_NUM:-10000000}
reads=${READS:-1000000}
row_cache_mib=${ROW_CACHE_MIB:-0}
skip=${SKIP:-}
if [[ -z "${ENGINES:-}" ]]; then
  ENGINES=$("$ziggy" bench --engines list 2>&1 | sed -n 's/.*(available: \(.*\))$/\1/p' || true)
fi
export ENGINES
mkdir -p "$out"
json="$out/results.json"
: >"$json"
wants() { [[ " $skip " != *" $1 "* ]]; }
issue=(--engines "$ENGINES" --json "$json" --db-dir "$out/db" --write-buffer-mib 64
  --block-cache-mib 64 --seek-nexts 10 --row-cache-mib "$row_cache_mib")

if wants threads; then
  for t in $threads; do
    sync
    "$ziggy" bench "${issue[@]}" --num "$num" --threads "$t" \
      --benchmarks fillrandom,overwrite,readrandom,seekrandom | tee "$out/dbbench-$t.txt"
  done
fi
if wants ycsb; then
  for t in $ycsb_threads; do
    sync
    "$ziggy" bench "${issue[@]}" --records "$num" --operations "$operations" --field-count 1 \
      --field-length 100 --threads "$t" --benchmarks ycsba,ycsbb,ycsbc,ycsbe |
      tee "$out/ycsb-$t.txt"
  done
fi
if wants fillsync; then
  sync
  "$ziggy" bench "${issue[@]}" --sync-num "$sync_num" --threads 8 --benchmarks fillsync |
    tee "$out/fillsync-8.txt"
fi
if wants big; then
  sync
  "$ziggy" bench "${issue[@]}" --num "$big_num" --reads "$reads" \
    --benchmarks readrandom,seekrandom | tee "$out/big.txt"
fi
if wants tails; then
  sync
  "$ziggy" bench "${issue[@]}" --records "$num" --operations "${TAIL_OPERATIONS:-2000000}" \
    --target "${TAIL_TARGET:-80000}" --field-count 1 --field-length 100 --threads 2 \
    --benchmarks ycsba | tee "$out/tails-paced.txt"
fi
if wants memcap; then
  ZIGGY="$ziggy" JSON="$json" NUM="${MEM_NUM:-20000000}" MEMORY_MIB="${MEMORY_MIB:-1024}" \
    THREADS=1 DB_DIR="$out/memcap-db" "$(dirname "$0")/bench-memcap.sh" | tee "$out/memcap.txt" ||
    echo "bench-issue17: some memory-capped runs failed (see above)" >&2
fi
rm -rf "$out/db"
"$(dirname "$0")/bench-issue17-table.py" "$json" | tee "$out/table.md"
echo "bench-issue17: results in $out/ (table: $out/table.md)"
