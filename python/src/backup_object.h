// BackupEngineObject: ziggydb.BackupEngine, the engine's BackupEngine (include/ziggydb/backup.h)
// from Python: verified, incremental backups of an open DB into a directory, and restore.
//
// Every method releases the GIL while it copies or checks files. The engine's methods must not
// run concurrently: a second thread calling while one is inside gets RuntimeError. close() (or
// the end of a `with` block) releases the backup directory's LOCK.
#ifndef ZIGGYDB_PYTHON_BACKUP_OBJECT_H_
#define ZIGGYDB_PYTHON_BACKUP_OBJECT_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>

#include "constructed.h"
#include "ziggydb/backup.h"

namespace ziggydb::python {

class BackupEngineObject {
 public:
  BackupEngineObject(pybind11::handle backup_dir, bool checksum_shared_tables);

  uint32_t CreateBackup(pybind11::handle db, bool flush_first);
  // (id, timestamp_seconds, sequence, size_bytes, file_count) per backup, by id.
  pybind11::list BackupInfo();
  pybind11::list CorruptedBackups();
  void VerifyBackup(uint32_t id);
  // to_sequence: None or an int (point-in-time restore).
  void Restore(uint32_t id, pybind11::handle db_dir, pybind11::handle to_sequence, bool overwrite);
  void DeleteBackup(uint32_t id);
  void PurgeOldBackups(uint32_t keep);
  void Close();

 private:
  // Marks the engine in use for one call; RuntimeError if closed or in use by another thread.
  class Use {
   public:
    explicit Use(BackupEngineObject* owner);
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use() { owner_->in_use_ = false; }
    BackupEngine* engine() const { return owner_->engine_.get(); }

   private:
    BackupEngineObject* owner_;
  };

  std::unique_ptr<BackupEngine> engine_;  // null once closed
  bool in_use_ = false;                   // read and written with the GIL held
};

// Binds ziggydb._BackupEngine.
void BindBackupEngine(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::BackupEngineObject)

#endif  // ZIGGYDB_PYTHON_BACKUP_OBJECT_H_
