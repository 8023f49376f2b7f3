// DB::OpenReadOnly: DBReadOnly and DbReadLock (db_readonly.h).
#include "db/db_readonly.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "db/approximate_sizes.h"
#include "db/db_iter.h"
#include "db/db_properties.h"
#include "db/filename.h"
#include "db/internal_filter_policy.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "db/recovery.h"
#include "db/txn_host.h"
#include "table/bloom.h"
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

// What an iterator reads from, kept alive for as long as it exists.
struct ReadOnlyPins final : IteratorPins {
  std::shared_ptr<MemTable> mem;
  std::shared_ptr<const Version> version;
  std::vector<std::shared_ptr<const TableReader>> tables;
};

}  // namespace

// ---- DbReadLock ----

Status DbReadLock::Acquire(const std::string& dbname, std::unique_ptr<DbReadLock>* lock) {
  const std::string path = LockFileName(dbname);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err != ENOENT) return Status::IOError("open " + path + " for reading", std::strerror(err));
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
  *lock = std::make_unique<DbReadLock>(fd);
  return Status::OK();
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
  if (!impl->env_->FileExists(CurrentFileName(dbname))) {
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
      icmp_(BytewiseComparator()) {
  // Tables are read exactly as the writing DB reads them (DBImpl's constructor).
  if (options_.bloom_bits_per_key > 0) {
    user_filter_policy_ = NewBloomFilterPolicy(options_.bloom_bits_per_key);
    filter_policy_ = std::make_unique<InternalFilterPolicy>(user_filter_policy_.get());
  }
  if (options_.block_cache_bytes > 0) {
    block_cache_ = std::make_unique<BlockCache>(options_.block_cache_bytes);
  }
  table_options_.comparator = &icmp_;
  table_options_.filter_policy = filter_policy_.get();
  table_options_.block_size = options_.block_size;
  table_options_.keys_end_in_fixed64 = true;
  table_options_.block_restart_interval = options_.block_restart_interval;
  table_options_.compression = options_.compression;
  table_options_.block_cache = block_cache_.get();
  table_options_.statistics = options_.statistics.get();
  table_cache_ = std::make_unique<TableCache>(
      dbname_, env_, &table_options_,
      std::max(options_.max_open_files - kReservedFileDescriptors, 1), options_.use_mmap_reads);
}

DBReadOnly::~DBReadOnly() {
  Close().PermitUncheckedError();  // Close has no error to lose
}

Status DBReadOnly::Recover() {
  mem_ = std::make_shared<MemTable>(icmp_);
  versions_ = std::make_unique<VersionSet>(dbname_, env_, &icmp_, options_.info_log.get());
  RecoveryInputs inputs;
  inputs.wal.env = env_;
  inputs.wal.dbname = dbname_;
  inputs.wal.icmp = &icmp_;
  inputs.wal.mode = options_.wal_recovery_mode;
  inputs.wal.memtable_bytes = options_.memtable_bytes;
  // No table: the entries move to mem_ and meta->file_bytes stays 0, so the edit stays empty.
  inputs.wal.write_table = [this](const MemTable& mem, FileMetaData*) {
    Absorb(mem);
    return Status::OK();
  };
  inputs.wal.info_log = options_.info_log.get();
  WalReplayResult result;
  ZIGGY_RETURN_IF_ERROR(RecoverDb(std::move(inputs), versions_.get(), &result));
  // The result's edit is dropped: it would name the tables a writer writes, and there are none.
  ZIGGY_ASSERT(result.edit.added_files().empty());
  version_ = versions_->current();
  snapshot_.emplace(versions_->LastSequence());
  return Status::OK();
}

void DBReadOnly::Absorb(const MemTable& recovered) {
  std::unique_ptr<Iterator> it = recovered.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey parsed;
    // Recovery built these entries from validated batches: they always parse.
    const bool parsed_ok = ParseInternalKey(it->key(), &parsed);
    ZIGGY_ASSERT(parsed_ok);
    if (!parsed_ok) continue;
    mem_->Add(parsed.sequence, parsed.type, parsed.user_key, it->value());
  }
}

