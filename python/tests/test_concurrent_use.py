"""One object used from several threads at once, and close() racing with other threads: each call
raises RuntimeError or does its job, never corrupts memory. The races are timing-dependent, so each
test repeats its scenario; a use after free that did not happen to crash shows under
AddressSanitizer."""

import random
import threading
import time

import pytest

import ziggydb


def _run_for(seconds, *targets):
    """Runs each target(stop) in its own thread until `seconds` passed; returns when all stopped."""
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(stop,)) for target in targets]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()


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


def test_second_close_waits_for_the_first(db_path):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.put(b"small", b"x")
    db.put(b"big", b"b" * (64 << 20))
    # A long read keeps the first close() waiting; the second must not return before it is done.
    reading = threading.Event()

    def long_reads():
        try:
            for _ in range(20):
                db.get(b"big")
                reading.set()
        except RuntimeError:
            pass

    reader = threading.Thread(target=long_reads)
    reader.start()
    reading.wait()
    first = threading.Thread(target=db.close)
    first.start()
    while not db.closed:
        time.sleep(0.0001)
    db.close()
    # The engine DB is closed (its lock released) once any close() returns.
    ziggydb.DB(db_path).close()
    first.join()
    reader.join()


# ---- a transaction's iterator and its transaction in different threads ----

def _big_transaction(db, count=20000):
    _fill(db, count)
    txn = db.transaction()
    for i in range(0, count, 2):
        txn.put(b"%06d" % i, b"w" * 100)
    return txn


def test_transaction_iterator_while_the_transaction_writes(db):
    txn = _big_transaction(db)
    errors = []

    def iterate(stop):
        while not stop.is_set():
            try:
                assert sum(1 for _ in txn.iterator()) >= 20000
            except RuntimeError as error:
                errors.append(str(error))

    def write(stop):
        i = 0
        while not stop.is_set():
            try:
                # Rolling back to a save point frees write-buffer entries an iterator may be on.
                txn.set_save_point()
                for j in range(i % 7, 20000, 97):
                    txn.put(b"%06d" % j, b"x" * (i % 300))
                txn.rollback_to_save_point()
            except RuntimeError as error:
                errors.append(str(error))
            i += 1

    _run_for(1.0, iterate, write)
    assert errors, "the threads never overlapped"
    assert all("in use by another thread" in error for error in errors)
    txn.rollback()


def test_transaction_iterator_while_the_transaction_ends(db):
    for attempt in range(20):
        txn = _big_transaction(db, 5000)
        it = txn.iterator()
        outcome = []

        def iterate(stop):
            try:
                for _ in it:
                    pass
                outcome.append("done")
            except (RuntimeError, ziggydb.InvalidArgument) as error:
                outcome.append(type(error).__name__)

        def end(stop):
            while True:
                try:
                    (txn.commit if attempt % 2 else txn.rollback)()
                    return
                except RuntimeError:
                    time.sleep(0.0001)
                except ziggydb.Busy:
                    return

        _run_for(0, iterate, end)
        assert txn.ended
        assert outcome and outcome[0] in ("done", "RuntimeError", "InvalidArgument")


def test_transaction_iterators_freed_while_the_transaction_is_in_use(db):
    # Freeing a transaction's iterator unregisters it from the transaction: it must wait for (or
    # hand its iterator to) a call of the transaction running in another thread.
    txn = _big_transaction(db, 5000)

    def iterate(stop):
        while not stop.is_set():
            try:
                for _ in txn.iterator():
                    pass
            except RuntimeError:
                pass

    def make_and_drop(stop):
        while not stop.is_set():
            try:
                it = txn.iterator()
                next(it)
            except RuntimeError:
                pass
            it = None

    _run_for(1.0, iterate, make_and_drop)
    txn.rollback()


# ---- a WriteBatch changed while write() reads it ----

def test_write_batch_changed_while_written(db):
    batch = db.write_batch()
    for i in range(20000):
        batch.put(b"%06d" % i, b"v" * 100)
    added = []
    errors = []

    def write(stop):
        while not stop.is_set():
            batch.write()

    def change(stop):
        i = 0
        while not stop.is_set():
            try:
                batch.put(b"m%06d" % i, b"m")
                added.append(b"m%06d" % i)
                if i % 50 == 0:
                    batch.append(db.write_batch())
            except RuntimeError as error:
                errors.append(str(error))
            i += 1

    _run_for(1.0, write, change)
    assert errors, "the threads never overlapped"
    assert all("being written" in error for error in errors)
    batch.write()
    assert all(db.get(key) == b"m" for key in added)
    assert db.get(b"019999") == b"v" * 100


def test_write_batch_cleared_while_written(db):
    batch = db.write_batch()

    def write(stop):
        while not stop.is_set():
            batch.write()

    def refill(stop):
        while not stop.is_set():
            try:
                batch.clear()
                for i in range(2000):
                    batch.put(b"%06d" % i, b"v" * 100)
            except RuntimeError:
                pass

    _run_for(1.0, write, refill)
