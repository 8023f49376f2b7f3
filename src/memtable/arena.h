// Arena: a bump allocator for the memtable. Memory is carved from 4 KiB blocks and freed all at
// once when the arena is destroyed; there is no per-allocation free.
//
// Thread safety: Allocate/AllocateAligned are for a single thread at a time (the memtable's one
// writer). MemoryUsage() may be called from any thread concurrently with them.
//
// Invariants:
//   1. Every block is owned by blocks_ and lives as long as the arena, so returned pointers stay
//      valid until ~Arena().
//   2. [alloc_ptr_, alloc_ptr_ + alloc_bytes_remaining_) is unused space in the newest small block.
//   3. memory_usage_bytes_ = sum of block sizes + the bookkeeping for their pointers.
#ifndef ZIGGYDB_MEMTABLE_ARENA_H_
#define ZIGGYDB_MEMTABLE_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace ziggydb {

class Arena {
 public:
  static constexpr size_t kBlockBytes = 4096;
  // Requests above this get a block of their own, so at most a quarter of a block is wasted when
  // the current block cannot hold a request.
  static constexpr size_t kLargeAllocationBytes = kBlockBytes / 4;
  // Alignment AllocateAligned guarantees: enough for pointers and std::atomic<pointer>.
  static constexpr size_t kAlignBytes = alignof(void*) > 8 ? alignof(void*) : 8;
  static_assert((kAlignBytes & (kAlignBytes - 1)) == 0, "alignment must be a power of two");
  static_assert(kAlignBytes >= alignof(std::atomic<void*>));

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() = default;

  // Returns `bytes` bytes with no alignment guarantee. Precondition: bytes > 0.
  char* Allocate(size_t bytes);
  // Returns `bytes` bytes aligned to kAlignBytes. Precondition: bytes > 0.
  char* AllocateAligned(size_t bytes);

  // Bytes held by the arena (blocks plus bookkeeping); an upper bound on the bytes handed out.
  // Relaxed atomic: the value is a statistic used for flush decisions, nothing is published
  // through it, and a reader tolerates a slightly stale figure.
  size_t MemoryUsage() const { return memory_usage_bytes_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t block_bytes);

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

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_ARENA_H_
