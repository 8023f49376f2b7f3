#include "table/table_reader.h"

#include <utility>

#include "table/meta_names.h"
#include "table/two_level_iterator.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// The meta region (index, filter, properties, metaindex) is read whole; refuse absurd sizes
// before allocating.
constexpr uint64_t kMaxMetaRegionBytes = uint64_t{4} * kMaxBlockBytes;

std::string FileSizeText(uint64_t file_size) {
  return "file size " + std::to_string(file_size);
}

std::string OffsetText(uint64_t offset) {
  return "block at offset " + std::to_string(offset);
}

// An index entry's block handle in 8 bytes, kept beside the index's restart words: offset in
// the high 40 bits (tables under 1 TiB), size in the low 24 (blocks under 16 MiB). A handle that
// does not decode or fit is refused, and the index is then searched for every read.
constexpr int kPackedSizeBits = 24;

bool PackHandle(std::string_view encoded, uint64_t* packed) {
  BlockHandle handle;
  if (!handle.DecodeFrom(&encoded) || !encoded.empty()) return false;
  if (handle.offset >> (64 - kPackedSizeBits) != 0 || handle.size >> kPackedSizeBits != 0) {
    return false;
  }
  *packed = handle.offset << kPackedSizeBits | handle.size;
  return true;
}

BlockHandle UnpackHandle(uint64_t packed) {
  BlockHandle handle;
  handle.offset = packed >> kPackedSizeBits;
  handle.size = packed & ((uint64_t{1} << kPackedSizeBits) - 1);
  return handle;
}

void CountFileRead(Statistics* stats, uint64_t bytes) {
  if (stats == nullptr) return;
  stats->RecordTick(Ticker::kTableFileReads);
  stats->RecordTick(Ticker::kTableFileReadBytes, bytes);
}

// A block read from `file` that fails to parse is Corruption naming its offset.
Status ParseBlockAt(std::string contents, uint64_t offset, std::shared_ptr<const Block>* block) {
  Status s = Block::Parse(std::move(contents), block);
  if (!s.ok()) return Status::Corruption(s.message(), OffsetText(offset));
  return s;
}

}  // namespace

TableReader::TableReader(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                         uint64_t file_size, bool file_mapped)
    : options_(options), file_(std::move(file)), file_size_(file_size), file_mapped_(file_mapped) {}

TableReader::~TableReader() {
  // acquire: pairs with the release decrement in ~Block. A view left alive here would read
  // unmapped memory once file_ is destroyed (the lifetime invariant in the header).
  ZIGGY_ASSERT(live_view_blocks_.load(std::memory_order_acquire) == 0);
}

Status TableReader::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                         uint64_t file_size, std::unique_ptr<TableReader>* table) {
  return OpenFile(options, std::move(file), file_size, /*file_mapped=*/false, table);
}

Status TableReader::OpenMapped(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                               uint64_t file_size, std::unique_ptr<TableReader>* table) {
  return OpenFile(options, std::move(file), file_size, /*file_mapped=*/true, table);
}

