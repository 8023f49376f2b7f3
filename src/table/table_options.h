// TableOptions: how a table is built and read. Everything borrowed here must outlive the builders
// and readers that use it.
#ifndef ZIGGYDB_TABLE_TABLE_OPTIONS_H_
#define ZIGGYDB_TABLE_TABLE_OPTIONS_H_

#include <cstddef>

#include "table/block_cache.h"
#include "table/filter_policy.h"
#include "util/comparator.h"
#include "ziggydb/env.h"
#include "ziggydb/options.h"
#include "ziggydb/statistics.h"

namespace ziggydb {

struct TableOptions {
  // Orders the keys. Its Name() is recorded in the table and must match when reading.
  const Comparator* comparator = BytewiseComparator();
  // Builds (and consults) one filter over every key of the table; nullptr: no filter. It sees
  // whole keys: the DB passes a wrapper that strips internal keys to user keys. A reader whose
  // policy name differs from the one recorded in the table ignores the filter.
  const FilterPolicy* filter_policy = nullptr;
  // Target uncompressed bytes of a data block; a block is cut once it reaches this.
  size_t block_size = 4096;
  // Data blocks are cut and placed so that a block crosses no more 4 KiB page boundaries than its
  // size needs (docs/format/sstable.md, "Page alignment"): a block is cut before an entry that
  // would take it (with its trailer) past block_size rounded up to a page, and up to
  // kMaxAlignPaddingBytes of zeros go before a block that would otherwise cross one boundary
  // more. A point read of a table not in memory then faults in one page per 4 KiB block, not two.
  bool align_data_blocks = true;
  // Once the index block holds this many bytes, a data block is cut only when it is at least
  // kBlockBytesPerIndexKeyByte (table_builder.h) times as long as its last key. The index entry of
  // a block is no longer than that key, so the rest of the index costs at most about 1/16 of the
  // data: long keys in small blocks cannot take the index past kMaxBlockBytes in the largest
  // tables (a 4 GiB flush or compaction output). Below it, blocks are cut by size alone.
  size_t index_bytes_before_long_blocks = size_t{64} << 20;
  // Entries between restart points in data blocks (index blocks use 1).
  int block_restart_interval = 16;
  // Every key ends in 8 bytes that are a little-endian fixed64 (the DB's internal keys: sequence
  // and type): data blocks then store those bytes as a varint64 (table format 2), which takes 1
  // to 5 bytes for the DB's trailers instead of 8. Off: format 1.
  bool keys_end_in_fixed64 = false;
  // Codec for data blocks; a block is stored raw when compressing saves less than 1/8.
  CompressionType compression = CompressionType::kNone;
  // Shared cache of uncompressed data blocks; nullptr: no caching.
  BlockCache* block_cache = nullptr;
  // Readers count block cache, bloom and file-read tickers here; nullptr: not counted.
  Statistics* statistics = nullptr;
  // Builders stamp the table's creation_time property from its WallMicros (so a simulated clock
  // makes table bytes reproducible); nullptr: the system clock.
  Env* clock = nullptr;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_TABLE_OPTIONS_H_
