"""Objects whose __init__ failed or never ran: every use raises RuntimeError, none crashes.

Such an object outlives a failed __init__ in the traceback's frames (pytest renders them with
repr), in a subclass whose __init__ keeps `self` somewhere, or comes from cls.__new__(cls).
pybind11 would run the C++ methods on memory that was never constructed
(python/src/constructed.h).
"""

import subprocess
import sys
import textwrap
import traceback

import pytest

import ziggydb

NOT_INITIALISED = "not initialised"


def _self_of_failed_init(exc):
    """The `self` of the innermost __init__ frame of the exception's traceback."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
            found = frame.f_locals["self"]
    assert found is not None
    return found


def _check_db_unusable(db):
    """Every method of the unopened DB `db` raises RuntimeError; repr works."""
    assert "not opened" in repr(db)
    calls = [
        lambda: db.closed,
        lambda: db.name,
        lambda: db.close(),
        lambda: db.get(b"k"),
        lambda: db.put(b"k", b"v"),
        lambda: db.delete(b"k"),
        lambda: db[b"k"],
        lambda: b"k" in db,
        lambda: db.get_property(b"ziggydb.stats"),
        lambda: db.metrics(),
        lambda: db.compact_range(),
        lambda: db.flush(),
        lambda: db.wait_for_background_work(),
        lambda: db.approximate_sizes((b"a", b"z")),
        lambda: db.approximate_size(b"a", b"z"),
        lambda: db.checkpoint("/nonexistent/checkpoint"),
        lambda: db.iterator(),
        lambda: list(db),
        lambda: db.raw_iterator(),
        lambda: db.snapshot(),
        lambda: db.write_batch(),
        lambda: db.transaction(),
        lambda: db.run_transaction(lambda txn: None),
        lambda: db.prefixed_db(b"p").put(b"k", b"v"),
        lambda: db.prefixed_db(b"p").get(b"k"),
        lambda: db._put(b"", b"k", b"v", False),
        lambda: db._get(b"", b"k", None, False, True),
        lambda: db._delete(b"", b"k", False),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match=NOT_INITIALISED):
            call()
    with pytest.raises(RuntimeError, match=NOT_INITIALISED):
        with db:
            pass


def test_db_whose_open_failed_in_the_traceback(db_path):
    # No DB at the path and no create_if_missing: __init__ raises; its frame keeps `self`.
    with pytest.raises(ziggydb.InvalidArgument) as info:
        ziggydb.DB(db_path)
    _check_db_unusable(_self_of_failed_init(info.value))


def test_db_whose_open_was_busy_in_the_traceback(db):
    with pytest.raises(ziggydb.Busy) as info:
        ziggydb.DB(db.name)
    failed = _self_of_failed_init(info.value)
    _check_db_unusable(failed)
    # The open DB is untouched, and the failed object's death releases nothing of it.
    del failed, info
    db.put(b"k", b"v")
    assert db.get(b"k") == b"v"


def test_subclass_catching_the_open_error(db_path):
    # pybind11 refuses the object at construction (its __init__ chain did not construct the C++
    # object), but the subclass has published `self` meanwhile.
    seen = []

    class Tolerant(ziggydb.DB):
        def __init__(self, name):
            seen.append(self)
            try:
                super().__init__(name)
            except ziggydb.Error as error:
                self.error = error

    with pytest.raises(TypeError, match="__init__"):
        Tolerant(db_path)
    assert isinstance(seen[0].error, ziggydb.InvalidArgument)
    _check_db_unusable(seen[0])


def test_a_second_init_raises_and_keeps_the_object(db, tmp_path):
    # pybind11 alone ignores a second __init__: `db` would stay open on its first directory.
    db.put(b"k", b"v")
    other = str(tmp_path / "other")
    with pytest.raises(RuntimeError, match="initialised already"):
        db.__init__(other, create_if_missing=True)
    assert not (tmp_path / "other").exists()
    assert db.get(b"k") == b"v"

    txn = db.transaction()
    with pytest.raises(RuntimeError, match="initialised already"):
        txn.__init__(db)
    txn.put(b"t", b"1")
    txn.commit()
    assert db.get(b"t") == b"1"

    with ziggydb.BackupEngine(str(tmp_path / "backups")) as engine:
        with pytest.raises(RuntimeError, match="initialised already"):
            engine.__init__(str(tmp_path / "elsewhere"))
        assert engine.create_backup(db) == 1
    assert not (tmp_path / "elsewhere").exists()


def test_a_second_init_of_a_reader_or_batch_raises_and_keeps_it(db):
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    snapshot = db.snapshot()
    db.put(b"a", b"changed")
    with pytest.raises(RuntimeError, match="initialised already"):
        snapshot.__init__(db, b"")
    assert snapshot.get(b"a") == b"1"  # still the view it was made with

    iterator = db.iterator()
    assert next(iterator) == (b"a", b"changed")
    with pytest.raises(RuntimeError, match="initialised already"):
        iterator.__init__(db, None, b"", True, None, None, True, False, None, True, True, False,
                          True)
    assert list(iterator) == [(b"b", b"2")]  # same direction, same position

    raw = db.raw_iterator()
    raw.seek(b"b")
    with pytest.raises(RuntimeError, match="initialised already"):
        raw.__init__(db, None, False, True)
    assert raw.key() == b"b"

    batch = db.write_batch()
    batch.put(b"c", b"3")
    with pytest.raises(RuntimeError, match="initialised already"):
        batch.__init__(db, b"", False, False)
    batch.write()  # the put made before the refused __init__ is still in the batch
    assert db.get(b"c") == b"3"
    snapshot.close()


def test_init_of_another_type_is_a_type_error(db, tmp_path):
    with pytest.raises(TypeError):
        ziggydb._ziggydb._DB.__init__(None, str(tmp_path / "x"), {}, False)
    with pytest.raises(TypeError):
        ziggydb._ziggydb._DB.__init__(db.transaction(), str(tmp_path / "x"), {}, False)
    assert not (tmp_path / "x").exists()


def test_init_after_a_failed_init_may_try_again(db_path):
    # Not initialised yet (the first __init__ failed): a second attempt is a first success.
    db = ziggydb.DB.__new__(ziggydb.DB)
    with pytest.raises(ziggydb.InvalidArgument):
        db.__init__(db_path)
    db.__init__(db_path, create_if_missing=True)
    db.put(b"k", b"v")
    assert db.get(b"k") == b"v"
    db.close()


def test_db_new_without_init():
    _check_db_unusable(ziggydb.DB.__new__(ziggydb.DB))


def test_unconstructed_db_given_to_other_classes(db, tmp_path):
    unopened = ziggydb.DB.__new__(ziggydb.DB)
    for make in (
        lambda: ziggydb.Iterator(unopened, None, b"", False, None, None, True, False, None, True,
                                 True, False, True),
        lambda: ziggydb.RawIterator(unopened, None, False, True),
        lambda: ziggydb.WriteBatch(unopened, b"", False, False),
        lambda: ziggydb.Snapshot(unopened, b""),
        lambda: ziggydb.Transaction(unopened),
    ):
        with pytest.raises(RuntimeError, match=NOT_INITIALISED):
            make()
    with ziggydb.BackupEngine(str(tmp_path / "backups")) as engine:
        with pytest.raises(RuntimeError, match=NOT_INITIALISED):
            engine.create_backup(unopened)


def test_dependents_whose_init_failed(db, tmp_path):
    snapshot = ziggydb.Snapshot.__new__(ziggydb.Snapshot)
    transaction = ziggydb.Transaction.__new__(ziggydb.Transaction)
    iterator = ziggydb.Iterator.__new__(ziggydb.Iterator)
    raw = ziggydb.RawIterator.__new__(ziggydb.RawIterator)
    batch = ziggydb.WriteBatch.__new__(ziggydb.WriteBatch)
    backup = ziggydb.BackupEngine.__new__(ziggydb.BackupEngine)
    calls = [
        lambda: snapshot.get(b"k"),
        lambda: snapshot.db,
        lambda: snapshot.close(),
        lambda: snapshot.iterator(),
        lambda: snapshot.__exit__(None, None, None),
        lambda: transaction.get(b"k"),
        lambda: transaction.put(b"k", b"v"),
        lambda: transaction.delete(b"k"),
        lambda: transaction.commit(),
        lambda: transaction.rollback(),
        lambda: transaction.set_save_point(),
        lambda: transaction.rollback_to_save_point(),
        lambda: transaction.ended,
        lambda: next(iterator),
        lambda: iterator.__next__(),
        lambda: iterator.prev(),
        lambda: iterator.seek(b"k"),
        lambda: iterator.seek_to_start(),
        lambda: iterator.seek_to_stop(),
        lambda: iterator.close(),
        lambda: iterator.__exit__(None, None, None),
        lambda: raw.valid(),
        lambda: raw.seek_to_first(),
        lambda: raw.seek_to_last(),
        lambda: raw.seek(b"k"),
        lambda: raw.next(),
        lambda: raw.prev(),
        lambda: raw.key(),
        lambda: raw.value(),
        lambda: raw.item(),
        lambda: raw.close(),
        lambda: batch.put(b"k", b"v"),
        lambda: batch.delete(b"k"),
        lambda: batch.clear(),
        lambda: batch.append(db.write_batch()),
        lambda: db.write_batch().append(batch),
        lambda: batch.approximate_size(),
        lambda: batch.write(),
        lambda: batch.__exit__(None, None, None),
        lambda: backup.create_backup(db),
        lambda: backup.backup_info(),
        lambda: backup.verify_backup(1),
        lambda: backup.restore(1, str(tmp_path / "restored")),
        lambda: backup.delete_backup(1),
        lambda: backup.purge_old_backups(1),
        lambda: backup.close(),
        lambda: ziggydb.Iterator(db, snapshot, b"", False, None, None, True, False, None, True,
                                 True, False, True),
        lambda: ziggydb.RawIterator(db, transaction, False, True),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match=NOT_INITIALISED):
            call()
    for obj in (snapshot, transaction):
        assert NOT_INITIALISED in repr(obj)
    for obj in (iterator, raw, batch, backup):
        repr(obj)


def test_backup_engine_whose_init_failed(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"x")
    with pytest.raises(ziggydb.Error) as info:
        ziggydb.BackupEngine(str(not_a_dir / "backups"))
    engine = _self_of_failed_init(info.value)
    for call in (engine.backup_info, engine.close, lambda: engine.purge_old_backups(0)):
        with pytest.raises(RuntimeError, match=NOT_INITIALISED):
            call()


def test_no_method_of_an_unconstructed_object_crashes():
    # Every public attribute of every bound class, read and called with a few argument shapes, in
    # a child process (a crash would otherwise end the test run): it may raise, never crash.
    script = textwrap.dedent("""
        import ziggydb
        classes = [ziggydb.DB, ziggydb.Snapshot, ziggydb.Transaction, ziggydb.Iterator,
                   ziggydb.RawIterator, ziggydb.WriteBatch, ziggydb.BackupEngine]
        dunders = {"__repr__", "__iter__", "__next__", "__enter__", "__exit__", "__getitem__",
                   "__setitem__", "__delitem__", "__contains__", "__len__"}
        calls = 0
        for cls in classes:
            for name in dir(cls):
                if name.startswith("__") and name not in dunders:
                    continue
                obj = cls.__new__(cls)
                try:
                    attribute = getattr(obj, name)
                except RuntimeError:
                    continue
                if not callable(attribute):
                    continue
                for args in ((), (b"k",), (b"k", b"v"), (None, None, None), (1,)):
                    calls += 1
                    try:
                        attribute(*args)
                    except Exception:
                        pass
        print("calls", calls)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "calls" in result.stdout


def test_none_for_the_db_is_a_type_error(tmp_path):
    # pybind11 casts None to a null DB pointer: each class that takes a DB refuses it. In a child
    # process, as a crash would end the test run.
    script = textwrap.dedent(f"""
        import ziggydb
        engine = ziggydb.BackupEngine({str(tmp_path / "backups")!r})
        calls = [
            lambda: ziggydb.Iterator(None, None, b"", False, None, None, True, False, None, True,
                                     True, False, True),
            lambda: ziggydb.RawIterator(None, None, True, True),
            lambda: ziggydb.WriteBatch(None, b"", False, False),
            lambda: ziggydb.Snapshot(None, b""),
            lambda: ziggydb.Transaction(None),
            lambda: engine.create_backup(None),
        ]
        refused = 0
        for call in calls:
            try:
                call()
            except TypeError:
                refused += 1
        print("refused", refused, "of", len(calls))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "refused 6 of 6" in result.stdout, result.stdout
