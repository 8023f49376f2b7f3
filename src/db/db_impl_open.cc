// DBImpl::OpenImpl: directory checks, LOCK, recovery (the component in recovery.h: MANIFEST, live
// tables, WAL replay), and the first MANIFEST edit of the session. Rules: docs/design/recovery.md.
#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

#include "db/checkpoint.h"
#include "db/db_identity.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/open_rollback.h"
#include "db/recovery.h"
#include "util/assert.h"
#include "util/out_of_memory.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::OpenImpl() {
  // Notes what exists before anything is created: a failed Open removes what it added.
  OpenRollback rollback(env_, dbname_);
  bool exists = false;
  // Checked before LOCK is created, so a directory we reject is never written to; checked again
  // under the lock, which makes the answer authoritative. An allocation failure is a failure
  // like any other: undone the same way.
  Status s = CatchOutOfMemory("DB::Open", [&] {
    ZIGGY_RETURN_IF_ERROR(CheckDirectory(&exists));
    return env_->LockFile(LockFileName(dbname_), &db_lock_);
  });
  if (!s.ok()) {
    if (db_lock_ != nullptr) env_->UnlockFile(std::move(db_lock_)).PermitUncheckedError();
    // Busy: another opener holds the LOCK, or is about to create it in the empty directory
    // (PosixEnv registers a lock before it creates the file): the directory is the winner's.
    if (!s.IsBusy()) rollback.RemoveCreatedDirectory();
    return s;
  }
  bool names_noted = false;
  s = CatchOutOfMemory("DB::Open", [&] {
    ZIGGY_RETURN_IF_ERROR(rollback.NoteNamesUnderLock());
    names_noted = true;
    ZIGGY_RETURN_IF_ERROR(CheckDirectory(&exists));
    return RecoverAndStart(exists, &rollback);
  });
  if (!s.ok()) UndoFailedOpen(s, names_noted ? &rollback : nullptr);
  return s;
}

void DBImpl::UndoFailedOpen(const Status& s, OpenRollback* rollback) {
  // Every step runs even if an earlier one meets an allocation failure: the LOCK is released
  // whatever happens (files left behind are removed by the next Open as obsolete).
  CatchOutOfMemory("DB::Open", [&] {
    Log("event=open_failed path=" + dbname_ + " status=\"" + s.ToString() + "\"");
    return Status::OK();
  }).PermitUncheckedError();
  // Threads started before the failure (their start, or a step after it, met an allocation
  // failure) read versions_: they stop before it goes.
  StopBackgroundThreads();
  {
    MutexLock lock(&mu_);
    versions_.reset();  // closes the MANIFEST writer before its file may go
  }
  // Without the names noted under the lock nothing is known to be this Open's: nothing goes (the
  // directory existed: the lock was taken in it).
  if (rollback != nullptr) {
    CatchOutOfMemory("DB::Open", [&] {
      rollback->RemoveCreatedFiles([this](const std::string& line) { Log(line); });
      return Status::OK();
    }).PermitUncheckedError();
  }
  CatchOutOfMemory("DB::Open", [&] {
    return env_->UnlockFile(std::move(db_lock_));
  }).PermitUncheckedError();
  if (rollback != nullptr) {
    CatchOutOfMemory("DB::Open", [&] {
      rollback->RemoveCreatedDirectory();
      return Status::OK();
    }).PermitUncheckedError();
  }
}

Status DBImpl::RecoverAndStart(bool exists, OpenRollback* rollback) {
  if (!exists) {
    Log("event=db_created path=" + dbname_);
    ZIGGY_RETURN_IF_ERROR(VersionSet::CreateNew(env_, dbname_, icmp_));
  }
  if (!options_.wal_archive_dir.empty()) {
    // A new archive's name is durable before the first log moves into it.
    const bool archive_existed = MayExist(env_, options_.wal_archive_dir);
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(options_.wal_archive_dir));
    if (!archive_existed) {
      rollback->NoteCreatedArchive(options_.wal_archive_dir);
      ZIGGY_RETURN_IF_ERROR(env_->SyncDir(ParentDirectory(options_.wal_archive_dir)));
    }
  }
  MutexLock lock(&mu_);
  versions_ = std::make_unique<VersionSet>(dbname_, env_, &icmp_, info_log_.get());
  VersionEdit edit;
  ZIGGY_RETURN_IF_ERROR(Recover(&edit));

  // Everything recovered is now in tables named by `edit`; the new WAL makes all older logs
  // obsolete once the edit is durable.
  FileNumber new_log_number{};
  ZIGGY_RETURN_IF_ERROR(versions_->NewFileNumber(&new_log_number));
  std::unique_ptr<wal::Writer> new_log;
  // No predecessor in its head: every older log is obsolete once the edit is durable.
  ZIGGY_RETURN_IF_ERROR(wal_set_.CreateLog(new_log_number, wal::LogHead{}, &new_log));
  edit.SetLogNumber(new_log_number);
  ZIGGY_RETURN_IF_ERROR(versions_->LogAndApply(&edit, &mu_));
  // Once the edit is durable the new files stay whatever fails below (an allocation, a thread
  // start): OpenRollback::CommittedANewManifest keeps them.
  flushed_sequence_ = versions_->LastSequence();
  wal_set_.Install(new_log_number, std::move(new_log));
  // The first memtable's switch size and the cache's capacity account for what open already
  // holds: the row cache, and the index and filter blocks of tables recovery read.
  RebalanceMemory();
  mem_ = std::make_shared<MemTable>(icmp_, memory_budget_.memtable_switch_bytes(),
                                    SequenceNumber{raw(versions_->LastSequence()) + 1});
  super_versions_.PublishSequence(versions_->LastSequence());
  InstallSuperVersion();
  StartInfoLog();
  LogOptions();
  db_identity_ = LoadIdentity();
  DeleteObsoleteFiles();
  Log("event=db_opened path=" + dbname_ + " wal=" + std::to_string(raw(wal_set_.live_number())) +
      " manifest=" + std::to_string(raw(versions_->ManifestFileNumber())) +
      " last_sequence=" + std::to_string(raw(versions_->LastSequence())));
  // Last: if a thread cannot start, UndoFailedOpen stops those that did.
  if (step_policy_ == nullptr) {  // stepped: the work waits for steps (db_impl_steps.cc)
    try {
      bg_thread_ = std::thread([this] { BackgroundThreadMain(); });
      StartCompactionThreads();
    } catch (const std::system_error& e) {  // EAGAIN: out of threads or memory for a stack
      return Status::IOError("cannot start a background thread", e.what());
    }
  }
  return Status::OK();
}

