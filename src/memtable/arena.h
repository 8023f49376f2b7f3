// Arena: a bump allocator for the memtable. Memory is carved from blocks of a fixed size (4 KiB
// by default, more for a large memtable: see ArenaBlockBytes) and freed all at once when the arena
// is destroyed; there is no per-allocation free.
//
// Thread safety: Allocate/AllocateAligned are for a single thread at a time (the memtable's one
// writer). AllocateAlignedConcurrently may be called from several threads at once (the members of
// a write group inserting their own batches), but not alongside the other two: it serialises on
// concurrent_mu_, which is held for a pointer bump (a new block now and then), short next to the
// skiplist search each allocation precedes. MemoryUsage() may be called from any thread
// concurrently with all of them.
//
// Invariants:
//   1. Every block is owned by blocks_ and lives as long as the arena, so returned pointers stay
//      valid until ~Arena().
//   2. [alloc_ptr_, alloc_ptr_ + alloc_bytes_remaining_) is unused space in the newest small block.
//   3. memory_usage_bytes_ = sum of block sizes + the bookkeeping for their pointers.
#ifndef ZIGGYDB_MEMTABLE_ARENA_H_
#define ZIGGYDB_MEMTABLE_ARENA_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "util/mutex.h"

namespace ziggydb {

class Arena {
 public:
  static constexpr size_t kMinBlockBytes = 4096;
  // Alignment AllocateAligned guarantees: enough for pointers and std::atomic<pointer>.
  static constexpr size_t kAlignBytes = alignof(void*) > 8 ? alignof(void*) : 8;
  static_assert((kAlignBytes & (kAlignBytes - 1)) == 0, "alignment must be a power of two");
  static_assert(kAlignBytes >= alignof(std::atomic<void*>));

  // Precondition: block_bytes >= kMinBlockBytes.
  explicit Arena(size_t block_bytes = kMinBlockBytes);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() = default;

  // Returns `bytes` bytes with no alignment guarantee. Precondition: bytes > 0.
  char* Allocate(size_t bytes);
  // Returns `bytes` bytes aligned to kAlignBytes. Precondition: bytes > 0.
  char* AllocateAligned(size_t bytes);
  // AllocateAligned for several threads at once (see Thread safety).
  char* AllocateAlignedConcurrently(size_t bytes) EXCLUDES(concurrent_mu_) {
    MutexLock lock(&concurrent_mu_);
    return AllocateAligned(bytes);
  }

  size_t block_bytes() const { return block_bytes_; }
  // Requests above this get a block of their own, so at most a quarter of a block is wasted when
  // the current block cannot hold a request.
  size_t large_allocation_bytes() const { return block_bytes_ / 4; }

  // Bytes held by the arena (blocks plus bookkeeping); an upper bound on the bytes handed out.
  // Relaxed atomic: the value is a statistic used for flush decisions, nothing is published
  // through it, and a reader tolerates a slightly stale figure.
  size_t MemoryUsage() const { return memory_usage_bytes_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t block_bytes);

  const size_t block_bytes_;
  // Serialises AllocateAlignedConcurrently. The fields below are not GUARDED_BY it: the
  // single-writer calls use them without it (never at the same time, see Thread safety).
  Mutex concurrent_mu_;
  char* alloc_ptr_ = nullptr;
  size_t alloc_bytes_remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_bytes_{0};
};

inline char* Arena::Allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;  // a distinct pointer per call, like operator new
  if (bytes <= alloc_bytes_remaining_) {
    char* result = alloc_ptr_;
    alloc_ptr_ += bytes;
    alloc_bytes_remaining_ -= bytes;
    return result;
  }
  return AllocateFallback(bytes);
}

// The arena block size for a memtable of capacity_bytes: 1/256 of it within [4 KiB, 1 MiB]. A
// block's unused tail is lost when an entry does not fit, so bigger blocks waste less per entry
// (at 4 KiB and ~140-byte entries, ~2%), while a small memtable keeps small blocks so that its
// first block does not already fill it.
inline size_t ArenaBlockBytes(size_t capacity_bytes) {
  return std::clamp<size_t>(capacity_bytes / 256, Arena::kMinBlockBytes, size_t{1} << 20);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_ARENA_H_
