// TableCache: open TableReaders keyed by file number, bounded by Options::max_open_files.
//
// A reader holds its file open and its index and filter in memory, so the bound caps both file
// descriptors and pinned memory. Lookups hand out std::shared_ptr<const TableReader>: an evicted
// reader stays usable by whoever still holds it and closes when the last holder lets go.
//
// Thread safety: every method may be called concurrently.
#ifndef ZIGGYDB_DB_TABLE_CACHE_H_
#define ZIGGYDB_DB_TABLE_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "table/lru_cache.h"
#include "table/table_options.h"
#include "table/table_reader.h"
#include "ziggydb/env.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

class TableCache {
 public:
  // table_options (and what it points to) must outlive the cache. capacity_files >= 1.
  // use_mmap_reads: open tables as mapped files where env can (env/mapped_file.h); each open
  // table then holds one mapping, unmapped when its last holder lets go of the reader.
  TableCache(std::string dbname, Env* env, const TableOptions* table_options, int capacity_files,
             bool use_mmap_reads);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // The reader for table `number` of file_bytes bytes, opened (2 reads) if not cached. Corruption
  // names the file when it is missing, of another size, or unreadable as a table; an I/O error
  // (opening it, or looking at its size) is returned as such.
  [[nodiscard]] Status FindTable(FileNumber number, uint64_t file_bytes,
                                 std::shared_ptr<const TableReader>* table);

  // TableReader::Get on table `number`. pinned_table and pinned_block, when not null, receive
  // the reader and the data block (if one was read): holding both keeps alive the bytes on_entry
  // saw.
  [[nodiscard]] Status Get(const ReadOptions& options, FileNumber number, uint64_t file_bytes,
                           std::string_view internal_key,
                           const std::function<void(std::string_view, std::string_view)>& on_entry,
                           std::shared_ptr<const TableReader>* pinned_table = nullptr,
                           std::shared_ptr<const Block>* pinned_block = nullptr);

  // Drops the cached reader (the file is being deleted).
  void Evict(FileNumber number) { cache_.Erase(number); }

  CacheCounters counters() const { return cache_.counters(); }

  // Index and filter bytes of every reader alive, cached or held by iterators after eviction.
  size_t pinned_memory_bytes() const { return pinned_bytes_->load(std::memory_order_relaxed); }

 private:
  const std::string dbname_;
  Env* const env_;
  const TableOptions* const table_options_;
  const bool use_mmap_reads_;
  ShardedLruCache<FileNumber, const TableReader> cache_;
  // Shared with each reader's deleter, which subtracts that reader's bytes.
  const std::shared_ptr<std::atomic<size_t>> pinned_bytes_ =
      std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_TABLE_CACHE_H_
