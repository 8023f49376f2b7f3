// Comparator: a total order over opaque keys, injected into the table and memtable layers so
// they never need to know what a key holds. The DB supplies an internal-key comparator
// (src/base/) built on the bytewise order of user keys.
//
// Thread safety: implementations are immutable and shared by every thread.
#ifndef ZIGGYDB_UTIL_COMPARATOR_H_
#define ZIGGYDB_UTIL_COMPARATOR_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ziggydb {

class Comparator {
 public:
  virtual ~Comparator() = default;
  // <0, 0 or >0 as a orders before, with, or after b.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;
  // Identifies the order; persisted in table properties, so never change an existing name.
  virtual const char* Name() const = 0;
  // If *start < limit, may shorten *start to any key k with *start <= k < limit (used to keep
  // index blocks small). Otherwise leaves it alone.
  virtual void FindShortestSeparator(std::string* start, std::string_view limit) const = 0;
  // May change *key to any shorter key k >= *key.
  virtual void FindShortSuccessor(std::string* key) const = 0;
  // N when this order sorts keys first by the memcmp order of the key without its last N bytes
  // (ties broken by the rest of Compare; every key has at least N bytes), so that a search aid may
  // compare those prefixes as plain bytes; nullopt for any other order.
  virtual std::optional<size_t> BytewisePrefixTrailerBytes() const { return std::nullopt; }
};

// Unsigned lexicographic byte order; a proper prefix orders first. A process-wide singleton.
const Comparator* BytewiseComparator();

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_COMPARATOR_H_
