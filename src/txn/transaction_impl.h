// TransactionImpl: the Transaction of ziggydb/transaction.h, over a TxnHost (db/txn_host.h).
//
// State: active (registered with the host, holding a snapshot) until Commit, Rollback, the
// destructor or the host's Close end it; ended, it holds nothing of the DB and every call returns
// TxnEndStatus(end_) (or start_error_, when it never started). Its iterators are listed in
// iterators_ and detached when it ends. Ending allocates nothing (txn/txn_end.h).
// Thread safety: none (one thread at a time, ziggydb/transaction.h).
#ifndef ZIGGYDB_TXN_TRANSACTION_IMPL_H_
#define ZIGGYDB_TXN_TRANSACTION_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/txn_host.h"
#include "txn/read_set.h"
#include "txn/txn_end.h"
#include "txn/txn_iterator.h"
#include "txn/write_buffer.h"
#include "ziggydb/snapshot.h"
#include "ziggydb/transaction.h"

namespace ziggydb {

class TransactionImpl final : public Transaction, private TxnClient, private TxnIteratorOwner {
 public:
  // host == nullptr: the DB is closed; the transaction starts ended.
  TransactionImpl(TxnHost* host, const WriteOptions& write_options,
                  const TransactionOptions& txn_options);
  ~TransactionImpl() override;

  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  Status Commit() override;
  Status Rollback() override;
  void SetSavePoint() override;
  Status RollbackToSavePoint() override;

 private:
  // The transaction's snapshot as the DB's read path takes it (only sequence() is read).
  class TxnSnapshot final : public Snapshot {
   public:
    uint64_t sequence() const override { return raw(sequence_); }
    SequenceNumber sequence_{};
  };

  void OnHostClosed() override;
  void ForgetIterator(TxnIterator* iterator) override;
  // Ends the transaction: later calls return TxnEndStatus(why).
  void End(TxnEnd why) noexcept;
  // OK while active, else why it is not.
  [[nodiscard]] Status CheckActive() const;
  // The commit-point check (runs under the DB mutex): Busy on a conflict.
  [[nodiscard]] Status Validate(const ConflictHistory& history) const;

  TxnHost* host_ = nullptr;  // null once ended (or never started)
  Status start_error_;       // why the constructor could not register it
  std::optional<TxnEnd> end_;
  const WriteOptions write_options_;
  const IsolationLevel isolation_;
  TxnSnapshot snapshot_;
  WriteBuffer buffer_;
  ReadSet reads_;  // serializable only
  std::vector<TxnIterator*> iterators_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TXN_TRANSACTION_IMPL_H_
