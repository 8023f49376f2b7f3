// TransactionObject: ziggydb.Transaction, an engine transaction (include/ziggydb/transaction.h)
// held from Python, a Dependent of its DB (db_object.h).
//
// Reads see the snapshot taken at its start plus its own writes; writes are buffered until
// commit(), which applies them atomically or raises ziggydb.Busy on a conflict (nothing applied:
// run it again, e.g. with DB.run_transaction). The package's Transaction class adds the context
// manager (commit on a clean exit, rollback on an exception) and iterator(). A transaction is used
// by one thread at a time: a second thread calling it, or one of its iterators (whose methods
// hold the transaction too, iterator_object.h), while the first is inside gets RuntimeError.
#ifndef ZIGGYDB_PYTHON_TRANSACTION_OBJECT_H_
#define ZIGGYDB_PYTHON_TRANSACTION_OBJECT_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <vector>

#include "constructed.h"
#include "db_object.h"
#include "ziggydb/iterator.h"
#include "ziggydb/transaction.h"

namespace ziggydb::python {

class TransactionObject final : public Dependent {
 public:
  TransactionObject(pybind11::object db, bool serializable, bool sync);
  TransactionObject(const TransactionObject&) = delete;
  TransactionObject& operator=(const TransactionObject&) = delete;
  ~TransactionObject() override;

  EngineObject TakeEngineObject() override;

  // The collector's tp_traverse and tp_clear (gc_tracked.h). ClearReferences rolls back and frees
  // the engine transaction (its iterators turn invalid) and unregisters it, then drops the DB.
  int Traverse(visitproc visit, void* arg) const;
  void ClearReferences() noexcept;

  pybind11::object Get(pybind11::handle key, pybind11::handle default_value, bool verify_checksums,
                       bool fill_cache);
  void Put(pybind11::handle key, pybind11::handle value);
  void Delete(pybind11::handle key);
  void Commit();
  void Rollback();
  void SetSavePoint();
  void RollbackToSavePoint();
  // Commit or Rollback has run (or the DB closed).
  bool ended() const { return ended_; }

  // Frees an engine iterator of this transaction (which unregisters from the engine transaction
  // as it is freed): now, with the GIL held, unless a call of the transaction is running; then
  // once that call returns. (That call may be in another thread, or in this one if the GC freed
  // the iterator inside it.)
  void FreeIterator(std::unique_ptr<Iterator> iterator);

  // Marks the transaction in use for one call (RuntimeError if it was released or is in use
  // by another thread) and counts a DB call.
  class Use {
   public:
    explicit Use(TransactionObject* transaction);
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use();
    Transaction* engine() const { return transaction_->engine_.get(); }

   private:
    TransactionObject* transaction_;
    std::optional<DBCall> call_;
  };

 private:
  // The release of the destructor and of ClearReferences: rolls back (if still open) and frees
  // the engine transaction. No call of the transaction runs.
  void ReleaseEngineResources();

  pybind11::object db_ref_;  // keeps db_ alive; null (and db_ null) once ClearReferences ran
  DBObject* db_;
  std::unique_ptr<Transaction> engine_;  // null once released
  bool in_use_ = false;                  // read and written with the GIL held
  // Iterators freed while a call was running; the call frees them as it returns. Empty while
  // !in_use_.
  std::vector<std::unique_ptr<Iterator>> iterators_to_free_;
  bool ended_ = false;
};

// Binds ziggydb._Transaction.
void BindTransaction(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::TransactionObject)

#endif  // ZIGGYDB_PYTHON_TRANSACTION_OBJECT_H_
