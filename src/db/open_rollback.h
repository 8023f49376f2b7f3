// OpenRollback: undoes what a failed DB::Open created in the DB directory, so that a failed Open
// (and every retry of it) leaves the directory as it found it (docs/design/recovery.md,
// "A failed Open").
//
// Protocol, in DB::Open's order:
//   1. Construct before anything is created: notes whether the directory and LOCK exist.
//   2. If the lock cannot be taken: RemoveCreatedDirectory().
//   3. Once LOCK is held: NoteNamesUnderLock() records the directory's names. Only under the lock
//      is that list authoritative: no other opener can add or remove DB files.
//   4. If Open then fails: RemoveCreatedFiles() (lock still held), release the lock,
//      RemoveCreatedDirectory().
//
// What counts as created: every name of a DB file (filename.h) that was not in the list of step 3,
// LOCK if it did not exist in step 1, and the directory if it did not exist in step 1. Files that
// existed are never removed. One exception keeps the DB consistent: when CURRENT existed and now
// names a MANIFEST this Open wrote, the Open's edit is already committed (only its directory sync
// failed), and that MANIFEST needs the tables and log this Open wrote: nothing is removed. The
// same holds when CURRENT existed and cannot be read now: it may name that MANIFEST. The removal
// order (open_rollback.cc) keeps the directory openable when a removal fails.
//
// Thread safety: none; used by the opening thread only.
#ifndef ZIGGYDB_DB_OPEN_ROLLBACK_H_
#define ZIGGYDB_DB_OPEN_ROLLBACK_H_

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb {

class OpenRollback {
 public:
  OpenRollback(Env* env, std::string dbname);

  [[nodiscard]] Status NoteNamesUnderLock();
  // Best effort: each failure to remove is reported through `log`, never returned (the Open's
  // own error is what the caller reports). Precondition: NoteNamesUnderLock succeeded and the
  // DB's LOCK is still held.
  void RemoveCreatedFiles(const std::function<void(const std::string&)>& log);
  // A log archive directory (Options::wal_archive_dir) this Open created.
  void NoteCreatedArchive(std::string dir) { created_archive_ = std::move(dir); }
  // Removes the directory, and a log archive directory noted, if this Open created it and it is
  // empty. Call without the lock.
  void RemoveCreatedDirectory();

 private:
  // True if CURRENT existed before, this Open wrote a MANIFEST (one of `names`, the directory's
  // names now), and CURRENT names a MANIFEST that did not exist before or cannot be read.
  bool CommittedANewManifest(const std::vector<std::string>& names);
  // Removes `names` (files of the DB directory), then syncs the directory; false, with what
  // failed logged, unless every removal and the sync succeeded.
  bool RemoveGroup(const std::vector<std::string>& names,
                   const std::function<void(const std::string&)>& log);

  Env* const env_;
  const std::string dbname_;
  const bool directory_existed_;
  const bool lock_file_existed_;
  bool names_noted_ = false;
  std::set<std::string> names_before_;
  std::string created_archive_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_OPEN_ROLLBACK_H_
