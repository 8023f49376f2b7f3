// The two iterator types of ziggydb, both Dependents of their DB (db_object.h).
//
// IteratorObject (ziggydb.Iterator) follows plyvel's Iterator: a cursor that sits *between*
// entries of the range [start, stop) (bounds and inclusiveness as given; or the keys with
// `prefix`). next() returns the entry after the cursor and moves over it; prev() returns the entry
// before it and moves back over it; a reverse iterator swaps the two. seek(target) puts the cursor
// before the first key >= target, seek_to_start() at the low end of the range and seek_to_stop()
// at the high end, whatever the direction. A fresh iterator starts at the end it reads from.
//
// Representation. The entries just after the cursor may have been read ahead into ahead_
// (ahead_[ahead_pos_, ahead_count_)): moving up through them touches neither the engine nor the
// GIL. Invariant, for the engine position: either at_high_end_ (the engine is past the last entry
// of the range), or engine_ is valid and its entry is the first one after those read ahead (with
// nothing read ahead: the entry just after the cursor). Every movement other than a step up first
// drops what was read ahead (Settle), seeking the engine back to the cursor. Reading ahead starts
// with one entry and doubles up to kReadAheadEntriesMax, so a short scan reads little beyond what
// it returns and a long one releases the GIL once per batch rather than once per entry. The range
// is enforced by the engine (ReadOptions iterate bounds, computed once), so the cursor never
// leaves it. A DB-level prefix (prefixed_db) is prepended to bounds and seek targets and cut
// from returned keys.
//
// An iterator of a transaction reads nothing ahead: the engine promises that the transaction's
// writes made while the iterator is open show from the iterator's next move (transaction.h), and
// a serializable transaction records every range its iterator traverses, so an entry read ahead
// could be stale and its range a spurious conflict. Its cursor is kept as a key instead
// (cursor_, cursor_key_), and every step makes exactly the engine move that lands on the entry
// it returns: Next from the entry just stepped up over, Prev from the one just stepped down over,
// otherwise a seek to the cursor key (so a seek() touches the engine only at the next step).
//
// RawIteratorObject (ziggydb.RawIterator) is the engine iterator as is: valid(), seek*, next(),
// prev(), key(), value(), item(); reading or moving it while not valid raises
// IteratorInvalidError.
//
// Neither is thread-safe (as the engine's): a second thread using one while the first is inside
// it gets RuntimeError rather than a corrupted iterator. An iterator of a transaction reads the
// transaction's write buffer (and records its read set), so each of its methods also holds the
// transaction as a call of it does (TransactionObject::Use): the transaction used from another
// thread meanwhile raises RuntimeError, and so does the iterator while the transaction is in use.
#ifndef ZIGGYDB_PYTHON_ITERATOR_OBJECT_H_
#define ZIGGYDB_PYTHON_ITERATOR_OBJECT_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "constructed.h"
#include "db_object.h"
#include "transaction_object.h"

namespace ziggydb::python {

// What every iterator shares: the engine iterator, its DB, and the closing rules.
class IteratorBase : public Dependent {
 public:
  // `source` is None (the DB now), a ziggydb.Snapshot, or a ziggydb.Transaction (its snapshot
  // with its own writes merged in; the iterator keeps it alive).
  IteratorBase(pybind11::object db, pybind11::handle source, bool verify_checksums, bool fill_cache,
               std::optional<std::string> lower_bound, std::optional<std::string> upper_bound);
  IteratorBase(const IteratorBase&) = delete;
  IteratorBase& operator=(const IteratorBase&) = delete;
  ~IteratorBase() override;

  // close() and the destructor: frees the engine iterator (invariant 4 of DBObject; an iterator
  // of a transaction through TransactionObject::FreeIterator). RuntimeError if another thread is
  // inside a method of the iterator. Idempotent.
  void ReleaseEngineResources();
  EngineObject TakeEngineObject() override;

  // The collector's tp_traverse and tp_clear (gc_tracked.h). ClearReferences leaves the iterator
  // closed and unregistered from its DB, then drops its references.
  int Traverse(visitproc visit, void* arg) const;
  void ClearReferences() noexcept;

 protected:
  // Marks the iterator, and the transaction it reads if any, in use for one method (raising
  // RuntimeError if it is closed or either is in use by another thread) and counts a DB call.
  class Use {
   public:
    explicit Use(IteratorBase* iterator);
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use() { iterator_->in_use_ = false; }

   private:
    IteratorBase* iterator_;
    std::optional<TransactionObject::Use> transaction_use_;
    std::optional<DBCall> call_;
  };

  Iterator* engine() const { return engine_.get(); }
  bool reads_transaction() const { return transaction_ != nullptr; }
  const std::optional<std::string>& lower_bound() const { return lower_bound_; }
  const std::optional<std::string>& upper_bound() const { return upper_bound_; }
  // Raises the engine iterator's error, if it has one.
  void CheckStatus() const;

