"""ziggydb.DB(..., read_only=True): DB::OpenReadOnly from Python."""
import pytest

import ziggydb


def fill(path):
    with ziggydb.DB(path, create_if_missing=True) as db:
        db.put(b"a", b"1")
        db.put(b"b", b"2")


def test_reads_what_a_writer_left(db_path):
    fill(db_path)
    with ziggydb.DB(db_path, read_only=True) as db:
        assert db.get(b"a") == b"1"
        assert db.get(b"c") is None
        assert list(db.iterator()) == [(b"a", b"1"), (b"b", b"2")]
        with db.snapshot() as snapshot:
            assert snapshot.get(b"b") == b"2"


def test_writes_raise_not_supported(db_path):
    fill(db_path)
    with ziggydb.DB(db_path, read_only=True) as db:
        with pytest.raises(ziggydb.NotSupported):
            db.put(b"a", b"x")
        with pytest.raises(ziggydb.NotSupported):
            db.delete(b"a")
        assert db.get(b"a") == b"1"


def test_readers_share_and_exclude_a_writer(db_path):
    fill(db_path)
    with ziggydb.DB(db_path, read_only=True) as first, \
            ziggydb.DB(db_path, read_only=True) as second:
        assert first.get(b"a") == second.get(b"a") == b"1"
        with pytest.raises(ziggydb.Busy):
            ziggydb.DB(db_path)
    with ziggydb.DB(db_path) as writer:
        with pytest.raises(ziggydb.Busy):
            ziggydb.DB(db_path, read_only=True)
        writer.put(b"c", b"3")


def test_missing_db_is_an_error(db_path):
    with pytest.raises(ziggydb.Error):
        ziggydb.DB(db_path, read_only=True)


def test_metrics_and_stats(db_path):
    with ziggydb.DB(db_path, create_if_missing=True) as db:
        db.put(b"k", b"v")
        db.flush()
        db.put(b"k2", b"v2")
    with ziggydb.DB(db_path, read_only=True) as db:
        stats = db.stats()
        assert "last sequence: 2\n" in stats
        assert "level files" in stats
        metrics = db.metrics()
        assert "ziggydb_last_sequence 2\n" in metrics
        assert "# TYPE ziggydb_level_files gauge" in metrics
        assert db.get_property(b"leveldb.stats") == stats.encode()
