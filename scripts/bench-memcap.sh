#!/usr/bin/env bash
# Bigger than memory (issue 17): every engine in its own `ziggy bench` process under a memory cgroup
# cap (`--memory-limit-mib`, root only: cgroup v1 /sys/fs/cgroup/memory or v2 with the memory
# controller), so that the engine's memory and the page cache of its files share the cap and the
# store cannot be read from memory. The group's page cache is dropped before every read phase.
# Runs fillrandom then readrandom (db_bench family, NUM keys x 100 B), and YCSB C and E (NUM records
# of 1 x 100 B field) per engine; each row records the KiB read from storage, major faults and device
# read requests per operation (the I/Os per Get).
#
# The issue's sizes are the defaults (20M keys under 1 GiB); a smaller run keeps the ratio of data to
# cap, e.g. NUM=5000000 MEMORY_MIB=256. One process per engine: an engine killed by the cap's
# out-of-memory killer loses its own rows only (reported, the script goes on).
#
#   ZIGGY (build/release/tools/ziggy), JSON (bench-results/memcap.json, appended), ENGINES (all
#   compiled in), NUM (20000000), MEMORY_MIB (1024), READS (200000: Gets of readrandom),
#   OPERATIONS (100000: YCSB run-phase operations), WRITE_BUFFER_MIB (64), BLOCK_CACHE_MIB (64),
#   THREADS (1), DB_DIR (bench-results/memcap-db: on the disk, not tmpfs), BUDGET_MIB (ZiggyDB's
#   one memory budget, Options::memory_budget_bytes: MEMORY_MIB * 3 / 4 by default; 0 for none)
#
# ZiggyDB runs under its memory budget: without one, its defaults (a 64 MiB memtable with up to 2
# immutable ones waiting for flush, plus the 64 MiB block cache) may take the whole 256 MiB of a
# smaller run, and the cap's OOM killer ends it during a load. The peers have no such setting.
set -euo pipefail

ziggy=${ZIGGY:-build/release/tools/ziggy}
json=${JSON:-bench-results/memcap.json}
num=${NUM:-20000000}
mib=${MEMORY_MIB:-1024}
reads=${READS:-200000}
operations=${OPERATIONS:-100000}
threads=${THREADS:-1}
db_dir=${DB_DIR:-bench-results/memcap-db}
sizes=(--write-buffer-mib "${WRITE_BUFFER_MIB:-64}" --block-cache-mib "${BLOCK_CACHE_MIB:-64}")
if [[ -z "${ENGINES:-}" ]]; then
  ENGINES=$("$ziggy" bench --engines list 2>&1 | sed -n 's/.*(available: \(.*\))$/\1/p' || true)
fi
mkdir -p "$(dirname "$json")" "$db_dir"
failed=0
run() {
  echo "+ ziggy bench $*"
  if ! "$ziggy" bench --memory-limit-mib "$mib" --threads "$threads" --db-dir "$db_dir" \
    --json "$json" "${sizes[@]}" "$@"; then
    echo "bench-memcap: failed (killed by the ${mib} MiB cap?): ziggy bench $*" >&2
    failed=1
  fi
}
budget=${BUDGET_MIB:-$((mib * 3 / 4))}
for engine in ${ENGINES//,/ }; do
  own=()
  if [[ $engine == ziggydb && $budget -gt 0 ]]; then own=(--memory-budget-mib "$budget"); fi
  run --engines "$engine" "${own[@]}" --num "$num" --reads "$reads" \
    --benchmarks fillrandom,readrandom
  run --engines "$engine" "${own[@]}" --records "$num" --operations "$operations" \
    --field-count 1 --field-length 100 --benchmarks ycsbc,ycsbe
done
rm -rf "$db_dir"
exit $failed