Status TableReader::OpenFile(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                             uint64_t file_size, bool file_mapped,
                             std::unique_ptr<TableReader>* table) {
  ZIGGY_ASSERT(file != nullptr && options.comparator != nullptr);
  if (file_size < Footer::kEncodedBytes) {
    return Status::Corruption("not an sstable: shorter than the footer", FileSizeText(file_size));
  }
  char footer_space[Footer::kEncodedBytes];
  std::string_view footer_bytes;
  ZIGGY_RETURN_IF_ERROR(file->Read(file_size - Footer::kEncodedBytes, Footer::kEncodedBytes,
                                   &footer_bytes, footer_space));
  CountFileRead(options.statistics, footer_bytes.size());
  Footer footer;
  ZIGGY_RETURN_IF_ERROR(footer.DecodeFrom(footer_bytes, file_size));

  std::unique_ptr<TableReader> reader(
      new TableReader(options, std::move(file), file_size, file_mapped));
  reader->data_key_encoding_ = footer.format_version >= kTableFormatVarintSuffix
                                   ? BlockKeyEncoding::kVarintSuffix
                                   : BlockKeyEncoding::kWhole;
  ZIGGY_RETURN_IF_ERROR(reader->ReadMetaRegion(footer));
  const TableProperties& properties = reader->properties_;
  if (file_mapped && properties.num_data_blocks > 0) {
    reader->verified_blocks_ = VerifiedBlocks(footer.index_handle.offset,
                                              properties.data_bytes / properties.num_data_blocks);
  }
  if (options.block_cache != nullptr) {
    reader->cache_id_ = NewBlockCacheTableId();
    reader->cache_data_blocks_ =
        !file_mapped || reader->properties_.compression != CompressionType::kNone;
  }
  *table = std::move(reader);
  return Status::OK();
}

Status TableReader::ReadMetaRegion(const Footer& footer) {
  // Layout: [data blocks][index][filter]?[properties][metaindex][footer]; the region runs from
  // the index block to the footer.
  const uint64_t region_start = footer.index_handle.offset;
  const uint64_t region_end = file_size_ - Footer::kEncodedBytes;
  if (region_start > region_end || region_end - region_start > kMaxMetaRegionBytes) {
    return Status::Corruption("not an sstable: index handle outside the file",
                              FileSizeText(file_size_));
  }
  const auto region_bytes = static_cast<size_t>(region_end - region_start);
  // A mapped file returns a view and needs no buffer.
  std::string buffer(file_mapped_ ? 0 : region_bytes, '\0');
  std::string_view region;
  ZIGGY_RETURN_IF_ERROR(file_->Read(region_start, region_bytes, &region, buffer.data()));
  CountFileRead(options_.statistics, region.size());
  if (region.size() != region_bytes) {
    return Status::Corruption("not an sstable: truncated", FileSizeText(file_size_));
  }
  const MetaRegion meta{region, region_start};

  std::string contents;
  index_handle_ = footer.index_handle;
  ZIGGY_RETURN_IF_ERROR(meta.Load(index_handle_, &contents));
  ZIGGY_RETURN_IF_ERROR(ParseBlockAt(std::move(contents), index_handle_.offset, &index_block_));
  index_words_ = RestartWords::Build(*index_block_, options_.comparator, &PackHandle);
  metaindex_handle_ = footer.metaindex_handle;
  ZIGGY_RETURN_IF_ERROR(meta.Load(metaindex_handle_, &contents));
  std::shared_ptr<const Block> metaindex;
  ZIGGY_RETURN_IF_ERROR(ParseBlockAt(std::move(contents), metaindex_handle_.offset, &metaindex));
  ZIGGY_RETURN_IF_ERROR(ReadMetaBlocks(meta, std::move(metaindex)));

  if (properties_.comparator_name != options_.comparator->Name()) {
    return Status::InvalidArgument("sstable comparator " + properties_.comparator_name +
                                   " differs from " + options_.comparator->Name());
  }
  return Status::OK();
}

Status TableReader::MetaRegion::Load(const BlockHandle& handle, std::string* contents) const {
  uint64_t end = 0;
  if (handle.offset < start || !handle.End(&end) || end - start > bytes.size()) {
    return Status::Corruption("meta block handle outside the meta region",
                              OffsetText(handle.offset));
  }
  const std::string_view stored = bytes.substr(handle.offset - start, end - handle.offset);
  return DecodeStoredBlock(stored, handle.offset, /*verify_checksum=*/true, contents);
}

