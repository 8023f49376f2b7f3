// FilterPolicy: builds a compact summary of a set of keys (one per table, stored in the table's
// filter block) and answers "may this key be in the set?" without touching data blocks.
//
// Contract every implementation keeps:
//   1. No false negatives: KeyMayMatch(k, CreateFilter(keys)) is true for every k in keys.
//   2. KeyMayMatch never reads outside `filter` and returns true for any filter it cannot parse
//      (empty, truncated, unknown version, corrupt parameters): a damaged filter costs a data block
//      read, never a missed key.
//   3. Name() identifies the encoding; a table records it so a reader with a different policy
//      ignores the filter instead of misreading it.
//
// Thread safety: implementations are immutable after construction; every method may be called
// concurrently.
#ifndef ZIGGYDB_TABLE_FILTER_POLICY_H_
#define ZIGGYDB_TABLE_FILTER_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

namespace ziggydb {

class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;

  // Stable identifier of the filter encoding, persisted in table metadata.
  virtual const char* Name() const = 0;

  // Appends a filter for `keys` to *dst (existing bytes of *dst are kept). Keys may repeat.
  virtual void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const = 0;

  // False only if `key` was certainly not among the keys `filter` was built from.
  virtual bool KeyMayMatch(std::string_view key, std::string_view filter) const = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_FILTER_POLICY_H_
