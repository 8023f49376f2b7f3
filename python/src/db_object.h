// DBObject: the engine DB behind ziggydb.DB, with the rules that make it safe from Python.
//
// Thread safety and closing. Every engine call runs with the GIL released, so several Python
// threads may be inside the engine at once (the engine is thread-safe). close() may come from any
// thread at any time, so:
//  1. Every call that reaches the engine holds a DBCall for its duration. DBCall's constructor
//     raises RuntimeError if the DB is closed (or closing) and otherwise counts the call in
//     active_calls_.
//  2. state_, active_calls_ and dependents_ change only with the GIL held. Once close() set
//     state_ to kClosing no DBCall can start; Close() waits (GIL released) until active_calls_ is
//     0, then, with the GIL held throughout, takes every dependent's engine object (so no other
//     thread runs meanwhile: no dependent can be freed or release its object under it), and
//     finally, with the GIL released, frees them, newest first, and closes the engine DB. So no
//     engine object is freed under a running call, and none outlives the engine DB.
//  3. Dependents (iterators, snapshots, transactions: engine objects that must be freed before
//     the DB) register here; after Close() took their objects, their every use raises
//     RuntimeError. Each dependent holds a Python reference to its DBObject, so the DBObject
//     outlives them.
//  4. A dependent that frees its engine object itself with the GIL released (its close() or
//     destructor) first moves it out of the dependent with the GIL held, then counts the free as
//     an active call (DependentRelease) until it is done: Close() either takes the object itself
//     or waits for that free before it closes the engine DB.
//  5. A second close(), from any thread, returns once the first is done (state_ kClosed), so the
//     DB's directory is free to reopen when any close() returns.
#ifndef ZIGGYDB_PYTHON_DB_OBJECT_H_
#define ZIGGYDB_PYTHON_DB_OBJECT_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "constructed.h"
#include "ziggydb/db.h"

namespace ziggydb::python {

// An engine object taken from a dependent by DBObject::Close; destroying it frees the object
// (deletes an iterator or a transaction, releases a snapshot).
using EngineObject = std::shared_ptr<const void>;

// An object holding an engine resource tied to a DB.
class Dependent {
 public:
  virtual ~Dependent() = default;

  // For DBObject::Close: moves the engine resource out (later uses raise RuntimeError); null if
  // it was released already. Called with the GIL held and no engine call of this DB running; must
  // neither release the GIL nor run Python code (invariant 2).
  virtual EngineObject TakeEngineObject() = 0;

 private:
  friend class DBObject;
  uint64_t registration_ = 0;  // AddDependent's count when it registered this one
};

class DBObject {
 public:
  // Opens the DB at `name` (str or bytes path) with ZiggyDB-named `options` (options.h);
  // read_only: with DB::OpenReadOnly.
  DBObject(pybind11::object name, const pybind11::dict& options, bool read_only);
  DBObject(const DBObject&) = delete;
  DBObject& operator=(const DBObject&) = delete;
  // Closes the DB if close() was not called; an error then is dropped (there is no caller).
  ~DBObject();

  // Frees the dependents' engine objects and closes the DB (invariant 2). A second call returns
  // once the first is done (invariant 5). Raises the engine's close error, if any (the DB is
  // closed all the same; only the first call raises it).
  void Close();
  // close() has begun.
  bool closed() const { return state_ != State::kOpen; }
  const pybind11::object& name() const { return name_; }

  void Put(std::string_view db_prefix, pybind11::handle key, pybind11::handle value, bool sync);
  void Delete(std::string_view db_prefix, pybind11::handle key, bool sync);
  // The value of db_prefix + key as bytes, or default_value if it is absent.
  pybind11::object Get(std::string_view db_prefix, pybind11::handle key,
                       pybind11::handle default_value, const ReadOptions& options);
  void Write(const WriteBatch& batch, bool sync);
  // The property's text as bytes, or None if the name is unknown. A "leveldb." name is looked up
  // as "ziggydb." when the DB knows no such name, so plyvel programs' property reads still work.
  pybind11::object GetProperty(pybind11::handle name);
  void CompactRange(pybind11::handle start, pybind11::handle stop);
  void Flush();
  void WaitForBackgroundWork();
  // Makes `dir` a DB of its own holding this DB's current state (DB::CreateCheckpoint).
  void Checkpoint(pybind11::handle dir);
  // plyvel's approximate_sizes: one (start, stop) pair per range, the bytes of table files
  // holding keys in [start, stop) for each.
  pybind11::list ApproximateSizes(const pybind11::args& ranges);

  // The engine DB for a dependent releasing its resource. Invariant 2 makes it non-null while
  // any dependent holds one. The GIL must be held.
  DB* engine_of_dependent() const { return db_.get(); }

  void AddDependent(Dependent* dependent) {
    dependent->registration_ = ++dependents_added_;
    dependents_.insert(dependent);
  }
  void RemoveDependent(Dependent* dependent) { dependents_.erase(dependent); }

 private:
  friend class DBCall;
  friend class DependentRelease;

  enum class State : uint8_t { kOpen, kClosing, kClosed };

  pybind11::object name_;
  std::unique_ptr<DB> db_;
  // Read and written with the GIL held only (the invariants above).
  State state_ = State::kOpen;
  int active_calls_ = 0;
  uint64_t dependents_added_ = 0;
  std::unordered_set<Dependent*> dependents_;
};

// The DB object `db` is; TypeError for None (pybind11 casts None to a null pointer), the caster's
// errors for anything else that is not a constructed DB. The GIL must be held.
DBObject* DBObjectOf(pybind11::handle db);

// Counts one engine call of a DB for its lifetime (invariant 1 of DBObject). Construct it with the
// GIL held, before releasing the GIL for the call.
class DBCall {
 public:
  // Raises RuntimeError(closed_message) if the DB is closed or closing.
  explicit DBCall(DBObject* db, const char* closed_message = "Database is closed");
  DBCall(const DBCall&) = delete;
  DBCall& operator=(const DBCall&) = delete;
  ~DBCall() { --db_->active_calls_; }

  DB* engine() const { return db_->db_.get(); }

 private:
  DBObject* db_;
};

// Counts a dependent's free of its own engine object, with the GIL released, as an active call
// of the DB (invariant 4). Unlike a DBCall it is allowed while Close() waits for the calls in
// progress: it frees what Close() would have. Construct it with the GIL held, after moving the
// object out of the dependent (so that Close() can no longer take it).
class DependentRelease {
 public:
  explicit DependentRelease(DBObject* db) : db_(db) { ++db_->active_calls_; }
  DependentRelease(const DependentRelease&) = delete;
  DependentRelease& operator=(const DependentRelease&) = delete;
  ~DependentRelease() { --db_->active_calls_; }

 private:
  DBObject* db_;
};

// The file-system path a DB name (str, bytes or path-like) stands for. A NUL in it raises
// ValueError, as os functions do (the engine would end the path there).
std::string PathOf(pybind11::handle name);

// Binds ziggydb._DB.
void BindDB(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::DBObject)

#endif  // ZIGGYDB_PYTHON_DB_OBJECT_H_
