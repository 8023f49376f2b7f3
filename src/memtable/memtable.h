// MemTable: the in-memory, sorted write buffer. Holds internal-key entries in a skiplist whose
// nodes point at encoded entries in an arena (entry format: docs/design/memtable.md):
//
//   entry = varint32 internal_key_bytes ++ internal_key ++ varint32 value_bytes ++ value
//
// Each entry is stored in its node's own arena allocation, right after the node's links, so a
// search reads a node and its key from adjacent memory. A memtable built with a capacity also
// keeps a MemTableFilter over its user keys, so Get for a key it never saw skips the search, and
// (under the bytewise comparator) a MemTableIndex from each user key to its newest entry, so Get
// for a key it holds skips it too.
//
// Thread safety: Add needs external synchronisation (one writer at a time; the DB's write leader).
// AddConcurrently may run on several threads at once (the members of one write group, each
// inserting its own batch), never alongside Add.
// Get, NewIterator, the iterators and the size accessors may run concurrently with Add and each
// other. Owned by the DB through std::shared_ptr<MemTable>; an iterator must not outlive it.
//
// Invariants:
//   1. Entries are never modified or removed once added; all memory is freed with the memtable.
//   2. No two entries have the same (user key, sequence): the DB assigns each write its own
//      sequence number.
#ifndef ZIGGYDB_MEMTABLE_MEMTABLE_H_
#define ZIGGYDB_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "memtable/arena.h"
#include "memtable/memtable_filter.h"
#include "memtable/memtable_index.h"
#include "memtable/skiplist.h"
#include "ziggydb/iterator.h"
#include "ziggydb/status.h"

namespace ziggydb {

class MemTable {
 public:
  // `comparator` must outlive the memtable; with a capacity, its user order must hold two keys
  // equal only when their bytes are (the filter hashes the bytes; every order the DB uses does).
  // capacity_bytes: the size the memtable is expected to reach (the DB's memtable_bytes); it
  // sizes the key filter and index, counted in ApproximateMemoryBytes.
  // 0 means unknown: no filter. first_sequence: the lowest sequence the memtable may be given
  // (the DB's next sequence when it creates the memtable): with the newer memtables it holds every
  // write from there on, which is what transactions are validated against.
  explicit MemTable(const InternalKeyComparator& comparator, size_t capacity_bytes = 0,
                    SequenceNumber first_sequence = SequenceNumber{0});
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;
  ~MemTable() = default;

  // Adds (user_key, sequence, type) -> value; value is empty for deletions. Single writer.
  // Preconditions: invariant 2; raw(sequence) <= kMaxSequenceNumber; key and value each under
  // 4 GiB.
  void Add(SequenceNumber sequence, ValueType type, std::string_view user_key,
           std::string_view value);
  // Add for several writers at once (see Thread safety); same preconditions.
  void AddConcurrently(SequenceNumber sequence, ValueType type, std::string_view user_key,
                       std::string_view value);

  // Looks up the newest entry for key.user_key() with sequence <= the lookup's sequence:
  //   kValue    -> *value = its value, *status = OK, returns true;
  //   kDeletion -> *status = NotFound, returns true (older entries are shadowed);
  //   no entry  -> returns false, *value and *status untouched.
  bool Get(const LookupKey& key, std::string* value, Status* status) const;
  // As Get, with *value viewing the entry in the memtable's memory (valid while it lives).
  bool Get(const LookupKey& key, std::string_view* value, Status* status) const;

  // The sequence of the newest entry of user_key (a value or a deletion), or nullopt if the
  // memtable has none: what a transaction's conflict check asks. Filtered like Get.
  std::optional<SequenceNumber> NewestSequence(std::string_view user_key) const;

  // An iterator over every entry: key() is the internal key, value() the value, ordered by the
  // InternalKeyComparator (so versions of one user key run newest first). status() is always OK.
  std::unique_ptr<Iterator> NewIterator() const;

  // Bytes held by the arena, the filter and the index, readable from any thread (relaxed; a
  // statistic for flush decisions).
  size_t ApproximateMemoryBytes() const {
    return arena_.MemoryUsage() + (filter_ != nullptr ? filter_->bytes() : 0) +
           (index_ != nullptr ? index_->bytes() : 0);
  }
  bool has_filter() const { return filter_ != nullptr; }
  bool has_index() const { return index_ != nullptr; }
  // False once the index gave up (more keys than it was sized for): lookups search the list.
  bool index_complete() const { return index_ != nullptr && index_->complete(); }
  uint64_t NumEntries() const { return num_entries_.load(std::memory_order_relaxed); }
  bool Empty() const { return NumEntries() == 0; }
  SequenceNumber first_sequence() const { return first_sequence_; }

 private:
  class MemTableIterator;

  template <bool kConcurrent>
  void AddImpl(SequenceNumber sequence, ValueType type, std::string_view user_key,
               std::string_view value);
  // The hash the filter and the index key user_key by (0 when there are neither).
  uint64_t KeyHash(std::string_view user_key) const {
    return filter_ != nullptr || index_ != nullptr ? MemTableFilter::HashKey(user_key) : 0;
  }
  // The newest entry of user_key through the index, or null if there is none. Precondition: the
  // caller saw index_complete() after taking its read sequence. A concurrent insert may mark the
  // index incomplete since (not asserted again here): the entry it could not index is newer than
  // every sequence published before, so the caller's read cannot see it anyway.
  const char* FindNewest(uint64_t hash, std::string_view user_key) const;

  // Orders arena entries (pointers to their varint32-prefixed internal key).
  struct EntryComparator {
    const InternalKeyComparator* comparator;
    // The user comparator is BytewiseComparator(): compare inline, without virtual calls.
    bool bytewise;
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<EntryComparator>;

  // What the index says about a seek.
  enum class IndexSeek {
    kPositioned,  // *iter is at the first entry at or after the target (maybe past the end)
    kAbsent,      // the memtable holds no entry of the target's user key
    kUnknown,     // the index is incomplete, or too many versions are newer than the target
  };
  // Positions *iter at the first entry at or after the internal key (user_key, tag), as a list
  // search would, by starting from the newest entry of user_key found through the index (hash is
  // KeyHash(user_key)). Unless the result is kPositioned, *iter's position is unspecified. The
  // walk gives up (kUnknown) after kMaxIndexSeekSteps versions newer than tag: the list search
  // skips them faster. A version being added concurrently may be linked before the index names
  // it; it is skipped as a search racing its link would skip it, and the DB publishes its
  // sequence only after the add (index included) returns.
  IndexSeek SeekThroughIndex(uint64_t hash, std::string_view user_key, uint64_t tag,
                             Table::Iterator* iter) const;
  static constexpr int kMaxIndexSeekSteps = 8;

  const InternalKeyComparator& comparator_;
  Arena arena_;
  Table table_;
  const std::unique_ptr<MemTableFilter> filter_;  // null without a capacity
  // Null without a capacity or under another user comparator than the bytewise one (the index
  // takes equal bytes for equal keys).
  const std::unique_ptr<MemTableIndex> index_;
  const SequenceNumber first_sequence_;
  // Relaxed: a count for statistics (fetch_add from concurrent writers); entries are published to
  // readers by the skiplist, not through this counter.
  std::atomic<uint64_t> num_entries_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_MEMTABLE_H_
