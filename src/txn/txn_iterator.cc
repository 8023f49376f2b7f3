#include "txn/txn_iterator.h"

#include <utility>

namespace ziggydb {
namespace {

// The least key above `key` bytewise: a range ending at key inclusive ends before it.
std::string Successor(std::string_view key) {
  std::string next(key);
  next.push_back('\0');
  return next;
}

}  // namespace

TxnIterator::TxnIterator(TxnIteratorOwner* owner, DB* db, const ReadOptions& options,
                         const WriteBuffer* buffer, ReadSet* reads)
    : owner_(owner), buffer_(buffer), reads_(reads) {
  if (options.iterate_lower_bound.has_value()) lower_.emplace(*options.iterate_lower_bound);
  if (options.iterate_upper_bound.has_value()) upper_.emplace(*options.iterate_upper_bound);
  ReadOptions base_options = options;
  base_options.iterate_lower_bound = lower_;
  base_options.iterate_upper_bound = upper_;
  base_ = db->NewIterator(base_options);
}

TxnIterator::TxnIterator(Status status) : status_(std::move(status)) {}

TxnIterator::~TxnIterator() {
  if (owner_ != nullptr) owner_->ForgetIterator(this);
}

void TxnIterator::Detach(TxnEnd why) noexcept {
  owner_ = nullptr;
  buffer_ = nullptr;
  reads_ = nullptr;
  base_.reset();
  valid_ = false;
  ended_ = why;
}

bool TxnIterator::BeginPositioning() {
  if (base_ == nullptr) return false;  // detached
  status_ = Status::OK();              // an earlier positioning's failure is not this one's
  return true;
}

TxnIterator::BufferIt TxnIterator::LastBefore(std::string_view key, bool inclusive) const {
  const WriteBuffer::Map& entries = buffer_->entries();
  BufferIt it = inclusive ? entries.upper_bound(key) : entries.lower_bound(key);
  return it == entries.begin() ? entries.end() : std::prev(it);
}

void TxnIterator::Land(std::string_view key, std::string_view value) {
  key_.assign(key);
  value_.assign(value);
  valid_ = true;
}

void TxnIterator::Fail(const Status& status) {
  valid_ = false;
  status_ = status;
}

void TxnIterator::FillForward(BufferIt it) {
  direction_ = Direction::kForward;
  valid_ = false;
  const BufferIt end = buffer_->entries().end();
  while (true) {
    if (!base_->Valid() && !base_->status().ok()) return Fail(base_->status());
    const bool has_buffered = it != end && BelowUpper(it->first);
    const bool has_base = base_->Valid();
    if (!has_buffered && !has_base) return;
    if (has_buffered && (!has_base || std::string_view(it->first) <= base_->key())) {
      // The buffered write shadows the snapshot's version of the same key.
      if (has_base && it->first == base_->key()) base_->Next();
      if (it->second.deleted) {
        ++it;
        continue;
      }
      return Land(it->first, it->second.value);
    }
    Land(base_->key(), base_->value());
    base_->Next();
    return;
  }
}

void TxnIterator::FillReverse(BufferIt it) {
  direction_ = Direction::kReverse;
  valid_ = false;
  const WriteBuffer::Map& entries = buffer_->entries();
  while (true) {
    if (!base_->Valid() && !base_->status().ok()) return Fail(base_->status());
    const bool has_buffered = it != entries.end() && AtOrAboveLower(it->first);
    const bool has_base = base_->Valid();
    if (!has_buffered && !has_base) return;
    if (has_buffered && (!has_base || std::string_view(it->first) >= base_->key())) {
      if (has_base && it->first == base_->key()) base_->Prev();
      if (it->second.deleted) {
        it = it == entries.begin() ? entries.end() : std::prev(it);
        continue;
      }
      return Land(it->first, it->second.value);
    }
    Land(base_->key(), base_->value());
    base_->Prev();
    return;
  }
}

void TxnIterator::SeekToFirst() {
  if (!BeginPositioning()) return;
  base_->SeekToFirst();
  FillForward(lower_ ? buffer_->entries().lower_bound(*lower_) : buffer_->entries().begin());
  StartForwardRange(lower_);
}

void TxnIterator::Seek(std::string_view target) {
  if (!BeginPositioning()) return;
  if (lower_ && target < *lower_) target = *lower_;
  base_->Seek(target);
  FillForward(buffer_->entries().lower_bound(target));
  StartForwardRange(std::string(target));
}

void TxnIterator::SeekToLast() {
  if (!BeginPositioning()) return;
  const WriteBuffer::Map& entries = buffer_->entries();
  base_->SeekToLast();
  if (upper_) {
    FillReverse(LastBefore(*upper_, false));
  } else {
    FillReverse(entries.empty() ? entries.end() : std::prev(entries.end()));
  }
  StartReverseRange(upper_);
}

void TxnIterator::SeekForPrev(std::string_view target) {
  if (!BeginPositioning()) return;
  const bool past_upper = upper_ && target >= *upper_;
  base_->SeekForPrev(target);
  FillReverse(past_upper ? LastBefore(*upper_, false) : LastBefore(target, true));
  StartReverseRange(past_upper ? *upper_ : Successor(target));
}

void TxnIterator::Next() {
  if (!valid_) return;  // a precondition, but a detached iterator must stay safe
  if (direction_ == Direction::kReverse) {
    base_->Seek(key_);
    if (base_->Valid() && base_->key() == key_) base_->Next();
  }
  FillForward(buffer_->entries().upper_bound(key_));
  // Ran off the end: everything up to it was seen empty.
  WidenHi(valid_ ? std::optional<std::string>(Successor(key_)) : upper_);
  Record(false);
}

void TxnIterator::Prev() {
  if (!valid_) return;
  if (direction_ == Direction::kForward) {
    base_->SeekForPrev(key_);
    if (base_->Valid() && base_->key() == key_) base_->Prev();
  }
  FillReverse(LastBefore(key_, false));
  WidenLo(valid_ ? std::optional<std::string>(key_) : lower_);
  Record(false);
}

void TxnIterator::StartForwardRange(std::optional<std::string> start) {
  range_.lo = std::move(start);
  range_.hi = valid_ ? std::optional<std::string>(Successor(key_)) : upper_;
  Record(true);
}

void TxnIterator::StartReverseRange(std::optional<std::string> end) {
  range_.hi = std::move(end);
  range_.lo = valid_ ? std::optional<std::string>(key_) : lower_;
  Record(true);
}

void TxnIterator::WidenHi(std::optional<std::string> end) {
  if (!range_.hi.has_value()) return;  // already past every key
  if (!end.has_value() || *range_.hi < *end) range_.hi = std::move(end);
}

void TxnIterator::WidenLo(std::optional<std::string> start) {
  if (!range_.lo.has_value()) return;  // already from the first key
  if (!start.has_value() || *start < *range_.lo) range_.lo = std::move(start);
}

void TxnIterator::Record(bool new_range) {
  if (reads_ == nullptr) return;
  Status s = new_range ? reads_->AddRange(range_, &slot_) : reads_->UpdateRange(slot_, range_);
  if (!s.ok()) Fail(s);
}

}  // namespace ziggydb
