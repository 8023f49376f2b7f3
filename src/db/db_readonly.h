// The read-only DB (DB::OpenReadOnly) and the shared lock readers take. Rules and the argument
// that nothing is written: docs/design/recovery.md, "Read-only open".
//
// DBReadOnly recovers the DB with the recovery component (recovery.h) in its read-only form: the
// MANIFEST is replayed into a VersionSet that never writes, the live tables are checked, and the
// WALs are replayed into one memtable held for the life of the object instead of being written
// to tables. After Open the state never changes: one Version, one memtable, one sequence number.
//
// Thread safety: after Open every read entry point may run concurrently (the state is immutable;
// the table cache has its own lock). Close must not run concurrently with any other call.
//
// Invariants:
//   1. Nothing in the DB directory is created, written, renamed or removed by this object: files
//      are opened for reading only (tables through the TableCache, logs and the MANIFEST through
//      recovery, LOCK with O_RDONLY).
//   2. While open, a writer cannot open the DB (the shared lock conflicts with its exclusive one),
//      so the files the Version and memtable came from stay as they were.
#ifndef ZIGGYDB_DB_DB_READONLY_H_
#define ZIGGYDB_DB_DB_READONLY_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "base/dbformat.h"
#include "db/db_properties.h"
#include "db/read_stack.h"
#include "db/super_version.h"
#include "db/txn_host.h"
#include "db/version_set.h"
#include "memtable/memtable.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"
#include "ziggydb/db.h"

namespace ziggydb {

// A shared (reader's) lock on a DB directory's LOCK file: flock(LOCK_SH) on the file opened
// read-only, so it needs only read permission and works on a read-only mount. It conflicts with
// the exclusive lock a writer (DB::Open) takes, in this process or another, and not with other
// readers. Held until destroyed. POSIX file systems only: a DB served by another Env (e.g. the
// in-memory one of tests) has no LOCK on disk and is read without a lock.
class DbReadLock {
 public:
  // Takes the lock on dbname/LOCK. Busy if a writer holds the DB. A missing LOCK file is not an
  // error: no writer has the DB (a writer creates LOCK before anything else), and a reader must
  // not create it; *lock then holds nothing (held() false), and a writer may open the DB later.
  // IOError naming the file if LOCK exists but cannot be opened or locked.
  [[nodiscard]] static Status Acquire(const std::string& dbname, std::unique_ptr<DbReadLock>* lock);

  // Use Acquire. Takes ownership of fd (a descriptor of LOCK holding the shared flock), or -1.
  explicit DbReadLock(int fd) : fd_(fd) {}
  DbReadLock(const DbReadLock&) = delete;
  DbReadLock& operator=(const DbReadLock&) = delete;
  ~DbReadLock();

  bool held() const { return fd_ >= 0; }

 private:
  const int fd_;  // -1: no LOCK file, nothing held
};

class DBReadOnly final : public DB, private TxnHost {
 public:
  // DB::OpenReadOnly.
  [[nodiscard]] static Status Open(const Options& options, const std::string& dbname,
                                   std::unique_ptr<DB>* db);

  // Use Open: the object is usable only once Open has recovered it.
  DBReadOnly(const Options& options, std::string dbname);
  ~DBReadOnly() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, const WriteBatch& updates) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  Status Get(const ReadOptions& options, std::string_view key, PinnableValue* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  // Every snapshot is the one state the DB has: the same object, released by doing nothing.
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  // "ziggydb.num-files-at-levelN", "ziggydb.sstables", "ziggydb.estimate-live-data-size",
  // "ziggydb.last-sequence", and "ziggydb.stats" and "ziggydb.metrics" rendered as DBImpl's are
  // (db_properties.h) from GetStats: its one state, and counters that stay 0 but for the reads
  // Options::statistics counts.
  bool GetProperty(std::string_view name, std::string* value) override;
  // The numbers behind "ziggydb.stats" and "ziggydb.metrics". Only while open.
  DBStats GetStats() const;
  Status Flush() override;
  using DB::CompactRange;  // the deleted nullptr overloads
  Status CompactRange(std::optional<std::string_view> begin,
                      std::optional<std::string_view> end) override;
  // OK at once: there is no background work.
  Status WaitForBackgroundWork() override;
  // NotSupported: a checkpoint flushes first, which a read-only DB cannot (ops-backup).
  Status CreateCheckpoint(const std::string& dir) override;
  // The tables of the one Version (approximate_sizes.h).
  Status GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) override;
  // A transaction reading the DB's one state: its reads work, and a Commit with writes returns
  // NotSupported (a read-only DB commits nothing; one without writes commits, as anywhere).
  std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& write_options,
                                                const TransactionOptions& txn_options) override;
  // Releases the lock; later calls fail with InvalidArgument "the DB is closed" (iterators taken
  // before stay usable until destroyed). Always OK.
  Status Close() override;

 private:
  class FixedSnapshot final : public Snapshot {
   public:
    explicit FixedSnapshot(SequenceNumber sequence) : sequence_(sequence) {}
    uint64_t sequence() const override { return raw(sequence_); }
    SequenceNumber sequence_number() const { return sequence_; }

   private:
    const SequenceNumber sequence_;
  };

  // TxnHost: registration only, so that Close can end open transactions; commits are refused.
  [[nodiscard]] Status RegisterTransaction(TxnClient* client, SequenceNumber* snapshot) override
      EXCLUDES(txn_mu_);
  void UnregisterTransaction(TxnClient* client) override EXCLUDES(txn_mu_);
  [[nodiscard]] Status CommitTransaction(const WriteOptions& options, const WriteBatch& batch,
                                         SequenceNumber snapshot,
                                         const TxnValidator& validate) override;
  DB* TxnDb() override { return this; }

  // Under the lock: recovery into versions_ and state_.
  [[nodiscard]] Status Recover();
  // Copies a memtable recovery hands over into mem (recovery owns and frees its own).
  static void Absorb(const MemTable& recovered, MemTable* mem);
  [[nodiscard]] Status CheckOpen() const;
  // As DBImpl::ReadSequence: InvalidArgument for a snapshot past the DB's one state.
  [[nodiscard]] Status ReadSequence(const ReadOptions& options, SequenceNumber* sequence) const;
  template <typename Value>
  [[nodiscard]] Status GetImpl(const ReadOptions& options, std::string_view key, Value* value);

  const Options options_;
  const std::string dbname_;
  Env* const env_;
  const InternalKeyComparator icmp_;
  // Tables are read exactly as the writing DB reads them.
  ReadStack reads_;
  std::unique_ptr<DbReadLock> lock_;
  // Fixed once Open returns (invariant: the DB's state never changes).
  std::unique_ptr<VersionSet> versions_;
  // The one Version, and one memtable with what the WALs hold beyond the tables.
  std::shared_ptr<const SuperVersion> state_;
  std::optional<FixedSnapshot> snapshot_;
  // What recovery dropped or skipped of the WALs.
  uint64_t wal_tail_records_dropped_ = 0;
  uint64_t wal_records_skipped_ = 0;
  Mutex txn_mu_;
  std::unordered_set<TxnClient*> transactions_ GUARDED_BY(txn_mu_);  // open transactions
  // Set by Close; relaxed: a call after Close is ordered after it by the caller.
  std::atomic<bool> closed_{false};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_READONLY_H_
