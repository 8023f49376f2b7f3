// The log archive (wal_archive.h).
#include "db/wal_archive.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "db/checkpoint.h"
#include "db/filename.h"
#include "util/status_macros.h"
#include "ziggydb/env.h"

namespace ziggydb {

Status ArchiveLog(Env* env, const std::string& dbname, FileNumber number,
                  const std::string& archive_dir, bool* already_held) {
  const std::string from = LogFileName(dbname, number);
  const std::string to = LogFileName(archive_dir, number);
  *already_held = env->FileExists(to);
  if (*already_held) return env->RemoveFile(from);
  ZIGGY_RETURN_IF_ERROR(SyncFile(env, from));
  Status s = env->RenameFile(from, to);
  if (!s.ok()) {
    // Another file system (EXDEV) or some other refusal: a synced copy, then the original goes.
    // The copy is made under a temporary name and renamed into place: a log's name in the
    // archive says the archive holds it whole (the next pass deletes the DB's own copy of a log
    // held), so a copy a crash cut short must never carry it. A retry overwrites the temporary.
    const std::string temp = TempFileName(archive_dir, number);
    ZIGGY_RETURN_IF_ERROR(CopyFileSynced(env, from, temp));
    s = env->RenameFile(temp, to);
    if (!s.ok()) {
      env->RemoveFile(temp).PermitUncheckedError();
      return s;
    }
    ZIGGY_RETURN_IF_ERROR(env->SyncDir(archive_dir));
    return env->RemoveFile(from);  // the caller syncs the DB directory
  }
  return env->SyncDir(archive_dir);
}

Status PruneLogArchive(Env* env, const std::string& archive_dir, uint64_t max_bytes,
                       uint64_t max_age_seconds) {
  if (max_bytes == 0 && max_age_seconds == 0) return Status::OK();
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env->GetChildren(archive_dir, &names));
  std::vector<std::pair<FileNumber, uint64_t>> logs;
  uint64_t total_bytes = 0;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type) || type != FileType::kLogFile) continue;
    uint64_t bytes = 0;
    ZIGGY_RETURN_IF_ERROR(env->GetFileSize(archive_dir + "/" + name, &bytes));
    logs.emplace_back(number, bytes);
    total_bytes += bytes;
  }
  std::sort(logs.begin(), logs.end());
  const uint64_t now_seconds = env->WallMicros() / 1000000;
  bool removed_any = false;
  Status s;
  for (const auto& [number, bytes] : logs) {
    const std::string path = LogFileName(archive_dir, number);
    bool too_old = false;
    if (max_age_seconds > 0) {
      uint64_t modified_seconds = 0;
      s = env->GetFileModificationTime(path, &modified_seconds);
      if (!s.ok()) break;
      // As a difference: a bound near UINT64_MAX ("keep forever") must not wrap to "too old".
      too_old = now_seconds > modified_seconds && now_seconds - modified_seconds > max_age_seconds;
    }
    if (!too_old && (max_bytes == 0 || total_bytes <= max_bytes)) break;
    s = env->RemoveFile(path);
    if (!s.ok()) break;
    removed_any = true;
    total_bytes -= bytes;
  }
  // The removals made so far are made durable whatever stopped the loop.
  if (removed_any) {
    Status synced = env->SyncDir(archive_dir);
    if (s.ok()) s = synced;
  }
  return s;
}

}  // namespace ziggydb
