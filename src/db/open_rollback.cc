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
      directory_existed_(MayExist(env_, dbname_)),
      lock_file_existed_(MayExist(env_, LockFileName(dbname_))) {}

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
  // In three groups, each durable before the next: the plain files (logs, tables, temp files),
  // then CURRENT, then the MANIFESTs. After a failed removal the rest stays, so the directory is
  // always a DB the next Open opens (CURRENT still names a complete MANIFEST; leftovers are
  // obsolete files it deletes) unless only MANIFESTs are left without CURRENT, which that Open
  // reports as Corruption ("DB files but no CURRENT"). Removing CURRENT before its MANIFEST
  // never leaves a CURRENT naming a missing MANIFEST.
  std::vector<std::string> plain;
  std::vector<std::string> current;
  std::vector<std::string> manifests;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (names_before_.count(name) > 0 || !ParseFileName(name, &number, &type)) continue;
    if (type == FileType::kLockFile) continue;  // last, once nothing else of this Open is left
    if (type == FileType::kCurrentFile) {
      current.push_back(name);
    } else if (type == FileType::kManifestFile) {
      manifests.push_back(name);
    } else {
      plain.push_back(name);
    }
  }
  for (const std::vector<std::string>* group : {&plain, &current, &manifests}) {
    if (!RemoveGroup(*group, log)) {
      log(group == &manifests
              ? "failed open: a MANIFEST is left without CURRENT; the next Open reports it"
              : "failed open: keeping the rest of what it created, which the next Open can use");
      return;
    }
  }
  // Removed while still held, and released right after (by the caller): another opener that
  // tries the lock meanwhile fails at once (LockFile never blocks).
  if (!lock_file_existed_ && env_->RemoveFile(LockFileName(dbname_)).ok()) {
    Status s = env_->SyncDir(dbname_);
    if (!s.ok()) log("failed open: syncing the directory after removing LOCK: " + s.ToString());
  }
}

bool OpenRollback::RemoveGroup(const std::vector<std::string>& names,
                               const std::function<void(const std::string&)>& log) {
  bool removed_all = true;
  for (const std::string& name : names) {
    Status s = env_->RemoveFile(dbname_ + "/" + name);
    if (s.ok()) {
      log("failed open: removed " + name);
    } else {
      removed_all = false;
      log("failed open: cannot remove " + name + ": " + s.ToString());
    }
  }
  if (!removed_all || names.empty()) return removed_all;
  Status s = env_->SyncDir(dbname_);
  if (!s.ok()) log("failed open: syncing the directory after the removals: " + s.ToString());
  return s.ok();
}

void OpenRollback::RemoveCreatedDirectory() {
  // RemoveDir fails on a directory that is not empty: whatever another opener put there stays.
  if (!directory_existed_) env_->RemoveDir(dbname_).PermitUncheckedError();
  if (!created_archive_.empty()) env_->RemoveDir(created_archive_).PermitUncheckedError();
}

}  // namespace ziggydb
