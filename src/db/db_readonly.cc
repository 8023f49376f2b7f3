// DB::OpenReadOnly: DBReadOnly and DbReadLock (db_readonly.h).
#include "db/db_readonly.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "db/approximate_sizes.h"
#include "db/db_iter.h"
#include "db/db_properties.h"
#include "db/filename.h"
#include "db/recovery.h"
#include "db/txn_host.h"
#include "env/posix_env.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// File descriptors kept back from max_open_files for LOCK and recovery's log and MANIFEST reads.
constexpr int kReservedFileDescriptors = 4;

Status ReadOnlyError(std::string_view operation) {
  return Status::NotSupported(std::string(operation) + ": the DB is open read-only",
                              "DB::OpenReadOnly");
}

}  // namespace

// ---- DbReadLock ----

Status DbReadLock::Acquire(const std::string& dbname, std::unique_ptr<DbReadLock>* lock) {
  const std::string path = LockFileName(dbname);
  // As PosixEnv::LockFile: the lock counts only on the file the path still names once it is
  // held (PathStillNamesFile).
  for (int attempt = 0;; ++attempt) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err != ENOENT) {
        return Status::IOError("open " + path + " for reading", std::strerror(err));
      }
      *lock = std::make_unique<DbReadLock>(-1);
      return Status::OK();
    }
    int locked = 0;
    do {
      locked = flock(fd, LOCK_SH | LOCK_NB);
    } while (locked != 0 && errno == EINTR);
    if (locked != 0) {
      const int err = errno;
      close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy("the DB is open for writing by another opener", path);
      }
      return Status::IOError("flock " + path, std::strerror(err));
    }
    if (PathStillNamesFile(fd, path)) {
      *lock = std::make_unique<DbReadLock>(fd);
      return Status::OK();
    }
    close(fd);
    if (attempt == 2) return Status::Busy("LOCK keeps being replaced", path);
  }
}

DbReadLock::~DbReadLock() {
  // Closing the descriptor releases the flock.
  if (fd_ >= 0) close(fd_);
}

// ---- DBReadOnly ----

Status DB::OpenReadOnly(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  return DBReadOnly::Open(options, path, db);
}

Status DBReadOnly::Open(const Options& options, const std::string& dbname,
                        std::unique_ptr<DB>* db) {
  db->reset();
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<DBReadOnly>(options, dbname);
  // The lock first: a writer must not change the files between the checks and the reads.
  ZIGGY_RETURN_IF_ERROR(DbReadLock::Acquire(dbname, &impl->lock_));
  bool has_current = false;
  // An inaccessible CURRENT is an IOError, not a DB without one (Corruption, were files there).
  ZIGGY_RETURN_IF_ERROR(CheckFileExists(impl->env_, dbname, "CURRENT", &has_current));
  if (!has_current) {
    // As DB::Open: the files of a DB without its CURRENT are damage, not an absent DB.
    std::vector<std::string> names;
    if (impl->env_->GetChildren(dbname, &names).ok()) {
      const DirectoryContents contents = ClassifyDirectory(names);
      if (!contents.db_file.empty()) {
        return Status::Corruption(dbname + " holds DB files (e.g. " + contents.db_file +
                                  ") but no CURRENT");
      }
    }
    return Status::NotFound(dbname + " holds no DB (no CURRENT file)");
  }
  ZIGGY_RETURN_IF_ERROR(impl->Recover());
  *db = std::move(impl);
  return Status::OK();
}

DBReadOnly::DBReadOnly(const Options& options, std::string dbname)
    : options_(options),
      dbname_(std::move(dbname)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      icmp_(BytewiseComparator()),
      reads_(options_, dbname_, env_, &icmp_, options_.statistics.get(), kReservedFileDescriptors,
             {.capacity_bytes = options_.block_cache_bytes}) {}

DBReadOnly::~DBReadOnly() {
  Close().PermitUncheckedError();  // Close has no error to lose
}

Status DBReadOnly::Recover() {
  auto mem = std::make_shared<MemTable>(icmp_);
  versions_ = std::make_unique<VersionSet>(dbname_, env_, &icmp_, options_.info_log.get());
  RecoveryInputs inputs;
  inputs.wal.env = env_;
  inputs.wal.dbname = dbname_;
  inputs.wal.icmp = &icmp_;
  inputs.wal.mode = options_.wal_recovery_mode;
  inputs.wal.memtable_bytes = options_.memtable_bytes;
  // No table: the entries move to mem and meta->file_bytes stays 0, so the edit stays empty.
  inputs.wal.write_table = [target = mem.get()](const MemTable& recovered, FileMetaData*) {
    Absorb(recovered, target);
    return Status::OK();
  };
  inputs.wal.info_log = options_.info_log.get();
  WalReplayResult result;
  ZIGGY_RETURN_IF_ERROR(RecoverDb(std::move(inputs), versions_.get(), &result));
  // The result's edit is dropped: it would name the tables a writer writes, and there are none.
  ZIGGY_ASSERT(result.edit.added_files().empty());
  state_ = std::make_shared<const SuperVersion>(
      std::move(mem), std::vector<std::shared_ptr<MemTable>>{}, versions_->current());
  snapshot_.emplace(versions_->LastSequence());
  wal_tail_records_dropped_ = result.tail_records_dropped;
  wal_records_skipped_ = result.records_skipped;
  return Status::OK();
}

void DBReadOnly::Absorb(const MemTable& recovered, MemTable* mem) {
  std::unique_ptr<Iterator> it = recovered.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey parsed;
    // Recovery built these entries from validated batches: they always parse.
    const bool parsed_ok = ParseInternalKey(it->key(), &parsed);
    ZIGGY_ASSERT(parsed_ok);
    if (!parsed_ok) continue;
    mem->Add(parsed.sequence, parsed.type, parsed.user_key, it->value());
  }
}

