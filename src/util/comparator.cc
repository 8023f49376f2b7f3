#include "util/comparator.h"

#include <algorithm>
#include <cstdint>

#include "util/assert.h"

namespace ziggydb {
namespace {

class BytewiseComparatorImpl final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return a.compare(b); }

  const char* Name() const override { return "ziggydb.BytewiseComparator"; }

  std::optional<size_t> BytewisePrefixTrailerBytes() const override { return 0; }

  void FindShortestSeparator(std::string* start, std::string_view limit) const override {
    const size_t min_length = std::min(start->size(), limit.size());
    size_t diff = 0;
    while (diff < min_length && (*start)[diff] == limit[diff])
      ++diff;
    if (diff >= min_length) return;  // one is a prefix of the other: no shorter separator
    const auto byte = static_cast<uint8_t>((*start)[diff]);
    if (byte < 0xff && byte + 1 < static_cast<uint8_t>(limit[diff])) {
      (*start)[diff] = static_cast<char>(byte + 1);
      start->resize(diff + 1);
      ZIGGY_DASSERT(Compare(*start, limit) < 0);
    }
  }

  void FindShortSuccessor(std::string* key) const override {
    for (size_t i = 0; i < key->size(); ++i) {
      const auto byte = static_cast<uint8_t>((*key)[i]);
      if (byte != 0xff) {
        (*key)[i] = static_cast<char>(byte + 1);
        key->resize(i + 1);
        return;
      }
    }
    // All 0xff: the key is its own shortest successor.
  }
};

}  // namespace

const Comparator* BytewiseComparator() {
  static const BytewiseComparatorImpl kInstance;
  return &kInstance;
}

}  // namespace ziggydb
