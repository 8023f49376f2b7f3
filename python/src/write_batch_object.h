// WriteBatchObject: ziggydb.WriteBatch, plyvel's WriteBatch over the engine's WriteBatch.
//
// Updates collect in memory and reach the DB atomically on write(), or at the end of a `with`
// block. An exception leaving the block still writes the batch, unless it was made with
// transaction=True (then nothing is written), as in plyvel. A batch of a prefixed DB prepends
// the prefix to its keys. write() leaves the batch as it is (it may be written again).
//
// Threads: write() reads the batch with the GIL released, so while a write() is in progress (in
// any thread) put, delete, clear and append raise RuntimeError instead of changing the batch
// under it; several write() calls may run at once.
#ifndef ZIGGYDB_PYTHON_WRITE_BATCH_OBJECT_H_
#define ZIGGYDB_PYTHON_WRITE_BATCH_OBJECT_H_

#include <pybind11/pybind11.h>

#include <string>

#include "constructed.h"
#include "db_object.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::python {

class WriteBatchObject {
 public:
  WriteBatchObject(pybind11::object db, std::string db_prefix, bool transaction, bool sync);

  void Put(pybind11::handle key, pybind11::handle value);
  void Delete(pybind11::handle key);
  void Clear();
  void Append(const WriteBatchObject& other);
  size_t ApproximateSize() const { return batch_.ApproximateSize(); }
  void Write();
  // The `with` block's end: writes unless an exception left a transactional batch.
  void Exit(pybind11::handle exception_type);

  const WriteBatch& batch() const { return batch_; }

  // The collector's tp_traverse and tp_clear (gc_tracked.h). After ClearReferences write()
  // raises RuntimeError.
  int Traverse(visitproc visit, void* arg) const;
  void ClearReferences() noexcept;

 private:
  std::string FullKey(pybind11::handle key) const;
  // Raises RuntimeError if a write() is in progress: called before every change of the batch.
  void CheckNotBeingWritten() const;

  pybind11::object db_ref_;  // keeps db_ alive; null (and db_ null) once ClearReferences ran
  DBObject* db_;
  std::string db_prefix_;
  bool transaction_;
  bool sync_;
  WriteBatch batch_;
  int writes_in_progress_ = 0;  // read and written with the GIL held
};

// Binds ziggydb.WriteBatch.
void BindWriteBatch(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::WriteBatchObject)

#endif  // ZIGGYDB_PYTHON_WRITE_BATCH_OBJECT_H_
