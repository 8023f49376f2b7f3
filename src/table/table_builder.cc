#include "table/table_builder.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "table/block.h"
#include "table/compression.h"
#include "table/meta_names.h"
#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(
          options.comparator, options.block_restart_interval,
          options.keys_end_in_fixed64 ? BlockKeyEncoding::kVarintSuffix : BlockKeyEncoding::kWhole),
      // One entry per restart point: the index is binary-searched to the exact entry.
      index_block_(options.comparator, 1) {
  ZIGGY_ASSERT(file != nullptr && options.comparator != nullptr);
  ZIGGY_ASSERT(options.block_size > 0 && options.block_restart_interval >= 1);
  properties_.comparator_name = options.comparator->Name();
  if (options.filter_policy != nullptr) {
    properties_.filter_policy_name = options.filter_policy->Name();
  }
  properties_.compression = options.compression;
  properties_.format_version = options.keys_end_in_fixed64 ? kTableFormatVarintSuffix : 1;
}

TableBuilder::~TableBuilder() {
  ZIGGY_ASSERT(closed_);
}

void TableBuilder::Add(std::string_view key, std::string_view value) {
  ZIGGY_ASSERT(!closed_);
  if (!status_.ok()) return;
  if (options_.keys_end_in_fixed64 && key.size() < kKeySuffixBytes) {
    status_ = Status::InvalidArgument("table key of " + std::to_string(key.size()) +
                                      " bytes lacks its 8-byte suffix (keys_end_in_fixed64)");
    return;
  }
  if (key.size() > kMaxTableKeyBytes || value.size() > kMaxValueBytes) {
    // The DB's limits keep such pairs out; one arriving here (a caller bug, or a limit changed
    // on one side only) fails the table instead of writing a key no reader would accept.
    status_ = Status::InvalidArgument(
        "table entry over the size limit: key of " + std::to_string(key.size()) + " bytes (max " +
        std::to_string(kMaxTableKeyBytes) + "), value of " + std::to_string(value.size()) +
        " bytes (max " + std::to_string(kMaxValueBytes) + ")");
    return;
  }
  const bool first = properties_.num_entries == 0;
  // Checked in every build (one comparison per key): a flush or compaction that produced keys out
  // of order (a bug, or memory damage) would otherwise write a table no lookup can trust.
  if (!first && options_.comparator->Compare(key, last_key_) <= 0) {
    status_ = Status::Corruption("table keys out of order: entry " +
                                 std::to_string(properties_.num_entries + 1) +
                                 " does not sort after the one before it");
    return;
  }
  if (options_.align_data_blocks && !data_block_.empty() &&
      EntryWouldCrossAPage(key.size(), value.size()) && DataBlockMayEnd()) {
    FlushDataBlock();
    if (!status_.ok()) return;
  }
  if (pending_index_entry_) {
    AddPendingIndexEntry(&key);
    if (!status_.ok()) return;
  }
  if (options_.filter_policy != nullptr) {
    filter_key_bytes_.append(key);
    filter_key_ends_.push_back(filter_key_bytes_.size());
  }
  if (first) properties_.smallest_key.assign(key);
  last_key_.assign(key);
  ++properties_.num_entries;
  properties_.raw_key_bytes += key.size();
  properties_.raw_value_bytes += value.size();
  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size && DataBlockMayEnd()) {
    FlushDataBlock();
  }
}

// A block held back is under 16 times its longest key when its last entry arrives.
static_assert(TableBuilder::kBlockBytesPerIndexKeyByte * kMaxTableKeyBytes + kMaxTableKeyBytes +
                  kMaxValueBytes + (size_t{8} << 20) <
              kMaxBlockBytes);

bool TableBuilder::DataBlockMayEnd() const {
  return index_block_.CurrentSizeEstimate() < options_.index_bytes_before_long_blocks ||
         data_block_.CurrentSizeEstimate() >= kBlockBytesPerIndexKeyByte * last_key_.size();
}

void TableBuilder::SetSequenceRange(uint64_t smallest, uint64_t largest) {
  ZIGGY_ASSERT(smallest <= largest);
  properties_.smallest_sequence = smallest;
  properties_.largest_sequence = largest;
}

void TableBuilder::AddPendingIndexEntry(const std::string_view* next_key) {
  ZIGGY_ASSERT(pending_index_entry_);
  std::string separator = last_key_;
  if (next_key != nullptr) {
    options_.comparator->FindShortestSeparator(&separator, *next_key);
    ZIGGY_DASSERT(options_.comparator->Compare(separator, *next_key) < 0);
  } else {
    options_.comparator->FindShortSuccessor(&separator);
  }
  ZIGGY_DASSERT(options_.comparator->Compare(separator, last_key_) >= 0);
  std::string handle;
  pending_handle_.EncodeTo(&handle);
  // Three varint32 lengths and a restart word per index entry.
  constexpr size_t kIndexEntryOverheadBytes = 3 * 5 + 4;
  if (index_block_.CurrentSizeEstimate() + separator.size() + handle.size() +
          kIndexEntryOverheadBytes >=
      kMaxBlockBytes) {
    // Out of reach with the DB's limits on keys, memtables and output files (DataBlockMayEnd);
    // a Status, not the block builder's assertion, should a caller build a larger table.
    status_ = Status::InvalidArgument("table index over " + std::to_string(kMaxBlockBytes) +
                                      " bytes: too many long keys for one table");
    return;
  }
  index_block_.Add(separator, handle);
  pending_index_entry_ = false;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  ZIGGY_ASSERT(!pending_index_entry_);
  const uint64_t start = offset_;
  WriteBlock(data_block_.Finish(), options_.compression, &pending_handle_);
  data_block_.Reset();
  if (!status_.ok()) return;
  pending_index_entry_ = true;
  ++properties_.num_data_blocks;
  properties_.data_bytes += offset_ - start;
}

