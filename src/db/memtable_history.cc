#include "db/memtable_history.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

class KeyCollector final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view) override { keys.emplace_back(key); }
  void Delete(std::string_view key) override { keys.emplace_back(key); }
  std::vector<std::string> keys;
};

}  // namespace

MemtableHistory::MemtableHistory(std::vector<const MemTable*> mems, const WriteBatch& ahead)
    : mems_(std::move(mems)) {
  if (ahead.Count() == 0) return;
  KeyCollector collector;
  Status decoded = ahead.Iterate(&collector);
  ZIGGY_ASSERT(decoded.ok());  // built through the WriteBatch API
  ahead_keys_ = std::move(collector.keys);
  std::sort(ahead_keys_.begin(), ahead_keys_.end());
}

bool MemtableHistory::KeyWrittenAfter(std::string_view key, SequenceNumber snapshot) const {
  if (std::binary_search(ahead_keys_.begin(), ahead_keys_.end(), key)) return true;
  for (const MemTable* mem : mems_) {
    // A newer memtable holds only newer sequences: the first memtable with the key decides.
    if (const std::optional<SequenceNumber> newest = mem->NewestSequence(key)) {
      return raw(*newest) > raw(snapshot);
    }
  }
  return false;
}

bool MemtableHistory::RangeWrittenAfter(std::optional<std::string_view> lo,
                                        std::optional<std::string_view> hi,
                                        SequenceNumber snapshot) const {
  const auto ahead = lo.has_value() ? std::lower_bound(ahead_keys_.begin(), ahead_keys_.end(), *lo)
                                    : ahead_keys_.begin();
  if (ahead != ahead_keys_.end() && (!hi.has_value() || *ahead < *hi)) return true;
  for (const MemTable* mem : mems_) {
    const std::unique_ptr<Iterator> it = mem->NewIterator();
    if (lo.has_value()) {
      const LookupKey lookup(*lo, SequenceNumber{kMaxSequenceNumber});
      it->Seek(lookup.internal_key());
    } else {
      it->SeekToFirst();
    }
    // Any version in the range with a sequence above the snapshot is a change (a put, or a
    // delete of a key the snapshot may have seen).
    for (; it->Valid(); it->Next()) {
      if (hi.has_value() && ExtractUserKey(it->key()) >= *hi) break;
      if ((ExtractTag(it->key()) >> 8) > raw(snapshot)) return true;
    }
  }
  return false;
}

}  // namespace ziggydb
