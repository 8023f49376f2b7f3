"""The GIL is released inside the engine: Python threads make progress while another thread is
inside a ZiggyDB call."""

import threading

import ziggydb


def _progress_while_inside(db, long_call):
    """Counts the reads a second thread completes while this thread is inside long_call. Had the
    call kept the GIL, the second thread could run no Python code meanwhile: the count would be 0.
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
    inside.set()
    long_call()
    inside.clear()
    done.set()
    thread.join()
    print(f"reads by the other thread during the call: {reads_while_inside}")
    return reads_while_inside


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
