"""ZiggyDB for Python: an embedded, crash-safe, ordered key-value store.

The API is plyvel's (the LevelDB binding): a plyvel program ports by changing its import.
Keys and values are bytes; any bytes-like object (bytearray, memoryview, ...) is accepted as
input, str is refused with TypeError. Reads of an absent key return the default (None).
Beyond plyvel: db[key], key in db, del db[key], and the metrics text. See python/README.md.

Every call that may do I/O or wait releases the GIL, so Python threads using one DB run in
parallel inside the engine.
"""

import collections
import random
import time

from . import _ziggydb
from ._options import engine_options
from ._ziggydb import (  # noqa: F401 (re-exported)
    Busy,
    CorruptionError,
    Error,
    InvalidArgument,
    IOError,
    Iterator,
    IteratorInvalidError,
    NotFound,
    NotSupported,
    RawIterator,
    WriteBatch,
    __engine_version__,
    destroy_db,
)

__version__ = "0.1.0"

__all__ = [
    "DB", "PrefixedDB", "Snapshot", "Iterator", "RawIterator", "WriteBatch", "Transaction",
    "BackupEngine", "BackupInfo", "destroy_db", "repair_db",
    "Error", "NotFound", "CorruptionError", "IOError", "InvalidArgument", "NotSupported", "Busy",
    "IteratorInvalidError",
]

_MISSING = object()


def _as_bytes(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        raise TypeError(f"'{what}' must be a bytes-like object, not 'str'")
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(
            f"'{what}' must be a bytes-like object, not '{type(value).__name__}'") from None


class _Mapping:
    """db[key], key in db, del db[key] and iteration, on top of get/put/delete/iterator."""

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return self.get(key, _MISSING) is not _MISSING

    def __iter__(self):
        return self.iterator()


class DB(_ziggydb._DB, _Mapping):
    """A ZiggyDB database, opened on construction (plyvel.DB's signature).

    Options with plyvel's names keep LevelDB's meaning: write_buffer_size is ZiggyDB's
    memtable_bytes, lru_cache_size its block_cache_bytes, max_file_size its target_file_size,
    bloom_filter_bits its bloom_bits_per_key. compression is None, 'snappy', 'zstd' or 'lz4'.
    Any ZiggyDB option (include/ziggydb/options.h) may be given by its own name too, e.g.
    DB(path, create_if_missing=True, use_mmap_reads=False). None means the engine's default.

    read_only=True opens an existing DB for reading only (DB::OpenReadOnly): nothing in the
    directory is written, other read-only openers may share it, a writer holding it (or opening
    it meanwhile) gets Busy, the view is fixed at open, and writes raise NotSupported.
    """

    def __init__(self, name, create_if_missing=False, *, error_if_exists=False,
                 paranoid_checks=None, write_buffer_size=None, max_open_files=None,
                 lru_cache_size=None, block_size=None, block_restart_interval=None,
                 max_file_size=None, compression="snappy", bloom_filter_bits=0, comparator=None,
                 comparator_name=None, read_only=False, **ziggydb_options):
        plyvel_options = dict(
            create_if_missing=create_if_missing, error_if_exists=error_if_exists,
            paranoid_checks=paranoid_checks, write_buffer_size=write_buffer_size,
            max_open_files=max_open_files, lru_cache_size=lru_cache_size, block_size=block_size,
            block_restart_interval=block_restart_interval, max_file_size=max_file_size,
            compression=compression, bloom_filter_bits=bloom_filter_bits, comparator=comparator,
            comparator_name=comparator_name)
        super().__init__(name, engine_options(plyvel_options, ziggydb_options), bool(read_only))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        try:
            state = "closed" if self.closed else "open"
            name = self.name
        except RuntimeError:  # __init__ failed or never ran: no engine DB behind this object
            return f"<ziggydb.DB (not opened) at {id(self):#x}>"
        return f"<ziggydb.DB with name {name!r} ({state}) at {id(self):#x}>"

    def __setitem__(self, key, value):
        self.put(key, value)

    def __delitem__(self, key):
        self.delete(key)

    def iterator(self, *, reverse=False, start=None, stop=None, include_start=True,
                 include_stop=False, prefix=None, include_key=True, include_value=True,
                 verify_checksums=False, fill_cache=True):
        """An Iterator over [start, stop) (or the keys starting with prefix), in key order or
        reversed; it yields (key, value) tuples, or keys or values alone."""
        return Iterator(self, None, b"", reverse, start, stop, include_start, include_stop,
                        prefix, include_key, include_value, verify_checksums, fill_cache)

    def raw_iterator(self, *, verify_checksums=False, fill_cache=True):
        """A RawIterator: the engine's cursor (valid, seek*, next, prev, key, value, item)."""
        return RawIterator(self, None, verify_checksums, fill_cache)

    def write_batch(self, *, transaction=False, sync=False):
        """A WriteBatch; as a context manager it writes at the end of the block (not after an
        exception when transaction=True)."""
        return WriteBatch(self, b"", transaction, sync)

    def snapshot(self):
        """A Snapshot of the DB as it is now."""
        return Snapshot(self, b"")

    def prefixed_db(self, prefix):
        """A view of the keys starting with prefix, with the prefix cut off."""
        return PrefixedDB(self, prefix)

    def transaction(self, *, isolation="snapshot", sync=False):
        """A Transaction: reads from a snapshot taken now plus its own writes, which commit()
        applies atomically (Busy on a conflict). As a context manager it commits on a clean exit
        and rolls back on an exception. isolation: 'snapshot' or 'serializable'."""
        return Transaction(self, isolation=isolation, sync=sync)

    def run_transaction(self, function, *, isolation="snapshot", sync=False, max_attempts=10):
        """Calls function(txn) in a new transaction and commits it, retrying the whole (a new
        transaction each time, after a randomised backoff from 100 us doubling up to 10 ms)
        while the commit or the function raises Busy, up to max_attempts attempts. Returns what
        the function returned; any other exception rolls back and propagates."""
        delay = 100e-6
        attempts = max(1, max_attempts)
        for attempt in range(1, attempts + 1):
            txn = self.transaction(isolation=isolation, sync=sync)
            try:
                result = function(txn)
                txn.commit()
                return result
            except Busy:
                if not txn.ended:
                    txn.rollback()
                if attempt == attempts:
                    raise
            except BaseException:
                if not txn.ended:
                    txn.rollback()
                raise
            time.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, 10e-3)

    def metrics(self):
        """The DB's counters and histograms as text (the "ziggydb.metrics" property)."""
        return self.get_property(b"ziggydb.metrics").decode()

    def stats(self):
        """The per-level table and compaction summary as text (the "ziggydb.stats" property)."""
        return self.get_property(b"ziggydb.stats").decode()


