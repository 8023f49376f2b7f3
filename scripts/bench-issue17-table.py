#!/usr/bin/env python3
"""Issue 17's goal table from `ziggy bench --json` lines (scripts/bench-issue17.sh).

One row per (workload, threads, dataset size, memory cap): each engine's ops/s, then ZiggyDB's
ratio to the best peer, to the best LSM (RocksDB, LevelDB) and to LMDB, from wall-clock ops/s and
from ops per CPU-second (the process's CPU time, background threads included: on a shared host
the engines, run minutes apart, see different loads, and the CPU figure moves less). YCSB rows are
run phases; runs paced with `--target` count only for the tails. Then the tails (Get p99/p99.9
of YCSB A: unpaced, and paced so that every engine does the same work per second) and, for
memory-capped rows, KiB read from storage and device read requests per operation.

Usage: bench-issue17-table.py results.json
"""
import json
import sys

ENGINES = ["ziggydb", "rocksdb", "leveldb", "lmdb"]
LSMS = ["rocksdb", "leveldb"]


def load(path):
    rows = {}
    tails = {}
    for line in open(path):
        j = json.loads(line)
        if not j.get("ok") or j.get("skipped") or j.get("phase") != "run":
            continue
        kind = j.get("kind")
        if kind not in ("dbbench", "ycsb"):
            continue
        size = j.get("num") if kind == "dbbench" else j.get("records")
        if j.get("workload") == "fillsync":
            size = 0
        cap = j.get("memory_limit_mib", 0)
        target = j.get("target_ops_per_sec", 0)
        if not target:
            key = (j["workload"], j.get("threads", 1), size, cap)
            rows.setdefault(key, {})[j["engine"]] = j
        if kind == "ycsb" and j["workload"] == "ycsba" and "read" in j.get("ops", {}):
            tails.setdefault((j.get("threads", 1), size, target), {})[j["engine"]] = \
                j["ops"]["read"]
    return rows, tails


def per_cpu(j):
    """ops_per_cpu_sec, or (JSON of binaries before it) operations / cpu_seconds."""
    if "ops_per_cpu_sec" in j:
        return j["ops_per_cpu_sec"]
    ops = j.get("operations", 0) if j.get("kind") == "ycsb" else j.get("ops", 0)
    return ops / j["cpu_seconds"] if j.get("cpu_seconds") else 0


def ratio(ours, others):
    others = [o for o in others if o]
    if not ours or not others:
        return "-"
    return f"{ours / max(others):.2f}"


def count(n):
    if n >= 1e6:
        return f"{n / 1e6:.2f}M"
    return f"{n / 1e3:.0f}k" if n >= 1e4 else f"{n / 1e3:.1f}k" if n >= 1e3 else f"{n:.0f}"


def main():
    rows, tails = load(sys.argv[1])
    print("| workload | threads | keys | cap MiB | " + " | ".join(ENGINES) +
          " | /best peer | /best LSM | /LMDB | CPU: /best peer | /best LSM | /LMDB |")
    print("|---|---:|---:|---:|" + "---:|" * (len(ENGINES) + 6))
    for (workload, threads, size, cap), by_engine in sorted(
            rows.items(), key=lambda kv: (kv[0][3], kv[0][2], kv[0][0], kv[0][1])):
        wall = {e: by_engine[e]["ops_per_sec"] for e in by_engine}
        cpu = {e: per_cpu(by_engine[e]) for e in by_engine}
        z, zc = wall.get("ziggydb"), cpu.get("ziggydb")
        peers = [e for e in ENGINES[1:] if e in by_engine]
        cells = [count(wall[e]) if e in wall else "-" for e in ENGINES]
        print(f"| {workload} | {threads} | {count(size) if size else '-'} | {cap or '-'} | " +
              " | ".join(cells) + " | " +
              " | ".join([ratio(z, [wall[e] for e in peers]),
                          ratio(z, [wall[e] for e in peers if e in LSMS]),
                          ratio(z, [wall.get("lmdb")]),
                          ratio(zc, [cpu[e] for e in peers]),
                          ratio(zc, [cpu[e] for e in peers if e in LSMS]),
                          ratio(zc, [cpu.get("lmdb")])]) + " |")
    if tails:
        print("\nGet latency under YCSB A (us): p99 / p99.9 per engine; ZiggyDB / best peer "
              "(below 1: ZiggyDB's tail is shorter)\n")
        print("| threads | records | paced at ops/s | " + " | ".join(ENGINES) +
              " | p99 / best | p99.9 / best |")
        print("|---:|---:|---:|" + "---|" * len(ENGINES) + "---:|---:|")
        for (threads, size, target), by_engine in sorted(tails.items()):
            cells = [f"{by_engine[e]['p99_us']:.1f} / {by_engine[e]['p999_us']:.1f}"
                     if e in by_engine else "-" for e in ENGINES]
            z = by_engine.get("ziggydb")
            peers = [by_engine[e] for e in ENGINES[1:] if e in by_engine]
            r99 = (f"{z['p99_us'] / min(p['p99_us'] for p in peers):.2f}"
                   if z and peers else "-")
            r999 = (f"{z['p999_us'] / min(p['p999_us'] for p in peers):.2f}"
                    if z and peers else "-")
            paced = count(target) if target else "-"
            print(f"| {threads} | {count(size)} | {paced} | " + " | ".join(cells) +
                  f" | {r99} | {r999} |")
    capped = [(k, v) for k, v in rows.items() if k[3]]
    if capped:
        print("\nMemory-capped rows: KiB read from storage / device read requests per operation\n")
        print("| workload | threads | keys | cap MiB | " + " | ".join(ENGINES) + " |")
        print("|---|---:|---:|---:|" + "---|" * len(ENGINES))
        for (workload, threads, size, cap), by_engine in sorted(capped):
            cells = [f"{by_engine[e].get('fetched_kib_per_op', 0):.2f} / "
                     f"{by_engine[e].get('device_reads_per_op', 0):.2f}"
                     if e in by_engine else "-" for e in ENGINES]
            print(f"| {workload} | {threads} | {count(size)} | {cap} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
