// DB: an embedded, persistent, ordered map from byte-string keys to byte-string values.
//
// Keys and values are arbitrary bytes (NULs included); keys are ordered bytewise. A DB is safe
// for concurrent use by many threads without external synchronisation. One process at a time may
// open a DB directory; a second opener gets Busy.
//
// Running out of memory: Open, Close, Write (and so Put and Delete once their batch is built),
// Flush, CompactRange, CreateCheckpoint (leaving no partial checkpoint) and background work turn
// std::bad_alloc into IOError "out of memory" (docs/design/recovery.md says when the DB then
// needs Resume or a reopen); should building that error fail too, CompactRange lets
// std::bad_alloc out, and the DB refuses writes until reopened. The other calls let
// std::bad_alloc out of steps that allocate for the caller (Put's and Delete's batch, a value
// copied into the caller's string, an iterator, a snapshot, a property's text); such a call has
// changed nothing and the DB stays usable. The C API and the Python package turn it into an
// error (src/c/c_api_oom_test.cc fails every allocation of each C entry point).
#ifndef ZIGGYDB_DB_H_
#define ZIGGYDB_DB_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/pinnable_value.h"
#include "ziggydb/snapshot.h"
#include "ziggydb/status.h"
#include "ziggydb/transaction.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

class DB {
 public:
  // Opens (or, with create_if_missing, creates) the DB in directory `path`, recovering whatever
  // its write-ahead logs hold. On success *db owns the DB; on failure *db is reset.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  // ---- Read-only open (src/db/db_readonly.h; docs/design/recovery.md, "Read-only open") ----
  // Opens the existing DB in `path` for reading only, writing nothing to the directory: no LOCK
  // is created, the WALs are replayed into memory only (no table, no MANIFEST edit, no new log),
  // no LOG file is written. So it works on a read-only mount and for a user with read permission
  // only. It holds a shared lock on the DB's LOCK file (when there is one) until closed: any
  // number of read-only openers may share a DB, a writer (DB::Open) holding it makes this fail
  // with Busy "the DB is open for writing by another opener", and DB::Open fails with Busy while
  // read-only openers hold it. The view is fixed at open: later writes by others are not seen.
  // Put, Delete, Write, Flush and CompactRange return NotSupported "the DB is open read-only";
  // reads, iterators, snapshots (all at the recovered sequence) and the table properties work.
  // NotFound if `path` holds no DB; otherwise what DB::Open would refuse (options'
  // wal_recovery_mode and paranoid_checks apply). create_if_missing and error_if_exists are
  // ignored.
  static Status OpenReadOnly(const Options& options, const std::string& path,
                             std::unique_ptr<DB>* db);
  // ---- end of read-only open ----

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the DB if Close was not called (its error, if any, then only reaches the info log).
  // Every iterator must have been released first; a snapshot not released is freed with the DB.
  virtual ~DB();

