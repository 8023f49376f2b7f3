"""plyvel-level behaviour of ziggydb.DB: opening, options, reads, writes, errors, closing."""

import os

import pytest

import ziggydb


def test_open_missing_without_create_if_missing(db_path):
    with pytest.raises(ziggydb.InvalidArgument) as info:
        ziggydb.DB(db_path)
    assert isinstance(info.value, ziggydb.Error)
    assert "create_if_missing" in str(info.value)


def test_error_if_exists(db_path):
    ziggydb.DB(db_path, create_if_missing=True).close()
    with pytest.raises(ziggydb.Error):
        ziggydb.DB(db_path, error_if_exists=True)


def test_second_opener_is_busy(db):
    with pytest.raises(ziggydb.Busy):
        ziggydb.DB(db.name)


def test_name_closed_and_context_manager(db_path):
    with ziggydb.DB(db_path, create_if_missing=True) as db:
        assert db.name == db_path
        assert not db.closed
    assert db.closed
    db.close()  # a second close does nothing
    bytes_name = os.fsencode(db_path)
    with ziggydb.DB(bytes_name) as db:
        assert db.name == bytes_name


def test_put_get_delete(db):
    db.put(b"key", b"value")
    assert db.get(b"key") == b"value"
    assert db.get(b"absent") is None
    assert db.get(b"absent", b"default") == b"default"
    assert db.get(key=b"absent", default=7) == 7
    db.delete(b"key")
    assert db.get(b"key") is None
    db.delete(b"key")  # absent: not an error
    db.put(b"", b"empty key", sync=True)
    assert db.get(b"") == b"empty key"
    db.put(b"k", b"", sync=False)
    assert db.get(b"k") == b""


def test_binary_keys_and_values(db):
    key = bytes(range(256))
    value = b"\0" * 1000 + b"\xff"
    db.put(key, value)
    assert db.get(key) == value


def test_bytes_like_inputs(db):
    db.put(bytearray(b"ba"), memoryview(b"mv"))
    assert db.get(memoryview(b"ba")) == b"mv"
    assert db.get(bytearray(b"ba")) == b"mv"
    import array
    db.put(b"arr", array.array("B", [1, 2, 3]))
    assert db.get(b"arr") == b"\x01\x02\x03"
    db.delete(bytearray(b"ba"))
    assert db.get(b"ba") is None


@pytest.mark.parametrize("bad", ["str", None, 1, 1.5, object()])
def test_non_bytes_keys_raise_type_error(db, bad):
    with pytest.raises(TypeError):
        db.put(bad, b"v")
    with pytest.raises(TypeError):
        db.get(bad)
    with pytest.raises(TypeError):
        db.delete(bad)
    with pytest.raises(TypeError):
        db.put(b"k", bad)


def test_keyword_only_arguments_as_plyvel(db):
    with pytest.raises(TypeError):
        db.put(b"k", b"v", True)
    with pytest.raises(TypeError):
        db.iterator(True)
    db.put(key=b"k", value=b"v", sync=True)
    assert db.get(b"k", None, verify_checksums=True, fill_cache=False) == b"v"


def test_mapping_protocol(db):
    db[b"k"] = b"v"
    assert db[b"k"] == b"v"
    assert b"k" in db
    assert b"x" not in db
    with pytest.raises(KeyError):
        db[b"x"]
    del db[b"k"]
    assert b"k" not in db
    del db[b"k"]  # as delete(): an absent key is not an error


def test_options_plyvel_and_ziggydb_names(db_path):
    with ziggydb.DB(db_path, create_if_missing=True, paranoid_checks=True,
                    write_buffer_size=1 << 20, max_open_files=100, lru_cache_size=8 << 20,
                    block_size=8192, block_restart_interval=8, max_file_size=2 << 20,
                    compression=None, bloom_filter_bits=10) as db:
        db.put(b"k", b"v")
    with ziggydb.DB(db_path, memtable_bytes=1 << 20, use_mmap_reads=False, compression="zstd",
                    bloom_bits_per_key=12, max_background_jobs=3, row_cache_bytes=1 << 20,
                    read_compactions=False) as db:
        assert db.get(b"k") == b"v"
        db.compact_range()  # the value now in a table, where the row cache can hold it
        for _ in range(64):
            assert db.get(b"k") == b"v"


