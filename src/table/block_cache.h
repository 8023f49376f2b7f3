// BlockCache: the process-wide cache of uncompressed table blocks, keyed by (table id, block
// offset). A table reader takes a fresh id from NewBlockCacheTableId() when it opens, so ids are
// never reused within a process and a reopened or replaced file cannot hit stale blocks.
//
// Thread safety: see ShardedLruCache; NewBlockCacheTableId may be called concurrently.
#ifndef ZIGGYDB_TABLE_BLOCK_CACHE_H_
#define ZIGGYDB_TABLE_BLOCK_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "table/lru_cache.h"

namespace ziggydb {

class Block;  // table/block.h; the cache only holds std::shared_ptr<const Block>.

struct BlockCacheKey {
  uint64_t table_id = 0;  // from NewBlockCacheTableId()
  uint64_t offset = 0;    // the block's offset in its table file

  friend bool operator==(const BlockCacheKey&, const BlockCacheKey&) = default;
};

struct BlockCacheKeyHash {
  size_t operator()(const BlockCacheKey& key) const noexcept {
    // Two rounds of multiply-xorshift over both words: offsets of one table differ only in a few
    // middle bits, and the cache and its maps need every output bit to depend on them.
    uint64_t h = key.table_id * 0x9e3779b97f4a7c15ULL ^ key.offset;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return static_cast<size_t>(h);
  }
};

using BlockCache = ShardedLruCache<BlockCacheKey, const Block, BlockCacheKeyHash>;
// The default of ShardedLruCache, spelled out for callers that pass the arguments after it.
inline constexpr int kBlockCacheShardBits = 4;

// A process-unique table id, never 0 (0 may mean "no id").
uint64_t NewBlockCacheTableId();

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_BLOCK_CACHE_H_
