#include "iterator_object.h"

#include <algorithm>
#include <utility>

#include "bytes_arg.h"
#include "errors.h"
#include "fast_calls.h"
#include "gc_tracked.h"
#include "snapshot_object.h"
#include "transaction_object.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

constexpr char kClosedMessage[] = "Database or iterator is closed";

// The smallest key greater than every key starting with `prefix`, or none if there is no such key
// (the prefix is empty or all 0xff bytes).
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

std::string Concat(std::string_view a, std::string_view b) {
  std::string result;
  result.reserve(a.size() + b.size());
  result.append(a);
  result.append(b);
  return result;
}

void CheckRangeArguments(const IteratorObject::Range& range) {
  if (!range.prefix.is_none() && (!range.start.is_none() || !range.stop.is_none())) {
    throw py::type_error("'prefix' cannot be used together with 'start' or 'stop'");
  }
}

// The inclusive engine lower bound of the range.
std::optional<std::string> LowerBound(const IteratorObject::Range& range) {
  CheckRangeArguments(range);
  if (!range.prefix.is_none()) {
    return Concat(range.db_prefix, BytesArg(range.prefix, "prefix").view());
  }
  if (!range.start.is_none()) {
    std::string bound = Concat(range.db_prefix, BytesArg(range.start, "start").view());
    // The smallest key after `start` is start + "\0".
    if (!range.include_start) bound.push_back('\0');
    return bound;
  }
  if (!range.db_prefix.empty()) return range.db_prefix;
  return std::nullopt;
}

// The exclusive engine upper bound of the range.
std::optional<std::string> UpperBound(const IteratorObject::Range& range) {
  if (!range.prefix.is_none()) {
    return PrefixSuccessor(Concat(range.db_prefix, BytesArg(range.prefix, "prefix").view()));
  }
  if (!range.stop.is_none()) {
    std::string bound = Concat(range.db_prefix, BytesArg(range.stop, "stop").view());
    if (range.include_stop) bound.push_back('\0');
    return bound;
  }
  if (!range.db_prefix.empty()) return PrefixSuccessor(range.db_prefix);
  return std::nullopt;
}

py::bytes Bytes(std::string_view view) {
  return py::bytes(view.data(), view.size());
}

}  // namespace

IteratorBase::IteratorBase(py::object db, py::handle source, bool verify_checksums, bool fill_cache,
                           std::optional<std::string> lower_bound,
                           std::optional<std::string> upper_bound)
    : db_ref_(std::move(db)),
      db_(DBObjectOf(db_ref_)),
      source_ref_(py::reinterpret_borrow<py::object>(source)),
      lower_bound_(std::move(lower_bound)),
      upper_bound_(std::move(upper_bound)) {
  ReadOptions options;
  options.verify_checksums = verify_checksums;
  options.fill_cache = fill_cache;
  if (lower_bound_) options.iterate_lower_bound = *lower_bound_;
  if (upper_bound_) options.iterate_upper_bound = *upper_bound_;
  std::optional<SnapshotObject::Use> snapshot_use;
  std::optional<TransactionObject::Use> transaction_use;
  if (py::isinstance<SnapshotObject>(source)) {
    snapshot_use.emplace(source.cast<SnapshotObject*>());
    options.snapshot = snapshot_use->snapshot();
  } else if (!source.is_none()) {
    transaction_ = source.cast<TransactionObject*>();
    transaction_use.emplace(transaction_);
  }
  DBCall call(db_, kClosedMessage);
  {
    py::gil_scoped_release nogil;
    engine_ = transaction_use ? transaction_use->engine()->NewIterator(options)
                              : call.engine()->NewIterator(options);
  }
  db_->AddDependent(this);
}

IteratorBase::~IteratorBase() {
  ReleaseEngineResources();
  if (db_ != nullptr) db_->RemoveDependent(this);
}

int IteratorBase::Traverse(visitproc visit, void* arg) const {
  Py_VISIT(db_ref_.ptr());
  Py_VISIT(source_ref_.ptr());
  return 0;
}

void IteratorBase::ClearReferences() noexcept {
  if (db_ == nullptr || in_use_) return;
  try {
    ReleaseEngineResources();
  } catch (...) {
    return;  // e.g. out of memory deferring the free: keep the references the object needs
  }
  db_->RemoveDependent(this);
  db_ = nullptr;
  transaction_ = nullptr;
  // Moved out first: dropping a reference may run any code, which must find them gone.
  py::object source = std::move(source_ref_);
  py::object db = std::move(db_ref_);
}

