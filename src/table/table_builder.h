// TableBuilder: writes a sorted run of key/value pairs as an SSTable (format:
// docs/format/sstable.md, version 1):
//   [data block]* [index block] [filter block]? [properties block] [metaindex block] [footer]
// The blocks after the data are contiguous so that a reader loads them with one read.
//
// Thread safety: none; one thread drives a builder. The file is borrowed and must outlive it.
// Lifecycle: Add* then exactly one of Finish() or Abandon() (or Abandon() after a Finish() that
// threw); destroying a builder that did neither is a bug (asserted).
#ifndef ZIGGYDB_TABLE_TABLE_BUILDER_H_
#define ZIGGYDB_TABLE_TABLE_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/block_builder.h"
#include "table/format.h"
#include "table/table_options.h"
#include "table/table_properties.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb {

class TableBuilder {
 public:
  // See TableOptions::index_bytes_before_long_blocks.
  static constexpr size_t kBlockBytesPerIndexKeyByte = 16;

  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // Precondition: neither Finish nor Abandon called. A key that does not sort after the key added
  // before (by options.comparator) is not added: status() becomes Corruption and the table fails.
  // A key over kMaxTableKeyBytes, a value over kMaxValueBytes, or a key shorter than its suffix
  // (keys_end_in_fixed64) is not added: status() becomes InvalidArgument and the table fails.
  // After any error the pair is dropped; status() (and Finish) report the error.
  void Add(std::string_view key, std::string_view value);
  // Records the sequence range of the entries in the table properties. Optional.
  void SetSequenceRange(uint64_t smallest, uint64_t largest);
  // Writes the remaining blocks and the footer (the caller syncs and closes the file).
  [[nodiscard]] Status Finish();
  // Stops building; the file content is garbage the caller deletes.
  void Abandon();

  Status status() const { return status_; }
  uint64_t NumEntries() const { return properties_.num_entries; }
  // Bytes written so far (the final file size after Finish).
  uint64_t FileSize() const { return offset_; }
  // Valid after Finish.
  const TableProperties& properties() const { return properties_; }

 private:
  // Whether the data block being built may be cut now (by size or page alignment): always while
  // the index is small, then only once the block is long next to its last key.
  bool DataBlockMayEnd() const;
  // Writes the data block being built (if any) and remembers its handle for the index.
  void FlushDataBlock();
  // Writes contents, compressed per `compression` if that pays, plus the trailer.
  void WriteBlock(std::string_view contents, CompressionType compression, BlockHandle* handle);
  // With align_data_blocks: true if adding an entry of these sizes would take the data block,
  // with its trailer, past block_size rounded up to a page (so it is cut first).
  bool EntryWouldCrossAPage(size_t key_bytes, size_t value_bytes) const;
  // With align_data_blocks: writes zeros so that a block of `stored_bytes` (trailer included)
  // starting at the new offset crosses no more page boundaries than its size needs, if that takes
  // at most kMaxAlignPaddingBytes.
  void PadBeforeDataBlock(size_t stored_bytes);
  void WriteStoredBlock(std::string_view stored, CompressionType type, BlockHandle* handle);
  // Adds the index entry for the last flushed block; next_key is the first key after it, or
  // nullptr at the end of the table.
  void AddPendingIndexEntry(const std::string_view* next_key);
  void WriteMetaBlocks(BlockHandle* metaindex_handle);

  const TableOptions options_;
  WritableFile* const file_;
  Status status_;
  uint64_t offset_ = 0;
  bool closed_ = false;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::string last_key_;
  // INVARIANT: pending_index_entry_ iff a data block was flushed whose index entry waits for the
  // next key (so the separator can be short); pending_handle_ is that block.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;

  // Every key added, concatenated, for the table's filter.
  std::string filter_key_bytes_;
  std::vector<size_t> filter_key_ends_;

  TableProperties properties_;
  std::string compressed_;  // scratch
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_TABLE_BUILDER_H_
