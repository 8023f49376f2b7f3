// DBImpl: construction, destruction, snapshots, and the small DB entry points.
#include "db/db_impl.h"

#include <algorithm>
#include <utility>

#include "db/filename.h"
#include "util/assert.h"
#include "util/out_of_memory.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// File descriptors kept back from max_open_files for the WAL, MANIFEST, LOG, LOCK and
// directory syncs.
constexpr int kReservedFileDescriptors = 10;

// Under a memory budget the block cache starts at the budget's first target (the budget is a
// pure function of the options until something is counted).
ReadStack::BlockCacheConfig BlockCacheConfigFor(const Options& options) {
  if (options.memory_budget_bytes == 0) return {.capacity_bytes = options.block_cache_bytes};
  const MemoryBudget budget(options.memory_budget_bytes, options.memtable_bytes,
                            options.max_immutable_memtables, options.block_cache_bytes);
  return {.capacity_bytes = budget.block_cache_capacity_bytes(), .budgeted = true};
}

}  // namespace

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber sequence) : sequence_(sequence) {}
  ~SnapshotImpl() override = default;
  uint64_t sequence() const override { return raw(sequence_); }

 private:
  const SequenceNumber sequence_;
};

DB::~DB() = default;

Status DB::Get(const ReadOptions& options, std::string_view key, PinnableValue* value) {
  value->Reset();
  std::string copy;
  Status s = Get(options, key, &copy);
  if (s.ok()) value->Assign(std::move(copy));
  return s;
}

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  db->reset();
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  // Every log there would count as archived already, and be deleted.
  auto without_trailing_slashes = [](std::string_view p) {
    while (p.size() > 1 && p.back() == '/')
      p.remove_suffix(1);
    return p;
  };
  if (!options.wal_archive_dir.empty() &&
      without_trailing_slashes(options.wal_archive_dir) == without_trailing_slashes(path)) {
    return Status::InvalidArgument("wal_archive_dir is the DB directory", path);
  }
  // OpenImpl undoes its own steps on failure, an allocation failure included; a DBImpl that
  // failed to open is destroyed here (its Close stops whatever it started).
  return CatchOutOfMemory("DB::Open", [&] {
    auto impl = std::make_unique<DBImpl>(options, path);
    ZIGGY_RETURN_IF_ERROR(impl->OpenImpl());
    *db = std::move(impl);
    return Status::OK();
  });
}

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options),
      dbname_(std::move(dbname)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      icmp_(BytewiseComparator()),
      reads_(options_, dbname_, env_, &icmp_, stats_, kReservedFileDescriptors,
             BlockCacheConfigFor(options_)),
      info_log_(std::make_shared<DeferredLogger>()) {
  if (options_.info_log != nullptr) info_log_->SetTarget(options_.info_log);
}

DBImpl::~DBImpl() {
  // Close logged its errors, and turns an allocation failure into a Status (see Close).
  Close().PermitUncheckedError();
  MutexLock lock(&mu_);
  // Snapshots never released (misuse of the DB contract) go with the DB, their pointers then
  // dangling as any of its objects': not worth aborting a program over.
  snapshots_.clear();
  versions_.reset();
}

Status DBImpl::Close() {
  if (close_status_.has_value()) return *close_status_;
  // Each step runs whatever an earlier one returned or met (an allocation failure included): a
  // closed DB has no background thread, no open WAL and no LOCK.
  Status result = CatchOutOfMemory("DB::Close", [this] { return FlushBeforeClose(); });
  StopBackgroundThreads();
  // From here on the entry points refuse: the background threads, whose listener callbacks may
  // still call them, are gone.
  closed_.store(true, std::memory_order_relaxed);
  Status closed = CatchOutOfMemory("DB::Close", [this] {
    MutexLock lock(&mu_);
    Status s = wal_set_.Close();
    if (!s.ok()) Log("event=error what=close_wal status=\"" + s.ToString() + "\"");
    return s;
  });
  if (result.ok())
    result = CatchOutOfMemory("DB::Close", [this] {
      MutexLock lock(&mu_);
      return bg_error_;
    });
  if (result.ok()) result = std::move(closed);
  if (db_lock_ != nullptr) {
    Status unlocked = CatchOutOfMemory("DB::Close", [this] {
      Status s = env_->UnlockFile(std::move(db_lock_));
      if (!s.ok()) Log("event=error what=unlock status=\"" + s.ToString() + "\"");
      return s;
    });
    if (result.ok()) result = std::move(unlocked);
  }
  CatchOutOfMemory("DB::Close", [this] {
    Log("event=db_closed");
    return Status::OK();
  }).PermitUncheckedError();
  close_status_.emplace(std::move(result));
  return CatchOutOfMemory("DB::Close", [this] { return *close_status_; });
}

void DBImpl::StopBackgroundThreads() {
  {
    MutexLock lock(&mu_);
    shutting_down_ = true;
    shutdown_requested_.store(true, std::memory_order_relaxed);
  }
  // Each background thread waits on one of these; the background_work_done_ waiters see
  // shutting_down_ too.
  flush_needed_.NotifyAll();
  compaction_needed_.NotifyAll();
  background_work_done_.NotifyAll();
  if (bg_thread_.joinable()) bg_thread_.join();
  for (std::thread& thread : compaction_threads_) {
    if (thread.joinable()) thread.join();
  }
}

Status DBImpl::FlushBeforeClose() {
  CloseTransactions();
  bool flush_unlogged = false;
  {
    MutexLock lock(&mu_);
    flush_unlogged = has_unlogged_writes_ && bg_error_.ok();
  }
  if (!flush_unlogged) return Status::OK();
  // Unlogged writes live only in memtables: a clean close keeps them by writing them out.
  Status s = Flush();
  if (!s.ok()) Log("event=error what=close_flush status=\"" + s.ToString() + "\"");
  return s;
}

void DBImpl::Log(const std::string& line) const {
  if (info_log_ != nullptr) info_log_->Log(line);
}

Status DBImpl::CheckOpen() const {
  if (closed_.load(std::memory_order_relaxed)) return Status::InvalidArgument("the DB is closed");
  return Status::OK();
}

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, batch);
}

