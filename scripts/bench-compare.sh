#!/usr/bin/env bash
# The side-by-side comparison behind docs/benchmarks.md, in one command (`make bench-compare`):
# ZiggyDB against every peer compiled into `ziggy bench` (RocksDB, LevelDB, LMDB when their Debian
# dev packages are installed), all in one run on this machine, so the ratios are comparable.
#
#   1. the db_bench family at NUM keys x 100 B (fills, reads, scans; write/space amplification);
#      seekrandom is a seek and 10 nexts
#   2. fillsync with 1 and 8 threads
#   3. YCSB A-F at RECORDS x 1 KiB (10 x 100 B fields), OPERATIONS per run phase, for each
#      thread count in THREADS
#   4. space amplification of ZiggyDB under churn (scripts/space-amp.sh)
#
# Everything is appended to OUT/results.json (JSON lines) and OUT/*.txt (the printed tables); the
# HTML report with charts is OUT/report/index.html. Issue 17's goal rows (threads 1-8, tails,
# bigger than memory) are scripts/bench-issue17.sh. Settings come from the environment:
#   ZIGGY (build/release/tools/ziggy), OUT (bench-results), ENGINES (all compiled in),
#   NUM (1000000), SYNC_NUM (10000), RECORDS (1000000), OPERATIONS (200000), THREADS ("1 2"),
#   SKIP ("": any of dbbench, fillsync, ycsb, space to leave a part out)
set -euo pipefail

ziggy=${ZIGGY:-build/release/tools/ziggy}
out=${OUT:-bench-results}
num=${NUM:-1000000}
sync_num=${SYNC_NUM:-10000}
records=${RECORDS:-1000000}
operations=${OPERATIONS:-200000}
threads=${THREADS:-"1 2"}
skip=${SKIP:-}
if [[ -z "${ENGINES:-}" ]]; then
  # Asking for an unknown engine lists the compiled-in ones.
  ENGINES=$("$ziggy" bench --engines list 2>&1 | sed -n 's/.*(available: \(.*\))$/\1/p' || true)
fi
engines=${ENGINES:-ziggydb}

mkdir -p "$out"
json="$out/results.json"
: >"$json"
wants() { [[ " $skip " != *" $1 "* ]]; }
machine() {
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "disk: $(df -T "$out" | awk 'NR==2{print $1, $2}')"
  echo "engines: $engines"
}
machine | tee "$out/machine.txt"

if wants dbbench; then
  sync
  "$ziggy" bench --num "$num" --engines "$engines" --json "$json" \
    --seek-nexts 10 \
    --benchmarks fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,readreverse,seekrandom |
    tee "$out/dbbench.txt"
fi
if wants fillsync; then
  for t in 1 8; do
    sync
    "$ziggy" bench --sync-num "$sync_num" --threads "$t" --engines "$engines" --json "$json" \
      --benchmarks fillsync | tee "$out/fillsync-$t.txt"
  done
fi
if wants ycsb; then
  for t in $threads; do
    sync
    "$ziggy" bench --benchmarks ycsb --records "$records" --operations "$operations" \
      --threads "$t" --engines "$engines" --json "$json" | tee "$out/ycsb-$t.txt"
  done
fi
if wants space; then
  "$(dirname "$0")/space-amp.sh" "$ziggy" "$num" 10 | tee "$out/space-amp.txt"
fi
"$ziggy" bench-report --json "$json" --out "$out/report"
echo "bench-compare: results in $out/ (report: $out/report/index.html)"