void IteratorBase::ReleaseEngineResources() {
  if (engine_ == nullptr) return;
  // Only a user's close() can meet this: a method in progress holds a reference to the iterator,
  // so the destructor cannot run meanwhile.
  if (in_use_) RaiseClosed("the iterator is in use by another thread");
  std::unique_ptr<Iterator> engine = std::move(engine_);
  if (transaction_ != nullptr) {
    // The engine iterator unregisters from its transaction as it is freed: not while a call of
    // the transaction runs.
    transaction_->FreeIterator(std::move(engine));
    return;
  }
  DependentRelease release(db_);
  py::gil_scoped_release nogil;
  engine.reset();
}

EngineObject IteratorBase::TakeEngineObject() {
  return EngineObject(std::move(engine_));
}

void IteratorBase::CheckStatus() const {
  Status status = engine_->status();
  if (!status.ok()) RaiseStatus(status);
}

IteratorBase::Use::Use(IteratorBase* iterator) : iterator_(iterator) {
  if (iterator->engine_ == nullptr) RaiseClosed(kClosedMessage);
  if (iterator->in_use_) RaiseClosed("the iterator is in use by another thread");
  if (iterator->transaction_ != nullptr) transaction_use_.emplace(iterator->transaction_);
  call_.emplace(iterator->db_, kClosedMessage);
  iterator->in_use_ = true;
}

IteratorObject::IteratorObject(py::object db, py::handle source, const Range& range, bool reverse,
                               bool include_key, bool include_value, bool verify_checksums,
                               bool fill_cache)
    : IteratorBase(std::move(db), source, verify_checksums, fill_cache, LowerBound(range),
                   UpperBound(range)),
      strip_bytes_(range.db_prefix.size()),
      db_prefix_(range.db_prefix),
      reverse_(reverse),
      include_key_(include_key),
      include_value_(include_value),
      follows_writes_(reads_transaction()) {
  if (reverse_) {
    SeekToStop();
  } else {
    SeekToStart();
  }
}

py::object IteratorObject::Entry(std::string_view key, std::string_view value) const {
  if (include_key_ && include_value_) {
    PyObject* tuple = PyTuple_New(2);
    if (tuple == nullptr) throw py::error_already_set();
    py::object result = py::reinterpret_steal<py::object>(tuple);
    PyTuple_SET_ITEM(tuple, 0, Bytes(key.substr(strip_bytes_)).release().ptr());
    PyTuple_SET_ITEM(tuple, 1, Bytes(value).release().ptr());
    return result;
  }
  if (include_key_) return Bytes(key.substr(strip_bytes_));
  if (include_value_) return Bytes(value);
  return py::none();
}

py::object IteratorObject::Entry() const {
  return Entry(engine()->key(), engine()->value());
}

void IteratorObject::ReadAhead() {
  Iterator* it = engine();
  const size_t wanted = read_ahead_entries_;
  if (ahead_.size() < wanted) ahead_.resize(wanted);
  // An entry counts once the engine is past it, so that an exception (out of memory copying an
  // entry) keeps the invariant: the engine on the first entry after those counted.
  ahead_pos_ = ahead_count_ = 0;
  bool valid = true;
  {
    py::gil_scoped_release nogil;
    while (ahead_count_ < wanted && valid) {
      AheadEntry& slot = ahead_[ahead_count_];
      slot.key.assign(it->key());
      if (include_value_) slot.value.assign(it->value());
      it->Next();
      ++ahead_count_;
      valid = it->Valid();
    }
  }
  // The engine's error, if it met one, is raised once the entries read before it are returned.
  at_high_end_ = !valid;
  read_ahead_entries_ = std::min(wanted * 2, kReadAheadEntriesMax);
}

void IteratorObject::Settle() {
  read_ahead_entries_ = 1;
  if (ahead_pos_ == ahead_count_) {
    ahead_pos_ = ahead_count_ = 0;
    return;
  }
  const std::string& next_key = ahead_[ahead_pos_].key;
  ahead_pos_ = ahead_count_ = 0;
  Iterator* it = engine();
  bool valid;
  {
    py::gil_scoped_release nogil;
    it->Seek(next_key);
    valid = it->Valid();
  }
  CheckStatus();
  at_high_end_ = !valid;
}

py::object IteratorObject::StepUp() {
  if (ahead_pos_ == ahead_count_) {
    if (at_high_end_) {
      CheckStatus();
      return py::object();
    }
    ReadAhead();
  }
  const AheadEntry& entry = ahead_[ahead_pos_];
  py::object result = Entry(entry.key, entry.value);
  ++ahead_pos_;  // once its object exists: out of memory making it leaves the entry next
  return result;
}

py::object IteratorObject::StepDown() {
  Settle();
  Iterator* it = engine();
  bool valid;
  {
    py::gil_scoped_release nogil;
    if (at_high_end_) {
      it->SeekToLast();
    } else {
      it->Prev();
    }
    valid = it->Valid();
  }
  if (valid) {
    at_high_end_ = false;
    return Entry();
  }
  CheckStatus();
  // Nothing below the cursor: it is at the low end; put the engine back on the first entry.
  {
    py::gil_scoped_release nogil;
    it->SeekToFirst();
    valid = it->Valid();
  }
  CheckStatus();
  at_high_end_ = !valid;
  return py::object();
}

