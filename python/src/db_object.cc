#include "db_object.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bytes_arg.h"
#include "errors.h"
#include "fast_calls.h"
#include "gc_tracked.h"
#include "options.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

// A read's value is built here, then copied once into the bytes object; reusing the buffer saves
// an allocation per read. Values over this size release their memory afterwards.
constexpr size_t kRetainedValueBytesMax = size_t{1} << 20;

}  // namespace

std::string PathOf(py::handle name) {
  // os.fsencode: str (with the file system encoding), bytes or any path-like object.
  std::string path = py::module_::import("os").attr("fsencode")(name).cast<std::string>();
  // The engine passes the path to the C library, which would end it at the NUL: another path.
  if (path.find('\0') != std::string::npos) throw py::value_error("embedded null byte");
  return path;
}

namespace {

// db_prefix + key, or key alone (no copy) when there is no prefix.
std::string_view FullKey(std::string_view db_prefix, std::string_view key, std::string* storage) {
  if (db_prefix.empty()) return key;
  storage->reserve(db_prefix.size() + key.size());
  storage->assign(db_prefix);
  storage->append(key);
  return *storage;
}

}  // namespace

DBObject* DBObjectOf(py::handle db) {
  if (db.is_none()) throw py::type_error("expected a ziggydb.DB, got None");
  return &db.cast<DBObject&>();
}

DBCall::DBCall(DBObject* db, const char* closed_message) : db_(db) {
  if (db->state_ != DBObject::State::kOpen) RaiseClosed(closed_message);
  ++db->active_calls_;
}

DBObject::DBObject(py::object name, const py::dict& options, bool read_only)
    : name_(std::move(name)) {
  Options engine_options;
  ApplyOptions(options, &engine_options);
  const std::string path = PathOf(name_);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = read_only ? DB::OpenReadOnly(engine_options, path, &db_)
                       : DB::Open(engine_options, path, &db_);
  }
  if (!status.ok()) {
    state_ = State::kClosed;
    RaiseStatus(status);
  }
}

DBObject::~DBObject() {
  if (closed()) return;
  try {
    Close();
  } catch (py::error_already_set& e) {
    e.discard_as_unraisable("closing a ziggydb.DB in its destructor");
  } catch (const std::bad_alloc&) {
    // No exception may leave a destructor: reported, and the engine DB's destructor (db_) closes
    // it. PyErr_NoMemory needs no memory (a preallocated MemoryError).
    PyErr_NoMemory();
    PyErr_WriteUnraisable(name_.ptr());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "a C++ exception closing a ziggydb.DB in its destructor");
    PyErr_WriteUnraisable(name_.ptr());
  }
}

void DBObject::Close() {
  // Another thread is closing the DB: return when it is done, as that thread's close() will; or,
  // if it failed for lack of memory (the DB open again), close it here.
  while (state_ == State::kClosing) {
    py::gil_scoped_release nogil;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (state_ == State::kClosed) return;
  state_ = State::kClosing;
  while (active_calls_ > 0) {
    py::gil_scoped_release nogil;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // INVARIANT: the GIL stays held from here until every engine object is taken (invariant 2):
  // no other thread can free a dependent, or release its object, while this loop runs.
  std::vector<EngineObject> taken;
  try {
    std::vector<Dependent*> newest_first(dependents_.begin(), dependents_.end());
    std::sort(newest_first.begin(), newest_first.end(), [](const Dependent* a, const Dependent* b) {
      return a->registration_ > b->registration_;
    });
    taken.reserve(newest_first.size());
    for (Dependent* dependent : newest_first)
      taken.push_back(dependent->TakeEngineObject());
  } catch (...) {
    // Out of memory: the DB stays open, so that close() can be called again (left kClosing,
    // every later close() would wait forever; one waiting now goes on to close it itself). A
    // dependent already taken is closed.
    state_ = State::kOpen;
    throw;
  }
  dependents_.clear();
  Status status;
  {
    py::gil_scoped_release nogil;
    // Newest first: an iterator goes before the transaction or snapshot it reads.
    for (EngineObject& object : taken)
      object.reset();
    status = db_->Close();
    db_.reset();
  }
  state_ = State::kClosed;
  if (!status.ok()) RaiseStatus(status);
}

void DBObject::Put(std::string_view db_prefix, py::handle key, py::handle value, bool sync) {
  BytesArg key_arg(key, "key");
  BytesArg value_arg(value, "value");
  std::string storage;
  const std::string_view full_key = FullKey(db_prefix, key_arg.view(), &storage);
  DBCall call(this);
  WriteOptions options;
  options.sync = sync;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->Put(options, full_key, value_arg.view());
  }
  if (!status.ok()) RaiseStatus(status);
}

void DBObject::Delete(std::string_view db_prefix, py::handle key, bool sync) {
  BytesArg key_arg(key, "key");
  std::string storage;
  const std::string_view full_key = FullKey(db_prefix, key_arg.view(), &storage);
  DBCall call(this);
  WriteOptions options;
  options.sync = sync;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->Delete(options, full_key);
  }
  if (!status.ok()) RaiseStatus(status);
}

