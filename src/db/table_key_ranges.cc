#include "db/table_key_ranges.h"

#include <algorithm>

namespace ziggydb {

TableKeyRanges::TableKeyRanges(const Version& version) : ucmp_(version.icmp()->user_comparator()) {
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version.files(level)) {
      levels_[level].push_back({std::string(ExtractUserKey(file->smallest)),
                                std::string(ExtractUserKey(file->largest))});
    }
  }
}

bool TableKeyRanges::AnyContains(std::string_view user_key) const {
  const auto contains = [&](const Range& range) {
    return ucmp_->Compare(range.smallest, user_key) <= 0 &&
           ucmp_->Compare(user_key, range.largest) <= 0;
  };
  if (std::any_of(levels_[0].begin(), levels_[0].end(), contains)) return true;
  for (int level = 1; level < kNumLevels; ++level) {
    const std::vector<Range>& ranges = levels_[level];
    // Sorted and disjoint: only the first range ending at or after the key can contain it.
    auto it = std::partition_point(ranges.begin(), ranges.end(), [&](const Range& range) {
      return ucmp_->Compare(range.largest, user_key) < 0;
    });
    if (it != ranges.end() && contains(*it)) return true;
  }
  return false;
}

}  // namespace ziggydb
