// DBImpl::OpenImpl: directory checks, LOCK, the checks of what the MANIFEST names, and the first
// MANIFEST edit of the session (WAL replay: db_impl_recover.cc). Rules: docs/design/recovery.md.
#include <algorithm>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::OpenImpl() {
  bool exists = false;
  // Checked before LOCK is created, so a directory we reject is never written to; checked again
  // under the lock, which makes the answer authoritative.
  ZIGGY_RETURN_IF_ERROR(CheckDirectory(&exists));
  ZIGGY_RETURN_IF_ERROR(env_->LockFile(LockFileName(dbname_), &db_lock_));
  ZIGGY_RETURN_IF_ERROR(CheckDirectory(&exists));
  if (!exists) {
    Log("event=db_created path=" + dbname_);
    ZIGGY_RETURN_IF_ERROR(VersionSet::CreateNew(env_, dbname_, icmp_));
  }
  std::unique_lock<std::mutex> lock(mu_);
  versions_ = std::make_unique<VersionSet>(dbname_, env_, &icmp_, info_log_.get());
  VersionEdit edit;
  ZIGGY_RETURN_IF_ERROR(Recover(&edit));

  // Everything recovered is now in tables named by `edit`; the new WAL makes all older logs
  // obsolete once the edit is durable.
  const FileNumber new_log_number = versions_->NewFileNumber();
  std::unique_ptr<wal::Writer> new_log;
  // No predecessor in its head: every older log is obsolete once the edit is durable.
  ZIGGY_RETURN_IF_ERROR(wal_set_.CreateLog(new_log_number, wal::LogHead{}, &new_log));
  edit.SetLogNumber(new_log_number);
  ZIGGY_RETURN_IF_ERROR(versions_->LogAndApply(&edit, &lock));
  wal_set_.Install(new_log_number, std::move(new_log));
  mem_ = std::make_shared<MemTable>(icmp_, options_.memtable_bytes);
  StartInfoLog();
  LogOptions();
  DeleteObsoleteFiles(&lock);
  bg_thread_ = std::thread([this] { BackgroundThreadMain(); });
  StartCompactionThreads();
  Log("event=db_opened path=" + dbname_ + " wal=" + std::to_string(raw(wal_set_.live_number())) +
      " manifest=" + std::to_string(raw(versions_->ManifestFileNumber())) +
      " last_sequence=" + std::to_string(raw(versions_->LastSequence())));
  return Status::OK();
}

void DBImpl::StartInfoLog() {
  if (options_.info_log != nullptr) return;  // already the target
  std::shared_ptr<Logger> file_logger;
  Status s = env_->NewLogger(InfoLogFileName(dbname_), &file_logger);
  info_log_->SetTarget(s.ok() ? std::move(file_logger) : nullptr);
}

Status DBImpl::CheckDirectory(bool* exists) {
  std::vector<std::string> names;
  if (!env_->GetChildren(dbname_, &names).ok()) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_ + " does not exist (create_if_missing is false)");
    }
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(dbname_));
    // Listing must work now: a directory we cannot list is never mistaken for an empty one.
    ZIGGY_RETURN_IF_ERROR(env_->GetChildren(dbname_, &names));
  }
  bool has_current = false;
  std::string db_file;       // a log, table or later MANIFEST: a DB lives (or lived) here
  std::string foreign_file;  // a name that is not ours
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) {
      foreign_file = name;
    } else if (type == FileType::kCurrentFile) {
      has_current = true;
    } else if (type == FileType::kLogFile || type == FileType::kTableFile ||
               (type == FileType::kManifestFile && raw(number) != 1)) {
      db_file = name;
    }
    // LOCK, LOG, temp files and MANIFEST-000001 alone are what an interrupted creation leaves.
  }
  if (has_current) {
    if (options_.error_if_exists) {
      return Status::InvalidArgument(dbname_ + " already holds a DB (error_if_exists is true)");
    }
    *exists = true;
    return Status::OK();
  }
  if (!db_file.empty()) {
    return Status::Corruption(dbname_ + " holds DB files (e.g. " + db_file + ") but no CURRENT");
  }
  if (!foreign_file.empty()) {
    return Status::InvalidArgument(dbname_ + " is not a ZiggyDB directory (it holds " +
                                   foreign_file + ")");
  }
  if (!options_.create_if_missing) {
    return Status::InvalidArgument(dbname_ + " holds no DB (create_if_missing is false)");
  }
  *exists = false;
  return Status::OK();
}

Status DBImpl::CheckLiveTables() {
  const std::shared_ptr<const Version> version = versions_->current();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version->files(level)) {
      const std::string path = TableFileName(dbname_, file->number);
      uint64_t bytes = 0;
      if (!env_->GetFileSize(path, &bytes).ok()) {
        return Status::Corruption("a live table is missing", path);
      }
      if (bytes != file->file_bytes) {
        return Status::Corruption("a live table has size " + std::to_string(bytes) +
                                      ", the MANIFEST says " + std::to_string(file->file_bytes),
                                  path);
      }
      if (options_.paranoid_checks) {
        std::shared_ptr<const TableReader> table;
        ZIGGY_RETURN_IF_ERROR(table_cache_->FindTable(file->number, file->file_bytes, &table));
      }
    }
  }
  return Status::OK();
}

Status DBImpl::FindLogsToReplay(std::vector<FileNumber>* logs) {
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(dbname_, &names));
  const FileNumber log_number = versions_->LogNumber();
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) continue;
    // Numbers of files the MANIFEST does not know yet (a WAL started after the last edit, an
    // unfinished table) must never be handed out again.
    versions_->MarkFileNumberUsed(number);
    if (type == FileType::kLogFile && raw(number) >= raw(log_number)) logs->push_back(number);
  }
  std::sort(logs->begin(), logs->end());
  // The log the MANIFEST names was created (and its name synced) before the edit naming it, and
  // is deleted only after a later edit raises the log number: it must be here.
  if (raw(log_number) != 0 && (logs->empty() || logs->front() != log_number)) {
    return Status::Corruption("a WAL the MANIFEST needs is missing",
                              LogFileName(dbname_, log_number));
  }
  return Status::OK();
}

}  // namespace ziggydb
