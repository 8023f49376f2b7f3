// DBIter: the user-facing iterator. It walks a merged iterator over internal keys (memtables and
// tables) and shows, for each user key, the newest version with sequence <= the read sequence,
// hiding keys whose newest visible version is a deletion, within the optional bounds.
//
// Positioning invariants:
//   forward: the internal iterator is at the entry that yields key()/value();
//   reverse: the internal iterator is just before every entry of key() (at the previous user
//            key's entries, or invalid); key() and value() are copies in saved_key_/saved_value_.
//
// Thread safety: none. Keeps alive (through `pins`) whatever the internal iterator reads from.
#ifndef ZIGGYDB_DB_DB_ITER_H_
#define ZIGGYDB_DB_DB_ITER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"

namespace ziggydb {

// Objects an iterator must keep alive while it exists (memtables, versions, table readers).
// They also hear of each Seek and SeekForPrev, with its target, before the iterator positions.
struct IteratorPins {
  virtual ~IteratorPins() = default;
  virtual void OnSeek(std::string_view /*user_key*/) {}
};

// `internal` yields internal keys ordered by an InternalKeyComparator over user_comparator.
std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<IteratorPins> pins,
                                        std::unique_ptr<Iterator> internal, SequenceNumber sequence,
                                        const ReadOptions& options);

// An iterator that is never valid and whose status() is `status`.
std::unique_ptr<Iterator> NewErrorIterator(Status status);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_ITER_H_
