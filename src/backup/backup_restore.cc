// BackupEngineImpl: VerifyBackup and RestoreDBFromBackup (backup_engine_impl.h).
#include <algorithm>
#include <utility>
#include <vector>

#include "backup/backup_engine_impl.h"
#include "backup/file_checksum.h"
#include "backup/pit_log.h"
#include "db/checkpoint.h"
#include "db/db_identity.h"
#include "db/filename.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "env/file_lock_guard.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

namespace ziggydb {
namespace {

uint64_t TotalBytes(const BackupMeta& meta) {
  uint64_t total = 0;
  for (const BackupFile& file : meta.files)
    total += file.size;
  return total;
}

// The Corruption for a backed-up file whose size or checksum is not what was recorded.
Status Mismatch(const std::string& path, const BackupFile& file, uint64_t size,
                const std::string& checksum) {
  if (size != file.size) {
    return Status::Corruption("backup file has " + std::to_string(size) + " bytes, " +
                                  std::to_string(file.size) + " recorded",
                              path);
  }
  return Status::Corruption(
      "backup file fails its checksum (" + checksum + ", " + file.checksum + " recorded)", path);
}

// OK if the backup file at `path` is there; Corruption if it is missing, an IOError if it is
// listed but cannot be looked at (not "missing": nothing is wrong with the backup).
Status CheckPresent(Env* env, const std::string& path) {
  bool exists = false;
  ZIGGY_RETURN_IF_ERROR(CheckPathExists(env, path, &exists));
  return exists ? Status::OK() : Status::Corruption("backup file is missing", path);
}

// Present in a restore target from the moment its old contents start to go until the restored
// DB is whole: DB::Open refuses the directory, and the next restore to it starts over.
constexpr const char* kRestoreMarker = "RESTORE-IN-PROGRESS";
// The subdirectory of the target the restored DB is built in, so that a failure before the swap
// leaves a DB already there untouched, and the swap is renames within one file system.
constexpr const char* kRestoreStaging = "RESTORE-STAGING";

bool IsFileOfType(std::string_view name, FileType type) {
  FileNumber number{};
  FileType parsed{};
  return ParseFileName(name, &number, &parsed) && parsed == type;
}

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

}  // namespace

Status BackupEngineImpl::VerifyBackup(uint32_t id) {
  const auto it = backups_.find(id);
  if (it == backups_.end()) {
    if (unreadable_ids_.contains(id)) {
      return Status::Corruption("backup metadata is unreadable", Path(MetaPath(id)));
    }
    return Status::NotFound("no backup " + std::to_string(id), dir_);
  }
  StartProgress(TotalBytes(it->second));
  for (const BackupFile& file : it->second.files) {
    const std::string path = Path(file.path);
    ZIGGY_RETURN_IF_ERROR(CheckPresent(env_, path));
    uint64_t size = 0;
    std::string checksum;
    Status s = ChecksumFile(env_, path, &size, &checksum,
                            [this](uint64_t bytes) { return AddProgress(bytes); });
    ZIGGY_RETURN_IF_ERROR(s);
    if (size != file.size || checksum != file.checksum) return Mismatch(path, file, size, checksum);
  }
  return Status::OK();
}

Status BackupEngineImpl::CopyChecked(const BackupFile& file, const std::string& to) {
  const std::string path = Path(file.path);
  ZIGGY_RETURN_IF_ERROR(CheckPresent(env_, path));
  FileChecksum checksum;
  uint64_t size = 0;
  Status s = CopyFileSynced(env_, path, to, [&](std::string_view block) {
    checksum.Update(block);
    size += block.size();
    return AddProgress(block.size());
  });
  ZIGGY_RETURN_IF_ERROR(s);
  const std::string digest = checksum.HexDigest();
  if (size != file.size || digest != file.checksum) return Mismatch(path, file, size, digest);
  return Status::OK();
}

Status BackupEngineImpl::CheckRestoreTarget(const std::string& db_dir, bool overwrite,
                                            bool* holds_db) const {
  *holds_db = false;
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(db_dir, &names));
  const bool has_marker = std::find(names.begin(), names.end(), kRestoreMarker) != names.end();
  const bool has_current = std::any_of(names.begin(), names.end(), [](const std::string& name) {
    return IsFileOfType(name, FileType::kCurrentFile);
  });
  // A restore interrupted during its swap (the marker, and CURRENT gone) left no whole DB: it is
  // redone from scratch. With CURRENT there, the swap had finished: the DB is whole (and may
  // have been used since) and is refused or replaced as any DB.
  if (has_marker && !has_current) return Status::OK();
  for (const std::string& name : names) {
    // Ours: an interrupted build (removed; a DB beside it kept), a finished swap's marker, and
    // the LOCK this restore holds (which alone is no DB).
    if (name == kRestoreStaging || name == kRestoreMarker ||
        IsFileOfType(name, FileType::kLockFile)) {
      continue;
    }
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) {
      return Status::InvalidArgument(
          "restore target is not empty and holds no DB (it holds " + name + ")", db_dir);
    }
    *holds_db = true;
  }
  if (*holds_db && !overwrite) {
    return Status::InvalidArgument(
        "restore target holds a DB (restore with overwrite to replace it)", db_dir);
  }
  return Status::OK();
}