py::object DBObject::Get(std::string_view db_prefix, py::handle key, py::handle default_value,
                         const ReadOptions& options) {
  BytesArg key_arg(key, "key");
  std::string storage;
  const std::string_view full_key = FullKey(db_prefix, key_arg.view(), &storage);
  DBCall call(this);
  thread_local std::string value;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->Get(options, full_key, &value);
  }
  if (status.IsNotFound()) return py::reinterpret_borrow<py::object>(default_value);
  if (!status.ok()) RaiseStatus(status);
  PyObject* bytes = PyBytes_FromStringAndSize(value.data(), static_cast<Py_ssize_t>(value.size()));
  if (value.capacity() > kRetainedValueBytesMax) std::string().swap(value);
  if (bytes == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(bytes);
}

void DBObject::Write(const WriteBatch& batch, bool sync) {
  DBCall call(this);
  WriteOptions options;
  options.sync = sync;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->Write(options, batch);
  }
  if (!status.ok()) RaiseStatus(status);
}

py::object DBObject::GetProperty(py::handle name) {
  BytesArg name_arg(name, "name");
  std::string property(name_arg.view());
  DBCall call(this);
  std::string value;
  bool found;
  {
    py::gil_scoped_release nogil;
    found = call.engine()->GetProperty(property, &value);
    constexpr std::string_view kLevelDBPrefix = "leveldb.";
    if (!found && property.starts_with(kLevelDBPrefix)) {
      property.replace(0, kLevelDBPrefix.size(), "ziggydb.");
      found = call.engine()->GetProperty(property, &value);
    }
  }
  if (!found) return py::none();
  return py::bytes(value);
}

void DBObject::CompactRange(py::handle start, py::handle stop) {
  std::optional<BytesArg> start_arg;
  std::optional<BytesArg> stop_arg;
  if (!start.is_none()) start_arg.emplace(start, "start");
  if (!stop.is_none()) stop_arg.emplace(stop, "stop");
  std::optional<std::string_view> begin;
  std::optional<std::string_view> end;
  if (start_arg) begin = start_arg->view();
  if (stop_arg) end = stop_arg->view();
  DBCall call(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->CompactRange(begin, end);
  }
  if (!status.ok()) RaiseStatus(status);
}

void DBObject::Flush() {
  DBCall call(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->Flush();
  }
  if (!status.ok()) RaiseStatus(status);
}

void DBObject::WaitForBackgroundWork() {
  DBCall call(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->WaitForBackgroundWork();
  }
  if (!status.ok()) RaiseStatus(status);
}

void DBObject::Checkpoint(py::handle dir) {
  const std::string path = PathOf(dir);
  DBCall call(this);
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->CreateCheckpoint(path);
  }
  if (!status.ok()) RaiseStatus(status);
}

py::list DBObject::ApproximateSizes(const py::args& ranges) {
  // The pairs keep the key objects alive (a range may be an iterable whose keys nothing else
  // holds, e.g. a generator), and the BytesArgs keep their bytes exported, until the engine call
  // returns.
  std::vector<py::tuple> pairs;
  std::vector<std::unique_ptr<BytesArg>> keys;
  std::vector<DB::Range> engine_ranges;
  for (py::handle range : ranges) {
    PyObject* raw = PySequence_Tuple(range.ptr());
    if (raw == nullptr || PyTuple_GET_SIZE(raw) != 2) {
      Py_XDECREF(raw);
      PyErr_Clear();
      throw py::value_error("each range must be a (start, stop) pair");
    }
    const py::tuple& pair = pairs.emplace_back(py::reinterpret_steal<py::tuple>(raw));
    keys.push_back(std::make_unique<BytesArg>(pair[0], "start"));
    keys.push_back(std::make_unique<BytesArg>(pair[1], "stop"));
    engine_ranges.push_back({keys[keys.size() - 2]->view(), keys.back()->view()});
  }
  DBCall call(this);
  std::vector<uint64_t> sizes(engine_ranges.size());
  Status status;
  {
    py::gil_scoped_release nogil;
    status = call.engine()->GetApproximateSizes(engine_ranges.data(), engine_ranges.size(),
                                                sizes.data());
  }
  if (!status.ok()) RaiseStatus(status);
  py::list result;
  for (uint64_t size : sizes)
    result.append(size);
  return result;
}

