// BackupEngine: verified, incremental backups of a live DB into a directory of their own, and
// restore, optionally to a chosen sequence number (point-in-time restore).
//
// Layout and file formats: docs/format/backup.md. In short:
//   <backup_dir>/LOCK                     held while an engine is open on the directory
//   <backup_dir>/meta/<id>                one metadata file per backup (text, versioned)
//   <backup_dir>/shared/<n>_<size>_<xxh3-128>.sst   tables, shared by every backup that has them
//   <backup_dir>/private/<id>/MANIFEST-<n>          the backup's own MANIFEST
// Guarantees:
//   - A backup becomes visible only when its metadata file is renamed into place (the file, its
//     tables and MANIFEST synced first, the directory synced after): a crash at any moment leaves
//     every earlier backup intact and no half backup listed. Leftovers (temporary files, files no
//     backup lists) are removed by the next Open.
//   - Every file's size and XXH3-128 checksum are recorded when it is backed up; VerifyBackup and
//     RestoreDBFromBackup re-read and check them, and fail with Corruption naming the file.
//   - Incremental: a live table whose name and size match a table a backup of the same DB stored
//     (and, with checksum_shared_tables, its checksum) is not copied again; one matching a table
//     of another DB (a DB restored from a backup or opened from a checkpoint is another DB: it
//     has its own IDENTITY) is read and shared only if its checksum matches. A table stays while
//     any backup lists it.
// Thread safety: one engine per directory at a time (a second Open, in this or another process,
// gets Busy); an engine's methods must not be called concurrently.
// Running out of memory: the methods let std::bad_alloc out (the C API and the Python package
// turn it into an error). A call it ends has released any lock it took and leaves at most what
// a crash at that point leaves, which the next Open (a backup's leftovers) or the next restore
// to the same directory (a staging directory, the restore marker) removes.
#ifndef ZIGGYDB_BACKUP_H_
#define ZIGGYDB_BACKUP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb {

class DB;
class Env;

struct BackupEngineOptions {
  // File system of the backup directory (and of the DB restored to). nullptr means the POSIX
  // environment (Env::Default()). Not owned; must outlive the engine.
  Env* env = nullptr;
  // Before sharing a live table with one already backed up under the same name and size, read
  // it and compare checksums (a table with another checksum is then stored as a file of its
  // own). false trusts name and size for tables stored by backups of the same DB (the same
  // IDENTITY: table numbers never repeat within a DB) and compares checksums for the rest. A DB
  // directory copied by other means than a checkpoint or a restore keeps its source's IDENTITY:
  // backing up both into one directory needs true. Default: false.
  bool checksum_shared_tables = false;
  // Called as bytes are copied or checked by CreateNewBackup, VerifyBackup and
  // RestoreDBFromBackup: (bytes done, bytes in all) of the current call. Default: none.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
  // Polled between blocks of the same calls: once it returns true the call stops at a clean
  // point and fails with Busy "stopped by the caller" (CreateNewBackup and RestoreDBFromBackup
  // then remove what they created; backups listed before stay as they were). Default: none.
  std::function<bool()> stop_requested;
  // Open the backup directory only to read it (list, VerifyBackup, RestoreDBFromBackup): it must
  // exist and be a backup directory (NotFound, InvalidArgument otherwise), nothing in it is
  // created or removed (leftovers of interrupted operations stay for a writing Open), and its
  // LOCK is taken shared, as DB::OpenReadOnly takes a DB's: read permission suffices, several
  // read-only engines share the directory, and one is refused (Busy) while a writing engine
  // holds it (and the other way round). CreateNewBackup, DeleteBackup and PurgeOldBackups fail
  // with NotSupported. Default: false.
  bool read_only = false;
};

