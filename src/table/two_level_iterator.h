// TwoLevelIterator: iterates the entries of a sequence of blocks (or files) named by an index
// iterator. Each index value is handed to a BlockOpener that yields an iterator over that block;
// the two-level iterator walks those in order, skipping empty ones, in both directions.
//
// Errors: a failing opener, index iterator or block iterator makes the iterator invalid with that
// status; it never silently skips a block it could not read.
// Thread safety: one thread at a time, like every iterator.
#ifndef ZIGGYDB_TABLE_TWO_LEVEL_ITERATOR_H_
#define ZIGGYDB_TABLE_TWO_LEVEL_ITERATOR_H_

#include <functional>
#include <memory>
#include <string_view>

#include "ziggydb/iterator.h"
#include "ziggydb/status.h"

namespace ziggydb {

// Opens the block an index value names. On error returns it and leaves *block alone.
using BlockOpener =
    std::function<Status(std::string_view index_value, std::unique_ptr<Iterator>* block)>;

// Precondition for correct Seek/SeekForPrev: the index key of each block is >= every key in it
// and < every key in the following blocks.
std::unique_ptr<Iterator> NewTwoLevelIterator(std::unique_ptr<Iterator> index_iter,
                                              BlockOpener opener);

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_TWO_LEVEL_ITERATOR_H_