Status TableReader::ReadMetaBlocks(const MetaRegion& meta, std::shared_ptr<const Block> metaindex) {
  const std::string filter_name =
      options_.filter_policy == nullptr
          ? std::string()
          : std::string(kFilterMetaPrefix) + options_.filter_policy->Name();
  bool found_properties = false;
  std::string contents;
  BlockIterator it(std::move(metaindex), BytewiseComparator());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    BlockHandle handle;
    std::string_view value = it.value();
    if (!handle.DecodeFrom(&value)) {
      return Status::Corruption("bad handle in metaindex", OffsetText(metaindex_handle_.offset));
    }
    meta_handles_.push_back(handle);
    if (it.key() == kPropertiesMeta) {
      ZIGGY_RETURN_IF_ERROR(meta.Load(handle, &contents));
      Status s = properties_.Decode(std::move(contents));
      if (!s.ok()) return Status::Corruption(s.message(), OffsetText(handle.offset));
      found_properties = true;
    } else if (!filter_name.empty() && it.key() == filter_name) {
      ZIGGY_RETURN_IF_ERROR(meta.Load(handle, &filter_));
      has_filter_ = true;
    } else {
      // Not used by this reader, but verified anyway: the bytes are already in memory.
      ZIGGY_RETURN_IF_ERROR(meta.Load(handle, &contents));
    }
  }
  ZIGGY_RETURN_IF_ERROR(it.status());
  if (!found_properties) {
    return Status::Corruption("sstable has no properties block", FileSizeText(file_size_));
  }
  return Status::OK();
}

Status TableReader::ReadDataBlock(const ReadOptions& options, const BlockHandle& handle,
                                  std::shared_ptr<const Block>* block,
                                  std::optional<Block>* view) const {
  uint64_t end = 0;
  if (!handle.End(&end) || end > index_handle_.offset) {
    return Status::Corruption("data block handle outside the data region",
                              OffsetText(handle.offset));
  }
  Statistics* const stats = options_.statistics;
  if (cache_data_blocks_) {
    *block = options_.block_cache->Lookup(BlockCacheKey{cache_id_, handle.offset});
    if (stats != nullptr) {
      stats->RecordTick(*block != nullptr ? Ticker::kBlockCacheHits : Ticker::kBlockCacheMisses);
    }
    if (*block != nullptr) return Status::OK();
  }
  if (file_mapped_) return ReadMappedDataBlock(options, handle, block, view);
  std::string contents;
  ZIGGY_RETURN_IF_ERROR(ReadBlock(*file_, handle, options.verify_checksums, &contents));
  // The block's stored bytes: its payload and trailer.
  CountFileRead(stats, handle.size + kBlockTrailerBytes);
  ZIGGY_RETURN_IF_ERROR(ParseBlockAt(std::move(contents), handle.offset, block));
  // Only a block whose checksum passed: verified reads and compactions trust cached blocks.
  if (options.verify_checksums) FillCache(options, handle.offset, *block);
  return Status::OK();
}

Status TableReader::ReadMappedDataBlock(const ReadOptions& options, const BlockHandle& handle,
                                        std::shared_ptr<const Block>* block,
                                        std::optional<Block>* view) const {
  ZIGGY_ASSERT(file_mapped_);
  std::string_view stored;
  CompressionType type = CompressionType::kNone;
  // A block that passed once is trusted for this reader's lifetime, as a cached block is: the
  // check cost ~15% of a short scan when it ran on every load (docs/design/table_reads.md).
  const bool verify = options.verify_checksums && !verified_blocks_.Contains(handle);
  ZIGGY_RETURN_IF_ERROR(ReadBlockView(*file_, handle, verify, &stored, &type));
  if (verify) verified_blocks_.Insert(handle);
  CountFileRead(options_.statistics, stored.size());
  if (type == CompressionType::kNone) {
    // The view lives as long as file_, i.e. as this reader (mapped_file.h contract 2).
    std::atomic<int64_t>* const counter = kZiggyDebugChecks ? &live_view_blocks_ : nullptr;
    const std::string_view contents = stored.substr(0, handle.size);
    Status s = view != nullptr ? Block::ParseViewInPlace(contents, counter, view)
                               : Block::ParseView(contents, counter, block);
    if (!s.ok()) return Status::Corruption(s.message(), OffsetText(handle.offset));
    return s;
  }
  std::string contents;
  ZIGGY_RETURN_IF_ERROR(
      DecodeStoredBlock(stored, handle.offset, /*verify_checksum=*/false, &contents));
  ZIGGY_RETURN_IF_ERROR(ParseBlockAt(std::move(contents), handle.offset, block));
  if (verified_blocks_.Contains(handle)) FillCache(options, handle.offset, *block);  // as above
  return Status::OK();
}

