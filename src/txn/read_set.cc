#include "txn/read_set.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// Orders ranges by lo, an open lo first.
bool LoLess(const KeyRange& a, const KeyRange& b) {
  if (!b.lo.has_value()) return false;
  if (!a.lo.has_value()) return true;
  return *a.lo < *b.lo;
}

// True if `next` (ordered after `range` by lo) starts at or before where `range` ends.
bool Touches(const KeyRange& range, const KeyRange& next) {
  return !range.hi.has_value() || !next.lo.has_value() || *next.lo <= *range.hi;
}

}  // namespace

size_t ReadSet::RangeBytes(const KeyRange& range) {
  return kItemOverheadBytes + (range.lo.has_value() ? range.lo->size() : 0) +
         (range.hi.has_value() ? range.hi->size() : 0);
}

Status ReadSet::Charge(size_t old_bytes, size_t new_bytes) {
  ZIGGY_ASSERT(old_bytes <= bytes_);
  if (new_bytes > old_bytes && new_bytes - old_bytes > max_bytes_ - bytes_) {
    return Status::InvalidArgument(
        "transaction read set over TransactionOptions::max_read_set_bytes",
        std::to_string(bytes_ - old_bytes + new_bytes) + " > " + std::to_string(max_bytes_));
  }
  bytes_ = bytes_ - old_bytes + new_bytes;
  return Status::OK();
}

Status ReadSet::AddKey(std::string_view key) {
  const size_t cost = kItemOverheadBytes + key.size();
  // At the limit, repeated reads of the same keys are dropped before the read is refused: a
  // transaction polling one key holds it once. Only if keys were added since the last pass (a
  // read set of distinct keys is not sorted again at every refusal).
  if (cost > max_bytes_ - bytes_ && keys_.size() > unique_keys_) DropRepeatedKeys();
  ZIGGY_RETURN_IF_ERROR(Charge(0, cost));
  keys_.emplace_back(key);
  return Status::OK();
}

void ReadSet::DropRepeatedKeys() {
  // keys_[0, unique_keys_) is sorted and unique since the last pass: sort the rest and merge.
  const auto added = keys_.begin() + static_cast<ptrdiff_t>(unique_keys_);
  std::sort(added, keys_.end());
  std::inplace_merge(keys_.begin(), added, keys_.end());
  const auto repeated = std::unique(keys_.begin(), keys_.end());
  for (auto it = repeated; it != keys_.end(); ++it)
    bytes_ -= kItemOverheadBytes + it->size();
  keys_.erase(repeated, keys_.end());
  unique_keys_ = keys_.size();
}

Status ReadSet::AddRange(KeyRange range, size_t* slot) {
  ZIGGY_RETURN_IF_ERROR(Charge(0, RangeBytes(range)));
  *slot = ranges_.size();
  ranges_.push_back(std::move(range));
  return Status::OK();
}

Status ReadSet::UpdateRange(size_t slot, KeyRange range) {
  ZIGGY_ASSERT(slot < ranges_.size());
  ZIGGY_RETURN_IF_ERROR(Charge(RangeBytes(ranges_[slot]), RangeBytes(range)));
  ranges_[slot] = std::move(range);
  return Status::OK();
}

void ReadSet::Normalize() {
  DropRepeatedKeys();
  std::erase_if(ranges_, [](const KeyRange& range) { return range.Empty(); });
  std::sort(ranges_.begin(), ranges_.end(), LoLess);
  std::vector<KeyRange> merged;
  for (KeyRange& range : ranges_) {
    if (!merged.empty() && Touches(merged.back(), range)) {
      KeyRange& last = merged.back();
      if (last.hi.has_value() && (!range.hi.has_value() || *range.hi > *last.hi)) {
        last.hi = std::move(range.hi);
      }
      continue;
    }
    merged.push_back(std::move(range));
  }
  ranges_ = std::move(merged);
  // Keys inside a range are checked with the range.
  std::erase_if(keys_, [this](const std::string& key) {
    auto after = std::upper_bound(ranges_.begin(), ranges_.end(), key,
                                  [](const std::string& k, const KeyRange& range) {
                                    return range.lo.has_value() && k < *range.lo;
                                  });
    if (after == ranges_.begin()) return false;
    const KeyRange& range = *(after - 1);
    return !range.hi.has_value() || key < *range.hi;
  });
  bytes_ = 0;
  for (const std::string& key : keys_)
    bytes_ += kItemOverheadBytes + key.size();
  for (const KeyRange& range : ranges_)
    bytes_ += RangeBytes(range);
}

void ReadSet::DropKeys(const std::function<bool(std::string_view)>& checked_elsewhere) {
  std::erase_if(keys_, [&](const std::string& key) {
    if (!checked_elsewhere(key)) return false;
    bytes_ -= kItemOverheadBytes + key.size();
    return true;
  });
}

bool ReadSet::ChangedAfter(const ConflictHistory& history, SequenceNumber snapshot) const {
  for (const std::string& key : keys_) {
    if (history.KeyWrittenAfter(key, snapshot)) return true;
  }
  for (const KeyRange& range : ranges_) {
    if (history.RangeWrittenAfter(range.lo, range.hi, snapshot)) return true;
  }
  return false;
}

void ReadSet::Clear() {
  keys_.clear();
  unique_keys_ = 0;
  ranges_.clear();
  bytes_ = 0;
}

}  // namespace ziggydb