  // Closes the DB, leaving the directory consistent: writes the writes made with disable_wal
  // (which only a memtable holds) to a table, stops the background work (a compaction in
  // progress is abandoned; memtables their WAL holds are replayed by the next Open rather than
  // flushed), closes the write-ahead log (trimming its preallocated tail) and releases the
  // directory's LOCK, so that the DB can be opened again while this object still exists. Returns
  // the first error it met, else the background error that had stopped writes (if any): writes
  // acknowledged before that error are as durable as their WriteOptions promised. Whatever it
  // returns, the DB is closed: a second Close returns the same status, and every other call fails
  // without touching the DB: Put, Delete, Write, Get, Flush, CompactRange and WaitForBackgroundWork
  // return InvalidArgument "the DB is closed", NewIterator returns an iterator with that status,
  // GetSnapshot returns nullptr (which ReleaseSnapshot accepts) and GetProperty returns false.
  // Iterators and snapshots taken before stay usable until released, with one limit: once another
  // opener has the directory, it may delete tables this DB had replaced, and an iterator that
  // reaches such a table it had not opened yet (level 1 and below are opened as a scan gets
  // there) fails with that table's status instead of going on. Release iterators before handing
  // the directory on. Must not run concurrently with any other call on this DB.
  virtual Status Close() = 0;

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  // Deleting an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically. InvalidArgument if the batch broke a limit (its status()).
  virtual Status Write(const WriteOptions& options, const WriteBatch& updates) = 0;
  // OK and *value set if found; NotFound if absent or deleted; Corruption if a checksum failed.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // ---- Zero-copy get (pinnable_value.h) ----
  // As Get, but *value views the bytes where the DB holds them and keeps them alive until it is
  // reset or reused, instead of copying them. On any status but OK *value is empty. The default
  // (for DB implementations without it) copies through Get.
  virtual Status Get(const ReadOptions& options, std::string_view key, PinnableValue* value);
  // ---- end of zero-copy get ----
  // An iterator over the DB as of options.snapshot (or an implicit snapshot taken now). It must be
  // destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A snapshot of the current state; release it with ReleaseSnapshot. nullptr after Close.
  virtual const Snapshot* GetSnapshot() = 0;
  // Releases a snapshot GetSnapshot returned, once; nullptr is ignored, and so is (with a LOG
  // line) a pointer that is not a live snapshot of this DB.
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Internal state as text, e.g. "ziggydb.stats". False if the name is unknown.
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // A key range [start, limit) for GetApproximateSizes.
  struct Range {
    std::string_view start;
    std::string_view limit;
  };
  // For each of the n ranges, sizes[i] receives about how many bytes of table files hold keys in
  // ranges[i]: whole tables inside the range count in full, a table the range cuts through in
  // proportion to the data blocks it covers. Memtables are not counted, so recent writes show up
  // after their flush. An empty or inverted range gets 0. Reads no data blocks (each table's
  // index is in memory once the table is open). Errors: the DB is closed, or a table cannot be
  // opened.
  virtual Status GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) = 0;

  // Writes the memtable out to a table file and waits for it. Returns the DB's background error
  // if there is one when the wait ends, even one another job (a compaction the flush started)
  // set after this flush's table was in place.
  virtual Status Flush() = 0;
  // Compacts the keys in [begin, end], both inclusive (unlike ReadOptions::iterate_upper_bound,
  // so that one key can be named on both sides); std::nullopt leaves that side unbounded. The
  // bytes need to live only for the call.
  virtual Status CompactRange(std::optional<std::string_view> begin,
                              std::optional<std::string_view> end) = 0;
  // The pointer form of earlier versions took nullptr for an open side, which std::string_view
  // would accept and dereference: these keep such calls from compiling. Pass std::nullopt.
  Status CompactRange(std::nullptr_t, std::nullptr_t) = delete;
  Status CompactRange(std::nullptr_t, std::optional<std::string_view>) = delete;
  Status CompactRange(std::optional<std::string_view>, std::nullptr_t) = delete;
  // Waits until no background work is running or due: no immutable memtable waits for its flush
  // and no compaction runs or is needed (every level within its size target, L0 under its
  // trigger), and the files that finished work made obsolete are deleted (unless an iterator still
  // reads them). The active memtable is left alone (see Flush). Returns the background error if
  // one has stopped background work. Writes made meanwhile may create more work to wait for.
  virtual Status WaitForBackgroundWork() = 0;

  // ---- Recovery from a background error (docs/design/recovery.md) ----
  // After a flush or compaction failed (an I/O error, a full disk) and writes stopped: once the
  // cause is gone, starts a fresh MANIFEST from the DB's state and lets writes and background
  // work continue; nothing acknowledged is lost (the failed work is redone). OK if no error had
  // stopped writes. Returns the error again, still stopped, if it persists, and always after a
  // failed WAL write or sync (acknowledged writes may be lost from the log: reopen the DB).
  virtual Status Resume() { return Status::NotSupported("Resume"); }

  // ---- Transactions (ziggydb/transaction.h) ----
  // Begins a transaction reading from a snapshot of the current state; Commit writes with
  // `write_options`. After Close, or with write_options that fail WriteOptions::Validate, every
  // call of the transaction returns InvalidArgument.
  virtual std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& write_options,
                                                        const TransactionOptions& txn_options) = 0;

  // ---- Checkpoints (docs/design/checkpoint.md) ----
  // Makes `dir` (which must not exist; its parent must) a DB of its own holding this DB's state
  // at one sequence number, taken while writes continue: the memtables are flushed first, so it
  // holds every write acknowledged before the call (and possibly some made meanwhile). Tables
  // are hard-linked (copied across file systems), the MANIFEST is written fresh, CURRENT last:
  // a crash leaves a directory that DB::Open refuses (tables but no CURRENT). The tables are
  // pinned only during the call; the checkpoint shares no state with this DB afterwards.
  // InvalidArgument if `dir` exists or another checkpoint (of any process) is being written into
  // it; a failure removes what the call created.
  virtual Status CreateCheckpoint(const std::string& dir) = 0;
};

// Holds a snapshot for the scope it lives in.
class ManagedSnapshot {
 public:
  explicit ManagedSnapshot(DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ManagedSnapshot(const ManagedSnapshot&) = delete;
  ManagedSnapshot& operator=(const ManagedSnapshot&) = delete;
  ~ManagedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  const Snapshot* snapshot() const { return snapshot_; }

 private:
  DB* db_;
  const Snapshot* snapshot_;
};

// Removes every file of the DB at `path`, and the directory if it is then empty. Fails with
// Busy if the DB is open. CURRENT is removed (and the removal synced) first: if that fails,
// nothing else is removed; a power loss part way through never leaves a DB missing some files.
// The other removals are synced before it returns.
Status DestroyDB(const std::string& path, const Options& options);

// ---- Repair (issue 14) ----
// Rebuilds the DB at `path` when its CURRENT or MANIFEST is lost or damaged (or its live tables
// disagree with them): every table whose blocks all verify and every record the logs still hold
// are merged into new tables at the last level, named by a new MANIFEST that CURRENT then points
// to (temp file + rename). Unreadable tables are moved to `path/lost/`; the original tables, logs
// and MANIFESTs, whose contents the new tables hold, to `path/repair-old-N/`. Nothing is deleted.
// Takes the DB's LOCK (Busy if it is open). Writes a summary to options.info_log if set.
// docs/design/recovery.md, "Repair".
Status RepairDB(const std::string& path, const Options& options);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_H_