namespace {

// tp_traverse of _DB in place of pybind11's (which visits the instance __dict__ and the type).
// From Python 3.11, CPython's tp_traverse of a Python subclass's instance (ziggydb.DB) visits the
// managed __dict__ itself before calling this one: visiting it again would count one reference
// twice, so the collector would take the dict for one referenced from outside and never collect
// a cycle through it (e.g. db.it = db.iterator()).
int TraverseDB(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));  // a heap type's instance holds a reference to it
#if PY_VERSION_HEX >= 0x030B0000
  if (Py_TYPE(self)->tp_traverse != &TraverseDB) return 0;
#endif
  PyObject** dict = _PyObject_GetDictPtr(self);
  if (dict != nullptr) Py_VISIT(*dict);
  return 0;
}

}  // namespace

void BindDB(py::module_& module) {
  py::class_<DBObject> db_class(module, "_DB", py::dynamic_attr(),
                                py::custom_type_setup([](PyHeapTypeObject* heap_type) {
                                  heap_type->ht_type.tp_traverse = &TraverseDB;
                                  // ~DBObject releases the GIL (Close).
                                  heap_type->ht_type.tp_dealloc = &UntrackThenDealloc;
                                }));
  db_class
      .def(py::init<py::object, const py::dict&, bool>(), py::arg("name"), py::arg("options"),
           py::arg("read_only") = false)
      .def("close", &DBObject::Close, "Closes the DB (and its iterators and snapshots).")
      .def_property_readonly("closed", &DBObject::closed)
      .def_property_readonly("name", &DBObject::name)
      .def(
          "delete", [](DBObject& db, py::handle key, bool sync) { db.Delete({}, key, sync); },
          py::arg("key"), py::kw_only(), py::arg("sync") = false,
          "Removes key (an absent key is not an error).")
      .def("_put", [](DBObject& db, py::bytes prefix, py::handle key, py::handle value,
                      bool sync) { db.Put(std::string_view(prefix), key, value, sync); })
      .def("_delete", [](DBObject& db, py::bytes prefix, py::handle key,
                         bool sync) { db.Delete(std::string_view(prefix), key, sync); })
      .def("_get",
           [](DBObject& db, py::bytes prefix, py::handle key, py::handle default_value,
              bool verify_checksums, bool fill_cache) {
             ReadOptions options;
             options.verify_checksums = verify_checksums;
             options.fill_cache = fill_cache;
             return db.Get(std::string_view(prefix), key, default_value, options);
           })
      .def("get_property", &DBObject::GetProperty, py::arg("name"),
           "The named property (e.g. b'ziggydb.stats') as bytes, or None if unknown.")
      .def("compact_range", &DBObject::CompactRange, py::kw_only(), py::arg("start") = py::none(),
           py::arg("stop") = py::none(),
           "Compacts the keys from start to stop, both inclusive (None: unbounded).")
      .def("flush", &DBObject::Flush, "Writes the memtable to a table file and waits for it.")
      .def("checkpoint", &DBObject::Checkpoint, py::arg("dir"),
           "Makes dir (which must not exist) a DB of its own holding this DB's current state.")
      .def("approximate_sizes", &DBObject::ApproximateSizes,
           "For each (start, stop) range, about how many bytes of table files hold its keys.")
      .def(
          "approximate_size",
          [](DBObject& db, py::handle start, py::handle stop) -> py::object {
            py::tuple ranges = py::make_tuple(py::make_tuple(start, stop));
            // An object, not the list item accessor: that refers to the list, which dies here.
            return db.ApproximateSizes(py::reinterpret_borrow<py::args>(ranges))[0];
          },
          py::arg("start"), py::arg("stop"), "approximate_sizes for one range.")
      .def("wait_for_background_work", &DBObject::WaitForBackgroundWork,
           "Waits until no flush or compaction is running or due.");
  // get and put, the hot calls, are bound without pybind11's dispatcher (fast_calls.h).
  InstallFastDBCalls(db_class);
  RefuseSecondInit(db_class);
}

}  // namespace ziggydb::python
