// MemoryBudget: how one DB splits Options::memory_budget_bytes between its memtables and its
// block cache, and the accounting of what else holds memory (docs/design/memory.md).
//
// The parts of the budget (MemoryUsage):
//   - memtables: the mutable one and the immutable ones waiting for flush;
//   - block cache: cached data blocks, and blocks it evicted that iterators still hold (the
//     cache charges those to itself until they are released, see ShardedLruCache);
//   - index and filter blocks of every open table reader (pinned for the reader's lifetime);
//   - flushed memtables that live iterators still hold (tracked here as weak references);
//   - the row cache (Options::row_cache_bytes), fixed at open, counted with the pins.
// Policy, applied by Rebalance:
//   1. Memtables get at most half the cap: each of the max_immutable_memtables + 1 memtables
//      switches at memtable_switch_bytes() = min(Options::memtable_bytes, share / slots), less
//      when pinned memory leaves less than the share, never below kMemtableSwitchBytesMin.
//   2. The block cache gets the rest: cap - pinned - immutable memtables - one mutable memtable
//      at its switch size; it shrinks (evicting) when memtables or pins grow.
//   3. Pins are never evicted or refused: when they alone exceed the cap, memtables switch at
//      the minimum and the cache is empty, and the usage stays over the cap until the
//      application releases its iterators (over_cap() tells).
// With a cap of 0 the budget is off: memtables switch at Options::memtable_bytes and the cache
// keeps Options::block_cache_bytes.
//
// Thread safety: none. The DB calls every method under its mutex.
#ifndef ZIGGYDB_DB_MEMORY_BUDGET_H_
#define ZIGGYDB_DB_MEMORY_BUDGET_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "memtable/memtable.h"

namespace ziggydb {

// The smallest switch size the budget gives a memtable, however little room pins leave: below
// it each flush would write a tiny L0 table.
inline constexpr size_t kMemtableSwitchBytesMin = size_t{64} << 10;

struct MemoryUsage {
  size_t mutable_memtable_bytes = 0;
  size_t immutable_memtable_bytes = 0;
  size_t block_cache_bytes = 0;         // cached blocks
  size_t block_cache_pinned_bytes = 0;  // evicted blocks still held by iterators
  size_t table_meta_bytes = 0;          // index and filter blocks of open tables
  size_t pinned_memtable_bytes = 0;     // flushed memtables still held by iterators
  size_t row_cache_bytes = 0;           // the row cache, allocated in full at open

  size_t TotalBytes() const {
    return mutable_memtable_bytes + immutable_memtable_bytes + block_cache_bytes +
           block_cache_pinned_bytes + table_meta_bytes + pinned_memtable_bytes + row_cache_bytes;
  }
  // Memory the block cache cannot evict: held by readers, or fixed (the row cache).
  size_t PinnedBytes() const { return table_meta_bytes + pinned_memtable_bytes + row_cache_bytes; }
};

// What Rebalance decided.
struct MemoryTargets {
  size_t memtable_switch_bytes = 0;
  size_t block_cache_capacity_bytes = 0;
};

class MemoryBudget {
 public:
  // cap_bytes: Options::memory_budget_bytes (0: off); the other arguments are the Options of the
  // same names.
  MemoryBudget(size_t cap_bytes, size_t memtable_bytes, int max_immutable_memtables,
               size_t block_cache_bytes);

  bool enabled() const { return cap_bytes_ > 0; }
  size_t cap_bytes() const { return cap_bytes_; }
  // The size at which the write path switches the mutable memtable.
  size_t memtable_switch_bytes() const { return targets_.memtable_switch_bytes; }
  // The block cache's capacity as of the last Rebalance (at construction: the initial one).
  size_t block_cache_capacity_bytes() const { return targets_.block_cache_capacity_bytes; }

  // Records a memtable just removed from the immutable queue after its flush: while readers
  // still hold it, its bytes count as pinned. Recording one twice counts it once.
  void AddFlushedMemtable(const std::shared_ptr<const MemTable>& mem);
  // Bytes of the flushed memtables still alive; forgets the released ones.
  size_t PinnedMemtableBytes();

  // Applies the policy to `usage` (with pinned_memtable_bytes from PinnedMemtableBytes()) and
  // returns the new targets, which the accessors above then report. Without a cap the targets
  // are the fixed Options values.
  MemoryTargets Rebalance(const MemoryUsage& usage);

  // True when usage exceeds the cap (never without a cap).
  bool over_cap(const MemoryUsage& usage) const {
    return enabled() && usage.TotalBytes() > cap_bytes_;
  }

  // The "ziggydb.memory" property: one "name: bytes" line per part, the total, the cap and the
  // current targets.
  std::string Describe(const MemoryUsage& usage) const;

 private:
  struct Flushed {
    std::weak_ptr<const MemTable> mem;
    size_t bytes;
  };

  const size_t cap_bytes_;
  const size_t memtable_bytes_;  // Options::memtable_bytes: the switch size without pressure
  const size_t memtable_slots_;  // max_immutable_memtables + 1
  MemoryTargets targets_;
  std::vector<Flushed> flushed_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_MEMORY_BUDGET_H_
