"""What ziggydb adds to plyvel's API: transactions, checkpoints, backups, repair, approximate
sizes."""

import os
import threading

import pytest

import ziggydb


def test_transaction_commits_on_clean_exit(db):
    db.put(b"a", b"1")
    with db.transaction() as txn:
        assert txn.get(b"a") == b"1"
        txn.put(b"a", b"2")
        txn[b"b"] = b"3"
        txn.delete(b"missing")
        assert txn.get(b"a") == b"2"  # its own write
        assert db.get(b"a") == b"1"  # not visible outside before commit
        assert list(txn.iterator()) == [(b"a", b"2"), (b"b", b"3")]
    assert txn.ended
    assert (db.get(b"a"), db.get(b"b")) == (b"2", b"3")


def test_transaction_rolls_back_on_exception(db):
    with pytest.raises(KeyError):
        with db.transaction() as txn:
            txn.put(b"a", b"1")
            raise KeyError
    assert txn.ended
    assert db.get(b"a") is None


def test_transaction_conflict_is_busy(db):
    db.put(b"counter", b"0")
    first = db.transaction()
    second = db.transaction()
    first.put(b"counter", b"1")
    second.put(b"counter", b"2")
    first.commit()
    with pytest.raises(ziggydb.Busy):
        second.commit()
    assert db.get(b"counter") == b"1"


def test_serializable_read_conflict(db):
    db.put(b"x", b"0")
    txn = db.transaction(isolation="serializable")
    assert txn.get(b"x") == b"0"
    txn.put(b"y", b"1")
    db.put(b"x", b"changed")
    with pytest.raises(ziggydb.Busy):
        txn.commit()
    with pytest.raises(ValueError):
        db.transaction(isolation="read-committed")


def test_save_points(db):
    txn = db.transaction()
    txn.put(b"a", b"1")
    txn.set_save_point()
    txn.put(b"b", b"2")
    txn.rollback_to_save_point()
    with pytest.raises(ziggydb.NotFound):
        txn.rollback_to_save_point()
    txn.commit()
    assert (db.get(b"a"), db.get(b"b")) == (b"1", None)


def test_run_transaction_retries_conflicts(db):
    db.put(b"counter", b"0")
    attempts = []

    def increment(txn):
        attempts.append(1)
        value = int(txn.get(b"counter"))
        if len(attempts) == 1:
            db.put(b"counter", b"100")  # a concurrent write: the first commit conflicts
        txn.put(b"counter", b"%d" % (value + 1))
        return value + 1

    assert db.run_transaction(increment) == 101
    assert len(attempts) == 2
    assert db.get(b"counter") == b"101"

    def always_conflicts(txn):
        txn.put(b"k", b"v")
        db.put(b"k", b"other")

    with pytest.raises(ziggydb.Busy):
        db.run_transaction(always_conflicts, max_attempts=3)
    with pytest.raises(ZeroDivisionError):
        db.run_transaction(lambda txn: 1 / 0)


def test_concurrent_increments_with_run_transaction(db):
    db.put(b"n", b"0")

    def increment(txn):
        txn.put(b"n", b"%d" % (int(txn.get(b"n")) + 1))

    def worker():
        for _ in range(50):
            db.run_transaction(increment, max_attempts=1000)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.get(b"n") == b"200"


def test_transaction_after_close(db_path):
    db = ziggydb.DB(db_path, create_if_missing=True)
    txn = db.transaction()
    txn.put(b"a", b"1")
    it = txn.iterator()
    db.close()
    with pytest.raises(RuntimeError):
        txn.get(b"a")
    with pytest.raises(RuntimeError):
        txn.commit()
    with pytest.raises(RuntimeError):
        next(it)
    with pytest.raises(RuntimeError):
        db.transaction()


def test_checkpoint(db, tmp_path):
    for i in range(100):
        db.put(b"%03d" % i, b"v")
    target = str(tmp_path / "checkpoint")
    db.checkpoint(target)
    db.put(b"after", b"x")
    with ziggydb.DB(target) as copy:
        assert len(list(copy.iterator())) == 100
        assert copy.get(b"after") is None
    with pytest.raises(ziggydb.InvalidArgument):
        db.checkpoint(target)  # exists


