// MemtableHistory: the ConflictHistory (txn_host.h) a transaction is validated against at its
// commit point: the writes the retained memtables hold, and the keys of the batches ahead of the
// transaction in its commit group (numbered after every published write, so after any snapshot).
//
// Precondition (the caller's, DBImpl::ValidateTransaction): the memtables hold every write after
// the snapshots asked about (the oldest one's first_sequence <= snapshot + 1), and no writer adds
// to them while the history is in use (the DB mutex is held at the commit point).
#ifndef ZIGGYDB_DB_MEMTABLE_HISTORY_H_
#define ZIGGYDB_DB_MEMTABLE_HISTORY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/txn_host.h"
#include "memtable/memtable.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

class MemtableHistory final : public ConflictHistory {
 public:
  // mems: newest first. ahead: built through the WriteBatch API.
  MemtableHistory(std::vector<const MemTable*> mems, const WriteBatch& ahead);

  bool KeyWrittenAfter(std::string_view key, SequenceNumber snapshot) const override;
  bool RangeWrittenAfter(std::optional<std::string_view> lo, std::optional<std::string_view> hi,
                         SequenceNumber snapshot) const override;

 private:
  const std::vector<const MemTable*> mems_;
  std::vector<std::string> ahead_keys_;  // sorted
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_MEMTABLE_HISTORY_H_