def test_bad_options(db_path):
    with pytest.raises(ziggydb.NotSupported):
        ziggydb.DB(db_path, create_if_missing=True, comparator=lambda a, b: 0,
                   comparator_name=b"x")
    with pytest.raises(ziggydb.NotSupported):
        ziggydb.DB(db_path, create_if_missing=True, lru_cache_size=object())
    with pytest.raises(TypeError):
        ziggydb.DB(db_path, create_if_missing=True, no_such_option=1)
    with pytest.raises(TypeError):
        ziggydb.DB(db_path, create_if_missing=True, write_buffer_size=1 << 20,
                   memtable_bytes=1 << 20)
    with pytest.raises(ValueError):
        ziggydb.DB(db_path, create_if_missing=True, compression="gzip")
    with pytest.raises(ziggydb.InvalidArgument) as info:
        ziggydb.DB(db_path, create_if_missing=True, block_size=1)
    assert "block_size" in str(info.value)
    assert not os.path.exists(os.path.join(db_path, "CURRENT"))


@pytest.mark.parametrize("option, value, named", [
    ("write_buffer_size", -1, "write_buffer_size"),
    ("write_buffer_size", 2**64, "write_buffer_size"),
    ("block_size", 2**64, "block_size"),
    ("block_size", -(2**70), "block_size"),
    ("max_open_files", 2**31, "max_open_files"),
    ("block_restart_interval", -(2**31) - 1, "block_restart_interval"),
    ("max_file_size", -1, "max_file_size"),
    ("target_file_size", 2**64, "target_file_size"),
])
def test_out_of_range_integer_options(db_path, option, value, named):
    # The documented error (InvalidArgument, also a ValueError) naming the option, not
    # pybind11's RuntimeError "Unable to cast".
    with pytest.raises(ziggydb.InvalidArgument) as info:
        ziggydb.DB(db_path, create_if_missing=True, **{option: value})
    assert isinstance(info.value, ValueError)
    assert named in str(info.value)
    assert not os.path.exists(db_path)
    with pytest.raises(ziggydb.InvalidArgument):
        ziggydb.repair_db(db_path, **{option: value})


def test_write_batch(db):
    db.put(b"old", b"1")
    with db.write_batch() as batch:
        batch.put(b"a", b"1")
        batch.put(bytearray(b"b"), memoryview(b"2"))
        batch.delete(b"old")
        assert db.get(b"a") is None  # nothing is written before the block ends
    assert (db.get(b"a"), db.get(b"b"), db.get(b"old")) == (b"1", b"2", None)


def test_write_batch_exception(db):
    with pytest.raises(ValueError):
        with db.write_batch() as batch:
            batch.put(b"plain", b"1")
            raise ValueError
    assert db.get(b"plain") == b"1"  # not a transaction: written anyway, as plyvel does
    with pytest.raises(ValueError):
        with db.write_batch(transaction=True) as batch:
            batch.put(b"txn", b"1")
            raise ValueError
    assert db.get(b"txn") is None


def test_write_batch_methods(db):
    batch = db.write_batch(sync=True)
    batch.put(b"x", b"1")
    size = batch.approximate_size()
    assert size > 0
    other = db.write_batch()
    other.put(b"y", b"2")
    batch.append(other)
    assert batch.approximate_size() > size
    batch.write()
    assert (db.get(b"x"), db.get(b"y")) == (b"1", b"2")
    batch.clear()
    batch.delete(b"x")
    batch.write()
    assert db.get(b"x") is None
    with pytest.raises(TypeError):
        batch.put("str", b"v")


def test_snapshot(db):
    db.put(b"a", b"1")
    snapshot = db.snapshot()
    db.put(b"a", b"2")
    db.put(b"b", b"2")
    assert snapshot.get(b"a") == b"1"
    assert snapshot.get(b"b") is None
    assert snapshot.get(b"b", b"d") == b"d"
    assert list(snapshot.iterator()) == [(b"a", b"1")]
    assert list(snapshot) == [(b"a", b"1")]
    assert b"a" in snapshot and snapshot[b"a"] == b"1"
    raw = snapshot.raw_iterator()
    raw.seek_to_first()
    assert raw.item() == (b"a", b"1")
    snapshot.close()
    with pytest.raises(RuntimeError):
        snapshot.get(b"a")
    with pytest.raises(RuntimeError):
        snapshot.iterator()
    snapshot.release()  # again: nothing happens
    with db.snapshot() as snapshot:
        assert snapshot.get(b"a") == b"2"
    with pytest.raises(RuntimeError):
        snapshot.get(b"a")