class Snapshot(_ziggydb._Snapshot, _Mapping):
    """A consistent read-only view of the DB as of its creation (DB.snapshot())."""

    def iterator(self, *, reverse=False, start=None, stop=None, include_start=True,
                 include_stop=False, prefix=None, include_key=True, include_value=True,
                 verify_checksums=False, fill_cache=True):
        """As DB.iterator, over the snapshot."""
        return Iterator(self.db, self, self._db_prefix, reverse, start, stop, include_start,
                        include_stop, prefix, include_key, include_value, verify_checksums,
                        fill_cache)

    def raw_iterator(self, *, verify_checksums=False, fill_cache=True):
        """As DB.raw_iterator, over the snapshot: over the whole DB, keys as stored, also for a
        snapshot of a PrefixedDB (a raw iterator is never prefixed)."""
        return RawIterator(self.db, self, verify_checksums, fill_cache)

    def __repr__(self):
        try:
            db = self.db
        except RuntimeError:  # __init__ failed or never ran
            return f"<ziggydb.Snapshot (not initialised) at {id(self):#x}>"
        return f"<ziggydb.Snapshot of {db!r} at {id(self):#x}>"


class Transaction(_ziggydb._Transaction, _Mapping):
    """An optimistic transaction (DB.transaction()); see include/ziggydb/transaction.h."""

    def __init__(self, db, *, isolation="snapshot", sync=False):
        if isolation not in ("snapshot", "serializable"):
            raise ValueError("isolation must be 'snapshot' or 'serializable'")
        super().__init__(db, isolation == "serializable", sync)
        self.db = db

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self.ended:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def __setitem__(self, key, value):
        self.put(key, value)

    def __delitem__(self, key):
        self.delete(key)

    def iterator(self, *, reverse=False, start=None, stop=None, include_start=True,
                 include_stop=False, prefix=None, include_key=True, include_value=True,
                 verify_checksums=False, fill_cache=True):
        """As DB.iterator, over the transaction's snapshot with its own writes merged in."""
        return Iterator(self.db, self, b"", reverse, start, stop, include_start, include_stop,
                        prefix, include_key, include_value, verify_checksums, fill_cache)

    def __repr__(self):
        try:
            state = "ended" if self.ended else "open"
        except RuntimeError:  # __init__ failed or never ran
            state = "not initialised"
        return f"<ziggydb.Transaction ({state}) at {id(self):#x}>"