std::string DBImpl::LoadIdentity() {
  std::string identity;
  Status s = ReadDbIdentity(env_, dbname_, &identity);
  if (s.ok() && !identity.empty()) return identity;
  if (s.ok()) {
    identity = NewDbIdentity();
    s = WriteDbIdentity(env_, dbname_, identity);
    if (s.ok()) Log("event=identity_created");
  }
  if (s.ok()) return identity;
  Log("IDENTITY unavailable (backups will share no tables by name): " + s.ToString());
  return "";
}

void DBImpl::StartInfoLog() {
  if (options_.info_log != nullptr) return;  // already the target
  std::shared_ptr<Logger> file_logger;
  Status s = env_->NewLogger(InfoLogFileName(dbname_), &file_logger);
  info_log_->SetTarget(s.ok() ? std::move(file_logger) : nullptr);
}

Status DBImpl::CheckDirectory(bool* exists) {
  std::vector<std::string> names;
  if (Status listed = env_->GetChildren(dbname_, &names); !listed.ok()) {
    // Only a missing directory is created: permission denied, a file in the path and the like
    // are reported as they are, never as "does not exist".
    if (!listed.IsNotFound()) return listed;
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_ + " does not exist (create_if_missing is false)");
    }
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(dbname_));
    // The new directory's name is durable before anything in it is: else a power loss could
    // take the whole DB, acknowledged synced writes included.
    ZIGGY_RETURN_IF_ERROR(env_->SyncDir(ParentDirectory(dbname_)));
    // Listing must work now: a directory we cannot list is never mistaken for an empty one.
    ZIGGY_RETURN_IF_ERROR(env_->GetChildren(dbname_, &names));
  }
  const DirectoryContents contents = ClassifyDirectory(names);
  if (contents.has_current) {
    if (options_.error_if_exists) {
      return Status::InvalidArgument(dbname_ + " already holds a DB (error_if_exists is true)");
    }
    *exists = true;
    return Status::OK();
  }
  if (!contents.db_file.empty()) {
    return Status::Corruption(dbname_ + " holds DB files (e.g. " + contents.db_file +
                              ") but no CURRENT");
  }
  if (!contents.foreign_file.empty()) {
    return Status::InvalidArgument(dbname_ + " is not a ZiggyDB directory (it holds " +
                                   contents.foreign_file + ")");
  }
  if (!options_.create_if_missing) {
    return Status::InvalidArgument(dbname_ + " holds no DB (create_if_missing is false)");
  }
  *exists = false;
  return Status::OK();
}

Status DBImpl::Recover(VersionEdit* edit) {
  RecoveryInputs inputs;
  inputs.wal.env = env_;
  inputs.wal.dbname = dbname_;
  inputs.wal.icmp = &icmp_;
  inputs.wal.mode = options_.wal_recovery_mode;
  inputs.wal.memtable_bytes = memory_budget_.memtable_switch_bytes();
  inputs.wal.write_table = [this](const MemTable& mem, FileMetaData* meta) {
    // No snapshot exists before Open returns. The tables of earlier replayed memtables are not
    // in a Version yet: every tombstone stays.
    return WriteLevel0Table(mem, /*snapshots=*/{}, /*older=*/nullptr, meta);
  };
  inputs.wal.info_log = info_log_.get();
  WalReplayResult result;
  ZIGGY_RETURN_IF_ERROR(RecoverDb(std::move(inputs), versions_.get(), &result));
  wal_tail_records_dropped_.fetch_add(result.tail_records_dropped, std::memory_order_relaxed);
  wal_records_skipped_.fetch_add(result.records_skipped, std::memory_order_relaxed);
  *edit = std::move(result.edit);
  return Status::OK();
}

}  // namespace ziggydb
