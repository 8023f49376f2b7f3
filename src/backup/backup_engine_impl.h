// BackupEngineImpl: the BackupEngine of include/ziggydb/backup.h, over an Env.
//   backup_engine.cc   Open, the directory's leftovers, CreateNewBackup, listing, delete, purge
//   backup_restore.cc  VerifyBackup, RestoreDBFromBackup
//   pit_log.cc         the log a point-in-time restore replays (pit_log.h)
// State: the metadata of every backup, loaded at Open and kept in step by this engine alone
// (it holds the directory's LOCK).
#ifndef ZIGGYDB_BACKUP_BACKUP_ENGINE_IMPL_H_
#define ZIGGYDB_BACKUP_BACKUP_ENGINE_IMPL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backup/backup_meta.h"
#include "backup/pit_log.h"
#include "db/db_readonly.h"
#include "ziggydb/backup.h"
#include "ziggydb/env.h"

namespace ziggydb {

struct LiveFiles;
struct LiveTable;

class BackupEngineImpl final : public BackupEngine {
 public:
  BackupEngineImpl(std::string backup_dir, const BackupEngineOptions& options);
  ~BackupEngineImpl() override;

  // Creates the directories, takes LOCK, loads the metadata and removes leftovers. Refuses an
  // existing directory that is not a backup directory; a failure removes what it created.
  [[nodiscard]] Status Init();
  [[nodiscard]] Status InitReadOnly();

  Status CreateNewBackup(DB* db, bool flush_first, uint32_t* id) override;
  std::vector<BackupInfo> GetBackupInfo() const override;
  std::vector<uint32_t> GetCorruptedBackups() const override;
  Status VerifyBackup(uint32_t id) override;
  Status RestoreDBFromBackup(uint32_t id, const std::string& db_dir,
                             const RestoreOptions& options) override;
  Status DeleteBackup(uint32_t id) override;
  Status PurgeOldBackups(uint32_t keep) override;

 private:
  // InvalidArgument unless dir_ (which exists) is a backup directory or empty.
  [[nodiscard]] Status CheckIsBackupDir() const;
  // ---- backup_engine.cc ----
  [[nodiscard]] Status LoadMetas();
  // Removes temporary files, private directories of no listed backup and (unless a metadata
  // file could not be read, which may list them) shared files no backup lists.
  [[nodiscard]] Status CollectGarbage();
  // Stores the files of `files` and the metadata of *meta, adding to *stored each shared file
  // (relative path) it put in place that was not there before. On failure *keep_files says the
  // metadata may be durable and could not be withdrawn: the files it lists must stay.
  [[nodiscard]] Status WriteBackup(const LiveFiles& files, BackupMeta* meta,
                                   std::vector<std::string>* stored, bool* keep_files);
  // Describes one live table in *file: one already in shared/, or a copy made now into
  // shared/<n>.tmp (named in *copied_to, not yet synced nor renamed to file->path).
  [[nodiscard]] Status StoreTable(const LiveFiles& files, const LiveTable& table, BackupFile* file,
                                  std::string* copied_to);
  // meta/<id> through a synced temp file and a rename; *keep_files as for WriteBackup.
  [[nodiscard]] Status WriteMetaFile(const BackupMeta& meta, bool* keep_files);

  // ---- backup_restore.cc ----
  // Copies backup file `file` to `to`, checking size and checksum on the way.
  [[nodiscard]] Status CopyChecked(const BackupFile& file, const std::string& to);
  [[nodiscard]] Status CheckRestoreTarget(const std::string& db_dir, bool overwrite,
                                          bool* holds_db) const;
  // Copies the backup's files (and a point-in-time log) into `staging`, synced; no CURRENT.
  [[nodiscard]] Status BuildRestoredDb(const BackupMeta& meta, const std::string& staging,
                                       const RestoreOptions& options);
  // Sets the next file number of the restored MANIFEST in `staging` to at least next_at_least:
  // past its point-in-time log and every log the archive holds (RestoredLogNumber + 1), so that
  // the restored DB, opened with the same archive, adds its logs to it (numbered as its source's
  // after the backup were, it could not: the archive never replaces a log).
  [[nodiscard]] Status RaiseNextFileNumber(const BackupMeta& meta, FileNumber next_at_least,
                                           const std::string& staging);
  // Replaces db_dir's contents with the DB built in `staging` (its subdirectory), behind the
  // restore marker; *old_db_gone once a DB db_dir held is no longer whole.
  [[nodiscard]] Status SwapInRestoredDb(const BackupMeta& meta, const std::string& staging,
                                        const std::string& db_dir, bool* old_db_gone);

  // Progress over the current call. AddProgress returns Busy once options_.stop_requested
  // says so.
  void StartProgress(uint64_t total_bytes);
  [[nodiscard]] Status AddProgress(uint64_t bytes);

  std::string Path(const std::string& relative) const { return dir_ + "/" + relative; }
  static std::string MetaPath(uint32_t id) { return "meta/" + std::to_string(id); }
  static std::string PrivateDir(uint32_t id) { return "private/" + std::to_string(id); }

  const std::string dir_;
  const BackupEngineOptions options_;
  Env* const env_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<DbReadLock> read_lock_;  // options_.read_only: the shared lock instead
  std::map<uint32_t, BackupMeta> backups_;
  // Ids of metadata files that exist but could not be read: never reused, and while there is
  // one no shared file is deleted.
  std::set<uint32_t> unreadable_ids_;
  uint64_t progress_done_bytes_ = 0;
  uint64_t progress_total_bytes_ = 0;
};

// Removes every file in dir but one named `keep` (one level: the backup layout has no deeper
// trees), going on past a failure to remove as much as it can; returns the first error
// (NotFound if dir does not exist).
[[nodiscard]] Status RemoveFilesIn(Env* env, const std::string& dir, std::string_view keep = {});
// RemoveFilesIn, then the directory itself. OK if dir does not exist.
[[nodiscard]] Status RemoveFlatDir(Env* env, const std::string& dir);

}  // namespace ziggydb

#endif  // ZIGGYDB_BACKUP_BACKUP_ENGINE_IMPL_H_