Status DBReadOnly::CheckOpen() const {
  if (closed_.load(std::memory_order_relaxed)) return Status::InvalidArgument("the DB is closed");
  return Status::OK();
}

SequenceNumber DBReadOnly::ReadSequence(const ReadOptions& options) const {
  return options.snapshot != nullptr ? SequenceNumber{options.snapshot->sequence()}
                                     : SequenceNumber{snapshot_->sequence()};
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
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  const LookupKey lookup(key, ReadSequence(options));
  Status s;
  if (mem_->Get(lookup, value, &s)) return s;
  return GetFromTables(options, lookup, value);
}

Status DBReadOnly::GetFromTables(const ReadOptions& options, const LookupKey& lookup,
                                 std::string* value) const {
  enum class State : uint8_t { kNotFound, kFound, kDeleted, kBadKey };
  State state = State::kNotFound;
  const Comparator* ucmp = icmp_.user_comparator();
  const std::function<void(std::string_view, std::string_view)> on_entry =
      [&](std::string_view found_key, std::string_view found_value) {
        ParsedInternalKey parsed;
        if (!ParseInternalKey(found_key, &parsed)) {
          state = State::kBadKey;
        } else if (ucmp->Compare(parsed.user_key, lookup.user_key()) == 0) {
          state = parsed.type == ValueType::kValue ? State::kFound : State::kDeleted;
          if (state == State::kFound) value->assign(found_value);
        }
      };
  Status s;
  version_->ForEachTableForKey(lookup.internal_key(), [&](int, const FileMetaData& file) {
    s = table_cache_->Get(options, file.number, file.file_bytes, lookup.internal_key(), on_entry);
    if (s.ok() && state == State::kBadKey) {
      s = Status::Corruption("malformed internal key in table",
                             TableFileName(dbname_, file.number));
    }
    return s.ok() && state == State::kNotFound;  // on to the next table
  });
  if (!s.ok()) return s;
  return state == State::kFound ? Status::OK() : Status::NotFound("");
}

std::unique_ptr<Iterator> DBReadOnly::NewIterator(const ReadOptions& options) {
  if (Status open = CheckOpen(); !open.ok()) return NewErrorIterator(std::move(open));
  auto pins = std::make_unique<ReadOnlyPins>();
  pins->mem = mem_;
  pins->version = version_;
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(mem_->NewIterator());
  // L0 tables overlap: one child each; each deeper level is one sorted run.
  for (const auto& file : version_->files(0)) {
    std::shared_ptr<const TableReader> table;
    Status s = table_cache_->FindTable(file->number, file->file_bytes, &table);
    if (!s.ok()) return NewErrorIterator(std::move(s));
    children.push_back(table->NewIterator(options));
    pins->tables.push_back(std::move(table));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (version_->files(level).empty()) continue;
    children.push_back(NewLevelIterator(&icmp_, version_, level, table_cache_.get(), options));
  }
  auto merged = std::make_unique<MergingIterator>(&icmp_, std::move(children));
  return NewDBIterator(icmp_.user_comparator(), std::move(pins), std::move(merged),
                       ReadSequence(options), options);
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
    *value = std::to_string(version_->NumFiles(digits[0] - '0'));
  } else if (name == "ziggydb.sstables") {
    *value = SstablesText(*version_);
  } else if (name == "ziggydb.estimate-live-data-size") {
    uint64_t bytes = 0;
    for (int level = 0; level < kNumLevels; ++level)
      bytes += version_->LevelBytes(level);
    *value = std::to_string(bytes);
  } else if (name == "ziggydb.last-sequence") {
    *value = std::to_string(snapshot_->sequence());
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
  return ApproximateSizes(*version_, table_cache_.get(), icmp_.user_comparator(), ranges, n, sizes);
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
