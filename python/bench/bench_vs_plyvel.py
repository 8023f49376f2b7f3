"""put, get and iterate N keys with ziggydb, plyvel (LevelDB) and py-lmdb in one run.

Usage: python3 python/bench/bench_vs_plyvel.py [--num 1000000] [--value-bytes 100] [--dir DIR]
           [--stores ziggydb,plyvel,lmdb] [--write-buffer-size BYTES]

Each store gets a fresh directory and the same keys (16 bytes, "%016d" of a shuffled index) and
values. put: one put per key, in shuffled order, not synced (LevelDB and ZiggyDB: WAL write
without fsync; LMDB: one write transaction per put with sync=False). get: every key once, in
another shuffled order. iterate: one forward scan of (key, value) pairs. Before the reads, both
LSM stores are flushed and fully compacted, so that both read from tables. Per-row figures are
nanoseconds per operation, of CPU time (the process's, all threads: on a shared, loaded machine
the time a process waits for a CPU is noise, its CPU time much less so) and of wall time; ratios
compare with plyvel in the same run.
Both LSM stores are opened with compression=None and bloom_filter_bits=10, and the memtable size
of each engine's default (ZiggyDB 64 MiB, LevelDB 4 MiB) unless --write-buffer-size sets both.
"""

import argparse
import gc
import os
import random
import shutil
import tempfile
import time


def timed(function):
    """(wall seconds, CPU seconds of the whole process: every thread, background work too)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_ziggydb(path, keys, get_order, value, write_buffer_size):
    import ziggydb

    db = ziggydb.DB(path, create_if_missing=True, compression=None, bloom_filter_bits=10,
                    write_buffer_size=write_buffer_size)
    put = db.put
    get = db.get

    def do_put():
        for key in keys:
            put(key, value)

    def do_get():
        for key in get_order:
            if get(key) is None:
                raise AssertionError("missing key")

    def do_iterate():
        n = sum(1 for _ in db.iterator())
        assert n == len(keys)

    results = {"put": timed(do_put)}
    # Reads run on settled tables in both engines: flushed and compacted (LevelDB's
    # compact_range flushes its memtable too).
    db.flush()
    db.compact_range()
    db.wait_for_background_work()
    results["get"] = timed(do_get)
    results["iterate"] = timed(do_iterate)
    db.close()
    return results


def bench_plyvel(path, keys, get_order, value, write_buffer_size):
    import plyvel

    db = plyvel.DB(path, create_if_missing=True, compression=None, bloom_filter_bits=10,
                   write_buffer_size=write_buffer_size)
    put = db.put
    get = db.get

    def do_put():
        for key in keys:
            put(key, value)

    def do_get():
        for key in get_order:
            if get(key) is None:
                raise AssertionError("missing key")

    def do_iterate():
        n = sum(1 for _ in db.iterator())
        assert n == len(keys)

    results = {"put": timed(do_put)}
    db.compact_range()
    results["get"] = timed(do_get)
    results["iterate"] = timed(do_iterate)
    db.close()
    return results


def bench_lmdb(path, keys, get_order, value, write_buffer_size):
    import lmdb

    env = lmdb.open(path, map_size=16 << 30, sync=False, metasync=False)

    def do_put():
        for key in keys:
            with env.begin(write=True) as txn:
                txn.put(key, value)

    def do_get():
        with env.begin() as txn:
            get = txn.get
            for key in get_order:
                if get(key) is None:
                    raise AssertionError("missing key")

    def do_iterate():
        with env.begin() as txn:
            n = sum(1 for _ in txn.cursor())
        assert n == len(keys)

    results = {"put": timed(do_put), "get": timed(do_get), "iterate": timed(do_iterate)}
    env.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=1_000_000)
    parser.add_argument("--value-bytes", type=int, default=100)
    parser.add_argument("--dir", default=None, help="parent of the DB directories (default: tmp)")
    parser.add_argument("--stores", default="ziggydb,plyvel,lmdb")
    parser.add_argument("--seed", type=int, default=301)
    parser.add_argument("--write-buffer-size", type=int, default=None,
                        help="memtable bytes for both LSM stores (default: each engine's own)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    indexes = list(range(args.num))
    rng.shuffle(indexes)
    keys = [b"%016d" % i for i in indexes]
    get_order = list(keys)
    rng.shuffle(get_order)
    value = bytes(rng.randrange(256) for _ in range(args.value_bytes))

    benches = {"ziggydb": bench_ziggydb, "plyvel": bench_plyvel, "lmdb": bench_lmdb}
    parent = tempfile.mkdtemp(prefix="ziggydb-pybench-", dir=args.dir)
    results = {}
    try:
        for name in args.stores.split(","):
            path = os.path.join(parent, name)
            results[name] = benches[name](path, keys, get_order, value, args.write_buffer_size)
            shutil.rmtree(path)
    finally:
        shutil.rmtree(parent, ignore_errors=True)

    memtable = (f"write_buffer_size={args.write_buffer_size}" if args.write_buffer_size
                else "each engine's default memtable size")
    print(f"{args.num} keys of 16 bytes, values of {args.value_bytes} bytes, {memtable}; "
          f"ns per operation (ratio: plyvel's time / this store's, above 1 is faster than plyvel)")
    names = list(results)
    for kind, index in (("CPU", 1), ("wall", 0)):
        print(f"\n{kind} time:\n")
        print("| operation | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for op in ("put", "get", "iterate"):
            cells = []
            for name in names:
                seconds = results[name][op][index]
                cell = f"{seconds / args.num * 1e9:.0f}"
                if "plyvel" in results and name != "plyvel":
                    cell += f" ({results['plyvel'][op][index] / seconds:.2f}x)"
                cells.append(cell)
            print(f"| {op} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
