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
                  const std::string& archive_dir) {
  const std::string from = LogFileName(dbname, number);
  const std::string to = LogFileName(archive_dir, number);
  Status s = env->RenameFile(from, to);
  if (!s.ok()) {
    // Another file system (EXDEV) or some other refusal: a synced copy, then the original goes.
    ZIGGY_RETURN_IF_ERROR(CopyFileSynced(env, from, to));
    ZIGGY_RETURN_IF_ERROR(env->SyncDir(archive_dir));
    return env->RemoveFile(from);  // the caller syncs the DB directory
  }
  return env->SyncDir(archive_dir);
}

Status PruneLogArchive(Env* env, const std::string& archive_dir, uint64_t max_bytes) {
  if (max_bytes == 0) return Status::OK();
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
  bool removed_any = false;
  for (const auto& [number, bytes] : logs) {
    if (total_bytes <= max_bytes) break;
    ZIGGY_RETURN_IF_ERROR(env->RemoveFile(LogFileName(archive_dir, number)));
    removed_any = true;
    total_bytes -= bytes;
  }
  return removed_any ? env->SyncDir(archive_dir) : Status::OK();
}

}  // namespace ziggydb
