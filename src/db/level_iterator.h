// LevelIterator: one iterator over every table of a level >= 1, in key order.
//
// The tables of such a level do not overlap and are sorted by key (Version invariant), so they
// concatenate into one ordered run: the iterator binary-searches the file list (by each file's
// largest internal key) and walks one table at a time. A table is opened (through the table
// cache) only when the iteration reaches it, so a Seek reads one table per level instead of one
// per file, and a DB iterator merges one child per level instead of one per table. One object
// does this (not a two-level iterator over pinning wrappers) so that a step costs one virtual
// call into the table iterator.
//
// Lifetime: the iterator holds the Version (or its own copy of the file list) and the
// TableReader it is in, so it may outlive the caller's pins.
#ifndef ZIGGYDB_DB_LEVEL_ITERATOR_H_
#define ZIGGYDB_DB_LEVEL_ITERATOR_H_

#include <memory>

#include "db/table_cache.h"
#include "db/version_set.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"

namespace ziggydb {

// Precondition: level >= 1 of `version`. `icmp` and `table_cache` must outlive the iterator.
std::unique_ptr<Iterator> NewLevelIterator(const InternalKeyComparator* icmp,
                                           std::shared_ptr<const Version> version, int level,
                                           TableCache* table_cache, const ReadOptions& options);

// The same over `files`: a run of tables in key order that do not overlap (a compaction's inputs
// from a level >= 1). One table is open at a time, however many the run holds.
std::unique_ptr<Iterator> NewTableRunIterator(const InternalKeyComparator* icmp,
                                              Version::FileList files, TableCache* table_cache,
                                              const ReadOptions& options);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_LEVEL_ITERATOR_H_