BackupInfo = collections.namedtuple(
    "BackupInfo", ["id", "timestamp_seconds", "sequence", "size_bytes", "file_count"])


class BackupEngine(_ziggydb._BackupEngine):
    """Verified, incremental backups into backup_dir (include/ziggydb/backup.h):
    create_backup(db), backup_info(), corrupted_backups(), verify_backup(id), restore(id, db_dir,
    to_sequence=None, overwrite=False), delete_backup(id), purge_old_backups(keep), close()."""

    def __init__(self, backup_dir, *, checksum_shared_tables=False):
        super().__init__(backup_dir, checksum_shared_tables)

    def backup_info(self):
        """Every backup, by id ascending, as BackupInfo tuples."""
        return [BackupInfo(*info) for info in self._backup_info()]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()


def repair_db(name, *, paranoid_checks=None, write_buffer_size=None, max_open_files=None,
              lru_cache_size=None, block_size=None, block_restart_interval=None,
              max_file_size=None, compression="snappy", bloom_filter_bits=0, comparator=None,
              comparator_name=None, **ziggydb_options):
    """Rebuilds the DB at name when its CURRENT or MANIFEST is lost or damaged, from its verified
    tables and logs (plyvel.repair_db's signature; the options are those the DB is opened with).
    Unreadable tables go to name/lost/, the originals to name/repair-old-N/."""
    plyvel_options = dict(
        paranoid_checks=paranoid_checks, write_buffer_size=write_buffer_size,
        max_open_files=max_open_files, lru_cache_size=lru_cache_size, block_size=block_size,
        block_restart_interval=block_restart_interval, max_file_size=max_file_size,
        compression=compression, bloom_filter_bits=bloom_filter_bits, comparator=comparator,
        comparator_name=comparator_name)
    _ziggydb._repair_db(name, engine_options(plyvel_options, ziggydb_options))


class PrefixedDB(_Mapping):
    """The keys of db that start with prefix, seen without it (DB.prefixed_db)."""

    def __init__(self, db, prefix):
        self.db = db
        self.prefix = _as_bytes(prefix, "prefix")

    def __repr__(self):
        return f"<ziggydb.PrefixedDB with prefix {self.prefix!r} at {id(self):#x}>"

    def get(self, key, default=None, *, verify_checksums=False, fill_cache=True):
        return self.db._get(self.prefix, key, default, verify_checksums, fill_cache)

    def put(self, key, value, *, sync=False):
        self.db._put(self.prefix, key, value, sync)

    def delete(self, key, *, sync=False):
        self.db._delete(self.prefix, key, sync)

    def __setitem__(self, key, value):
        self.put(key, value)

    def __delitem__(self, key):
        self.delete(key)

    def write_batch(self, *, transaction=False, sync=False):
        return WriteBatch(self.db, self.prefix, transaction, sync)

    def iterator(self, *, reverse=False, start=None, stop=None, include_start=True,
                 include_stop=False, prefix=None, include_key=True, include_value=True,
                 verify_checksums=False, fill_cache=True):
        return Iterator(self.db, None, self.prefix, reverse, start, stop, include_start,
                        include_stop, prefix, include_key, include_value, verify_checksums,
                        fill_cache)

    def snapshot(self):
        return Snapshot(self.db, self.prefix)

    def prefixed_db(self, prefix):
        return PrefixedDB(self.db, self.prefix + _as_bytes(prefix, "prefix"))
