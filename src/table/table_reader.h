// TableReader: reads an SSTable written by TableBuilder (format: docs/format/sstable.md).
//
// I/O budget (asserted by table_io_test):
//   Open: exactly 2 reads — the footer, then one read of the contiguous region holding the index,
//         filter, properties and metaindex blocks (all checksum-verified). The index and filter
//         stay in memory for the reader's lifetime.
//   Get:  0 reads when the filter rules the key out or the block is cached; otherwise exactly 1
//         read (one data block).
//   Iteration: 1 read per data block visited (fewer with the block cache).
// Block cache: data blocks are cached under {table id, offset} (a fresh id per Open), inserted
// unless ReadOptions::fill_cache is false or the read did not verify the block's checksum (so a
// cached block is always a verified one, served without re-verification).
//
// Mapped files (OpenMapped; env/mapped_file.h, docs/design/table_reads.md): a data block stored
// raw is a Block viewing the mapping — no copy, never cached. Its checksum is verified by the
// first load that asks for it and passes, and remembered for the reader's lifetime
// (VerifiedBlocks), as the block cache remembers a verified block; VerifyChecksums always
// re-reads and re-verifies. Compressed blocks are decompressed and cached as above. A table
// recorded as uncompressed skips the cache lookup altogether, so each of its block loads is one
// (free) Read. INVARIANT: the reader outlives every Block, iterator and slice it hands out, since
// views point into the file it owns; with ZIGGY_DEBUG_CHECKS the destructor asserts that no view
// Block is left.
//
// Thread safety: after Open, every const method may be called concurrently (the file, the block
// cache and the pinned blocks are all safe for concurrent use).
#ifndef ZIGGYDB_TABLE_TABLE_READER_H_
#define ZIGGYDB_TABLE_TABLE_READER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/block.h"
#include "table/format.h"
#include "table/restart_words.h"
#include "table/table_options.h"
#include "table/table_properties.h"
#include "table/verified_blocks.h"
#include "ziggydb/env.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

class TableReader {
 public:
  // Opens the table in `file` (file_size bytes). Corruption("not an sstable" / "unsupported format
  // version N", with the file size) when the footer is wrong or the file truncated; Corruption
  // when any meta block fails its checksum; InvalidArgument when the table was written with a
  // comparator of another name. options (and what it points to) must outlive the reader.
  [[nodiscard]] static Status Open(const TableOptions& options,
                                   std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                                   std::unique_ptr<TableReader>* table);
  // As Open, for a file opened by NewMappedRandomAccessFile with *mapped == true: raw data
  // blocks are then views of the mapping (see above).
  [[nodiscard]] static Status OpenMapped(const TableOptions& options,
                                         std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                                         std::unique_ptr<TableReader>* table);

  ~TableReader();
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // Asks the filter about `key` (whole key), and if it may be present finds the first entry with
  // key >= `key` in the one data block the index designates, calling on_entry(found_key, value)
  // for it. on_entry is not called when the filter rules the key out, when `key` is past the last
  // entry, or when `key` falls between that block's last key and its index separator (no entry
  // equal to `key` can then exist: the separator orders before the next block's first key).
  // Reads at most one data block. pinned_block, when not null, receives that block if it keeps
  // the bytes on_entry saw alive; a raw block of a mapped table is not handed out (it is searched
  // in place, no allocation): those bytes live as long as this reader, which the caller holds.
  [[nodiscard]] Status Get(const ReadOptions& options, std::string_view key,
                           const std::function<void(std::string_view, std::string_view)>& on_entry,
                           std::shared_ptr<const Block>* pinned_block = nullptr) const;