py::object IteratorObject::FreshStepUp() {
  if (cursor_ == Cursor::kHighEnd) return py::object();
  Iterator* it = engine();
  const bool from_cursor_key = engine_on_cursor_key_;
  engine_on_cursor_key_ = false;  // until the move lands
  bool valid;
  {
    py::gil_scoped_release nogil;
    if (cursor_ == Cursor::kLowEnd) {
      it->SeekToFirst();
    } else if (cursor_ == Cursor::kAfterKey && from_cursor_key) {
      it->Next();
    } else {
      it->Seek(cursor_key_);
      // Rare (after an error): the cursor is after the key, not before it.
      if (cursor_ == Cursor::kAfterKey && it->Valid() && it->key() == cursor_key_) it->Next();
    }
    valid = it->Valid();
  }
  return Land(valid, Cursor::kAfterKey, Cursor::kHighEnd);
}

py::object IteratorObject::FreshStepDown() {
  if (cursor_ == Cursor::kLowEnd) return py::object();
  Iterator* it = engine();
  const bool from_cursor_key = engine_on_cursor_key_;
  engine_on_cursor_key_ = false;  // until the move lands
  bool valid;
  {
    py::gil_scoped_release nogil;
    if (cursor_ == Cursor::kHighEnd) {
      it->SeekToLast();
    } else if (cursor_ == Cursor::kBeforeKey && from_cursor_key) {
      it->Prev();
    } else {
      it->SeekForPrev(cursor_key_);
      // After a seek(): the cursor is before the target, so an entry at it is not below it.
      if (cursor_ == Cursor::kBeforeKey && it->Valid() && it->key() == cursor_key_) it->Prev();
    }
    valid = it->Valid();
  }
  return Land(valid, Cursor::kBeforeKey, Cursor::kLowEnd);
}

py::object IteratorObject::Land(bool valid, Cursor beyond, Cursor end) {
  if (!valid) {
    CheckStatus();  // raises with the cursor where it was: the next step seeks to it again
    cursor_ = end;
    return py::object();
  }
  py::object entry = Entry();
  cursor_key_.assign(engine()->key());
  cursor_ = beyond;
  engine_on_cursor_key_ = true;
  return entry;
}

py::object IteratorObject::Next() {
  Use use(this);
  py::object entry = reverse_ ? Down() : Up();
  if (!entry) throw py::stop_iteration();
  return entry;
}

PyObject* IteratorObject::NextOrNull() {
  Use use(this);
  py::object entry = reverse_ ? Down() : Up();
  return entry.release().ptr();
}

py::object IteratorObject::Prev() {
  Use use(this);
  py::object entry = reverse_ ? Up() : Down();
  if (!entry) throw py::stop_iteration();
  return entry;
}

void IteratorObject::Seek(py::handle target) {
  BytesArg target_arg(target, "target");
  std::string full = Concat(db_prefix_, target_arg.view());
  Use use(this);
  ahead_pos_ = ahead_count_ = 0;
  read_ahead_entries_ = 1;
  if (upper_bound() && full >= *upper_bound()) {
    at_high_end_ = true;
    cursor_ = Cursor::kHighEnd;
    return;
  }
  if (follows_writes_) {
    engine_on_cursor_key_ = false;
    cursor_key_ = std::move(full);
    cursor_ = Cursor::kBeforeKey;
    return;
  }
  Iterator* it = engine();
  bool valid;
  {
    py::gil_scoped_release nogil;
    it->Seek(full);  // the engine raises a target below the lower bound to it
    valid = it->Valid();
  }
  CheckStatus();
  at_high_end_ = !valid;
}

void IteratorObject::SeekToStart() {
  Use use(this);
  ahead_pos_ = ahead_count_ = 0;
  read_ahead_entries_ = 1;
  if (follows_writes_) {
    engine_on_cursor_key_ = false;
    cursor_ = Cursor::kLowEnd;
    return;
  }
  Iterator* it = engine();
  bool valid;
  {
    py::gil_scoped_release nogil;
    it->SeekToFirst();
    valid = it->Valid();
  }
  CheckStatus();
  at_high_end_ = !valid;
}

void IteratorObject::SeekToStop() {
  Use use(this);
  ahead_pos_ = ahead_count_ = 0;
  read_ahead_entries_ = 1;
  at_high_end_ = true;
  engine_on_cursor_key_ = false;
  cursor_ = Cursor::kHighEnd;
}

