// TableKeyRanges: the user-key ranges of a Version's tables, copied, so that a flush can ask
// whether older data may hold a key without pinning the Version (and so its files, which a
// compaction meanwhile may make obsolete) for as long as it writes its table.
#ifndef ZIGGYDB_DB_TABLE_KEY_RANGES_H_
#define ZIGGYDB_DB_TABLE_KEY_RANGES_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/version_set.h"

namespace ziggydb {

class TableKeyRanges {
 public:
  explicit TableKeyRanges(const Version& version);

  // True if some table's range (smallest to largest user key, both inclusive) contains the key.
  bool AnyContains(std::string_view user_key) const;

 private:
  struct Range {
    std::string smallest;
    std::string largest;
  };

  const Comparator* const ucmp_;
  // Per level, in the Version's order: levels >= 1 sorted and disjoint, L0 in any order.
  std::array<std::vector<Range>, kNumLevels> levels_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_TABLE_KEY_RANGES_H_
