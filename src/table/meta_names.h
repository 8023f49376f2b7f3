// Names in the metaindex block (persisted — never change them; see docs/format/sstable.md).
#ifndef ZIGGYDB_TABLE_META_NAMES_H_
#define ZIGGYDB_TABLE_META_NAMES_H_

#include <string_view>

namespace ziggydb {

// "filter." + FilterPolicy::Name() -> handle of the table's filter block.
inline constexpr std::string_view kFilterMetaPrefix = "filter.";
// -> handle of the properties block.
inline constexpr std::string_view kPropertiesMeta = "properties";

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_META_NAMES_H_
