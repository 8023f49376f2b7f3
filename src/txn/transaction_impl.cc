#include "txn/transaction_impl.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"
#include "ziggydb/options.h"

namespace ziggydb {
namespace {

// A batch holds its header and, per key, at most kEntryOverheadBytes besides the key and value:
// half of kMaxWriteBatchBytes leaves room to spare.
constexpr size_t kMaxWriteBufferBytes = kMaxWriteBatchBytes / 2;

Status Ended(std::string_view how) {
  return Status::InvalidArgument("the transaction has ended", how);
}

}  // namespace

Transaction::~Transaction() = default;

std::unique_ptr<Transaction> NewTransaction(TxnHost* host, const WriteOptions& write_options,
                                            const TransactionOptions& txn_options) {
  return std::make_unique<TransactionImpl>(host, write_options, txn_options);
}

TransactionImpl::TransactionImpl(TxnHost* host, const WriteOptions& write_options,
                                 const TransactionOptions& txn_options)
    : write_options_(write_options),
      isolation_(txn_options.isolation),
      buffer_(std::min(txn_options.max_write_bytes, kMaxWriteBufferBytes)),
      reads_(txn_options.max_read_set_bytes) {
  if (host == nullptr) {
    ended_status_ = Status::InvalidArgument("the DB is closed");
    return;
  }
  Status registered = host->RegisterTransaction(this, &snapshot_.sequence_);
  if (!registered.ok()) {
    ended_status_ = registered;
    return;
  }
  host_ = host;
}

TransactionImpl::~TransactionImpl() {
  // Iterators outliving the transaction must not call back into it: End detaches them.
  if (host_ != nullptr) End(Ended("rolled back"));
}

Status TransactionImpl::CheckActive() const {
  return host_ != nullptr ? Status::OK() : ended_status_;
}

void TransactionImpl::End(const Status& why) {
  ZIGGY_ASSERT(!why.ok());
  if (host_ != nullptr) host_->UnregisterTransaction(this);
  host_ = nullptr;
  ended_status_ = why;
  for (TxnIterator* iterator : iterators_)
    iterator->Detach(why);
  iterators_.clear();
  buffer_.Clear();
  reads_.Clear();
}

void TransactionImpl::OnHostClosed() {
  // The host forgot this transaction already: End must not unregister it.
  host_ = nullptr;
  End(Status::InvalidArgument("the DB is closed"));
}

void TransactionImpl::ForgetIterator(TxnIterator* iterator) {
  const auto it = std::find(iterators_.begin(), iterators_.end(), iterator);
  ZIGGY_ASSERT(it != iterators_.end());
  iterators_.erase(it);
}

Status TransactionImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  if (options.snapshot != nullptr) {
    return Status::InvalidArgument("a transaction reads at its own snapshot: leave snapshot null");
  }
  if (const WriteBuffer::Entry* entry = buffer_.Find(key); entry != nullptr) {
    if (entry->deleted) return Status::NotFound("");
    value->assign(entry->value);
    return Status::OK();
  }
  // Its own write is not a read of the DB: only reads of the snapshot are recorded.
  if (isolation_ == IsolationLevel::kSerializable) ZIGGY_RETURN_IF_ERROR(reads_.AddKey(key));
  ReadOptions read_options = options;
  read_options.snapshot = &snapshot_;
  return host_->TxnDb()->Get(read_options, key, value);
}

Status TransactionImpl::Put(std::string_view key, std::string_view value) {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  return buffer_.Put(key, value);
}

Status TransactionImpl::Delete(std::string_view key) {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  return buffer_.Delete(key);
}

std::unique_ptr<Iterator> TransactionImpl::NewIterator(const ReadOptions& options) {
  if (Status active = CheckActive(); !active.ok()) {
    return std::make_unique<TxnIterator>(std::move(active));
  }
  if (options.snapshot != nullptr) {
    return std::make_unique<TxnIterator>(
        Status::InvalidArgument("a transaction reads at its own snapshot: leave snapshot null"));
  }
  ReadOptions read_options = options;
  read_options.snapshot = &snapshot_;
  TxnIteratorOwner* const owner = this;  // a private base: convertible only in here
  auto iterator = std::make_unique<TxnIterator>(
      owner, host_->TxnDb(), read_options, &buffer_,
      isolation_ == IsolationLevel::kSerializable ? &reads_ : nullptr);
  iterators_.push_back(iterator.get());
  return iterator;
}

Status TransactionImpl::Commit() {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  if (buffer_.empty()) {
    // Nothing written: the transaction is serialized at its snapshot, no check needed.
    End(Ended("committed"));
    return Status::OK();
  }
  WriteBatch batch;
  buffer_.ToBatch(&batch);
  // Sorted and merged now, so that the check under the DB mutex does no more than it must.
  reads_.Normalize();
  // A key read and written is checked once, as a written key: the test is the same.
  reads_.DropKeys([this](std::string_view key) { return buffer_.Find(key) != nullptr; });
  const SequenceNumber snapshot{snapshot_.sequence_};
  Status s = host_->CommitTransaction(
      write_options_, batch, snapshot,
      [this](const ConflictHistory& history) { return Validate(history); });
  End(Ended(s.ok() ? "committed" : "its commit failed"));
  return s;
}

Status TransactionImpl::Validate(const ConflictHistory& history) const {
  const SequenceNumber snapshot = snapshot_.sequence_;
  for (const auto& [key, entry] : buffer_.entries()) {
    if (history.KeyWrittenAfter(key, snapshot)) {
      return Status::Busy(
          "transaction conflict: a key it writes was committed by another writer after its "
          "snapshot; retry");
    }
  }
  if (isolation_ == IsolationLevel::kSerializable && reads_.ChangedAfter(history, snapshot)) {
    return Status::Busy(
        "transaction conflict: a key or range it read was written by another writer after its "
        "snapshot (serializable); retry");
  }
  return Status::OK();
}

Status TransactionImpl::Rollback() {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  End(Ended("rolled back"));
  return Status::OK();
}

void TransactionImpl::SetSavePoint() {
  if (CheckActive().ok()) buffer_.SetSavePoint();
}

Status TransactionImpl::RollbackToSavePoint() {
  ZIGGY_RETURN_IF_ERROR(CheckActive());
  return buffer_.RollbackToSavePoint();
}

}  // namespace ziggydb