RawIteratorObject::RawIteratorObject(py::object db, py::handle source, bool verify_checksums,
                                     bool fill_cache)
    : IteratorBase(std::move(db), source, verify_checksums, fill_cache, std::nullopt,
                   std::nullopt) {}

bool RawIteratorObject::Valid() {
  Use use(this);
  return engine()->Valid();
}

void RawIteratorObject::RequireValid() {
  if (engine()->Valid()) return;
  CheckStatus();
  RaiseIteratorInvalid("the iterator is not positioned at an entry");
}

void RawIteratorObject::SeekToFirst() {
  Use use(this);
  {
    py::gil_scoped_release nogil;
    engine()->SeekToFirst();
  }
  CheckStatus();
}

void RawIteratorObject::SeekToLast() {
  Use use(this);
  {
    py::gil_scoped_release nogil;
    engine()->SeekToLast();
  }
  CheckStatus();
}

void RawIteratorObject::Seek(py::handle target) {
  BytesArg target_arg(target, "target");
  Use use(this);
  {
    py::gil_scoped_release nogil;
    engine()->Seek(target_arg.view());
  }
  CheckStatus();
}

void RawIteratorObject::Next() {
  Use use(this);
  RequireValid();
  {
    py::gil_scoped_release nogil;
    engine()->Next();
  }
  CheckStatus();
}

void RawIteratorObject::Prev() {
  Use use(this);
  RequireValid();
  {
    py::gil_scoped_release nogil;
    engine()->Prev();
  }
  CheckStatus();
}

py::bytes RawIteratorObject::Key() {
  Use use(this);
  RequireValid();
  return Bytes(engine()->key());
}

py::bytes RawIteratorObject::Value() {
  Use use(this);
  RequireValid();
  return Bytes(engine()->value());
}

py::tuple RawIteratorObject::Item() {
  Use use(this);
  RequireValid();
  return py::make_tuple(Bytes(engine()->key()), Bytes(engine()->value()));
}

void BindIterators(py::module_& module) {
  py::class_<IteratorObject> iterator(module, "Iterator", GcTracked<IteratorObject>());
  iterator
      .def(py::init([](py::object db, py::handle source, std::string db_prefix, bool reverse,
                       py::object start, py::object stop, bool include_start, bool include_stop,
                       py::object prefix, bool include_key, bool include_value,
                       bool verify_checksums, bool fill_cache) {
             IteratorObject::Range range{std::move(db_prefix), std::move(start), std::move(stop),
                                         include_start,        include_stop,     std::move(prefix)};
             return std::make_unique<IteratorObject>(std::move(db), source, range, reverse,
                                                     include_key, include_value, verify_checksums,
                                                     fill_cache);
           }),
           py::arg("db"), py::arg("source"), py::arg("db_prefix"), py::arg("reverse"),
           py::arg("start"), py::arg("stop"), py::arg("include_start"), py::arg("include_stop"),
           py::arg("prefix"), py::arg("include_key"), py::arg("include_value"),
           py::arg("verify_checksums"), py::arg("fill_cache"))
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &IteratorObject::Next)
      .def("prev", &IteratorObject::Prev, "Moves back one entry and returns it.")
      .def("seek", &IteratorObject::Seek, py::arg("target"),
           "Moves to just before the first key >= target.")
      .def("seek_to_start", &IteratorObject::SeekToStart, "Moves to the low end of the range.")
      .def("seek_to_stop", &IteratorObject::SeekToStop, "Moves to the high end of the range.")
      .def("close", &IteratorObject::ReleaseEngineResources, "Releases the iterator.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](IteratorObject& self, py::args) { self.ReleaseEngineResources(); });

  InstallFastIteratorNext(iterator);
  RefuseSecondInit(iterator);

  py::class_<RawIteratorObject> raw_iterator(module, "RawIterator", GcTracked<RawIteratorObject>());
  raw_iterator
      .def(py::init<py::object, py::handle, bool, bool>(), py::arg("db"), py::arg("source"),
           py::arg("verify_checksums"), py::arg("fill_cache"))
      .def("valid", &RawIteratorObject::Valid)
      .def("seek_to_first", &RawIteratorObject::SeekToFirst)
      .def("seek_to_last", &RawIteratorObject::SeekToLast)
      .def("seek", &RawIteratorObject::Seek, py::arg("target"))
      .def("next", &RawIteratorObject::Next)
      .def("prev", &RawIteratorObject::Prev)
      .def("key", &RawIteratorObject::Key)
      .def("value", &RawIteratorObject::Value)
      .def("item", &RawIteratorObject::Item)
      .def("close", &RawIteratorObject::ReleaseEngineResources)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](RawIteratorObject& self, py::args) { self.ReleaseEngineResources(); });
  RefuseSecondInit(raw_iterator);
}

}  // namespace ziggydb::python
