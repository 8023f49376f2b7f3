#include "txn/transaction_impl.h"

#include <algorithm>
#include <new>
#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"
#include "ziggydb/options.h"

namespace ziggydb {
namespace {

// A batch holds its header and, per key, at most kEntryOverheadBytes besides the key and value:
// half of kMaxWriteBatchBytes leaves room to spare.
constexpr size_t kMaxWriteBufferBytes = kMaxWriteBatchBytes / 2;

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
    end_ = TxnEnd::kDbClosed;
    return;
  }
  // Refused now, not at Commit once the work is done.
  start_error_ = write_options.Validate();
  if (!start_error_.ok()) return;
  Status registered = host->RegisterTransaction(this, &snapshot_.sequence_);
  if (!registered.ok()) {
    start_error_ = std::move(registered);
    return;
  }
  host_ = host;
}

TransactionImpl::~TransactionImpl() {
  // Iterators outliving the transaction must not call back into it: End detaches them.
  if (host_ != nullptr) End(TxnEnd::kRolledBack);
}

Status TransactionImpl::CheckActive() const {
  if (host_ != nullptr) return Status::OK();
  return end_.has_value() ? TxnEndStatus(*end_) : start_error_;
}

void TransactionImpl::End(TxnEnd why) noexcept {
  if (host_ != nullptr) host_->UnregisterTransaction(this);
  host_ = nullptr;
  end_ = why;
  for (TxnIterator* iterator : iterators_)
    iterator->Detach(why);
  iterators_.clear();
  buffer_.Clear();
  reads_.Clear();
}

void TransactionImpl::OnHostClosed() {
  // The host forgot this transaction already: End must not unregister it.
  host_ = nullptr;
  End(TxnEnd::kDbClosed);
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
  // Room first: an iterator made and then not listed would not find itself in ForgetIterator.
  if (iterators_.size() == iterators_.capacity()) {
    iterators_.reserve(std::max<size_t>(4, 2 * iterators_.capacity()));
  }
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
    End(TxnEnd::kCommitted);
    return Status::OK();
  }
  Status s;
  try {
    WriteBatch batch;
    buffer_.ToBatch(&batch);
    // Sorted and merged now, so that the check under the DB mutex does no more than it must.
    reads_.Normalize();
    // A key read and written is checked once, as a written key: the test is the same.
    reads_.DropKeys([this](std::string_view key) { return buffer_.Find(key) != nullptr; });
    const SequenceNumber snapshot{snapshot_.sequence_};
    s = host_->CommitTransaction(
        write_options_, batch, snapshot,
        [this](const ConflictHistory& history) { return Validate(history); });
  } catch (const std::bad_alloc&) {
    // Out of memory before the commit (CommitTransaction applies nothing when it throws): the
    // read set may be half normalized under the open iterators, so the transaction ends, as
    // after any failed commit.
    End(TxnEnd::kCommitFailed);
    throw;
  }
  End(s.ok() ? TxnEnd::kCommitted : TxnEnd::kCommitFailed);
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
  End(TxnEnd::kRolledBack);
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
