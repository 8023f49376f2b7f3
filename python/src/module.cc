// The _ziggydb extension module: the engine's types bound with pybind11. The package ziggydb
// (ziggydb/__init__.py) builds its plyvel-compatible API on these; see docs/design/python.md.
#include <pybind11/pybind11.h>

#include <string>

#include "backup_object.h"
#include "db_object.h"
#include "errors.h"
#include "iterator_object.h"
#include "options.h"
#include "snapshot_object.h"
#include "transaction_object.h"
#include "write_batch_object.h"
#include "ziggydb/db.h"
#include "ziggydb/version.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

void DestroyDB(py::handle name) {
  const std::string path = PathOf(name);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = ziggydb::DestroyDB(path, Options());
  }
  if (!status.ok()) RaiseStatus(status);
}

void RepairDB(py::handle name, const py::dict& options) {
  const std::string path = PathOf(name);
  Options engine_options;
  ApplyOptions(options, &engine_options);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = ziggydb::RepairDB(path, engine_options);
  }
  if (!status.ok()) RaiseStatus(status);
}

}  // namespace

PYBIND11_MODULE(_ziggydb, module) {
  module.doc() = "ZiggyDB engine bindings; use the ziggydb package.";
  RegisterErrors(module);
  BindDB(module);
  BindSnapshot(module);
  BindIterators(module);
  BindWriteBatch(module);
  BindTransaction(module);
  BindBackupEngine(module);
  module.attr("__engine_version__") = ZIGGYDB_VERSION_STRING;
  module.def("destroy_db", &DestroyDB, py::arg("name"),
             "Removes every file of the DB at name (which must not be open).");
  module.def("_repair_db", &RepairDB, py::arg("name"), py::arg("options"));
}

}  // namespace ziggydb::python