void TableReader::FillCache(const ReadOptions& options, uint64_t offset,
                            const std::shared_ptr<const Block>& block) const {
  BlockCache* const cache = options_.block_cache;
  if (cache == nullptr || !options.fill_cache) return;
  const size_t evicted = cache->Insert(BlockCacheKey{cache_id_, offset}, block, block->charge());
  Statistics* const stats = options_.statistics;
  if (stats != nullptr) {
    stats->RecordTick(Ticker::kBlockCacheInserts);
    if (evicted > 0) stats->RecordTick(Ticker::kBlockCacheEvictions, evicted);
  }
}

Status TableReader::Get(const ReadOptions& options, std::string_view key,
                        const std::function<void(std::string_view, std::string_view)>& on_entry,
                        std::shared_ptr<const Block>* pinned_block) const {
  if (has_filter_) {
    const bool may_match = options_.filter_policy->KeyMayMatch(key, filter_);
    if (options_.statistics != nullptr) {
      options_.statistics->RecordTick(Ticker::kBloomChecks);
      if (!may_match) options_.statistics->RecordTick(Ticker::kBloomUseful);
    }
    if (!may_match) return Status::OK();
  }
  BlockHandle handle;
  uint32_t position = 0;
  uint64_t packed = 0;
  if (index_words_.FindFirstNotBefore(key, &position, &packed)) {
    if (position == index_words_.size()) return Status::OK();  // after every block's keys
    handle = UnpackHandle(packed);
  } else {
    BlockIterator index(Uncounted(*index_block_), options_.comparator, BlockKeyEncoding::kWhole,
                        IndexWords());
    index.Seek(key);
    if (!index.Valid()) return index.status();
    std::string_view encoded = index.value();
    if (!handle.DecodeFrom(&encoded)) {
      return Status::Corruption("bad block handle in index", OffsetText(index_handle_.offset));
    }
  }
  std::optional<Block> view;
  std::shared_ptr<const Block> block;
  ZIGGY_RETURN_IF_ERROR(ReadDataBlock(options, handle, &block, &view));
  if (view.has_value()) {
    block = Uncounted(*view);  // `it` below is destroyed before `view`
  } else if (pinned_block != nullptr) {
    *pinned_block = block;
  }
  BlockIterator it(std::move(block), options_.comparator, data_key_encoding_);
  it.Seek(key);
  if (it.Valid()) on_entry(it.key(), it.value());
  return it.status();
}

Status TableReader::OpenDataBlock(const ReadOptions& options, std::string_view index_value,
                                  std::unique_ptr<Iterator>* iter) const {
  BlockHandle handle;
  if (!handle.DecodeFrom(&index_value)) {
    return Status::Corruption("bad block handle in index", OffsetText(index_handle_.offset));
  }
  std::shared_ptr<const Block> block;
  ZIGGY_RETURN_IF_ERROR(ReadDataBlock(options, handle, &block));
  *iter =
      std::make_unique<BlockIterator>(std::move(block), options_.comparator, data_key_encoding_);
  return Status::OK();
}

