// Fuzz target for table decoding (src/table/table_reader.h, format.h, compression.h).
//
// Input: one mode byte, then the bytes.
//   mode even: the bytes are a table file; open it (bloom filter, block cache) and scan, get and
//              verify with and without data block checksums.
//   mode odd:  the bytes are one stored block with its trailer; decode it without checksum
//              verification (reaching the decompressors with arbitrary payloads) and iterate it.
// Whatever the bytes: no out-of-bounds access, errors are Status values, and a forward and a
// backward scan that both succeed visit the same entries in opposite orders.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "table/block.h"
#include "table/bloom.h"
#include "table/format.h"
#include "table/table_reader.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

constexpr size_t kMaxEntriesScanned = 1 << 16;

class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string_view contents) : contents_(contents) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char*) const override {
    if (offset > contents_.size()) return Status::IOError("read past end");
    *result = std::string_view(contents_).substr(offset, n);
    return Status::OK();
  }

 private:
  const std::string contents_;
};

using Entries = std::vector<std::pair<std::string, std::string>>;

void ScanBothWays(const TableReader& table, const ReadOptions& options, Entries* forward) {
  auto it = table.NewIterator(options);
  for (it->SeekToFirst(); it->Valid() && forward->size() < kMaxEntriesScanned; it->Next())
    forward->emplace_back(it->key(), it->value());
  if (!it->status().ok() || forward->size() == kMaxEntriesScanned) return;
  size_t i = forward->size();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    if (i == 0) break;
    --i;
    ZIGGY_ASSERT((*forward)[i].first == it->key() && (*forward)[i].second == it->value());
  }
  if (it->status().ok()) ZIGGY_ASSERT(i == 0 && !it->Valid());
}

void FuzzTable(std::string_view bytes) {
  static const std::unique_ptr<FilterPolicy> bloom = NewBloomFilterPolicy(10);
  BlockCache cache(1 << 20);
  TableOptions options;
  options.filter_policy = bloom.get();
  options.block_cache = &cache;
  std::unique_ptr<TableReader> table;
  if (!TableReader::Open(options, std::make_unique<StringFile>(bytes), bytes.size(), &table).ok()) {
    return;
  }
  for (bool verify : {true, false}) {
    ReadOptions read_options;
    read_options.verify_checksums = verify;
    read_options.fill_cache = verify;  // unverified blocks stay out of the shared cache
    Entries entries;
    ScanBothWays(*table, read_options, &entries);
    for (size_t i = 0; i < entries.size() && i < 64; ++i) {
      table->Get(read_options, entries[i].first, [](std::string_view, std::string_view) {})
          .PermitUncheckedError();
      auto it = table->NewIterator(read_options);
      it->SeekForPrev(entries[i].first);
      it->Seek(entries[i].first);
    }
  }
  table->VerifyChecksums().PermitUncheckedError();
}

void FuzzStoredBlock(std::string_view bytes) {
  std::string contents;
  if (!DecodeStoredBlock(bytes, 0, /*verify_checksum=*/false, &contents).ok()) return;
  std::shared_ptr<const Block> block;
  if (!Block::Parse(std::move(contents), &block).ok()) return;
  BlockIterator it(block, BytewiseComparator());
  size_t n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next())
    ZIGGY_ASSERT(++n <= block->contents().size());
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    ziggydb::FuzzTable(bytes);
  } else {
    ziggydb::FuzzStoredBlock(bytes);
  }
  return 0;
}
