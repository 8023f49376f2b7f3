#!/usr/bin/python3
"""Space after a delete wave under a snapshot, ZiggyDB against LevelDB.

Writes NUM keys x 100 B, compacts, takes a snapshot, deletes every key, compacts again (the
snapshot keeps the values and the tombstones), releases the snapshot and lets the engine settle
(ZiggyDB: WaitForBackgroundWork; LevelDB: 5 s, it has no such call). Prints the bytes of the
table files after each step: a WAL's preallocation would hide them in a directory total.

Usage: scripts/space-after-snapshot.py [NUM] [DIR]
Needs the ziggydb module on the path (`make python`, or PYTHONPATH) and python3-plyvel.
Defaults: 1000000 keys, a fresh temporary directory, removed at exit.
"""
import os
import sys
import tempfile
import time

import plyvel
import ziggydb

NUM = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
BATCH = 1000
VALUE = b"v" * 100


def table_bytes(path):
    return sum(os.path.getsize(os.path.join(path, name)) for name in os.listdir(path)
               if name.endswith((".sst", ".ldb")))


def key(i):
    return b"key%013d" % ((i * 7919) % NUM)


def each_batch(db, op):
    for start in range(0, NUM, BATCH):
        with db.write_batch() as batch:
            for i in range(start, min(start + BATCH, NUM)):
                op(batch, key(i))


def run(name, db, settle, path):
    each_batch(db, lambda batch, k: batch.put(k, VALUE))
    db.compact_range()
    loaded = table_bytes(path)
    snapshot = db.snapshot()
    each_batch(db, lambda batch, k: batch.delete(k))
    db.compact_range()
    under_snapshot = table_bytes(path)
    snapshot.close()
    start = time.monotonic()
    settle(db)
    released = table_bytes(path)
    print(f"{name:8s} loaded {loaded:>12,d}   deleted and compacted under the snapshot "
          f"{under_snapshot:>12,d}   snapshot released {released:>12,d} "
          f"({time.monotonic() - start:.1f} s)")
    db.close()


def main():
    with tempfile.TemporaryDirectory(dir=sys.argv[2] if len(sys.argv) > 2 else None) as root:
        print(f"space-after-snapshot: {NUM} keys x (16 + 100) B; table file bytes")
        path = os.path.join(root, "ziggydb")
        run("ziggydb", ziggydb.DB(path, create_if_missing=True),
            lambda db: db.wait_for_background_work(), path)
        path = os.path.join(root, "leveldb")
        run("leveldb", plyvel.DB(path, create_if_missing=True), lambda db: time.sleep(5), path)


if __name__ == "__main__":
    main()
