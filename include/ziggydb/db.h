// DB: an embedded, persistent, ordered map from byte-string keys to byte-string values.
//
// Keys and values are arbitrary bytes (NULs included); keys are ordered bytewise. A DB is safe
// for concurrent use by many threads without external synchronisation. One process at a time may
// open a DB directory; a second opener gets Busy.
#ifndef ZIGGYDB_DB_H_
#define ZIGGYDB_DB_H_

#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/snapshot.h"
#include "ziggydb/status.h"
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
  // Closes: waits for background work and leaves the directory consistent. Every iterator and
  // snapshot must have been released first.
  virtual ~DB();

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  // Deleting an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically. `updates` is not modified.
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;
  // OK and *value set if found; NotFound if absent or deleted; Corruption if a checksum failed.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // An iterator over the DB as of options.snapshot (or an implicit snapshot taken now). It must be
  // destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A snapshot of the current state; release it with ReleaseSnapshot.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Internal state as text, e.g. "ziggydb.stats". False if the name is unknown.
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Writes the memtable out to a table file and waits for it.
  virtual Status Flush() = 0;
  // Compacts the keys in [*begin, *end] (nullptr: unbounded on that side).
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;
  // Waits until no background work is running or due: no immutable memtable waits for its flush
  // and no compaction runs or is needed (every level within its size target, L0 under its
  // trigger). The active memtable is left alone (see Flush). Returns the background error if one
  // has stopped background work. Writes made meanwhile may create more work to wait for.
  virtual Status WaitForBackgroundWork() = 0;
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
