#include "table/block_cache.h"

#include <atomic>

namespace ziggydb {

uint64_t NewBlockCacheTableId() {
  // Relaxed: the id only has to be unique; it orders nothing.
  static std::atomic<uint64_t> next_id{1};
  return next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace ziggydb