void TableBuilder::WriteBlock(std::string_view contents, CompressionType compression,
                              BlockHandle* handle) {
  if constexpr (kZiggyDebugChecks) {
    std::shared_ptr<const Block> check;
    ZIGGY_ASSERT(Block::Parse(std::string(contents), &check).ok());
  }
  if (compression != CompressionType::kNone && CompressBlock(compression, contents, &compressed_) &&
      compressed_.size() <= contents.size() - contents.size() / 8) {
    PadBeforeDataBlock(compressed_.size() + kBlockTrailerBytes);
    WriteStoredBlock(compressed_, compression, handle);
  } else {
    PadBeforeDataBlock(contents.size() + kBlockTrailerBytes);
    WriteStoredBlock(contents, CompressionType::kNone, handle);
  }
}

bool TableBuilder::EntryWouldCrossAPage(size_t key_bytes, size_t value_bytes) const {
  // An entry adds at most its key and value, three varint32 lengths, the key suffix's varint64
  // growing by 2 bytes over the fixed64 it replaces, and a 4-byte restart point.
  constexpr size_t kMaxEntryOverheadBytes = 3 * 5 + 2 + 4;
  const size_t limit = (options_.block_size + kPageBytes - 1) / kPageBytes * kPageBytes;
  return data_block_.CurrentSizeEstimate() + key_bytes + value_bytes + kMaxEntryOverheadBytes +
             kBlockTrailerBytes >
         limit;
}

void TableBuilder::PadBeforeDataBlock(size_t stored_bytes) {
  if (!options_.align_data_blocks || !status_.ok()) return;
  const uint64_t in_page = offset_ % kPageBytes;
  const uint64_t pages_here = (in_page + stored_bytes + kPageBytes - 1) / kPageBytes;
  const uint64_t pages_needed = (stored_bytes + kPageBytes - 1) / kPageBytes;
  if (in_page == 0 || pages_here == pages_needed) return;
  const uint64_t padding = kPageBytes - in_page;
  if (padding > kMaxAlignPaddingBytes) return;
  static constexpr char kZeros[kMaxAlignPaddingBytes] = {};
  status_ = file_->Append(std::string_view(kZeros, static_cast<size_t>(padding)));
  if (status_.ok()) offset_ += padding;
}

void TableBuilder::WriteStoredBlock(std::string_view stored, CompressionType type,
                                    BlockHandle* handle) {
  if (!status_.ok()) return;
  handle->offset = offset_;
  handle->size = stored.size();
  std::string trailer;
  AppendBlockTrailer(stored, type, &trailer);
  ZIGGY_ASSERT(trailer.size() == kBlockTrailerBytes);
  status_ = file_->Append(stored);
  if (status_.ok()) status_ = file_->Append(trailer);
  if (status_.ok()) offset_ += stored.size() + trailer.size();
}

void TableBuilder::WriteMetaBlocks(BlockHandle* metaindex_handle) {
  std::map<std::string, BlockHandle> meta;  // name -> handle, in bytewise order
  if (options_.filter_policy != nullptr) {
    std::vector<std::string_view> keys;
    keys.reserve(filter_key_ends_.size());
    size_t begin = 0;
    for (size_t end : filter_key_ends_) {
      keys.emplace_back(filter_key_bytes_.data() + begin, end - begin);
      begin = end;
    }
    std::string filter;
    options_.filter_policy->CreateFilter(keys, &filter);
    // A filter over kMaxBlockBytes (hundreds of millions of keys in one table) would make the
    // table unreadable: the table goes without one, and its lookups search the index instead.
    if (filter.size() <= kMaxBlockBytes) {
      BlockHandle handle;
      WriteStoredBlock(filter, CompressionType::kNone, &handle);
      properties_.filter_bytes = handle.size + kBlockTrailerBytes;
      meta[std::string(kFilterMetaPrefix) + options_.filter_policy->Name()] = handle;
    }
  }
  properties_.largest_key = last_key_;
  properties_.creation_time_unix_seconds =
      options_.clock != nullptr
          ? options_.clock->WallMicros() / 1000000
          : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  WriteStoredBlock(properties_.Encode(), CompressionType::kNone,
                   &meta[std::string(kPropertiesMeta)]);

  BlockBuilder metaindex(BytewiseComparator(), 1);
  for (const auto& [name, handle] : meta) {
    std::string encoded;
    handle.EncodeTo(&encoded);
    metaindex.Add(name, encoded);
  }
  WriteStoredBlock(metaindex.Finish(), CompressionType::kNone, metaindex_handle);
}

Status TableBuilder::Finish() {
  ZIGGY_ASSERT(!closed_);
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;
  if (pending_index_entry_) AddPendingIndexEntry(nullptr);

  Footer footer;
  footer.format_version = properties_.format_version;
  const uint64_t index_start = offset_;
  WriteStoredBlock(index_block_.Finish(), CompressionType::kNone, &footer.index_handle);
  properties_.index_bytes = offset_ - index_start;
  if (status_.ok()) WriteMetaBlocks(&footer.metaindex_handle);
  if (!status_.ok()) return status_;

  std::string encoded;
  footer.EncodeTo(&encoded);
  status_ = file_->Append(encoded);
  if (status_.ok()) offset_ += encoded.size();
  return status_;
}

void TableBuilder::Abandon() {
  // closed_ already when Finish threw (an allocation failure) after closing the builder.
  closed_ = true;
}

}  // namespace ziggydb