Status BackupEngineImpl::BuildRestoredDb(const BackupMeta& meta, const std::string& staging,
                                         const RestoreOptions& options) {
  StartProgress(TotalBytes(meta));
  for (const BackupFile& file : meta.files)
    ZIGGY_RETURN_IF_ERROR(CopyChecked(file, staging + "/" + file.db_name));
  // Listed once, for the point-in-time log and the numbering both.
  const ArchiveListing archive = ListArchive(env_, meta);
  const FileNumber log_number = RestoredLogNumber(meta, archive);
  if (options.to_sequence) {
    ZIGGY_RETURN_IF_ERROR(
        WritePointInTimeLog(env_, meta, archive, *options.to_sequence, log_number, staging));
  }
  // Its files after that log: none takes a number the archive holds.
  ZIGGY_RETURN_IF_ERROR(RaiseNextFileNumber(meta, FileNumber{raw(log_number) + 1}, staging));
  // A DB of its own: from here on its tables are numbered as the source's are. The directory
  // sync that ends WriteDbIdentity names the copies durably too.
  return WriteDbIdentity(env_, staging, NewDbIdentity());
}

Status BackupEngineImpl::RaiseNextFileNumber(const BackupMeta& meta, FileNumber next_at_least,
                                             const std::string& staging) {
  const uint64_t next = raw(next_at_least);
  if (next > kMaxFileNumber - VersionSet::kFileNumbersKeptFree) {  // Open would refuse it
    return Status::InvalidArgument("the log archive's numbers leave the restored DB none to use",
                                   meta.wal_archive_dir);
  }
  // The backup's MANIFEST: one snapshot edit (checkpoint.h), rewritten with the larger number.
  const FileNumber manifest_number{meta.manifest_number};
  const std::string path = ManifestFileName(staging, manifest_number);
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(path, &file));
  wal::Reader reader(std::move(file), meta.manifest_number, nullptr);
  std::string record;
  VersionEdit edit;
  if (!reader.ReadRecord(&record) || !edit.DecodeFrom(record).ok() ||
      !edit.next_file_number().has_value()) {
    ZIGGY_RETURN_IF_ERROR(reader.io_status());
    return Status::Corruption("backup MANIFEST holds no snapshot edit", path);
  }
  if (next <= raw(*edit.next_file_number())) return Status::OK();
  edit.SetNextFileNumber(FileNumber{next});
  record.clear();
  edit.EncodeTo(&record);
  return WriteManifestFile(env_, staging, manifest_number, record);
}

Status BackupEngineImpl::SwapInRestoredDb(const BackupMeta& meta, const std::string& staging,
                                          const std::string& db_dir, bool* old_db_gone) {
  // The marker first, then CURRENT goes: from then on Open refuses the directory (DB files, no
  // CURRENT) and a restore to it starts over.
  const std::string marker = db_dir + "/" + kRestoreMarker;
  {
    std::unique_ptr<WritableFile> file;
    ZIGGY_RETURN_IF_ERROR(env_->NewWritableFile(marker, &file));
    Status s = file->Sync();
    Status closed = file->Close();
    ZIGGY_RETURN_IF_ERROR(s);
    ZIGGY_RETURN_IF_ERROR(closed);
    ZIGGY_RETURN_IF_ERROR(env_->SyncDir(db_dir));
  }
  *old_db_gone = true;
  const std::string current = CurrentFileName(db_dir);
  if (env_->FileExists(current)) {
    ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(current));
    ZIGGY_RETURN_IF_ERROR(env_->SyncDir(db_dir));
  }
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(db_dir, &names));
  for (const std::string& name : names) {
    if (name != kRestoreMarker && name != kRestoreStaging &&
        !IsFileOfType(name, FileType::kLockFile)) {
      ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(db_dir + "/" + name));
    }
  }
  names.clear();
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(staging, &names));
  for (const std::string& name : names)
    ZIGGY_RETURN_IF_ERROR(env_->RenameFile(staging + "/" + name, db_dir + "/" + name));
  ZIGGY_RETURN_IF_ERROR(env_->RemoveDir(staging));
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(db_dir));
  ZIGGY_RETURN_IF_ERROR(SetCurrentFile(env_, db_dir, FileNumber{meta.manifest_number}));
  ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(marker));
  return env_->SyncDir(db_dir);
}

