// DBObject: the engine DB behind ziggydb.DB, with the rules that make it safe from Python.
//
// Thread safety and closing. Every engine call runs with the GIL released, so several Python
// threads may be inside the engine at once (the engine is thread-safe). close() may come from any
// thread at any time, so:
//  1. Every call that reaches the engine holds a DBCall for its duration. DBCall's constructor
//     raises RuntimeError if the DB is closed and otherwise counts the call in active_calls_.
//  2. active_calls_ and closed_ change only with the GIL held; once closed_ is set no DBCall can
//     start, and Close() waits (GIL released) until active_calls_ is 0 before it releases the
//     dependents and closes the engine DB. So no engine object is freed under a running call.
//  3. Dependents (iterators, snapshots, transactions: engine objects that must be released
//     before the DB) register here; Close() releases them first, after which their every use
//     raises RuntimeError. Each dependent holds a Python reference to its DBObject, so the
//     DBObject outlives them.
#ifndef ZIGGYDB_PYTHON_DB_OBJECT_H_
#define ZIGGYDB_PYTHON_DB_OBJECT_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ziggydb/db.h"

namespace ziggydb::python {

// An object holding an engine resource tied to a DB.
class Dependent {
 public:
  virtual ~Dependent() = default;
  // Frees the engine resource; later uses raise RuntimeError. Called with the GIL held and no
  // engine call of this DB running. Idempotent.
  virtual void ReleaseEngineResources() = 0;
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

  // Releases the dependents and closes the DB; a second call does nothing. Raises the engine's
  // close error, if any (the DB is closed all the same).
  void Close();
  bool closed() const { return closed_; }
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

  // The engine DB for a dependent releasing its resource. Invariant 3 makes it non-null while
  // any dependent holds one. The GIL must be held.
  DB* engine_of_dependent() const { return db_.get(); }

  void AddDependent(Dependent* dependent) { dependents_.insert(dependent); }
  void RemoveDependent(Dependent* dependent) { dependents_.erase(dependent); }

 private:
  friend class DBCall;

  pybind11::object name_;
  std::unique_ptr<DB> db_;
  // Both are read and written with the GIL held only (the invariants above).
  bool closed_ = false;
  int active_calls_ = 0;
  std::unordered_set<Dependent*> dependents_;
};

// Counts one engine call of a DB for its lifetime (invariant 1 of DBObject). Construct it with the
// GIL held, before releasing the GIL for the call.
class DBCall {
 public:
  // Raises RuntimeError(closed_message) if the DB is closed.
  explicit DBCall(DBObject* db, const char* closed_message = "Database is closed");
  DBCall(const DBCall&) = delete;
  DBCall& operator=(const DBCall&) = delete;
  ~DBCall() { --db_->active_calls_; }

  DB* engine() const { return db_->db_.get(); }

 private:
  DBObject* db_;
};

// The file-system path a DB name (str, bytes or path-like) stands for.
std::string PathOf(pybind11::handle name);

// Binds ziggydb._DB.
void BindDB(pybind11::module_& module);

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_DB_OBJECT_H_
