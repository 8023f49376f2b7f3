// ReadSet: what a serializable transaction read, to be checked at its commit: the keys it read
// with Get (found or not) and the key ranges its iterators traversed.
//
// A range is [lo, hi): lo inclusive, hi exclusive, std::nullopt for an open side. A range that
// ends at key k inclusive is [.., k + '\0'): k + '\0' is the least key above k bytewise.
//
// Invariant: bytes() == the sum of the key bytes and bound bytes held plus kItemOverheadBytes per
// key and per range, and never exceeds the limit (a read that would go over it changes nothing).
// Thread safety: none (a transaction is used by one thread at a time).
#ifndef ZIGGYDB_TXN_READ_SET_H_
#define ZIGGYDB_TXN_READ_SET_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/txn_host.h"
#include "ziggydb/status.h"

namespace ziggydb {

struct KeyRange {
  std::optional<std::string> lo;  // nullopt: from the first key
  std::optional<std::string> hi;  // nullopt: to past the last key

  // True if no key k satisfies lo <= k < hi.
  bool Empty() const { return lo.has_value() && hi.has_value() && *lo >= *hi; }
};

class ReadSet {
 public:
  static constexpr size_t kItemOverheadBytes = 16;

  explicit ReadSet(size_t max_bytes) : max_bytes_(max_bytes) {}

  // InvalidArgument over the limit (once repeated keys were dropped: a key read again and again
  // costs once).
  [[nodiscard]] Status AddKey(std::string_view key);
  // Adds a range; *slot names it for UpdateRange.
  [[nodiscard]] Status AddRange(KeyRange range, size_t* slot);
  // Replaces the range in `slot` (an iterator widening what it traversed).
  [[nodiscard]] Status UpdateRange(size_t slot, KeyRange range);

  // Sorts the keys (dropping duplicates and those inside a range) and merges overlapping or
  // touching ranges, so that a commit checks each key and range once. Renumbers the ranges: no
  // UpdateRange after it.
  void Normalize();
  // Drops the keys `checked_elsewhere` accepts (the keys the transaction also writes, which the
  // write-set check covers with the same test). After Normalize.
  void DropKeys(const std::function<bool(std::string_view)>& checked_elsewhere);
  // True if any key or range read was written after `snapshot` in `history`.
  [[nodiscard]] bool ChangedAfter(const ConflictHistory& history, SequenceNumber snapshot) const;

  size_t bytes() const { return bytes_; }
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<KeyRange>& ranges() const { return ranges_; }
  void Clear();

 private:
  static size_t RangeBytes(const KeyRange& range);
  // Sorts keys_ and drops the repeated ones (ranges_ and their slots are untouched).
  void DropRepeatedKeys();
  [[nodiscard]] Status Charge(size_t old_bytes, size_t new_bytes);

  const size_t max_bytes_;
  size_t bytes_ = 0;
  std::vector<std::string> keys_;
  // keys_[0, unique_keys_) is sorted and unique: what the last DropRepeatedKeys left.
  size_t unique_keys_ = 0;
  std::vector<KeyRange> ranges_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TXN_READ_SET_H_