def test_prefixed_db(db):
    db.put(b"other", b"x")
    users = db.prefixed_db(b"user-")
    assert users.db is db and users.prefix == b"user-"
    users.put(b"1", b"ann")
    users[b"2"] = b"bob"
    assert db.get(b"user-1") == b"ann"
    assert users.get(b"2") == b"bob" and users[b"2"] == b"bob"
    assert list(users) == [(b"1", b"ann"), (b"2", b"bob")]
    assert list(users.iterator(reverse=True, include_value=False)) == [b"2", b"1"]
    assert list(users.iterator(start=b"2")) == [(b"2", b"bob")]
    with users.write_batch() as batch:
        batch.put(b"3", b"cy")
        batch.delete(b"1")
    assert db.get(b"user-3") == b"cy" and db.get(b"user-1") is None
    snapshot = users.snapshot()
    users.delete(b"3")
    assert snapshot.get(b"3") == b"cy"
    assert list(snapshot.iterator(include_value=False)) == [b"2", b"3"]
    nested = users.prefixed_db(b"x-")
    assert nested.prefix == b"user-x-"
    with pytest.raises(TypeError):
        db.prefixed_db("str")


def test_prefixed_db_all_ff_prefix(db):
    db.put(b"\xff\xff", b"1")
    db.put(b"\xff\xff\xffz", b"2")
    db.put(b"\xfe", b"0")
    assert list(db.prefixed_db(b"\xff\xff").iterator(include_value=False)) == [b"", b"\xffz"]


def test_properties(db):
    db.put(b"k", b"v")
    stats = db.get_property(b"ziggydb.stats")
    assert isinstance(stats, bytes) and stats
    assert db.get_property(b"leveldb.stats") == db.get_property(b"ziggydb.stats") or \
        db.get_property(b"leveldb.stats").startswith(b"writes")
    assert db.get_property(b"leveldb.num-files-at-level0") == b"0"
    assert db.get_property(b"no.such.property") is None
    with pytest.raises(TypeError):
        db.get_property("ziggydb.stats")
    assert "writes" in db.stats()
    assert db.metrics()


def test_flush_compact_range(db):
    for i in range(1000):
        db.put(b"%05d" % i, b"v" * 100)
    db.flush()
    assert db.get_property(b"ziggydb.num-files-at-level0") != b"0"
    db.compact_range(start=b"00100", stop=b"00200")
    db.compact_range()
    db.wait_for_background_work()
    assert db.get(b"00150") == b"v" * 100
    assert len(list(db.iterator())) == 1000


def test_destroy_db(db_path):
    with ziggydb.DB(db_path, create_if_missing=True) as db:
        db.put(b"k", b"v")
        with pytest.raises(ziggydb.Error):
            ziggydb.destroy_db(db_path)
    ziggydb.destroy_db(db_path)
    assert not os.path.exists(db_path)
    with pytest.raises(ziggydb.Error):
        ziggydb.DB(db_path)


def test_use_after_close_raises_runtime_error(db_path):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.put(b"a", b"1")
    iterator = db.iterator()
    raw = db.raw_iterator()
    raw.seek_to_first()
    snapshot = db.snapshot()
    batch = db.write_batch()
    batch.put(b"b", b"2")
    prefixed = db.prefixed_db(b"p")
    db.close()
    assert db.closed
    calls = [
        lambda: db.get(b"a"), lambda: db.put(b"a", b"1"), lambda: db.delete(b"a"),
        lambda: db[b"a"], lambda: b"a" in db, lambda: db.iterator(), lambda: db.raw_iterator(),
        lambda: list(db), lambda: db.snapshot(), lambda: db.write_batch(),
        lambda: db.get_property(b"ziggydb.stats"), lambda: db.compact_range(),
        lambda: db.flush(), lambda: next(iterator), lambda: iterator.prev(),
        lambda: iterator.seek(b"a"), lambda: iterator.seek_to_start(), lambda: raw.valid(),
        lambda: raw.key(), lambda: raw.next(), lambda: raw.seek_to_last(),
        lambda: snapshot.get(b"a"), lambda: snapshot.iterator(), lambda: batch.write(),
        lambda: prefixed.get(b"a"), lambda: prefixed.put(b"a", b"1"), lambda: list(prefixed),
    ]
    for call in calls:
        with pytest.raises(RuntimeError):
            call()
    iterator.close()
    raw.close()
    snapshot.close()
    db.close()