std::unique_ptr<Iterator> TableReader::NewIterator(const ReadOptions& options) const {
  // A block load reads only these two options. Capturing them instead of the whole ReadOptions
  // keeps the opener inside std::function's inline storage: no allocation per table iterator.
  const bool verify_checksums = options.verify_checksums;
  const bool fill_cache = options.fill_cache;
  return NewTwoLevelIterator(
      std::make_unique<BlockIterator>(index_block_, options_.comparator, BlockKeyEncoding::kWhole,
                                      IndexWords()),
      [this, verify_checksums, fill_cache](std::string_view index_value,
                                           std::unique_ptr<Iterator>* iter) {
        ReadOptions block_options;
        block_options.verify_checksums = verify_checksums;
        block_options.fill_cache = fill_cache;
        return OpenDataBlock(block_options, index_value, iter);
      });
}

const RestartWords* TableReader::IndexWords() const {
  return index_words_.empty() ? nullptr : &index_words_;
}

std::unique_ptr<Iterator> TableReader::NewIndexIterator() const {
  return std::make_unique<BlockIterator>(index_block_, options_.comparator);
}

Status TableReader::VerifyChecksums() const {
  std::string contents;
  std::shared_ptr<const Block> block;
  BlockIterator index(index_block_, options_.comparator);
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    BlockHandle handle;
    std::string_view encoded = index.value();
    if (!handle.DecodeFrom(&encoded)) {
      return Status::Corruption("bad block handle in index", OffsetText(index_handle_.offset));
    }
    ZIGGY_RETURN_IF_ERROR(ReadBlock(*file_, handle, /*verify_checksum=*/true, &contents));
    ZIGGY_RETURN_IF_ERROR(ParseBlockAt(std::move(contents), handle.offset, &block));
  }
  ZIGGY_RETURN_IF_ERROR(index.status());
  ZIGGY_RETURN_IF_ERROR(ReadBlock(*file_, index_handle_, true, &contents));
  ZIGGY_RETURN_IF_ERROR(ReadBlock(*file_, metaindex_handle_, true, &contents));
  for (const BlockHandle& handle : meta_handles_)
    ZIGGY_RETURN_IF_ERROR(ReadBlock(*file_, handle, true, &contents));
  return Status::OK();
}

Status TableReader::SalvageEntries(
    const std::function<void(std::string_view key, std::string_view value)>& add,
    std::vector<std::string>* skipped) const {
  BlockIterator index(index_block_, options_.comparator);
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    BlockHandle handle;
    std::string_view encoded = index.value();
    uint64_t end = 0;
    if (!handle.DecodeFrom(&encoded) || !handle.End(&end) || end > index_handle_.offset) {
      skipped->push_back("bad block handle in the index entry of " + std::string(index.key()));
      continue;
    }
    std::string contents;
    std::shared_ptr<const Block> block;
    Status s = ReadBlock(*file_, handle, /*verify_checksum=*/true, &contents);
    if (s.ok()) s = ParseBlockAt(std::move(contents), handle.offset, &block);
    if (s.ok()) {
      BlockIterator it(std::move(block), options_.comparator, data_key_encoding_);
      for (it.SeekToFirst(); it.Valid(); it.Next())
        add(it.key(), it.value());
      s = it.status();
    }
    if (s.IsCorruption()) {
      skipped->push_back(OffsetText(handle.offset) + " (" + std::to_string(handle.size) +
                         " bytes): " + s.ToString());
      continue;
    }
    ZIGGY_RETURN_IF_ERROR(s);
  }
  if (!index.status().ok()) skipped->push_back("index: " + index.status().ToString());
  return Status::OK();
}

uint64_t TableReader::ApproximateOffsetOf(std::string_view key) const {
  BlockIterator index(Uncounted(*index_block_), options_.comparator, BlockKeyEncoding::kWhole,
                      IndexWords());
  index.Seek(key);
  BlockHandle handle;
  std::string_view encoded = index.Valid() ? index.value() : std::string_view();
  if (index.Valid() && handle.DecodeFrom(&encoded)) return handle.offset;
  return index_handle_.offset;  // past the last data block
}

}  // namespace ziggydb
