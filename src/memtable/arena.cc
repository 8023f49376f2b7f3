#include "memtable/arena.h"

#include <cstdint>

#include "util/assert.h"

namespace ziggydb {

Arena::Arena(size_t block_bytes) : block_bytes_(block_bytes) {
  ZIGGY_ASSERT(block_bytes_ >= kMinBlockBytes);
}

char* Arena::AllocateAligned(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t misalignment = reinterpret_cast<uintptr_t>(alloc_ptr_) & (kAlignBytes - 1);
  const size_t padding_bytes = misalignment == 0 ? 0 : kAlignBytes - misalignment;
  char* result;
  if (alloc_ptr_ != nullptr && bytes + padding_bytes <= alloc_bytes_remaining_) {
    result = alloc_ptr_ + padding_bytes;
    alloc_ptr_ += bytes + padding_bytes;
    alloc_bytes_remaining_ -= bytes + padding_bytes;
  } else {
    // New blocks come from operator new[], which aligns to at least kAlignBytes.
    result = AllocateFallback(bytes);
  }
  ZIGGY_ASSERT((reinterpret_cast<uintptr_t>(result) & (kAlignBytes - 1)) == 0);
  return result;
}

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > large_allocation_bytes()) {
    // Keep the current block's remaining space for the small requests that follow.
    return AllocateNewBlock(bytes);
  }
  // The rest of the current block is abandoned; it is smaller than `bytes`, so under a quarter
  // of a block.
  alloc_ptr_ = AllocateNewBlock(block_bytes_);
  alloc_bytes_remaining_ = block_bytes_;
  char* result = alloc_ptr_;
  alloc_ptr_ += bytes;
  alloc_bytes_remaining_ -= bytes;
  return result;
}

char* Arena::AllocateNewBlock(size_t block_bytes) {
  static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= kAlignBytes);
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_bytes));
  // Only this thread writes the counter, so load+store cannot lose an update.
  memory_usage_bytes_.store(MemoryUsage() + block_bytes + sizeof(std::unique_ptr<char[]>),
                            std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace ziggydb
