#include "db/open_rollback.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "util/assert.h"

namespace ziggydb {

OpenRollback::OpenRollback(Env* env, std::string dbname)
    : env_(env),
      dbname_(std::move(dbname)),
      directory_existed_(env_->FileExists(dbname_)),
      lock_file_existed_(env_->FileExists(LockFileName(dbname_))) {}

Status OpenRollback::NoteNamesUnderLock() {
  std::vector<std::string> names;
  Status s = env_->GetChildren(dbname_, &names);
  if (!s.ok()) return s;
  names_before_.insert(names.begin(), names.end());
  names_noted_ = true;
  return Status::OK();
}

bool OpenRollback::CommittedANewManifest(const std::vector<std::string>& names) {
  if (names_before_.count("CURRENT") == 0) return false;
  // Only a MANIFEST this Open wrote can have been committed.
  const bool wrote_manifest = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    FileNumber number{};
    FileType type{};
    return names_before_.count(n) == 0 && ParseFileName(n, &number, &type) &&
           type == FileType::kManifestFile;
  });
  if (!wrote_manifest) return false;
  std::string manifest;
  // Unreadable (a read fault, say): CURRENT may name this Open's MANIFEST, and removing a MANIFEST
  // that CURRENT names would lose the DB. Leftovers are harmless: the next Open deletes what no
  // MANIFEST needs.
  if (!ReadCurrentFile(env_, dbname_, &manifest).ok()) return true;
  return names_before_.count(manifest) == 0;
}

void OpenRollback::RemoveCreatedFiles(const std::function<void(const std::string&)>& log) {
  ZIGGY_ASSERT(names_noted_);
  std::vector<std::string> names;
  if (Status s = env_->GetChildren(dbname_, &names); !s.ok()) {
    log("failed open: cannot list the directory to remove what it created: " + s.ToString());
    return;
  }
  if (CommittedANewManifest(names)) {
    log("failed open: CURRENT names (or may name) the new MANIFEST; keeping the files it needs");
    return;
  }
  bool removed_any = false;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (names_before_.count(name) > 0 || !ParseFileName(name, &number, &type)) continue;
    // LOCK goes last, once nothing else of this Open is left.
    if (type == FileType::kLockFile) continue;
    Status s = env_->RemoveFile(dbname_ + "/" + name);
    if (s.ok()) {
      removed_any = true;
      log("failed open: removed " + name);
    } else {
      log("failed open: cannot remove " + name + ": " + s.ToString());
    }
  }
  // Removed while still held, and released right after (by the caller): another opener that
  // tries the lock meanwhile fails at once (LockFile never blocks).
  if (!lock_file_existed_ && env_->RemoveFile(LockFileName(dbname_)).ok()) removed_any = true;
  if (removed_any) {
    Status s = env_->SyncDir(dbname_);
    if (!s.ok()) log("failed open: syncing the directory after the removals: " + s.ToString());
  }
}

void OpenRollback::RemoveCreatedDirectory() {
  // RemoveDir fails on a directory that is not empty: whatever another opener put there stays.
  if (!directory_existed_) env_->RemoveDir(dbname_).PermitUncheckedError();
}

}  // namespace ziggydb
