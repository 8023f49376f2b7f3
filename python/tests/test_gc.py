"""Reference cycles through ziggydb objects are collected: each object that holds its DB (or the
snapshot or transaction it reads) shows that reference to the garbage collector, so a cycle such
as db.it = db.iterator() does not keep the DB open (its directory locked) for ever."""

import ctypes
import gc
import platform
import threading
import time
import weakref

import pytest

import ziggydb

MAKERS = {
    "iterator": lambda db: db.iterator(),
    "reverse iterator": lambda db: db.iterator(reverse=True),
    "raw iterator": lambda db: db.raw_iterator(),
    "snapshot": lambda db: db.snapshot(),
    "snapshot iterator": lambda db: db.snapshot().iterator(),
    "transaction": lambda db: db.transaction(),
    "transaction iterator": lambda db: db.transaction().iterator(),
    "write batch": lambda db: db.write_batch(),
    "prefixed iterator": lambda db: db.prefixed_db(b"p").iterator(),
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_cycle_through_the_db_is_collected(db_path, kind):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.put(b"k", b"v")
    db.held = MAKERS[kind](db)
    del db
    gc.collect()
    reopened = ziggydb.DB(db_path)  # Busy while the first DB object is alive
    assert reopened.get(b"k") == b"v"
    reopened.close()


def test_cycle_through_the_db_alone_is_collected(db_path):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.me = db
    del db
    gc.collect()
    ziggydb.DB(db_path).close()


def test_cycle_through_a_transaction_is_collected(db):
    db.put(b"k", b"v")
    txn = db.transaction()
    txn.it = txn.iterator()
    assert next(txn.it) == (b"k", b"v")
    gone = weakref.ref(txn)
    del txn
    gc.collect()
    assert gone() is None
    db.put(b"k", b"w")
    db.close()


def test_cycle_through_a_snapshot_is_collected(db):
    db.put(b"k", b"v")
    snapshot = db.snapshot()
    snapshot.it = snapshot.iterator()
    gone = weakref.ref(snapshot)
    del snapshot
    gc.collect()
    assert gone() is None
    db.close()


# The collector clears the members of a garbage cycle one at a time, in an order of its own: any
# one of them may be cleared while the others still refer to it. These tests call a type's
# tp_clear directly (CPython's PyTypeObject layout) on an object that is still referenced, the
# worst such case, and check that it is then closed and that nothing breaks.
_TP_FLAGS_OFFSET = 21 * ctypes.sizeof(ctypes.c_void_p)
_TP_CLEAR_OFFSET = 24 * ctypes.sizeof(ctypes.c_void_p)


def _tp_clear(obj):
    type_address = id(type(obj))
    flags = ctypes.c_ulong.from_address(type_address + _TP_FLAGS_OFFSET).value
    if flags != type(obj).__flags__:
        pytest.skip("unknown PyTypeObject layout")
    clear = ctypes.c_void_p.from_address(type_address + _TP_CLEAR_OFFSET).value
    assert clear, f"{type(obj).__name__} has no tp_clear: the collector cannot break its cycles"
    # PYFUNCTYPE: called with the GIL held, as the collector calls it.
    assert ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object)(clear)(obj) == 0


pytestmark = pytest.mark.skipif(platform.python_implementation() != "CPython",
                                reason="the garbage collector's slots are CPython's")


@pytest.mark.parametrize("kind", ["iterator", "raw iterator", "transaction iterator"])
def test_cleared_iterator_is_closed(db_path, kind):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.put(b"k", b"v")
    it = MAKERS[kind](db)
    _tp_clear(it)
    with pytest.raises(RuntimeError):
        it.seek_to_first() if kind == "raw iterator" else next(it)
    it.close()
    db.close()
    del it
    ziggydb.DB(db_path).close()


def test_cleared_transaction_ends_its_iterators(db):
    db.put(b"k", b"v")
    txn = db.transaction()
    it = txn.iterator()
    _tp_clear(txn)  # before its iterator, which still refers to it
    with pytest.raises(RuntimeError):
        next(it)
    with pytest.raises(RuntimeError):
        txn.put(b"x", b"y")
    del it
    del txn
    db.close()


def test_cleared_snapshot_leaves_its_iterators_readable(db):
    db.put(b"k", b"v")
    snapshot = db.snapshot()
    it = snapshot.iterator()
    db.put(b"k", b"w")
    _tp_clear(snapshot)
    with pytest.raises(RuntimeError):
        snapshot.get(b"k")
    assert next(it) == (b"k", b"v")  # the iterator keeps the snapshot's view
    db.close()  # frees the iterator's engine object
    with pytest.raises(RuntimeError):
        next(it)


def test_cleared_write_batch_refuses_write(db):
    batch = db.write_batch()
    batch.put(b"k", b"v")
    _tp_clear(batch)
    with pytest.raises(RuntimeError):
        batch.write()
    assert db.get(b"k") is None


def test_collection_while_a_destructor_closes_the_db(db_path):
    # The last reference to a DB dropped in one thread: its destructor closes it with the GIL
    # released (stopping a compaction in progress). A collection in another thread meanwhile
    # must not find the dying object still tracked: it would free it a second time.
    db = ziggydb.DB(db_path, create_if_missing=True, write_buffer_size=128 << 10,
                    l0_compaction_trigger=2)
    for i in range(40000):
        db.put(b"%08d" % i, b"x" * 100)
    done = threading.Event()
    collections = 0

    def collector():
        nonlocal collections
        while not done.is_set():
            gc.collect()
            collections += 1

    thread = threading.Thread(target=collector)
    thread.start()
    while collections == 0:
        time.sleep(0.001)
    del db
    done.set()
    thread.join()
    ziggydb.DB(db_path).close()
