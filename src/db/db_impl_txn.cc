// DBImpl as the TxnHost of the transaction module (txn_host.h): registration of the transactions'
// snapshots, their commit through commit_pipeline_ with a validator, and the conflict history
// the validator reads: the memtables (docs/design/transactions.md).
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/memtable_history.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

std::unique_ptr<Transaction> DBImpl::BeginTransaction(const WriteOptions& write_options,
                                                      const TransactionOptions& txn_options) {
  // After Close a transaction that refuses every call, as NewIterator returns an error iterator.
  return NewTransaction(CheckOpen().ok() ? static_cast<TxnHost*>(this) : nullptr, write_options,
                        txn_options);
}

Status DBImpl::RegisterTransaction(TxnClient* client, SequenceNumber* snapshot) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&mu_);
  // Close has ended the open transactions (it sets closed_ only later, after its flush, during
  // which a listener callback may still begin one): a transaction begun now would outlive it
  // registered.
  if (transactions_closed_) return Status::InvalidArgument("the DB is closed");
  *snapshot = versions_->LastSequence();
  const bool inserted = transactions_.emplace(client, *snapshot).second;
  ZIGGY_ASSERT(inserted);
  return Status::OK();
}

void DBImpl::UnregisterTransaction(TxnClient* client) {
  MutexLock lock(&mu_);
  const size_t erased = transactions_.erase(client);
  ZIGGY_ASSERT(erased == 1);
  compaction_needed_.NotifyAll();  // as ReleaseSnapshot: a reclaim may be due
}

void DBImpl::CloseTransactions() {
  // Taken whole (a swap allocates nothing): every open transaction is told, whatever memory is
  // left, or it would keep a pointer to this DB.
  std::unordered_map<TxnClient*, SequenceNumber> open;
  {
    MutexLock lock(&mu_);
    transactions_closed_ = true;
    open.swap(transactions_);
  }
  // INVARIANT: Close runs alone (DB::Close), so no transaction is in a call meanwhile.
  for (const auto& [client, sequence] : open)
    client->OnHostClosed();  // noexcept: ending allocates nothing (txn/txn_end.h)
  if (open.empty()) return;
  try {
    Log("event=close_transactions open=" + std::to_string(open.size()));
  } catch (const std::bad_alloc&) {
    // Out of memory for the line: the transactions ended; only its record is lost.
  }
}

Status DBImpl::CommitTransaction(const WriteOptions& options, const WriteBatch& batch,
                                 SequenceNumber snapshot, const TxnValidator& validate) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  ZIGGY_RETURN_IF_ERROR(batch.status());
  ZIGGY_ASSERT(batch.Count() > 0);
  // As in Write, the pipeline turns an allocation failure inside it into a Status; this catches
  // one in building the validator or copying a failure out. Either way nothing was applied.
  Status s;
  try {
    const CommitPipeline::Validator validator =
        [this, snapshot, &validate](SequenceNumber, const WriteBatch& ahead) -> Status {
      mu_.AssertHeld();  // commit_pipeline_ runs validators under its mutex, mu_ (invariant 4)
      return ValidateTransaction(snapshot, ahead, validate);
    };
    s = commit_pipeline_.Write(options, &batch, &validator);
  } catch (const std::bad_alloc&) {
    s = Status::IOError("out of memory committing a transaction");
  }
  return DeliverOutOfMemoryEvents(std::move(s));
}

Status DBImpl::ValidateTransaction(SequenceNumber snapshot, const WriteBatch& ahead,
                                   const TxnValidator& validate) {
  // imm_ is oldest first; the oldest memtable kept and the newer ones hold every write from its
  // first sequence on. The transaction needs every write after its snapshot.
  const MemTable* oldest = imm_.empty() ? mem_.get() : imm_.front().mem.get();
  if (raw(oldest->first_sequence()) > raw(snapshot) + 1) {
    db_stats_->RecordTick(Ticker::kTxnHistoryAborts);
    return Status::Busy(
        "transaction conflict check impossible: the history since its snapshot is no longer kept "
        "(older than the memtables); retry",
        "snapshot " + std::to_string(raw(snapshot)) + ", history from " +
            std::to_string(raw(oldest->first_sequence())));
  }
  std::vector<const MemTable*> mems;
  mems.reserve(imm_.size() + 1);
  mems.push_back(mem_.get());
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it)
    mems.push_back(it->mem.get());
  Status s = validate(MemtableHistory(std::move(mems), ahead));
  if (s.IsBusy()) db_stats_->RecordTick(Ticker::kTxnConflicts);
  return s;
}

}  // namespace ziggydb
