#include "transaction_object.h"

#include <string>
#include <utility>

#include "bytes_arg.h"
#include "errors.h"
#include "gc_tracked.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {
constexpr char kClosedMessage[] = "Database or transaction is closed";
}  // namespace

TransactionObject::TransactionObject(py::object db, bool serializable, bool sync)
    : db_ref_(std::move(db)), db_(DBObjectOf(db_ref_)) {
  WriteOptions write_options;
  write_options.sync = sync;
  TransactionOptions options;
  options.isolation = serializable ? IsolationLevel::kSerializable : IsolationLevel::kSnapshot;
  DBCall call(db_, kClosedMessage);
  {
    py::gil_scoped_release nogil;
    engine_ = call.engine()->BeginTransaction(write_options, options);
  }
  db_->AddDependent(this);
}

TransactionObject::~TransactionObject() {
  ReleaseEngineResources();
  if (db_ != nullptr) db_->RemoveDependent(this);
}

int TransactionObject::Traverse(visitproc visit, void* arg) const {
  Py_VISIT(db_ref_.ptr());
  return 0;
}

void TransactionObject::ClearReferences() noexcept {
  if (db_ == nullptr || in_use_) return;
  ReleaseEngineResources();
  db_->RemoveDependent(this);
  db_ = nullptr;
  py::object db = std::move(db_ref_);
}

void TransactionObject::ReleaseEngineResources() {
  if (engine_ == nullptr) return;
  // No call is inside (the destructor: each holds a reference; ClearReferences checks). An
  // iterator of the transaction may be left (only under ClearReferences): the engine detaches
  // it, and it frees its engine iterator through FreeIterator, this object being alive as long
  // as the iterator is (its reference).
  ended_ = true;
  std::unique_ptr<Transaction> engine = std::move(engine_);
  DependentRelease release(db_);
  py::gil_scoped_release nogil;
  engine.reset();  // rolls back an open transaction
}

EngineObject TransactionObject::TakeEngineObject() {
  // No call of the transaction is running (the DB's close waits for them), so no iterator is
  // waiting to be freed.
  ended_ = true;
  return EngineObject(std::move(engine_));
}

TransactionObject::Use::Use(TransactionObject* transaction) : transaction_(transaction) {
  if (transaction->engine_ == nullptr) RaiseClosed(kClosedMessage);
  if (transaction->in_use_) RaiseClosed("the transaction is in use by another thread");
  call_.emplace(transaction->db_, kClosedMessage);
  transaction->in_use_ = true;
}

TransactionObject::Use::~Use() {
  // The call is over (its DBCall still counts): nothing of the transaction is running.
  transaction_->iterators_to_free_.clear();
  transaction_->in_use_ = false;
}

void TransactionObject::FreeIterator(std::unique_ptr<Iterator> iterator) {
  if (in_use_) {
    iterators_to_free_.push_back(std::move(iterator));
    return;
  }
  // With the GIL held no call of the transaction can start, and the DB cannot finish closing.
  iterator.reset();
}

py::object TransactionObject::Get(py::handle key, py::handle default_value, bool verify_checksums,
                                  bool fill_cache) {
  BytesArg key_arg(key, "key");
  Use use(this);
  ReadOptions options;
  options.verify_checksums = verify_checksums;
  options.fill_cache = fill_cache;
  std::string value;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->Get(options, key_arg.view(), &value);
  }
  if (status.IsNotFound()) return py::reinterpret_borrow<py::object>(default_value);
  if (!status.ok()) RaiseStatus(status);
  return py::bytes(value);
}

void TransactionObject::Put(py::handle key, py::handle value) {
  BytesArg key_arg(key, "key");
  BytesArg value_arg(value, "value");
  Use use(this);
  Status status = use.engine()->Put(key_arg.view(), value_arg.view());  // buffered: no I/O
  if (!status.ok()) RaiseStatus(status);
}

void TransactionObject::Delete(py::handle key) {
  BytesArg key_arg(key, "key");
  Use use(this);
  Status status = use.engine()->Delete(key_arg.view());
  if (!status.ok()) RaiseStatus(status);
}

void TransactionObject::Commit() {
  Use use(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = use.engine()->Commit();
  }
  ended_ = true;
  if (!status.ok()) RaiseStatus(status);
}

void TransactionObject::Rollback() {
  Use use(this);
  Status status = use.engine()->Rollback();
  ended_ = true;
  if (!status.ok()) RaiseStatus(status);
}

void TransactionObject::SetSavePoint() {
  Use use(this);
  use.engine()->SetSavePoint();
}

void TransactionObject::RollbackToSavePoint() {
  Use use(this);
  Status status = use.engine()->RollbackToSavePoint();
  if (!status.ok()) RaiseStatus(status);
}

void BindTransaction(py::module_& module) {
  py::class_<TransactionObject> transaction_class(module, "_Transaction",
                                                  GcTracked<TransactionObject>());
  transaction_class
      .def(py::init<py::object, bool, bool>(), py::arg("db"), py::arg("serializable"),
           py::arg("sync"))
      .def("get", &TransactionObject::Get, py::arg("key"), py::arg("default") = py::none(),
           py::kw_only(), py::arg("verify_checksums") = false, py::arg("fill_cache") = true,
           "The value of key as the transaction sees it, or default if there is none.")
      .def("put", &TransactionObject::Put, py::arg("key"), py::arg("value"),
           "Buffers a put of value under key (applied at commit).")
      .def("delete", &TransactionObject::Delete, py::arg("key"), "Buffers a delete of key.")
      .def("commit", &TransactionObject::Commit,
           "Applies the writes atomically; raises Busy on a conflict (nothing applied).")
      .def("rollback", &TransactionObject::Rollback, "Discards the writes.")
      .def("set_save_point", &TransactionObject::SetSavePoint,
           "Marks the write buffer's state (save points stack).")
      .def("rollback_to_save_point", &TransactionObject::RollbackToSavePoint,
           "Restores the writes to the last save point and removes it.")
      .def_property_readonly("ended", &TransactionObject::ended);
  RefuseSecondInit(transaction_class);
}

}  // namespace ziggydb::python