def test_closed_iterator_and_reopen(db_path):
    db = ziggydb.DB(db_path, create_if_missing=True)
    db.put(b"a", b"1")
    iterator = db.iterator()
    iterator.close()
    with pytest.raises(RuntimeError):
        next(iterator)
    with db.iterator() as iterator:
        assert next(iterator) == (b"a", b"1")
    with pytest.raises(RuntimeError):
        next(iterator)
    db.close()
    with ziggydb.DB(db_path) as db:
        assert db.get(b"a") == b"1"


def test_exception_hierarchy():
    for name in ("NotFound", "CorruptionError", "IOError", "InvalidArgument", "NotSupported",
                 "Busy", "IteratorInvalidError"):
        assert issubclass(getattr(ziggydb, name), ziggydb.Error)
    assert issubclass(ziggydb.IOError, OSError)
    assert issubclass(ziggydb.InvalidArgument, ValueError)
    assert issubclass(ziggydb.NotSupported, NotImplementedError)
    assert ziggydb.Error.__module__ == "ziggydb"


def test_corruption_error(db_path):
    with ziggydb.DB(db_path, create_if_missing=True, compression=None) as db:
        for i in range(2000):
            db.put(b"%06d" % i, b"value-%06d" % i)
        db.flush()
    tables = [name for name in os.listdir(db_path) if name.endswith(".sst")]
    assert tables
    path = os.path.join(db_path, tables[0])
    with open(path, "r+b") as table:
        table.seek(100)
        table.write(b"\x00garbage\x00" * 8)
    with ziggydb.DB(db_path, use_mmap_reads=False) as db:
        with pytest.raises(ziggydb.CorruptionError):
            db.get(b"000001", verify_checksums=True)
        with pytest.raises(ziggydb.CorruptionError):
            list(db.iterator(verify_checksums=True))


def test_bad_paths(tmp_path):
    regular_file = tmp_path / "file"
    regular_file.write_bytes(b"not a directory")
    with pytest.raises(ziggydb.Error) as info:
        ziggydb.DB(str(regular_file / "db"), create_if_missing=True)
    assert isinstance(info.value, ziggydb.IOError)
    with pytest.raises(ziggydb.Error):
        ziggydb.DB(str(regular_file), create_if_missing=True)
    with pytest.raises(TypeError):
        ziggydb.DB(12345, create_if_missing=True)


def test_path_like_name(tmp_path):
    with ziggydb.DB(tmp_path / "db", create_if_missing=True) as db:
        db.put(b"k", b"v")
    with ziggydb.DB(str(tmp_path / "db")) as db:
        assert db.get(b"k") == b"v"


def test_paths_with_nul_raise_value_error(tmp_path):
    # As os functions do: a NUL would end the path at the C level, naming another file.
    path = str(tmp_path / "db")
    with ziggydb.DB(path, create_if_missing=True) as db:
        db.put(b"k", b"v")
        for bad in (path + "\0.old", os.fsencode(path) + b"\0.old"):
            with pytest.raises(ValueError, match="embedded null byte"):
                db.checkpoint(bad)
    for bad in (path + "\0.old", os.fsencode(path) + b"\0.old"):
        with pytest.raises(ValueError, match="embedded null byte"):
            ziggydb.destroy_db(bad)
        with pytest.raises(ValueError, match="embedded null byte"):
            ziggydb.repair_db(bad)
        with pytest.raises(ValueError, match="embedded null byte"):
            ziggydb.DB(bad, create_if_missing=True)
        with pytest.raises(ValueError, match="embedded null byte"):
            ziggydb.BackupEngine(str(tmp_path / "backups") + "\0x")
    with ziggydb.DB(path) as db:
        assert db.get(b"k") == b"v"
    assert not os.path.exists(str(tmp_path / "backups"))