 private:
  pybind11::object db_ref_;  // keeps db_ alive; null (and db_ null) once ClearReferences ran
  DBObject* db_;
  pybind11::object source_ref_;
  TransactionObject* transaction_ = nullptr;  // the source, if it is a transaction
  // The engine reads these bounds for the iterator's lifetime.
  std::optional<std::string> lower_bound_;
  std::optional<std::string> upper_bound_;
  std::unique_ptr<Iterator> engine_;  // null once released
  bool in_use_ = false;               // read and written with the GIL held
};

class IteratorObject final : public IteratorBase {
 public:
  struct Range {
    std::string db_prefix;
    pybind11::object start;  // None or bytes-like, as for prefix and stop
    pybind11::object stop;
    bool include_start = true;
    bool include_stop = false;
    pybind11::object prefix;
  };

  IteratorObject(pybind11::object db, pybind11::handle source, const Range& range, bool reverse,
                 bool include_key, bool include_value, bool verify_checksums, bool fill_cache);

  pybind11::object Next();  // raises StopIteration at the end
  // As Next, but returns a new reference, or nullptr (no exception) at the end: tp_iternext.
  PyObject* NextOrNull();
  pybind11::object Prev();  // raises StopIteration at the start
  void Seek(pybind11::handle target);
  void SeekToStart();
  void SeekToStop();

 private:
  // Where a transaction's iterator's cursor is: at an end of the range, or just after or just
  // before cursor_key_ (an entry stepped over, or a seek target), whatever the key's entry now is.
  enum class Cursor : uint8_t { kLowEnd, kHighEnd, kAfterKey, kBeforeKey };

  // Move the cursor up (over the entry after it) or down; the entry passed, or a null object if
  // there was none (the cursor then stays).
  pybind11::object Up() { return follows_writes_ ? FreshStepUp() : StepUp(); }
  pybind11::object Down() { return follows_writes_ ? FreshStepDown() : StepDown(); }
  // Up and Down of a DB or snapshot iterator (read-ahead).
  pybind11::object StepUp();
  pybind11::object StepDown();
  // Up and Down of a transaction's iterator: one engine positioning each (see the top).
  pybind11::object FreshStepUp();
  pybind11::object FreshStepDown();
  // After a fresh step's engine move: the entry landed on (the cursor then `beyond` its key), or,
  // if the engine is not valid, its error raised or a null object with the cursor at `end`.
  pybind11::object Land(bool valid, Cursor beyond, Cursor end);
  // The entry at engine(), or a read-ahead one, in the include_key/include_value shape.
  pybind11::object Entry() const;
  pybind11::object Entry(std::string_view key, std::string_view value) const;
  // Reads up to read_ahead_entries_ entries from the engine into ahead_. Precondition: nothing
  // read ahead is left and !at_high_end_.
  void ReadAhead();
  // Drops what was read ahead, putting the engine back just after the cursor.
  void Settle();

  struct AheadEntry {
    std::string key;  // the whole engine key (db_prefix included)
    std::string value;
  };
  static constexpr size_t kReadAheadEntriesMax = 128;

  size_t strip_bytes_;  // the DB-level prefix cut from keys
  std::string db_prefix_;
  bool reverse_;
  bool include_key_;
  bool include_value_;
  bool at_high_end_ = false;
  std::vector<AheadEntry> ahead_;  // slots reused between batches (their capacity too)
  size_t ahead_pos_ = 0;
  size_t ahead_count_ = 0;
  size_t read_ahead_entries_ = 1;

  // A transaction's iterator: no read-ahead, the fresh steps and the members below instead of
  // at_high_end_ and ahead_.
  const bool follows_writes_;
  Cursor cursor_ = Cursor::kLowEnd;
  std::string cursor_key_;  // the whole engine key; kAfterKey and kBeforeKey only
  // The engine is on cursor_key_, having landed there by the step that put the cursor after
  // (kAfterKey) or before (kBeforeKey) it: the next step in the same direction is Next or Prev.
  bool engine_on_cursor_key_ = false;
};

class RawIteratorObject final : public IteratorBase {
 public:
  RawIteratorObject(pybind11::object db, pybind11::handle source, bool verify_checksums,
                    bool fill_cache);

  bool Valid();
  void SeekToFirst();
  void SeekToLast();
  void Seek(pybind11::handle target);
  void Next();
  void Prev();
  pybind11::bytes Key();
  pybind11::bytes Value();
  pybind11::tuple Item();

 private:
  void RequireValid();
};

// Binds ziggydb.Iterator and ziggydb.RawIterator.
void BindIterators(pybind11::module_& module);

}  // namespace ziggydb::python

// Methods of an instance whose __init__ failed raise RuntimeError (constructed.h).
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::IteratorObject)
ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(ziggydb::python::RawIteratorObject)

#endif  // ZIGGYDB_PYTHON_ITERATOR_OBJECT_H_
