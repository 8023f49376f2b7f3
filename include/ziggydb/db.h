// DB: an embedded, persistent, ordered map from byte-string keys to byte-string values.
//
// Keys and values are arbitrary bytes (NULs included); keys are ordered bytewise. A DB is safe
// for concurrent use by many threads without external synchronisation. One process at a time may
// open a DB directory; a second opener gets Busy.
#ifndef ZIGGYDB_DB_H_
#define ZIGGYDB_DB_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
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

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the DB if Close was not called (its error, if any, then only reaches the info log).
  // Every iterator and snapshot must have been released first.
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
  // Iterators and snapshots taken before stay usable until released. Must not run concurrently with
  // any other call on this DB.
  virtual Status Close() = 0;

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  // Deleting an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically. InvalidArgument if the batch broke a limit (its status()).
  virtual Status Write(const WriteOptions& options, const WriteBatch& updates) = 0;
  // OK and *value set if found; NotFound if absent or deleted; Corruption if a checksum failed.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // An iterator over the DB as of options.snapshot (or an implicit snapshot taken now). It must be
  // destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A snapshot of the current state; release it with ReleaseSnapshot. nullptr after Close.
  virtual const Snapshot* GetSnapshot() = 0;
  // Releases a snapshot GetSnapshot returned, once; nullptr is ignored.
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Internal state as text, e.g. "ziggydb.stats". False if the name is unknown.
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Writes the memtable out to a table file and waits for it.
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
  // trigger). The active memtable is left alone (see Flush). Returns the background error if one
  // has stopped background work. Writes made meanwhile may create more work to wait for.
  virtual Status WaitForBackgroundWork() = 0;

  // ---- Transactions (ziggydb/transaction.h) ----
  // Begins a transaction reading from a snapshot of the current state; Commit writes with
  // `write_options`. After Close, every call of the transaction returns InvalidArgument.
  virtual std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& write_options,
                                                        const TransactionOptions& txn_options) = 0;
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
// IOError if the DB is open.
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_H_
