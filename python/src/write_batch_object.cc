#include "write_batch_object.h"

#include <utility>

#include "bytes_arg.h"
#include "errors.h"
#include "gc_tracked.h"

namespace py = pybind11;

namespace ziggydb::python {

WriteBatchObject::WriteBatchObject(py::object db, std::string db_prefix, bool transaction,
                                   bool sync)
    : db_ref_(std::move(db)),
      db_(DBObjectOf(db_ref_)),
      db_prefix_(std::move(db_prefix)),
      transaction_(transaction),
      sync_(sync) {
  DBCall check_open(db_);  // plyvel refuses a batch of a closed DB at once
}

std::string WriteBatchObject::FullKey(py::handle key) const {
  BytesArg key_arg(key, "key");
  std::string full = db_prefix_;
  full.append(key_arg.view());
  return full;
}

void WriteBatchObject::CheckNotBeingWritten() const {
  if (writes_in_progress_ > 0) RaiseClosed("the write batch is being written by another thread");
}

void WriteBatchObject::Put(py::handle key, py::handle value) {
  CheckNotBeingWritten();
  BytesArg value_arg(value, "value");
  if (db_prefix_.empty()) {
    BytesArg key_arg(key, "key");
    batch_.Put(key_arg.view(), value_arg.view());
  } else {
    batch_.Put(FullKey(key), value_arg.view());
  }
}

void WriteBatchObject::Delete(py::handle key) {
  CheckNotBeingWritten();
  if (db_prefix_.empty()) {
    BytesArg key_arg(key, "key");
    batch_.Delete(key_arg.view());
  } else {
    batch_.Delete(FullKey(key));
  }
}

void WriteBatchObject::Clear() {
  CheckNotBeingWritten();
  batch_.Clear();
}

void WriteBatchObject::Append(const WriteBatchObject& other) {
  // `other` may be being written too: reading it meanwhile is safe.
  CheckNotBeingWritten();
  batch_.Append(other.batch_);
}

int WriteBatchObject::Traverse(visitproc visit, void* arg) const {
  Py_VISIT(db_ref_.ptr());
  return 0;
}

void WriteBatchObject::ClearReferences() noexcept {
  if (db_ == nullptr || writes_in_progress_ > 0) return;
  db_ = nullptr;
  py::object db = std::move(db_ref_);
}

void WriteBatchObject::Write() {
  if (db_ == nullptr) RaiseClosed("Database is closed");
  // Counted for the call, whose engine write reads batch_ with the GIL released.
  ++writes_in_progress_;
  try {
    db_->Write(batch_, sync_);
  } catch (...) {
    --writes_in_progress_;
    throw;
  }
  --writes_in_progress_;
}

void WriteBatchObject::Exit(py::handle exception_type) {
  if (transaction_ && !exception_type.is_none()) return;
  Write();
}

void BindWriteBatch(py::module_& module) {
  py::class_<WriteBatchObject> batch_class(module, "WriteBatch", GcTracked<WriteBatchObject>());
  batch_class
      .def(py::init<py::object, std::string, bool, bool>(), py::arg("db"), py::arg("db_prefix"),
           py::arg("transaction"), py::arg("sync"))
      .def("put", &WriteBatchObject::Put, py::arg("key"), py::arg("value"),
           "Adds a put of value under key.")
      .def("delete", &WriteBatchObject::Delete, py::arg("key"), "Adds a delete of key.")
      .def("clear", &WriteBatchObject::Clear, "Removes every update.")
      .def("append", &WriteBatchObject::Append, py::arg("source"),
           "Adds the updates of another batch after this one's.")
      .def("approximate_size", &WriteBatchObject::ApproximateSize, "Bytes of the encoded batch.")
      .def("write", &WriteBatchObject::Write, "Applies the batch to the DB, atomically.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](WriteBatchObject& self, py::handle type, py::handle, py::handle) {
        self.Exit(type);
      });
  RefuseSecondInit(batch_class);
}

}  // namespace ziggydb::python