Status DBReadOnly::CheckOpen() const {
  if (closed_.load(std::memory_order_relaxed)) return Status::InvalidArgument("the DB is closed");
  return Status::OK();
}

Status DBReadOnly::ReadSequence(const ReadOptions& options, SequenceNumber* sequence) const {
  *sequence = snapshot_->sequence_number();
  if (options.snapshot == nullptr) return Status::OK();
  const SequenceNumber wanted{options.snapshot->sequence()};
  if (wanted > *sequence) return ForeignSnapshot(wanted, *sequence);
  *sequence = wanted;
  return Status::OK();
}

Status DBReadOnly::Put(const WriteOptions&, std::string_view, std::string_view) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("Put");
}

Status DBReadOnly::Delete(const WriteOptions&, std::string_view) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("Delete");
}

Status DBReadOnly::Write(const WriteOptions&, const WriteBatch&) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("Write");
}

Status DBReadOnly::Flush() {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("Flush");
}

Status DBReadOnly::CreateCheckpoint(const std::string&) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("CreateCheckpoint");
}

Status DBReadOnly::CompactRange(std::optional<std::string_view>, std::optional<std::string_view>) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ReadOnlyError("CompactRange");
}

Status DBReadOnly::WaitForBackgroundWork() {
  return CheckOpen();
}

Status DBReadOnly::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  return GetImpl(options, key, value);
}

Status DBReadOnly::Get(const ReadOptions& options, std::string_view key, PinnableValue* value) {
  value->Reset();
  return GetImpl(options, key, value);
}

template <typename Value>
Status DBReadOnly::GetImpl(const ReadOptions& options, std::string_view key, Value* value) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  SequenceNumber sequence{};
  ZIGGY_RETURN_IF_ERROR(ReadSequence(options, &sequence));
  return reads_.Get(options, *state_, key, sequence, value);
}

std::unique_ptr<Iterator> DBReadOnly::NewIterator(const ReadOptions& options) {
  if (Status open = CheckOpen(); !open.ok()) return NewErrorIterator(std::move(open));
  SequenceNumber sequence{};
  if (Status s = ReadSequence(options, &sequence); !s.ok()) return NewErrorIterator(std::move(s));
  return reads_.NewIterator(options, state_, sequence, /*read_compaction_due=*/nullptr);
}

const Snapshot* DBReadOnly::GetSnapshot() {
  if (!CheckOpen().ok()) return nullptr;
  return &*snapshot_;
}

void DBReadOnly::ReleaseSnapshot(const Snapshot*) {}

bool DBReadOnly::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  if (!CheckOpen().ok()) return false;
  constexpr std::string_view kLevelPrefix = "ziggydb.num-files-at-level";
  if (name.starts_with(kLevelPrefix)) {
    const std::string_view digits = name.substr(kLevelPrefix.size());
    if (digits.size() != 1 || digits[0] < '0' || digits[0] >= '0' + kNumLevels) return false;
    *value = std::to_string(state_->version()->NumFiles(digits[0] - '0'));
  } else if (name == "ziggydb.sstables") {
    *value = SstablesText(*state_->version());
  } else if (name == "ziggydb.estimate-live-data-size") {
    uint64_t bytes = 0;
    for (int level = 0; level < kNumLevels; ++level)
      bytes += state_->version()->LevelBytes(level);
    *value = std::to_string(bytes);
  } else if (name == "ziggydb.last-sequence") {
    *value = std::to_string(snapshot_->sequence());
  } else if (name == "ziggydb.stats") {
    *value = StatsText(GetStats(), options_.statistics.get());
  } else if (name == "ziggydb.metrics") {
    const Statistics* statistics = options_.statistics.get();
    *value = MetricsText(GetStats(), statistics != nullptr ? *statistics : NoStatistics());
  } else {
    return false;
  }
  return true;
}

Status DBReadOnly::Close() {
  if (closed_.exchange(true, std::memory_order_relaxed)) return Status::OK();
  // Open transactions end now (their reads would otherwise outlive the lock).
  std::vector<TxnClient*> open;
  {
    MutexLock lock(&txn_mu_);
    open.assign(transactions_.begin(), transactions_.end());
    transactions_.clear();
  }
  for (TxnClient* client : open)
    client->OnHostClosed();
  // The memtable, Version and table cache stay for the iterators still alive (DB::Close); the
  // tables they have open stay readable even if a writer now deletes them.
  lock_.reset();  // releases the shared lock: a writer may open the DB now
  return Status::OK();
}

Status DBReadOnly::GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  return ApproximateSizes(*state_->version(), reads_.table_cache(), icmp_.user_comparator(), ranges,
                          n, sizes);
}

std::unique_ptr<Transaction> DBReadOnly::BeginTransaction(const WriteOptions& write_options,
                                                          const TransactionOptions& txn_options) {
  return NewTransaction(closed_.load(std::memory_order_relaxed) ? nullptr : this, write_options,
                        txn_options);
}

Status DBReadOnly::RegisterTransaction(TxnClient* client, SequenceNumber* snapshot) {
  MutexLock lock(&txn_mu_);
  if (closed_.load(std::memory_order_relaxed)) return Status::InvalidArgument("the DB is closed");
  transactions_.insert(client);
  *snapshot = snapshot_->sequence_number();
  return Status::OK();
}

void DBReadOnly::UnregisterTransaction(TxnClient* client) {
  MutexLock lock(&txn_mu_);
  transactions_.erase(client);
}

Status DBReadOnly::CommitTransaction(const WriteOptions&, const WriteBatch&, SequenceNumber,
                                     const TxnValidator&) {
  return ReadOnlyError("Commit");
}

}  // namespace ziggydb