def test_backup_and_restore(db, tmp_path):
    backups = str(tmp_path / "backups")
    db.put(b"a", b"1")
    with ziggydb.BackupEngine(backups) as engine:
        first = engine.create_backup(db)
        db.put(b"a", b"2")
        second = engine.create_backup(db)
        infos = engine.backup_info()
        assert [info.id for info in infos] == [first, second]
        assert all(info.size_bytes > 0 and info.file_count > 0 for info in infos)
        engine.verify_backup(first)
        restored = str(tmp_path / "restored")
        engine.restore(first, restored)
        with ziggydb.DB(restored) as copy:
            assert copy.get(b"a") == b"1"
        with pytest.raises(ziggydb.InvalidArgument):
            engine.restore(second, restored)
        engine.restore(second, restored, overwrite=True)
        with ziggydb.DB(restored) as copy:
            assert copy.get(b"a") == b"2"
        engine.purge_old_backups(1)
        assert [info.id for info in engine.backup_info()] == [second]
        with pytest.raises(ziggydb.NotFound):
            engine.verify_backup(first)
        engine.delete_backup(second)
        assert engine.backup_info() == []
        assert engine.corrupted_backups() == []
    with pytest.raises(RuntimeError):
        engine.backup_info()
    # Unreadable metadata is listed apart and deleted like any backup.
    (tmp_path / "backups" / "meta" / "9").write_bytes(b"not metadata")
    with ziggydb.BackupEngine(backups) as engine:
        assert engine.backup_info() == []
        assert engine.corrupted_backups() == [9]
        with pytest.raises(ziggydb.CorruptionError):
            engine.verify_backup(9)
        engine.delete_backup(9)
        assert engine.corrupted_backups() == []


def test_restore_to_sequence_out_of_range(db, tmp_path):
    with ziggydb.BackupEngine(str(tmp_path / "backups")) as engine:
        backup_id = engine.create_backup(db)
        for bad in (-1, 2**64):
            with pytest.raises(ziggydb.InvalidArgument) as info:
                engine.restore(backup_id, str(tmp_path / "restored"), to_sequence=bad)
            assert "to_sequence" in str(info.value)
        with pytest.raises(TypeError):
            engine.restore(backup_id, str(tmp_path / "restored"), to_sequence="1")
    assert not (tmp_path / "restored").exists()


def test_backup_directory_is_locked(tmp_path):
    backups = str(tmp_path / "backups")
    with ziggydb.BackupEngine(backups):
        with pytest.raises(ziggydb.Busy):
            ziggydb.BackupEngine(backups)


def test_repair_db(db_path):
    with ziggydb.DB(db_path, create_if_missing=True) as db:
        for i in range(500):
            db.put(b"%04d" % i, b"value")
        db.flush()
    os.remove(os.path.join(db_path, "CURRENT"))
    with pytest.raises(ziggydb.Error):
        ziggydb.DB(db_path)
    ziggydb.repair_db(db_path)
    with ziggydb.DB(db_path) as db:
        assert len(list(db.iterator(include_value=False))) == 500
        assert db.get(b"0250") == b"value"


def test_approximate_sizes(db):
    for i in range(5000):
        db.put(b"%05d" % i, os.urandom(100))  # incompressible: the tables hold ~500 KB
    db.flush()
    db.compact_range()
    everything, half, empty = db.approximate_sizes((b"", b"\xff"), (b"00000", b"02500"),
                                                   (b"x", b"y"))
    assert everything > 400_000
    assert 0 < half < everything
    assert empty == 0
    # The result outlives the list approximate_sizes built it in (it was read after that list
    # was freed: ASan reported it, and pytest crashed on it now and then).
    sizes = [db.approximate_size(b"00000", b"02500") for _ in range(100)]
    assert sizes == [half] * 100
    assert db.approximate_sizes() == []
    with pytest.raises(ValueError):
        db.approximate_sizes(b"a")
    with pytest.raises(TypeError):
        db.approximate_sizes(("a", "b"))


def test_approximate_sizes_of_ranges_made_by_generators(db):
    for i in range(20000):
        db.put(b"key-%06d" % i, os.urandom(100))
    db.compact_range()
    bounds = [("key-0", "key-01"), ("key-01", "key-015"), ("key-015", "key-z"), ("a", "b")]
    as_tuples = db.approximate_sizes(*((a.encode(), b.encode()) for a, b in bounds))
    # Each generator's bytes die with the tuple made from it, unless approximate_sizes keeps it.
    as_generators = db.approximate_sizes(*((k.encode() for k in pair) for pair in bounds))
    assert as_generators == as_tuples
    assert as_tuples[0] > 0 and as_tuples[3] == 0