Status BackupEngineImpl::RestoreDBFromBackup(uint32_t id, const std::string& db_dir_arg,
                                             const RestoreOptions& options) {
  const auto it = backups_.find(id);
  if (it == backups_.end()) {
    if (unreadable_ids_.contains(id)) {
      return Status::Corruption("backup metadata is unreadable", Path(MetaPath(id)));
    }
    return Status::NotFound("no backup " + std::to_string(id), dir_);
  }
  const BackupMeta& meta = it->second;
  if (options.to_sequence && *options.to_sequence < meta.sequence) {
    return Status::InvalidArgument(
        "backup " + std::to_string(id) + " holds sequence " + std::to_string(meta.sequence) +
        ": it cannot be restored to the earlier sequence " + std::to_string(*options.to_sequence));
  }
  const std::string db_dir = WithoutTrailingSlashes(db_dir_arg);
  if (db_dir.empty()) return Status::InvalidArgument("restore target is empty");
  // The target directory is created if missing, never replaced: its owner, mode and place (a
  // mount point, say) stay the user's.
  // (Clean-up removes it only while empty: another process may have made it meanwhile, or
  // opened a DB in it.)
  const bool created_dir = !MayExist(env_, db_dir);
  if (created_dir) {
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(db_dir));
    if (Status synced = env_->SyncDir(ParentDirectory(db_dir)); !synced.ok()) {
      env_->RemoveDir(db_dir).PermitUncheckedError();
      return synced;
    }
  }
  // The DB's own LOCK, held until the restored DB is whole: no DB opens there meanwhile (an open
  // one makes this Busy), so none can be running on files the swap removes.
  const std::string lock_path = LockFileName(db_dir);
  const bool lock_existed = !created_dir && MayExist(env_, lock_path);
  std::unique_ptr<FileLock> lock;
  Status s = env_->LockFile(lock_path, &lock);
  FileLockGuard lock_guard(env_, &lock);
  if (s.IsBusy()) s = Status::Busy("restore target is an open DB", db_dir);
  bool holds_db = false;
  if (s.ok()) s = CheckRestoreTarget(db_dir, options.overwrite, &holds_db);
  const bool target_accepted = s.ok();
  const std::string staging = db_dir + "/" + kRestoreStaging;
  bool old_db_gone = false;
  if (target_accepted) {
    // What an interrupted restore left goes; a DB stays until the restored one is built.
    s = RemoveFlatDir(env_, staging);
    if (s.ok()) s = env_->CreateDir(staging);
    if (s.ok()) s = env_->SyncDir(db_dir);
    if (s.ok()) s = BuildRestoredDb(meta, staging, options);
    if (s.ok()) s = SwapInRestoredDb(meta, staging, db_dir, &old_db_gone);
  }
  if (!s.ok() && target_accepted) {
    // No restored DB is left behind; a DB that was there stays unless the swap began. The
    // directory itself stays unless this call created it.
    RemoveFlatDir(env_, staging).PermitUncheckedError();
    if (!holds_db || old_db_gone) {
      const std::string_view lock_name =
          std::string_view(lock_path).substr(lock_path.rfind('/') + 1);
      RemoveFilesIn(env_, db_dir, lock_existed ? lock_name : "").PermitUncheckedError();
    }
    env_->SyncDir(db_dir).PermitUncheckedError();
  } else if (!s.ok() && lock != nullptr && !lock_existed) {
    // A refused target: only the LOCK this call made goes (removed while still held).
    env_->RemoveFile(lock_path).PermitUncheckedError();
  }
  Status unlocked = lock_guard.Unlock();
  if (!s.ok() && created_dir) env_->RemoveDir(db_dir).PermitUncheckedError();
  // A restored DB stays whole if only the unlock failed.
  return s.ok() ? unlocked : s;
}

}  // namespace ziggydb
