// The I/O budget of a table reader and its behaviour on damaged files.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "table/bloom.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/testutil.h"

namespace ziggydb {
namespace {

using test::BuildTable;
using test::CountingStringSource;
using test::OpenTable;

std::string Key(int i) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "key%08d", i);
  return buffer;
}

// Even-numbered keys 0, 2, ..., 2 * (count - 1); odd ones are absent.
std::map<std::string, std::string> EvenKeys(int count) {
  std::map<std::string, std::string> entries;
  for (int i = 0; i < count; ++i)
    entries[Key(2 * i)] = "value" + std::to_string(i) + std::string(50, 'x');
  return entries;
}

// Get that reports whether it saw exactly `key`.
Status GetExact(const TableReader& table, const ReadOptions& options, const std::string& key,
                bool* found) {
  *found = false;
  return table.Get(options, key, [&](std::string_view k, std::string_view) { *found = k == key; });
}

TEST(TableIo, OpenReadsFooterAndMetaRegionThenGetReadsOneBlock) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions options;
  options.filter_policy = bloom.get();
  const auto entries = EvenKeys(5000);
  CountingStringSource* source = nullptr;
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, BuildTable(options, entries), &table, &source).ok());
  EXPECT_EQ(source->reads(), 2u) << "footer + one read of index/filter/properties/metaindex";
  ASSERT_GT(table->properties().num_data_blocks, 50u);
  for (int i : {0, 1234, 4999}) {
    source->ResetCounts();
    bool found = false;
    ASSERT_TRUE(GetExact(*table, ReadOptions(), Key(2 * i), &found).ok());
    EXPECT_TRUE(found);
    EXPECT_EQ(source->reads(), 1u) << "a hit reads exactly one data block";
  }
  source->ResetCounts();
  bool found = false;
  ASSERT_TRUE(GetExact(*table, ReadOptions(), "zzz", &found).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(source->reads(), 0u) << "past the last key: ruled out by filter or index";
}

TEST(TableIo, BloomSparesDataReadsForAbsentKeys) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions options;
  options.filter_policy = bloom.get();
  constexpr int kKeys = 10000;
  CountingStringSource* source = nullptr;
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, BuildTable(options, EvenKeys(kKeys)), &table, &source).ok());
  source->ResetCounts();
  for (int i = 0; i < kKeys; ++i) {
    bool found = true;
    ASSERT_TRUE(GetExact(*table, ReadOptions(), Key(2 * i + 1), &found).ok());
    ASSERT_FALSE(found);
  }
  const uint64_t reads = source->reads();
  std::printf("absent-key data block reads: %llu of %d (%.2f%%)\n",
              static_cast<unsigned long long>(reads), kKeys, 100.0 * reads / kKeys);
  EXPECT_LE(reads, kKeys / 50) << ">= 98% of absent keys read no data block";
}

// Offsets and sizes of a table's data blocks, from the reader's point of view.
struct Layout {
  std::string contents;
  uint64_t data_end = 0;  // first byte of the index block
  uint64_t second_block_offset = 0;
  std::string key_in_second_block;
};

Layout MakeLayout(const TableOptions& options) {
  Layout layout;
  const auto entries = EvenKeys(2000);
  layout.contents = BuildTable(options, entries);
  std::unique_ptr<TableReader> table;
  EXPECT_TRUE(OpenTable(options, layout.contents, &table).ok());
  layout.data_end = table->ApproximateOffsetOf("\xff");
  uint64_t previous = 0;
  for (const auto& e : entries) {
    const uint64_t offset = table->ApproximateOffsetOf(e.first);
    if (offset != previous && previous == 0) {
      layout.second_block_offset = offset;
      layout.key_in_second_block = e.first;
      break;
    }
    previous = offset;
  }
  EXPECT_GT(layout.second_block_offset, 0u);
  return layout;
}

TEST(TableIo, FlippedDataByteFailsGetAndVerifyNamesTheBlock) {
  TableOptions options;
  Layout layout = MakeLayout(options);
  std::string damaged = layout.contents;
  damaged[layout.second_block_offset + 10] ^= 0x20;
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, damaged, &table).ok()) << "data blocks are not read at open";
  bool found = false;
  Status s = GetExact(*table, ReadOptions(), layout.key_in_second_block, &found);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_FALSE(found);
  s = table->VerifyChecksums();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("offset " + std::to_string(layout.second_block_offset)),
            std::string::npos)
      << s.ToString();
  // A scan stops at the damaged block with Corruption instead of skipping it.
  auto it = table->NewIterator(ReadOptions());
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    ++seen;
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_LT(seen, 2000);
  // Without verification the damage may go unnoticed, but nothing breaks.
  ReadOptions unverified;
  unverified.verify_checksums = false;
  GetExact(*table, unverified, layout.key_in_second_block, &found).PermitUncheckedError();
}

TEST(TableIo, EveryFlippedMetaOrFooterByteFailsOpen) {
  auto bloom = NewBloomFilterPolicy(10);
  for (const FilterPolicy* reader_policy :
       {static_cast<const FilterPolicy*>(bloom.get()), static_cast<const FilterPolicy*>(nullptr)}) {
    TableOptions options;
    options.filter_policy = bloom.get();
    Layout layout = MakeLayout(options);
    options.filter_policy = reader_policy;  // an unused filter is still verified
    for (uint64_t offset = layout.data_end; offset < layout.contents.size(); ++offset) {
      std::string damaged = layout.contents;
      damaged[offset] ^= 0x01;
      std::unique_ptr<TableReader> table;
      Status s = OpenTable(options, damaged, &table);
      ASSERT_TRUE(s.IsCorruption()) << "offset " << offset << ": " << s.ToString();
    }
  }
}

TEST(TableIo, WrongMagicAndNewerVersionAreNamed) {
  TableOptions options;
  std::string contents = BuildTable(options, EvenKeys(10));
  std::unique_ptr<TableReader> table;
  std::string bad_magic = contents;
  bad_magic.back() ^= 0x40;
  Status s = OpenTable(options, bad_magic, &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("not an sstable"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find(std::to_string(contents.size())), std::string::npos);
  std::string newer = contents;
  newer[newer.size() - 12] = 3;  // format version field
  s = OpenTable(options, newer, &table);
  EXPECT_NE(s.ToString().find("unsupported format version 3"), std::string::npos) << s.ToString();
}

TEST(TableIo, EveryTruncationFailsOpenCleanly) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions options;
  options.filter_policy = bloom.get();
  options.block_size = 256;
  const std::string contents = BuildTable(options, EvenKeys(200));
  for (size_t size = 0; size < contents.size(); ++size) {
    std::unique_ptr<TableReader> table;
    // The file really is shorter...
    Status s = OpenTable(options, contents.substr(0, size), &table);
    ASSERT_TRUE(s.IsCorruption()) << size << ": " << s.ToString();
    // ...or its recorded size is stale and reads come up short.
    s = OpenTable(options, contents.substr(0, size), &table, nullptr, contents.size());
    ASSERT_FALSE(s.ok()) << size;
  }
}

}  // namespace
}  // namespace ziggydb
