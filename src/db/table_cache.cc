#include "db/table_cache.h"

#include <utility>

#include "db/filename.h"
#include "env/mapped_file.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

// Every iterator looks up each L0 table and one table per deeper level, so with several reading
// threads one mutex is contended on every short scan: large caches are sharded like the block
// cache. A small max_open_files keeps one shard, where a sharded budget would let one shard's
// eviction close a table while another shard has room.
constexpr int kTableCacheShardBits = 4;
constexpr int kMinFilesPerShard = 32;  // the default max_open_files (1000) shards

int TableCacheShardBits(int capacity_files) {
  return capacity_files >= kMinFilesPerShard << kTableCacheShardBits ? kTableCacheShardBits : 0;
}

}  // namespace

TableCache::TableCache(std::string dbname, Env* env, const TableOptions* table_options,
                       int capacity_files, bool use_mmap_reads)
    : dbname_(std::move(dbname)),
      env_(env),
      table_options_(table_options),
      use_mmap_reads_(use_mmap_reads),
      cache_(static_cast<size_t>(capacity_files), TableCacheShardBits(capacity_files)) {
  ZIGGY_ASSERT(capacity_files >= 1);
}

Status TableCache::FindTable(FileNumber number, uint64_t file_bytes,
                             std::shared_ptr<const TableReader>* table) {
  if (auto cached = cache_.Lookup(number)) {
    *table = std::move(cached);
    return Status::OK();
  }
  const std::string path = TableFileName(dbname_, number);
  uint64_t actual_bytes = 0;
  Status s = env_->GetFileSize(path, &actual_bytes);
  if (!s.ok()) {
    // Missing is damage (the MANIFEST names it); a stat that failed (EIO, EACCES, ESTALE) is not,
    // and a retry may succeed.
    bool exists = true;
    if (CheckPathExists(env_, path, &exists).ok() && !exists) {
      return Status::Corruption("table file missing", path);
    }
    return s.IsIOError() ? s : Status::IOError(path, s.ToString());
  }
  if (actual_bytes != file_bytes) {
    return Status::Corruption("table file has size " + std::to_string(actual_bytes) +
                                  ", the MANIFEST says " + std::to_string(file_bytes),
                              path);
  }
  std::unique_ptr<RandomAccessFile> file;
  bool mapped = false;
  s = use_mmap_reads_ ? NewMappedRandomAccessFile(env_, path, &file, &mapped)
                      : env_->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  std::unique_ptr<TableReader> reader;
  // A mapped reader's views live as long as the reader, which the shared_ptr below keeps alive
  // for every holder (iterators pin it): TableReader's lifetime invariant.
  s = mapped ? TableReader::OpenMapped(*table_options_, std::move(file), file_bytes, &reader)
             : TableReader::Open(*table_options_, std::move(file), file_bytes, &reader);
  if (!s.ok()) {
    return s.IsCorruption() ? Status::Corruption(std::string(s.message()), path) : s;
  }
  // Relaxed: the count is a statistic for the memory budget; it orders nothing.
  const size_t pinned_bytes = reader->pinned_memory_bytes();
  pinned_bytes_->fetch_add(pinned_bytes, std::memory_order_relaxed);
  std::shared_ptr<const TableReader> shared(
      reader.release(), [counter = pinned_bytes_, pinned_bytes](const TableReader* r) {
        counter->fetch_sub(pinned_bytes, std::memory_order_relaxed);
        delete r;
      });
  cache_.Insert(number, shared, 1);
  *table = std::move(shared);
  return Status::OK();
}

Status TableCache::Get(const ReadOptions& options, FileNumber number, uint64_t file_bytes,
                       std::string_view internal_key,
                       const std::function<void(std::string_view, std::string_view)>& on_entry,
                       std::shared_ptr<const TableReader>* pinned_table,
                       std::shared_ptr<const Block>* pinned_block) {
  std::shared_ptr<const TableReader> table;
  Status s = FindTable(number, file_bytes, &table);
  if (!s.ok()) return s;
  s = table->Get(options, internal_key, on_entry, pinned_block);
  if (pinned_table != nullptr) *pinned_table = std::move(table);
  if (s.IsCorruption()) {
    return Status::Corruption(std::string(s.message()), TableFileName(dbname_, number));
  }
  return s;
}

}  // namespace ziggydb
