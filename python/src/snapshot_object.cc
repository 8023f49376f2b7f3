#include "snapshot_object.h"

#include <chrono>
#include <thread>
#include <utility>

#include "errors.h"
#include "gc_tracked.h"

namespace py = pybind11;

namespace ziggydb::python {

namespace {
constexpr char kClosedMessage[] = "Database or snapshot is closed";
}  // namespace

SnapshotObject::SnapshotObject(py::object db, std::string db_prefix)
    : db_ref_(std::move(db)), db_(DBObjectOf(db_ref_)), db_prefix_(std::move(db_prefix)) {
  DBCall call(db_, "Cannot take a snapshot of a closed database");
  {
    py::gil_scoped_release nogil;  // waits for the DB mutex
    snapshot_ = call.engine()->GetSnapshot();
  }
  try {
    db_->AddDependent(this);
  } catch (...) {
    // No destructor runs for an object whose constructor throws: the engine would keep the
    // snapshot (and every version it pins) until the DB closes.
    call.engine()->ReleaseSnapshot(snapshot_);
    throw;
  }
}

SnapshotObject::~SnapshotObject() {
  ReleaseEngineResources();
  if (db_ != nullptr) db_->RemoveDependent(this);
}

int SnapshotObject::Traverse(visitproc visit, void* arg) const {
  Py_VISIT(db_ref_.ptr());
  return 0;
}

void SnapshotObject::ClearReferences() noexcept {
  if (db_ == nullptr || active_uses_ > 0) return;
  ReleaseEngineResources();  // the iterators reading it keep their own view (its sequence)
  db_->RemoveDependent(this);
  db_ = nullptr;
  py::object db = std::move(db_ref_);
}

py::object SnapshotObject::db_object() const {
  if (!db_ref_) RaiseClosed(kClosedMessage);
  return db_ref_;
}

void SnapshotObject::ReleaseEngineResources() {
  while (active_uses_ > 0) {
    py::gil_scoped_release nogil;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (snapshot_ == nullptr) return;
  db_->engine_of_dependent()->ReleaseSnapshot(snapshot_);
  snapshot_ = nullptr;
}

EngineObject SnapshotObject::TakeEngineObject() {
  if (snapshot_ == nullptr) return nullptr;
  // No read through the snapshot is running: each holds a DBCall, and the DB's close waits for
  // them. The engine DB outlives the returned object (DBObject::Close frees it first).
  DB* db = db_->engine_of_dependent();
  return EngineObject(std::exchange(snapshot_, nullptr),
                      [db](const Snapshot* snapshot) { db->ReleaseSnapshot(snapshot); });
}

SnapshotObject::Use::Use(SnapshotObject* snapshot) : snapshot_(snapshot) {
  if (snapshot->snapshot_ == nullptr) RaiseClosed(kClosedMessage);
  ++snapshot->active_uses_;
}

void BindSnapshot(py::module_& module) {
  py::class_<SnapshotObject> snapshot_class(module, "_Snapshot", GcTracked<SnapshotObject>());
  snapshot_class.def(py::init<py::object, std::string>(), py::arg("db"), py::arg("db_prefix"))
      .def(
          "get",
          [](SnapshotObject& self, py::handle key, py::handle default_value, bool verify_checksums,
             bool fill_cache) {
            SnapshotObject::Use use(&self);
            ReadOptions options;
            options.snapshot = use.snapshot();
            options.verify_checksums = verify_checksums;
            options.fill_cache = fill_cache;
            return self.db()->Get(self.db_prefix(), key, default_value, options);
          },
          py::arg("key"), py::arg("default") = py::none(), py::kw_only(),
          py::arg("verify_checksums") = false, py::arg("fill_cache") = true,
          "The value of key as of the snapshot, or default if there was none.")
      .def("close", &SnapshotObject::ReleaseEngineResources, "Releases the snapshot.")
      .def("release", &SnapshotObject::ReleaseEngineResources, "Same as close().")
      .def_property_readonly("db", &SnapshotObject::db_object)
      .def_property_readonly("_db_prefix",
                             [](const SnapshotObject& self) { return py::bytes(self.db_prefix()); })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](SnapshotObject& self, py::args) { self.ReleaseEngineResources(); });
  RefuseSecondInit(snapshot_class);
}

}  // namespace ziggydb::python
