"""The GIL is released inside the engine: Python threads make progress while another thread is
inside a ZiggyDB call.

Each test sets a switch interval far longer than the test (sys.setswitchinterval), so the
interpreter never takes the GIL from the thread holding it: a second thread can run Python code
only when the first releases the GIL itself, as a blocking call does. The reader below counts its
reads while the main thread is inside the call under test; with the GIL kept by that call the
count would be 0. Only progress is counted, never durations."""

import sys
import threading

import pytest

import ziggydb

_NEVER = 1000.0  # seconds: no forced GIL switch happens during a test


@pytest.fixture(autouse=True)
def _no_forced_gil_switch():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(_NEVER)
    yield
    sys.setswitchinterval(previous)


def _progress_while_inside(db, long_call):
    """Counts the reads a second thread completes while this thread is inside long_call. The
    reader's own db.get releases the GIL too, so this thread gets it back between the reads.
    """
    inside = threading.Event()
    done = threading.Event()
    reads_while_inside = 0

    def reader():
        nonlocal reads_while_inside
        while not done.is_set():
            db.get(b"small")
            if inside.is_set():
                reads_while_inside += 1

    thread = threading.Thread(target=reader)
    thread.start()
    # From here to inside.clear() this thread releases the GIL only inside long_call's calls.
    inside.set()
    long_call()
    inside.clear()
    done.set()
    thread.join()
    print(f"reads by the other thread during the call: {reads_while_inside}")
    return reads_while_inside


def test_a_call_keeping_the_gil_shows_no_progress(db):
    # The check of the tests below: a call that never releases the GIL (pure Python here) lets
    # the reader count nothing, however long it runs.
    db.put(b"small", b"x")
    assert _progress_while_inside(db, lambda: sum(range(3_000_000))) == 0


def test_reads_progress_while_another_thread_reads(db):
    db.put(b"small", b"x")
    db.put(b"big", b"b" * (64 << 20))

    def big_reads():
        for _ in range(10):
            assert len(db.get(b"big")) == 64 << 20

    assert _progress_while_inside(db, big_reads) > 0


def test_reads_progress_during_compaction(db):
    db.put(b"small", b"x")
    for i in range(40000):
        db.put(b"%08d" % i, b"c" * 100)
    assert _progress_while_inside(db, db.compact_range) > 0


def test_reads_progress_during_sync_writes(db):
    db.put(b"small", b"x")
    value = b"s" * (1 << 20)

    def sync_writes():
        for i in range(20):
            db.put(b"sync%d" % i, value, sync=True)

    assert _progress_while_inside(db, sync_writes) > 0


def test_reads_progress_during_a_synced_batch_write(db):
    db.put(b"small", b"x")
    batch = db.write_batch(sync=True)
    for i in range(64):
        batch.put(b"batch%d" % i, b"w" * (64 << 10))

    def sync_batches():
        for _ in range(10):
            batch.write()

    assert _progress_while_inside(db, sync_batches) > 0


def test_reads_progress_during_flush(db):
    db.put(b"small", b"x")
    total = 0
    for round_ in range(3):
        for i in range(20000):
            db.put(b"f%d-%08d" % (round_, i), b"f" * 100)
        total += _progress_while_inside(db, db.flush)
    assert total > 0


def test_reads_progress_during_wait_for_background_work(db_path):
    with ziggydb.DB(db_path, create_if_missing=True, write_buffer_size=1 << 20,
                    l0_compaction_trigger=2) as db:
        db.put(b"small", b"x")
        total = 0
        for round_ in range(10):
            # Two fresh L0 tables: a compaction is due when wait_for_background_work starts
            # (unless it already ran: the rounds make that unlikely every time).
            for _ in range(2):
                for i in range(5000):
                    db.put(b"w%d-%08d" % (round_, i), b"w" * 100)
                db.flush()
            total += _progress_while_inside(db, db.wait_for_background_work)
        assert total > 0


def test_close_while_other_threads_read(db_path):
    # close() from one thread while others are inside get(): close waits for them; their later
    # calls raise RuntimeError. Never a crash.
    db = ziggydb.DB(db_path, create_if_missing=True)
    for i in range(100):
        db.put(b"%03d" % i, b"z")
    errors = []
    started = threading.Barrier(5)

    def reader():
        started.wait()
        try:
            while True:
                db.get(b"050")
                for _ in db.iterator(start=b"040", stop=b"060"):
                    pass
        except RuntimeError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    db.close()
    for thread in threads:
        thread.join()
    assert len(errors) == 4