struct BackupInfo {
  // From 1: a new backup gets the largest id listed (or held by unreadable metadata) plus one, so
  // the id of a deleted newest backup is given again. InvalidArgument once that would pass
  // UINT32_MAX.
  uint32_t id;
  int64_t timestamp_seconds;  // when the backup was made, seconds since the Unix epoch
  uint64_t sequence;          // the DB's state right after this sequence number
  uint64_t size_bytes;        // the bytes of all its files (shared ones included)
  uint32_t file_count;        // its files: tables and the MANIFEST
};

struct RestoreOptions {
  // Point-in-time restore: the restored DB is the DB right after this sequence number was
  // committed (a batch is atomic: one that ends after it is left out whole). Needs the log
  // archive the DB kept (Options::wal_archive_dir, recorded in the backup) to hold every log
  // written from the backup onwards up to that sequence. Must be at least the backup's sequence.
  // nullopt: the backup as it is.
  std::optional<uint64_t> to_sequence;
  // Replace a DB already in the target directory (which must not be open). Default: refuse.
  bool overwrite = false;
};

class BackupEngine {
 public:
  // Opens (creating if needed) the backup directory, takes its LOCK and removes leftovers of
  // interrupted operations (with options.read_only: see there). An existing directory must be a
  // backup directory or empty (InvalidArgument otherwise: its files are not touched); a failed Open
  // of a new directory removes it.
  static Status Open(const std::string& backup_dir, const BackupEngineOptions& options,
                     std::unique_ptr<BackupEngine>* engine);

  BackupEngine() = default;
  BackupEngine(const BackupEngine&) = delete;
  BackupEngine& operator=(const BackupEngine&) = delete;
  virtual ~BackupEngine() = default;

  // Backs up `db` (a DB opened by DB::Open, in this process) and sets *id. flush_first: flush
  // the memtables first, so the backup holds every write acknowledged before the call; false:
  // the backup holds what the tables hold now (the state at some earlier sequence number).
  virtual Status CreateNewBackup(DB* db, bool flush_first, uint32_t* id) = 0;
  // Every backup, by id ascending.
  virtual std::vector<BackupInfo> GetBackupInfo() const = 0;
  // The ids, ascending, of backups whose metadata Open found but could not read (truncated,
  // failing its checksum): not in GetBackupInfo; VerifyBackup and RestoreDBFromBackup fail on
  // them with Corruption, DeleteBackup removes them. While any remains, no shared file is
  // removed (its metadata may list it).
  virtual std::vector<uint32_t> GetCorruptedBackups() const = 0;
  // Re-reads every file of backup `id` and checks its size and checksum. NotFound if there is
  // no such backup; Corruption naming the first bad file.
  virtual Status VerifyBackup(uint32_t id) = 0;
  // Restores backup `id` into db_dir, checking every file as it is copied. db_dir is created if
  // missing, never replaced (its owner and mode stay), and its LOCK is held for the whole call,
  // so no DB opens there meanwhile. The restored DB is built in db_dir/RESTORE-STAGING; only once
  // it is whole and durable does it replace what db_dir held, behind a RESTORE-IN-PROGRESS marker
  // that DB::Open refuses and that the next restore to db_dir recognises (while CURRENT is
  // absent) and starts over from; CURRENT is written and the marker removed last. A failure
  // before that swap (a bad backup file, an archive that does not reach to_sequence, a full
  // disk) leaves a DB db_dir held as it was and removes the staging directory; a failure during
  // it, or into a db_dir that held no DB, empties db_dir (and removes it if this call created
  // it). Refuses (InvalidArgument) a db_dir that holds a DB unless options.overwrite, or anything
  // else, and (Busy) a DB that is open.
  virtual Status RestoreDBFromBackup(uint32_t id, const std::string& db_dir,
                                     const RestoreOptions& options = {}) = 0;
  // Deletes backup `id` (a corrupted one too) and the files no other backup lists. NotFound if
  // there is none.
  virtual Status DeleteBackup(uint32_t id) = 0;
  // Deletes the oldest backups until at most `keep` remain.
  virtual Status PurgeOldBackups(uint32_t keep) = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_BACKUP_H_
