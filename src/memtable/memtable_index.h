// MemTableIndex: a hash index from user key to the newest entry of that key in one memtable, so
// that a point lookup costs a slot probe and a visit to that entry's node instead of a skiplist
// search (a chain of dependent cache misses: ~1.3 us in a 256k-entry memtable, see
// docs/design/memtable.md).
//
// Layout (in memory only, never persisted): a fixed array of 64-bit slots, open addressing with
// linear probing from FastRange(hash, slots) (the hash's high bits). A slot is 0 (empty) or
// tag << 48 | address: tag is the low 16 bits of the key's hash (independent of the home slot, so
// it tells apart the keys that crowd one), address that of a skiplist entry (below 2^48 wherever
// we build; a higher one is not indexed, see Completeness).
//
// Invariants:
//   1. A slot, once set, is never emptied, and is only ever replaced by a newer entry of the
//      same user key. So each user key occupies at most one slot (every inserter of a key walks
//      the same probe sequence and stops at the slot holding it), and that slot holds the newest
//      entry of the key whose Insert has returned.
//   2. An entry is inserted after it is linked into the skiplist: a reader that finds it may
//      walk the list on from it (the release store of the slot publishes the linked node).
//
// Completeness: Insert gives up after kMaxProbes slots (a memtable holding many more keys than
// the index was sized for) or on an address it cannot pack, and marks the index incomplete; from
// then on the memtable must not trust a miss or a hit (a key's slot may hold an older entry than
// the one that was not indexed) and searches its skiplist instead.
//
// Thread safety: Insert may run on several threads at once (compare-and-swap per slot) and
// concurrently with Find and complete(). A reader that happens-after an Insert (e.g. through the
// publication of the write's sequence number) sees its slot and the completeness flag as it left
// them.
#ifndef ZIGGYDB_MEMTABLE_MEMTABLE_INDEX_H_
#define ZIGGYDB_MEMTABLE_MEMTABLE_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "util/assert.h"
#include "util/hash.h"

namespace ziggydb {

class MemTableIndex {
 public:
  // Slots probed before Insert gives up: eight cache lines.
  static constexpr size_t kMaxProbes = 64;
  static constexpr size_t kMinSlots = 64;

  // How an entry already in a slot relates to the one being inserted.
  enum class Relation { kOtherKey, kSameKeyOlder, kSameKeyNewer };

  // num_slots is raised to kMinSlots.
  explicit MemTableIndex(size_t num_slots)
      : num_slots_(num_slots < kMinSlots ? kMinSlots : num_slots),
        slots_(std::make_unique<std::atomic<uint64_t>[]>(num_slots_)) {}
  MemTableIndex(const MemTableIndex&) = delete;
  MemTableIndex& operator=(const MemTableIndex&) = delete;

  // Indexes `entry` (already linked into the skiplist: invariant 2) under its key's 64-bit hash.
  // relate(const char* other) -> Relation compares it with an entry of the same tag.
  template <typename Relate>
  void Insert(uint64_t hash, const char* entry, Relate&& relate) {
    const auto address = reinterpret_cast<uintptr_t>(entry);
    ZIGGY_ASSERT(address != 0);
    if ((static_cast<uint64_t>(address) >> kAddressBits) != 0) return MarkIncomplete();
    const uint64_t packed = TagOf(hash) | static_cast<uint64_t>(address);
    size_t i = Home(hash);
    for (size_t probe = 0; probe < kMaxProbes; ++probe) {
      std::atomic<uint64_t>& slot = slots_[i];
      uint64_t current = slot.load(std::memory_order_acquire);
      while (true) {
        if (current != 0) {
          if ((current & kTagMask) != TagOf(hash)) break;
          const Relation relation = relate(EntryOf(current));
          if (relation == Relation::kOtherKey) break;
          if (relation == Relation::kSameKeyNewer) return;  // invariant 1 already holds
        }
        // Empty, or an older entry of this key: take the slot unless it changed meanwhile.
        // Release: publishes the entry's node with its links (invariant 2).
        if (slot.compare_exchange_weak(current, packed, std::memory_order_release,
                                       std::memory_order_acquire)) {
          return;
        }
      }
      if (++i == num_slots_) i = 0;
    }
    MarkIncomplete();
  }

  // Asks for the cache line of the hash's first slot: an inserter that calls it before its
  // skiplist insert finds the line loaded by the time it indexes the entry.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)], /*rw=*/1); }

  // The entry indexed for the key of this hash for which same_key(const char* entry) holds, or
  // null if there is none. Meaningful only while complete().
  template <typename SameKey>
  const char* Find(uint64_t hash, SameKey&& same_key) const {
    size_t i = Home(hash);
    for (size_t probe = 0; probe < kMaxProbes; ++probe) {
      const uint64_t current = slots_[i].load(std::memory_order_acquire);
      if (current == 0) return nullptr;
      if ((current & kTagMask) == TagOf(hash) && same_key(EntryOf(current)))
        return EntryOf(current);
      if (++i == num_slots_) i = 0;
    }
    return nullptr;
  }

  // False once an Insert gave up: then Find's answers are not to be used.
  bool complete() const { return !incomplete_.load(std::memory_order_acquire); }
  size_t bytes() const { return num_slots_ * sizeof(std::atomic<uint64_t>); }

 private:
  static constexpr int kAddressBits = 48;
  static constexpr uint64_t kTagMask = ~((uint64_t{1} << kAddressBits) - 1);

  static uint64_t TagOf(uint64_t hash) { return hash << kAddressBits; }
  static const char* EntryOf(uint64_t slot) {
    return reinterpret_cast<const char*>(static_cast<uintptr_t>(slot & ~kTagMask));
  }
  // The first slot to probe, by the hash's high bits (FastRange: any count of slots, evenly).
  size_t Home(uint64_t hash) const { return static_cast<size_t>(FastRange(hash, num_slots_)); }
  void MarkIncomplete() { incomplete_.store(true, std::memory_order_release); }

  const size_t num_slots_;
  const std::unique_ptr<std::atomic<uint64_t>[]> slots_;  // value-initialized: all empty
  std::atomic<bool> incomplete_{false};
};

// Slots for a memtable that is to hold memtable_bytes: one per 96 bytes, about one and a half per
// entry of a 16-byte key and 100-byte value (~140 bytes with its node), so that linear probing
// stays short; 8.3% of the memtable's size. Not capped, unlike the filter
// (MemTableFilterBytes): a capped index would give up on a large memtable, and every Get of its
// keys would search the list again. Bounded by kMemtableBytesRange (at most 341 MiB for a 4 GiB
// memtable) and counted in MemTable::ApproximateMemoryBytes, so the memory budget sees it.
inline size_t MemTableIndexSlots(size_t memtable_bytes) {
  return memtable_bytes / 96;
}

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_MEMTABLE_INDEX_H_
