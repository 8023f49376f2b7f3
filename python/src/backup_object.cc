#include "backup_object.h"

#include <string>
#include <vector>

#include "db_object.h"
#include "errors.h"
#include "int_arg.h"

namespace py = pybind11;

namespace ziggydb::python {

BackupEngineObject::BackupEngineObject(py::handle backup_dir, bool checksum_shared_tables) {
  const std::string path = PathOf(backup_dir);
  BackupEngineOptions options;
  options.checksum_shared_tables = checksum_shared_tables;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = BackupEngine::Open(path, options, &engine_);
  }
  if (!status.ok()) RaiseStatus(status);
}

BackupEngineObject::Use::Use(BackupEngineObject* owner) : owner_(owner) {
  if (owner->engine_ == nullptr) RaiseClosed("the backup engine is closed");
  if (owner->in_use_) RaiseClosed("the backup engine is in use by another thread");
  owner->in_use_ = true;
}

uint32_t BackupEngineObject::CreateBackup(py::handle db, bool flush_first) {
  auto* db_object = DBObjectOf(db);
  Use use(this);
  DBCall call(db_object);
  uint32_t id = 0;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->CreateNewBackup(call.engine(), flush_first, &id);
  }
  if (!status.ok()) RaiseStatus(status);
  return id;
}

py::list BackupEngineObject::BackupInfo() {
  Use use(this);
  std::vector<ziggydb::BackupInfo> infos;
  {
    py::gil_scoped_release nogil;
    infos = use.engine()->GetBackupInfo();
  }
  py::list result;
  for (const auto& info : infos) {
    result.append(py::make_tuple(info.id, info.timestamp_seconds, info.sequence, info.size_bytes,
                                 info.file_count));
  }
  return result;
}

py::list BackupEngineObject::CorruptedBackups() {
  Use use(this);
  std::vector<uint32_t> ids;
  {
    py::gil_scoped_release nogil;
    ids = use.engine()->GetCorruptedBackups();
  }
  py::list result;
  for (uint32_t id : ids)
    result.append(id);
  return result;
}

void BackupEngineObject::VerifyBackup(uint32_t id) {
  Use use(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->VerifyBackup(id);
  }
  if (!status.ok()) RaiseStatus(status);
}

void BackupEngineObject::Restore(uint32_t id, py::handle db_dir, py::handle to_sequence,
                                 bool overwrite) {
  const std::string path = PathOf(db_dir);
  RestoreOptions options;
  if (!to_sequence.is_none()) options.to_sequence = IntArg<uint64_t>(to_sequence, "'to_sequence'");
  Use use(this);
  options.overwrite = overwrite;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->RestoreDBFromBackup(id, path, options);
  }
  if (!status.ok()) RaiseStatus(status);
}

void BackupEngineObject::DeleteBackup(uint32_t id) {
  Use use(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->DeleteBackup(id);
  }
  if (!status.ok()) RaiseStatus(status);
}

void BackupEngineObject::PurgeOldBackups(uint32_t keep) {
  Use use(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->PurgeOldBackups(keep);
  }
  if (!status.ok()) RaiseStatus(status);
}

void BackupEngineObject::Close() {
  if (engine_ == nullptr) return;
  if (in_use_) RaiseClosed("the backup engine is in use by another thread");
  py::gil_scoped_release nogil;
  engine_.reset();
}

void BindBackupEngine(py::module_& module) {
  py::class_<BackupEngineObject> backup_class(module, "_BackupEngine");
  backup_class
      .def(py::init<py::handle, bool>(), py::arg("backup_dir"), py::arg("checksum_shared_tables"))
      .def("create_backup", &BackupEngineObject::CreateBackup, py::arg("db"), py::kw_only(),
           py::arg("flush_first") = true,
           "Backs up db (flushing first unless flush_first=False); returns the new backup's id.")
      .def("_backup_info", &BackupEngineObject::BackupInfo)
      .def("corrupted_backups", &BackupEngineObject::CorruptedBackups,
           "The ids, ascending, of backups whose metadata is unreadable (not in backup_info(); "
           "verify_backup and restore raise Corruption on them, delete_backup removes them).")
      .def("verify_backup", &BackupEngineObject::VerifyBackup, py::arg("backup_id"),
           "Re-reads every file of the backup and checks its size and checksum.")
      .def("restore", &BackupEngineObject::Restore, py::arg("backup_id"), py::arg("db_dir"),
           py::kw_only(), py::arg("to_sequence") = py::none(), py::arg("overwrite") = false,
           "Restores the backup into db_dir (to_sequence: point-in-time restore).")
      .def("delete_backup", &BackupEngineObject::DeleteBackup, py::arg("backup_id"))
      .def("purge_old_backups", &BackupEngineObject::PurgeOldBackups, py::arg("keep"),
           "Deletes the oldest backups until at most keep remain.")
      .def("close", &BackupEngineObject::Close, "Releases the backup directory.");
  RefuseSecondInit(backup_class);
}

}  // namespace ziggydb::python
