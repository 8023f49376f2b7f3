// ReadStack: how a DB reads, shared by the writing DB (DBImpl) and the read-only one (DBReadOnly).
// It owns the table-reading machinery built from Options exactly as the tables are written (bloom
// filter policy, block cache, table options, table cache), and answers point reads and
// iterators over a SuperVersion (super_version.h): the memtable, then the immutable memtables
// newest first, then the tables of the Version (L0 newest first, then one table per deeper
// level), at the read's sequence. A Get may be answered by the row cache (row_cache.h) for a
// table whose every entry the read sees.
//
// Thread safety: every method may be called concurrently (the table cache and block cache have
// their own locks; a SuperVersion is immutable).
#ifndef ZIGGYDB_DB_READ_STACK_H_
#define ZIGGYDB_DB_READ_STACK_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "db/row_cache.h"
#include "db/super_version.h"
#include "db/table_cache.h"
#include "table/block_cache.h"
#include "table/filter_policy.h"
#include "table/table_options.h"
#include "ziggydb/env.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/pinnable_value.h"
#include "ziggydb/statistics.h"
#include "ziggydb/status.h"

namespace ziggydb {

class ReadStack {
 public:
  // The block cache: none when capacity_bytes is 0 and not budgeted. Under a memory budget
  // (memory_budget.h) it always exists, its capacity follows the budget, and it charges the
  // evicted blocks iterators still hold.
  struct BlockCacheConfig {
    size_t capacity_bytes = 0;
    bool budgeted = false;
  };

  // icmp must outlive the stack; stats may be null (no read counters). reserved_files: file
  // descriptors kept back from options.max_open_files for the DB's own files.
  ReadStack(const Options& options, std::string dbname, Env* env, const InternalKeyComparator* icmp,
            Statistics* stats, int reserved_files, BlockCacheConfig cache);
  ReadStack(const ReadStack&) = delete;
  ReadStack& operator=(const ReadStack&) = delete;

  // A point read, as DB::Get does it for both DBImpl and DBReadOnly: the newest entry of `key`
  // at or below `sequence` in `state`: OK and *value set; or NotFound (absent or deleted); or the
  // table's error (Corruption names the file). Counted in the statistics: kGetMicros, and
  // kKeysRead / kBytesRead when found.
  [[nodiscard]] Status Get(const ReadOptions& options, const SuperVersion& state,
                           std::string_view key, SequenceNumber sequence, std::string* value) const;
  // As Get, with *value viewing the bytes where they are (pinnable_value.h), never copied: the
  // memtable (pinned), or the data block (pinned, with its table reader for a mapped block).
  [[nodiscard]] Status Get(const ReadOptions& options, const SuperVersion& state,
                           std::string_view key, SequenceNumber sequence,
                           PinnableValue* value) const;

  // Called, from the seeking thread and with no lock held, by the seek that exhausts a Version's
  // read-compaction budget (Version::ChargeSeek).
  using ReadCompactionDue = std::function<void()>;

  // A DB iterator over `state` at `sequence`; it keeps the state alive. With statistics, its
  // positioning calls are timed and counted (NewStatisticsIterator). With read_compaction_due
  // (which must outlive the iterator), its seeks are charged to the state's Version; without
  // (a read-only DB, which never compacts), they are not counted.
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options,
                                        std::shared_ptr<const SuperVersion> state,
                                        SequenceNumber sequence,
                                        const ReadCompactionDue* read_compaction_due) const;

  TableCache* table_cache() const { return table_cache_.get(); }
  const TableOptions& table_options() const { return table_options_; }
  BlockCache* block_cache() const { return block_cache_.get(); }  // null without one
  const RowCache* row_cache() const { return row_cache_.get(); }  // null without one

 private:
  // Where Get puts what it finds: a copy or a pin.
  class ValueSink;
  template <typename Value>
  [[nodiscard]] Status CountedGet(const ReadOptions& options, const SuperVersion& state,
                                  std::string_view key, SequenceNumber sequence,
                                  Value* value) const;
  [[nodiscard]] Status GetInto(const ReadOptions& options, const SuperVersion& state,
                               const LookupKey& lookup, SequenceNumber sequence,
                               ValueSink* sink) const;
  // A Get's use of the row cache: the decision and, when it looks up, the key's hash.
  struct RowCacheProbe {
    RowCache::Decision decision;
    uint64_t hash = 0;
  };
  [[nodiscard]] Status GetFromTables(const ReadOptions& options, const Version& version,
                                     const LookupKey& lookup, SequenceNumber sequence,
                                     const RowCacheProbe& probe, ValueSink* sink) const;

  const std::string dbname_;
  Env* const env_;
  const InternalKeyComparator* const icmp_;
  Statistics* const stats_;
  std::unique_ptr<FilterPolicy> user_filter_policy_;  // null when bloom_bits_per_key == 0
  std::unique_ptr<FilterPolicy> filter_policy_;       // wraps user_filter_policy_
  std::unique_ptr<BlockCache> block_cache_;           // null without one (BlockCacheConfig)
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<RowCache> row_cache_;  // null when Options::row_cache_bytes is 0
};

// The error of a read whose ReadOptions::snapshot is ahead of the DB's last published sequence
// `last`: a snapshot of another DB (reading at it could show a write group still being applied).
[[nodiscard]] Status ForeignSnapshot(SequenceNumber wanted, SequenceNumber last);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_READ_STACK_H_
