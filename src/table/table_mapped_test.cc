// TableReader over a mapped file (TableReader::OpenMapped): raw data blocks are views of the file,
// outside the block cache; compressed blocks keep the cache.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

using Map = std::map<std::string, std::string>;

Map Entries(size_t count) {
  Map entries;
  for (size_t i = 0; i < count; ++i) {
    entries["key" + std::to_string(100000 + i)] = std::string(50, static_cast<char>('a' + i % 7));
  }
  return entries;
}

TableOptions SmallBlocks(BlockCache* cache, CompressionType compression) {
  TableOptions options;
  options.block_size = 256;
  options.block_cache = cache;
  options.compression = compression;
  return options;
}

// Looks up `key`; returns where the value found for it lies ("" if not found).
std::string_view GetView(const TableReader& table, const std::string& key, Status* status) {
  std::string_view found;
  *status = table.Get(ReadOptions(), key, [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
  });
  return found;
}

// 300 entries in small blocks, opened over a mapping with a block cache of its own.
struct CachedMappedTable {
  explicit CachedMappedTable(CompressionType compression)
      : options(SmallBlocks(&cache, compression)), entries(Entries(300)) {
    status = test::OpenMappedTable(options, test::BuildTable(options, entries), &table, &source);
  }

  BlockCache cache{1 << 20};  // before options, which point to it
  const TableOptions options;
  const Map entries;
  test::MappedStringSource* source = nullptr;
  std::unique_ptr<TableReader> table;
  Status status;
};

TEST(TableMapped, RawBlocksAreViewsOfTheFileOutsideTheBlockCache) {
  CachedMappedTable t(CompressionType::kNone);
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  const std::string key = "key100123";
  const uint64_t reads_at_open = t.source->reads();
  for (int i = 0; i < 3; ++i) {
    Status s;
    const std::string_view value = GetView(*t.table, key, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(value, t.entries.at(key));
    // Zero copy: the value lies inside the file's own bytes.
    const std::string& file = t.source->contents();
    EXPECT_TRUE(value.data() >= file.data() &&
                value.data() + value.size() <= file.data() + file.size());
  }
  EXPECT_EQ(t.source->reads(), reads_at_open + 3) << "every load is one Read of the mapping";
  EXPECT_EQ(t.cache.usage(), 0u) << "views never enter the cache";
}

TEST(TableMapped, CompressedBlocksAreDecompressedIntoTheBlockCache) {
  CachedMappedTable t(CompressionType::kSnappy);
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  const std::string key = "key100123";
  const uint64_t reads_at_open = t.source->reads();
  for (int i = 0; i < 3; ++i) {
    Status s;
    EXPECT_EQ(GetView(*t.table, key, &s), t.entries.at(key));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(t.source->reads(), reads_at_open + 1) << "one miss, then cache hits";
  EXPECT_GT(t.cache.usage(), 0u);
}

// A Get searches a raw mapped block in place and hands out no Block: the value's bytes live as
// long as the reader. A decompressed block is handed out, as it owns the value's bytes.
TEST(TableMapped, GetPinsOnlyBlocksThatOwnTheirBytes) {
  for (CompressionType compression : {CompressionType::kNone, CompressionType::kSnappy}) {
    CachedMappedTable t(compression);
    ASSERT_TRUE(t.status.ok()) << t.status.ToString();
    const std::string key = "key100123";
    std::string_view value;
    std::shared_ptr<const Block> pinned;
    const Status s = t.table->Get(
        ReadOptions(), key,
        [&](std::string_view k, std::string_view v) {
          if (k == key) value = v;
        },
        &pinned);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(value, t.entries.at(key));
    if (compression == CompressionType::kNone) {
      EXPECT_EQ(pinned, nullptr);
    } else {
      ASSERT_NE(pinned, nullptr);
      const std::string_view block = pinned->contents();
      EXPECT_TRUE(value.data() >= block.data() &&
                  value.data() + value.size() <= block.data() + block.size());
    }
  }
}

TEST(TableMapped, ACorruptViewFailsEveryLoad) {
  const TableOptions options = SmallBlocks(nullptr, CompressionType::kNone);
  const Map entries = Entries(300);
  std::string contents = test::BuildTable(options, entries);
  contents[20] ^= 0x01;  // inside the first data block
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(test::OpenMappedTable(options, contents, &table).ok());
  for (int i = 0; i < 2; ++i) {
    Status s;
    GetView(*table, entries.begin()->first, &s);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  auto it = table->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_TRUE(table->VerifyChecksums().IsCorruption());
}

// A mapped file whose bytes the test may damage after the table was opened.
class DamageableMappedSource final : public RandomAccessFile {
 public:
  explicit DamageableMappedSource(std::string contents) : contents_(std::move(contents)) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char*) const override {
    *result = offset >= contents_.size() ? std::string_view()
                                         : std::string_view(contents_).substr(offset, n);
    return Status::OK();
  }
  void FlipByte(size_t offset) { contents_[offset] ^= 0x01; }

 private:
  std::string contents_;
};

TEST(TableMapped, AViewIsVerifiedOncePerReader) {
  const TableOptions options = SmallBlocks(nullptr, CompressionType::kNone);
  const Map entries = Entries(300);
  const std::string contents = test::BuildTable(options, entries);
  auto file = std::make_unique<DamageableMappedSource>(contents);
  DamageableMappedSource* const source = file.get();
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(TableReader::OpenMapped(options, std::move(file), contents.size(), &table).ok());
  const std::string& first_key = entries.begin()->first;
  const std::string& last_key = entries.rbegin()->first;
  Status s;
  EXPECT_EQ(GetView(*table, first_key, &s), entries.at(first_key));
  ASSERT_TRUE(s.ok()) << s.ToString();

  // Damage the first block (verified above) and the last one (never read yet).
  source->FlipByte(20);
  const size_t last_block_byte = table->ApproximateOffsetOf(last_key) + 4;
  source->FlipByte(last_block_byte);
  GetView(*table, first_key, &s);
  EXPECT_TRUE(s.ok()) << "a verified block is not checked again: " << s.ToString();
  GetView(*table, last_key, &s);
  EXPECT_TRUE(s.IsCorruption()) << "a block's first load verifies it: " << s.ToString();
  GetView(*table, last_key, &s);
  EXPECT_TRUE(s.IsCorruption()) << "a failed block is never remembered: " << s.ToString();
  EXPECT_TRUE(table->VerifyChecksums().IsCorruption()) << "VerifyChecksums always re-reads";

  auto it = table->NewIterator(ReadOptions());
  it->Seek(last_key);
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST(TableMappedDeathTest, AnIteratorOutlivingItsReaderIsCaught) {
  if (!kZiggyDebugChecks) GTEST_SKIP() << "the live-view count needs ZIGGY_DEBUG_CHECKS";
  const TableOptions options = SmallBlocks(nullptr, CompressionType::kNone);
  const std::string contents = test::BuildTable(options, Entries(50));
  EXPECT_DEATH(
      {
        std::unique_ptr<TableReader> table;
        if (!test::OpenMappedTable(options, contents, &table).ok()) return;
        auto it = table->NewIterator(ReadOptions());
        it->SeekToFirst();  // holds a view Block
        table.reset();      // breaks the lifetime invariant
      },
      "live_view_blocks_");
}

}  // namespace
}  // namespace ziggydb
