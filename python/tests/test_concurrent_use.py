"""One object used from several threads at once, and close() racing with other threads: each call
raises RuntimeError or does its job, never corrupts memory. The races are timing-dependent, so each
test repeats its scenario; a use after free that did not happen to crash shows under
AddressSanitizer."""

import random
import threading
import time

import pytest

import ziggydb


def _fill(db, count, value_bytes=100):
    with db.write_batch() as batch:
        for i in range(count):
            batch.put(b"%06d" % i, b"v" * value_bytes)


# ---- close() while other threads free iterators and transactions ----

def _churn_dependents(db, kind, seed, started):
    """Keeps up to 16 iterators and transactions of db alive, replacing one at a time (so their
    releases run while close() releases the others), until the DB closes."""
    rng = random.Random(seed)
    alive = []
    started.wait()
    try:
        while True:
            make = kind if kind != "mixed" else rng.choice(("iterator", "transaction",
                                                            "txn_iterator", "snapshot"))
            if make == "iterator":
                it = db.iterator()
                next(it)
                alive.append(it)
            elif make == "transaction":
                txn = db.transaction()
                txn.put(b"t", b"x")
                alive.append(txn)
            elif make == "snapshot":
                alive.append(db.snapshot())
            else:
                txn = db.transaction()
                it = txn.iterator()
                next(it)
                alive.append(it)
            if len(alive) > 16:
                del alive[rng.randrange(len(alive))]
            if rng.random() < 0.1:
                victim = alive.pop(rng.randrange(len(alive)))
                if hasattr(victim, "close"):
                    victim.close()
                del victim
    except RuntimeError:
        pass  # the DB closed: every later use raises RuntimeError
    alive.clear()  # the releases after close() must be harmless too


@pytest.mark.parametrize("kind", ["iterator", "transaction", "txn_iterator", "mixed"])
def test_close_while_other_threads_release_iterators_and_transactions(tmp_path, kind):
    for attempt in range(30):
        path = str(tmp_path / f"db{attempt}")
        db = ziggydb.DB(path, create_if_missing=True)
        _fill(db, 100)
        started = threading.Barrier(5)
        threads = [threading.Thread(target=_churn_dependents, args=(db, kind, attempt * 10 + i,
                                                                    started))
                   for i in range(4)]
        for thread in threads:
            thread.start()
        started.wait()
        time.sleep(random.uniform(0, 0.02))
        db.close()
        for thread in threads:
            thread.join()
        assert db.closed
        # The engine DB is gone: a reopen finds no lock held.
        ziggydb.DB(path).close()
