// SnapshotObject: ziggydb.Snapshot, an engine snapshot held from Python until close()/release(),
// the end of its `with` block, or the DB's close (it is a Dependent of its DB, db_object.h).
// Reads through it see the DB as of its creation. A snapshot of a prefixed DB reads and iterates
// within that prefix (db_prefix), as plyvel's does; its raw_iterator() does not (it walks the
// whole DB, keys as stored, as every raw iterator does).
#ifndef ZIGGYDB_PYTHON_SNAPSHOT_OBJECT_H_
#define ZIGGYDB_PYTHON_SNAPSHOT_OBJECT_H_

#include <pybind11/pybind11.h>

#include <string>

#include "constructed.h"
#include "db_object.h"

namespace ziggydb::python {

class SnapshotObject final : public Dependent {
 public:
  SnapshotObject(pybind11::object db, std::string db_prefix);
  SnapshotObject(const SnapshotObject&) = delete;
  SnapshotObject& operator=(const SnapshotObject&) = delete;
  ~SnapshotObject() override;

  // The user's close() and the destructor's release: waits for the reads through the snapshot in
  // progress (in other threads), then releases it. Idempotent.
  void ReleaseEngineResources();
  EngineObject TakeEngineObject() override;

  // The collector's tp_traverse and tp_clear (gc_tracked.h). ClearReferences releases the
  // snapshot and unregisters it from its DB, then drops the DB.
  int Traverse(visitproc visit, void* arg) const;
  void ClearReferences() noexcept;

  // Holds the snapshot for one read that releases the GIL, so that close() from another thread
  // waits for the read. Raises RuntimeError if the snapshot is released.
  class Use {
   public:
    explicit Use(SnapshotObject* snapshot);
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use() { --snapshot_->active_uses_; }
    const Snapshot* snapshot() const { return snapshot_->snapshot_; }

   private:
    SnapshotObject* snapshot_;
  };

  DBObject* db() const { return db_; }
  // RuntimeError once ClearReferences ran.
  pybind11::object db_object() const;
  const std::string& db_prefix() const { return db_prefix_; }

 private:
  pybind11::object db_ref_;  // keeps db_ alive; null (and db_ null) once ClearReferences ran
  DBObject* db_;
  std::string db_prefix_;
  const Snapshot* snapshot_ = nullptr;  // nullptr once released
  int active_uses_ = 0;                 // Uses alive; read and written with the GIL held
};

// Binds ziggydb._Snapshot (the package adds the iterator methods in Python).
void BindSnapshot(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::SnapshotObject)

#endif  // ZIGGYDB_PYTHON_SNAPSHOT_OBJECT_H_