  // Iterates every entry, both directions. ReadOptions bounds are not applied here (the DB
  // iterator applies them). The reader must outlive the iterator.
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) const;

  // The index block (pinned): one entry per data block, its separator key -> the encoded
  // BlockHandle of the block. For inspection (ziggy dump-sst).
  std::unique_ptr<Iterator> NewIndexIterator() const;
  const BlockHandle& index_handle() const { return index_handle_; }

  // Bytes held in memory for the reader's lifetime: the index and filter blocks, and the index's
  // search words.
  size_t pinned_memory_bytes() const {
    return index_block_->charge() + filter_.capacity() + index_words_.memory_bytes();
  }
  const TableProperties& properties() const { return properties_; }
  bool has_filter() const { return has_filter_; }

  // Reads every block with checksum verification. Corruption names the first bad block's offset.
  [[nodiscard]] Status VerifyChecksums() const;

  // For repair: calls add(key, value) for every entry of every data block that passes its
  // checksum, in order, and appends to *skipped one line per block that does not (or whose
  // handle in the index is bad). An error other than Corruption (an I/O error) is returned.
  [[nodiscard]] Status SalvageEntries(
      const std::function<void(std::string_view key, std::string_view value)>& add,
      std::vector<std::string>* skipped) const;

  // File offset at which the data for `key` would begin (the file size past the last block).
  uint64_t ApproximateOffsetOf(std::string_view key) const;

 private:
  TableReader(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
              uint64_t file_size, bool file_mapped);
  [[nodiscard]] static Status OpenFile(const TableOptions& options,
                                       std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                                       bool file_mapped, std::unique_ptr<TableReader>* table);

  // The bytes of the meta region [start, start + bytes.size()) of the file.
  struct MetaRegion {
    std::string_view bytes;
    uint64_t start;
    // Decodes (verifying the checksum) the block at handle, which must lie inside the region.
    [[nodiscard]] Status Load(const BlockHandle& handle, std::string* contents) const;
  };

  // Reads the meta region with one read and loads the index, metaindex and meta blocks.
  [[nodiscard]] Status ReadMetaRegion(const Footer& footer);
  // Loads every block the metaindex names: properties (required), filter (if it is of
  // options_.filter_policy's encoding), others only verified.
  [[nodiscard]] Status ReadMetaBlocks(const MetaRegion& meta,
                                      std::shared_ptr<const Block> metaindex);
  // Loads (from the cache or the file) the data block at handle into *block; or, when view is
  // not null and the block is stored raw in a mapped file, parses it in place into *view
  // (*block then stays null).
  [[nodiscard]] Status ReadDataBlock(const ReadOptions& options, const BlockHandle& handle,
                                     std::shared_ptr<const Block>* block,
                                     std::optional<Block>* view = nullptr) const;
  // ReadDataBlock's cache miss on a mapped file: a view Block when the block is stored raw,
  // else decompressed and offered to the cache.
  [[nodiscard]] Status ReadMappedDataBlock(const ReadOptions& options, const BlockHandle& handle,
                                           std::shared_ptr<const Block>* block,
                                           std::optional<Block>* view) const;
  // Inserts a block just read from the file, as options.fill_cache asks.
  void FillCache(const ReadOptions& options, uint64_t offset,
                 const std::shared_ptr<const Block>& block) const;
  // index_words_ for an index BlockIterator, or null when there are none.
  const RestartWords* IndexWords() const;
  // Decodes an index entry's value and opens an iterator over that block.
  [[nodiscard]] Status OpenDataBlock(const ReadOptions& options, std::string_view index_value,
                                     std::unique_ptr<Iterator>* iter) const;

  const TableOptions options_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  // file_ keeps the mapped_file.h contract: raw data blocks may be views of it.
  const bool file_mapped_;
  // Data block loads consult the block cache: there is one, and the file is not mapped or the
  // table may hold compressed blocks. Set at open.
  bool cache_data_blocks_ = false;
  uint64_t cache_id_ = 0;  // 0 without a block cache
  // Mapped data blocks whose checksum passed (tracks nothing unless file_mapped_).
  VerifiedBlocks verified_blocks_;
  // View Blocks alive (counted only with ZIGGY_DEBUG_CHECKS); 0 when the reader is destroyed.
  mutable std::atomic<int64_t> live_view_blocks_{0};
  // Pinned for the reader's lifetime.
  std::shared_ptr<const Block> index_block_;
  // Speeds up seeks in index_block_ (empty when the comparator's order or the block do not
  // allow it); built at open, in memory only.
  RestartWords index_words_;
  // How the data blocks store keys (from the footer's format version).
  BlockKeyEncoding data_key_encoding_ = BlockKeyEncoding::kWhole;
  bool has_filter_ = false;  // a filter of options.filter_policy's encoding was found
  std::string filter_;
  TableProperties properties_;
  // Every meta block, for VerifyChecksums.
  BlockHandle index_handle_;
  BlockHandle metaindex_handle_;
  std::vector<BlockHandle> meta_handles_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_TABLE_READER_H_