const Snapshot* DBImpl::GetSnapshot() {
  if (!CheckOpen().ok()) return nullptr;
  MutexLock lock(&mu_);
  snapshots_.push_back(std::make_unique<SnapshotImpl>(versions_->LastSequence()));
  return snapshots_.back().get();
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;  // what GetSnapshot returns after Close
  MutexLock lock(&mu_);
  auto it = std::find_if(snapshots_.begin(), snapshots_.end(),
                         [snapshot](const auto& live) { return live.get() == snapshot; });
  if (it == snapshots_.end()) {
    // Misuse (another DB's snapshot, or one released already): nothing to release, and the
    // pointer is never read. Said in the LOG, not by aborting.
    Log("event=error what=release_snapshot status=\"not a live snapshot of this DB\"");
    return;
  }
  snapshots_.erase(it);
  // Tables the snapshot kept entries in may be reclaim candidates now (compaction.h).
  compaction_needed_.NotifyAll();
}

SequenceNumber DBImpl::OldestSnapshot() const {
  SequenceNumber oldest{kMaxSequenceNumber};
  if (!snapshots_.empty()) oldest = SequenceNumber{snapshots_.front()->sequence()};
  for (const auto& [client, sequence] : transactions_)
    oldest = SequenceNumber{std::min(raw(oldest), raw(sequence))};
  return oldest;
}

std::vector<SequenceNumber> DBImpl::LiveSnapshotSequences() const {
  std::vector<SequenceNumber> sequences;
  sequences.reserve(snapshots_.size() + transactions_.size());
  for (const auto& snapshot : snapshots_)
    sequences.push_back(SequenceNumber{snapshot->sequence()});
  // Transactions' snapshots (db_impl_txn.cc) come in no order.
  if (!transactions_.empty()) {
    for (const auto& [client, sequence] : transactions_)
      sequences.push_back(sequence);
    std::sort(sequences.begin(), sequences.end());
  }
  return sequences;
}

Status DestroyDB(const std::string& path, const Options& options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> names;
  Status listed = env->GetChildren(path, &names);
  if (listed.IsNotFound()) return Status::OK();  // no directory: nothing to destroy
  ZIGGY_RETURN_IF_ERROR(listed);                 // a listing that failed is not an empty directory
  std::unique_ptr<FileLock> lock;
  const std::string lock_path = LockFileName(path);
  ZIGGY_RETURN_IF_ERROR(env->LockFile(lock_path, &lock));
  // Listed again under the lock: a DB that closed meanwhile may have made files since.
  names.clear();
  listed = env->GetChildren(path, &names);
  if (!listed.ok()) {
    env->UnlockFile(std::move(lock)).PermitUncheckedError();
    return listed;
  }
  // CURRENT goes first, durably: a power loss part way through then leaves no DB (leftovers an
  // Open reports or a later DestroyDB removes), never a CURRENT naming a MANIFEST or tables that
  // are gone. If that fails, nothing else is removed: the DB stays whole.
  const std::string current = CurrentFileName(path);
  Status result;
  if (std::find(names.begin(), names.end(), "CURRENT") != names.end()) {
    result = env->RemoveFile(current);
    if (result.ok()) result = env->SyncDir(path);
  }
  if (result.ok()) {
    for (const std::string& name : names) {
      FileNumber number{};
      FileType type{};
      if (!ParseFileName(name, &number, &type) || type == FileType::kLockFile ||
          type == FileType::kCurrentFile) {
        continue;
      }
      Status s = env->RemoveFile(path + "/" + name);
      if (result.ok() && !s.ok()) result = s;
    }
  }
  // LOCK goes while still held: once it is released, another opener may lock the file at that
  // path, which must then be a file nobody unlinks (PosixEnv::LockFile also checks the inode).
  env->RemoveFile(lock_path).PermitUncheckedError();
  Status synced = env->SyncDir(path);  // the removals are durable
  if (result.ok()) result = synced;
  env->UnlockFile(std::move(lock)).PermitUncheckedError();
  env->RemoveDir(path).PermitUncheckedError();  // fails if foreign files remain: keep them
  return result;
}

}  // namespace ziggydb
