#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "table/bloom.h"
#include "table/table_builder.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/reverse_comparator.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using test::BuildTable;
using test::OpenTable;
using Map = std::map<std::string, std::string>;

Map RandomEntries(Random* rnd, size_t count, size_t value_bytes_max = 200) {
  Map entries;
  while (entries.size() < count) {
    std::string key = "key" + std::to_string(rnd->Uniform(1000)) + rnd->Bytes(rnd->Skewed(4));
    // Compressible values: a repeated random byte pattern.
    const std::string unit = rnd->Bytes(1 + rnd->Uniform(4));
    std::string value;
    const size_t length = rnd->Uniform(value_bytes_max + 1);
    while (value.size() < length)
      value += unit;
    entries[key] = value.substr(0, length);
  }
  return entries;
}

std::vector<std::string> Keys(const Map& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries)
    keys.push_back(e.first);
  return keys;
}

void ExpectFullScanBothWays(const TableReader& table, const Map& entries) {
  auto it = table.NewIterator(ReadOptions());
  auto expected = entries.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    ASSERT_NE(expected, entries.end());
    ASSERT_EQ(it->key(), expected->first);
    ASSERT_EQ(it->value(), expected->second);
  }
  ASSERT_EQ(expected, entries.end());
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  auto reverse = entries.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++reverse) {
    ASSERT_NE(reverse, entries.rend());
    ASSERT_EQ(it->key(), reverse->first);
    ASSERT_EQ(it->value(), reverse->second);
  }
  ASSERT_EQ(reverse, entries.rend());
  ASSERT_TRUE(it->status().ok());
}

void ExpectSeeksMatchModel(const TableReader& table, const Map& entries, Random* rnd) {
  const std::vector<std::string> keys = Keys(entries);
  auto it = table.NewIterator(ReadOptions());
  const uint64_t iterations = test::ScaledIterations(500);
  for (uint64_t n = 0; n < iterations; ++n) {
    std::string target = keys[rnd->Uniform(keys.size())];
    if (n % 3 == 1) target.push_back('\0');                               // just after a key
    if (n % 3 == 2) target = "key" + std::to_string(rnd->Uniform(1000));  // between keys
    auto lower = std::lower_bound(keys.begin(), keys.end(), target);
    it->Seek(target);
    ASSERT_EQ(it->Valid(), lower != keys.end());
    if (it->Valid()) {
      ASSERT_EQ(it->key(), *lower);
      // Stepping back from a seek lands on the previous key.
      it->Prev();
      ASSERT_EQ(it->Valid(), lower != keys.begin());
      if (it->Valid()) {
        ASSERT_EQ(it->key(), *std::prev(lower));
      }
    }
    auto upper = std::upper_bound(keys.begin(), keys.end(), target);
    it->SeekForPrev(target);
    ASSERT_EQ(it->Valid(), upper != keys.begin());
    if (it->Valid()) {
      ASSERT_EQ(it->key(), *std::prev(upper));
      it->Next();
      ASSERT_EQ(it->Valid(), upper != keys.end());
      if (it->Valid()) {
        ASSERT_EQ(it->key(), *upper);
      }
    }
    // Get finds exactly the stored keys, and for another key at most the first key after it.
    bool found = false;
    ASSERT_TRUE(table
                    .Get(ReadOptions(), target,
                         [&](std::string_view k, std::string_view v) {
                           ASSERT_TRUE(lower != keys.end() && k == *lower) << target;
                           found = k == target;
                           if (found) {
                             EXPECT_EQ(v, entries.at(target));
                           }
                         })
                    .ok());
    EXPECT_EQ(found, entries.count(target) != 0) << target;
  }
  ASSERT_TRUE(it->status().ok());
}

// (codec, read through a mapped file)
class TableRoundTrip : public testing::TestWithParam<std::tuple<CompressionType, bool>> {
 protected:
  CompressionType codec() const { return std::get<0>(GetParam()); }
  bool mapped() const { return std::get<1>(GetParam()); }
};

TEST_P(TableRoundTrip, RandomKeysTinyAndNormalBlocks) {
  Random rnd(test::TestSeed());
  BlockCache cache(64 << 10);  // smaller than the table: blocks are evicted and reloaded
  for (size_t block_size : {size_t{64}, size_t{4096}}) {
    TableOptions options;
    options.block_size = block_size;
    options.block_restart_interval = 1 + static_cast<int>(rnd.Uniform(16));
    options.compression = codec();
    options.block_cache = block_size == 64 ? &cache : nullptr;
    const Map entries = RandomEntries(&rnd, 2000);
    const std::string contents = BuildTable(options, entries);
    std::unique_ptr<TableReader> table;
    ASSERT_TRUE(test::OpenTableMaybeMapped(mapped(), options, contents, &table).ok());
    const TableProperties& props = table->properties();
    EXPECT_EQ(props.num_entries, entries.size());
    EXPECT_EQ(props.smallest_key, entries.begin()->first);
    EXPECT_EQ(props.largest_key, entries.rbegin()->first);
    EXPECT_EQ(props.compression, codec());
    if (block_size == 64) {
      EXPECT_GT(props.num_data_blocks, 200u);
    }
    if (codec() != CompressionType::kNone && block_size == 4096) {
      EXPECT_LT(props.data_bytes, props.raw_key_bytes + props.raw_value_bytes) << "compressed";
    }
    ExpectFullScanBothWays(*table, entries);
    ExpectSeeksMatchModel(*table, entries, &rnd);
    EXPECT_TRUE(table->VerifyChecksums().ok());
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCodecsPreadAndMapped, TableRoundTrip,
    testing::Combine(testing::Values(CompressionType::kNone, CompressionType::kSnappy,
                                     CompressionType::kZstd, CompressionType::kLz4),
                     testing::Bool()));

TEST(Table, Format2StoresKeySuffixesAsVarintsAndReadsBack) {
  Random rnd(test::TestSeed());
  for (const bool mapped : {false, true}) {
    // Keys shaped like the DB's internal keys: a user key, then a fixed64 trailer.
    Map entries;
    for (const auto& [key, value] : RandomEntries(&rnd, 2000)) {
      std::string with_suffix = key;
      PutFixed64(&with_suffix, rnd.OneIn(2) ? 1 : (rnd.Uniform(1 << 24) << 8 | 1));
      entries[with_suffix] = value;
    }
    TableOptions whole;
    whole.block_size = 256;
    TableOptions split = whole;
    split.keys_end_in_fixed64 = true;
    const std::string contents = BuildTable(split, entries);
    std::unique_ptr<TableReader> table;
    ASSERT_TRUE(test::OpenTableMaybeMapped(mapped, split, contents, &table).ok());
    EXPECT_EQ(table->properties().format_version, 2u);
    ExpectFullScanBothWays(*table, entries);
    ExpectSeeksMatchModel(*table, entries, &rnd);
    EXPECT_TRUE(table->VerifyChecksums().ok());
    // At least 3 of each key's 8 suffix bytes are saved.
    EXPECT_LT(contents.size() + 3 * entries.size(), BuildTable(whole, entries).size());
  }
}

// The handles of a table's data blocks, from its index.
std::vector<BlockHandle> DataBlockHandles(const TableReader& table) {
  std::vector<BlockHandle> handles;
  auto index = table.NewIndexIterator();
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    BlockHandle handle;
    std::string_view encoded = index->value();
    EXPECT_TRUE(handle.DecodeFrom(&encoded));
    handles.push_back(handle);
  }
  EXPECT_TRUE(index->status().ok());
  return handles;
}

// Pages of kPageBytes that the stored bytes (contents + trailer) at `handle` touch.
uint64_t PagesTouched(const BlockHandle& handle) {
  const uint64_t end = handle.offset + handle.size + kBlockTrailerBytes;
  return (end - 1) / kPageBytes - handle.offset / kPageBytes + 1;
}

// With align_data_blocks (the default), a raw block at most a page long lies within one page,
// and a compressed one crosses at most one boundary more than its size needs, with at most
// kMaxAlignPaddingBytes of padding before any block; everything reads back, every way.
TEST(Table, DataBlocksAreAlignedToPages) {
  Random rnd(test::TestSeed());
  const Map entries = RandomEntries(&rnd, 6000, 300);
  for (const CompressionType codec : {CompressionType::kNone, CompressionType::kZstd}) {
    for (const bool mapped : {false, true}) {
      SCOPED_TRACE(std::string(codec == CompressionType::kNone ? "raw" : "zstd") +
                   (mapped ? ", mapped" : ""));
      TableOptions options;
      options.compression = codec;
      const std::string contents = BuildTable(options, entries);
      std::unique_ptr<TableReader> table;
      ASSERT_TRUE(test::OpenTableMaybeMapped(mapped, options, contents, &table).ok());
      const std::vector<BlockHandle> handles = DataBlockHandles(*table);
      ASSERT_GT(handles.size(), 20u);
      uint64_t expected_offset = 0;
      uint64_t padding = 0;
      int extra_pages = 0;
      for (const BlockHandle& handle : handles) {
        ASSERT_GE(handle.offset, expected_offset);
        EXPECT_LE(handle.offset - expected_offset, kMaxAlignPaddingBytes);
        padding += handle.offset - expected_offset;
        const uint64_t stored = handle.size + kBlockTrailerBytes;
        const uint64_t needed = (stored + kPageBytes - 1) / kPageBytes;
        if (codec == CompressionType::kNone) {
          EXPECT_LE(stored, kPageBytes) << "a raw block past a page: the cut came too late";
          EXPECT_EQ(PagesTouched(handle), needed) << "at offset " << handle.offset;
        } else if (PagesTouched(handle) > needed) {
          ++extra_pages;  // the padding would have been over kMaxAlignPaddingBytes
        }
        expected_offset = handle.offset + stored;
      }
      if (codec == CompressionType::kNone) {
        // Small: each raw block ends within one entry of its page's end.
        EXPECT_LT(padding, contents.size() / 20);
      } else {
        // A compressed block's size is known only once it is cut, so its padding is bounded per
        // block (above), not as a share of the file: ZIGGY_TEST_SEED=87637447990780 pads 4,832
        // bytes, over 5% of the table.
        EXPECT_LT(extra_pages, static_cast<int>(handles.size()));
      }
      ExpectFullScanBothWays(*table, entries);
      ExpectSeeksMatchModel(*table, entries, &rnd);
      EXPECT_TRUE(table->VerifyChecksums().ok());
    }
  }
  // Off: the blocks follow each other with no gap.
  TableOptions contiguous;
  contiguous.align_data_blocks = false;
  const std::string contents = BuildTable(contiguous, entries);
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(contiguous, contents, &table).ok());
  uint64_t expected_offset = 0;
  for (const BlockHandle& handle : DataBlockHandles(*table)) {
    EXPECT_EQ(handle.offset, expected_offset);
    expected_offset = handle.offset + handle.size + kBlockTrailerBytes;
  }
}

TEST(Table, EmptyTable) {
  TableOptions options;
  const std::string contents = BuildTable(options, {});
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, contents, &table).ok());
  EXPECT_EQ(table->properties().num_entries, 0u);
  EXPECT_EQ(table->properties().num_data_blocks, 0u);
  auto it = table->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("z");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  bool called = false;
  EXPECT_TRUE(table->Get(ReadOptions(), "a", [&](auto, auto) { called = true; }).ok());
  EXPECT_FALSE(called);
}

TEST(Table, PropertiesRecordBuilderSettings) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions options;
  options.filter_policy = bloom.get();
  options.compression = CompressionType::kZstd;
  Map entries = {{"apple", "1"}, {"banana", "22"}, {"cherry", "333"}};
  test::StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : entries)
    builder.Add(k, v);
  builder.SetSequenceRange(7, 42);
  ASSERT_TRUE(builder.Finish().ok());
  EXPECT_EQ(builder.FileSize(), sink.contents().size());
  EXPECT_EQ(builder.NumEntries(), 3u);
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, sink.contents(), &table).ok());
  const TableProperties& p = table->properties();
  EXPECT_EQ(p.raw_key_bytes, 5u + 6u + 6u);
  EXPECT_EQ(p.raw_value_bytes, 6u);
  EXPECT_EQ(p.num_data_blocks, 1u);
  EXPECT_EQ(p.smallest_sequence, 7u);
  EXPECT_EQ(p.largest_sequence, 42u);
  EXPECT_EQ(p.format_version, 1u);
  EXPECT_EQ(p.comparator_name, BytewiseComparator()->Name());
  EXPECT_EQ(p.filter_policy_name, bloom->Name());
  EXPECT_GT(p.filter_bytes, 0u);
  EXPECT_GT(p.creation_time_unix_seconds, 1700000000u);
  EXPECT_TRUE(table->has_filter());
}

TEST(Table, FilterOfAnotherPolicyIsIgnored) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions write_options;
  write_options.filter_policy = bloom.get();
  const std::string contents = BuildTable(write_options, {{"a", "1"}});
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(TableOptions(), contents, &table).ok());
  EXPECT_FALSE(table->has_filter());
  bool found = false;
  EXPECT_TRUE(table->Get(ReadOptions(), "a", [&](auto k, auto) { found = k == "a"; }).ok());
  EXPECT_TRUE(found);
}

TEST(Table, ComparatorNameMismatchIsRefused) {
  const std::string contents = BuildTable(TableOptions(), {{"a", "1"}});
  test::ReverseComparator reverse;
  TableOptions options;
  options.comparator = &reverse;
  std::unique_ptr<TableReader> table;
  EXPECT_TRUE(OpenTable(options, contents, &table).IsInvalidArgument());
}

TEST(Table, CustomComparatorOrdersTheTable) {
  test::ReverseComparator reverse;
  TableOptions options;
  options.comparator = &reverse;
  options.block_size = 64;
  test::StringSink sink;
  TableBuilder builder(options, &sink);
  for (int i = 999; i >= 100; --i)
    builder.Add(std::to_string(i), "v" + std::to_string(i));
  ASSERT_TRUE(builder.Finish().ok());
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, sink.contents(), &table).ok());
  auto it = table->NewIterator(ReadOptions());
  it->Seek("555");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "555");
  it->Next();
  EXPECT_EQ(it->key(), "554");
  it->SeekForPrev("5555");  // between 555 and 556 in reverse order: last <= is 556
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "556");
}

TEST(Table, BlockCacheServesRepeatedReads) {
  BlockCache cache(1 << 20);
  TableOptions options;
  options.block_size = 256;
  options.block_cache = &cache;
  Random rnd(test::TestSeed());
  const Map entries = RandomEntries(&rnd, 500);
  test::CountingStringSource* source = nullptr;
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, BuildTable(options, entries), &table, &source).ok());
  const std::string& key = entries.begin()->first;
  auto get = [&](const ReadOptions& ro) {
    bool found = false;
    EXPECT_TRUE(table->Get(ro, key, [&](auto k, auto) { found = k == key; }).ok());
    EXPECT_TRUE(found);
  };
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  source->ResetCounts();
  get(no_fill);
  get(no_fill);
  EXPECT_EQ(source->reads(), 2u) << "fill_cache=false leaves the cache alone";
  get(ReadOptions());
  get(ReadOptions());
  get(ReadOptions());
  EXPECT_EQ(source->reads(), 3u) << "first filling read, then cache hits";
  ExpectFullScanBothWays(*table, entries);
  const uint64_t after_scan = source->reads();
  ExpectFullScanBothWays(*table, entries);
  EXPECT_EQ(source->reads(), after_scan) << "a second scan is served from the cache";
}

// A block read without its checksum checked is not cached: later reads that verify (and
// compactions, which trust cached blocks) would take its damage for data.
TEST(Table, ABlockReadUnverifiedIsNotCached) {
  BlockCache cache(1 << 20);
  TableOptions options;
  options.block_cache = &cache;
  const Map entries = {{"key", std::string(100, 'v')}};
  std::string contents = BuildTable(options, entries);
  const size_t at = contents.find(std::string(100, 'v'));
  ASSERT_NE(at, std::string::npos);
  contents[at + 50] = 'X';  // inside the value: the block parses, its checksum fails
  std::unique_ptr<TableReader> table;
  ASSERT_TRUE(OpenTable(options, contents, &table).ok());
  ReadOptions unverified;
  unverified.verify_checksums = false;
  std::string value;
  ASSERT_TRUE(table->Get(unverified, "key", [&](auto, auto v) { value = v; }).ok());
  EXPECT_NE(value, entries.begin()->second);  // what the damaged bytes say
  Status s = table->Get(ReadOptions(), "key", [&](auto, auto v) { value = v; });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString() << " value " << value;
}

class FailingSink final : public WritableFile {
 public:
  explicit FailingSink(int appends_ok) : appends_ok_(appends_ok) {}
  Status Append(std::string_view) override {
    return appends_ok_-- > 0 ? Status::OK() : Status::IOError("disk full");
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  int appends_ok_;
};

TEST(Table, WriteErrorIsStickyAndReturnedByFinish) {
  for (int appends_ok : {0, 1, 3, 10}) {
    FailingSink sink(appends_ok);
    TableOptions options;
    options.block_size = 64;
    TableBuilder builder(options, &sink);
    for (int i = 0; i < 100; ++i)
      builder.Add("key" + std::to_string(1000 + i), std::string(20, 'v'));
    Status s = builder.Finish();
    EXPECT_TRUE(s.IsIOError()) << appends_ok << ": " << s.ToString();
    EXPECT_TRUE(builder.status().IsIOError());
  }
}

// Keys must arrive in strictly increasing order, in every build: a key equal to or before the
// previous one fails the table with Corruption (and is not written), whatever its position.
TEST(Table, KeyOutOfOrderFailsTheTableWithCorruption) {
  for (const std::string& bad :
       {std::string("key1005"), std::string("key1000"), std::string("a")}) {
    test::StringSink sink;
    TableOptions options;
    options.block_size = 64;  // several data blocks before the bad key
    TableBuilder builder(options, &sink);
    for (int i = 0; i < 6; ++i)
      builder.Add("key" + std::to_string(1000 + i), std::string(20, 'v'));
    ASSERT_TRUE(builder.status().ok());
    builder.Add(bad, "out of order");
    EXPECT_TRUE(builder.status().IsCorruption()) << bad << ": " << builder.status().ToString();
    EXPECT_EQ(builder.NumEntries(), 6u);
    builder.Add("zzz", "after the failure: dropped");
    EXPECT_TRUE(builder.Finish().IsCorruption());
  }
}

// The largest key a table takes (kMaxTableKeyBytes: the API's limit plus the DB's 8-byte
// internal-key trailer) round-trips, in both key encodings; one byte more fails the table with
// InvalidArgument instead of aborting.
TEST(Table, KeyAtTheLimitRoundTripsAndOneMoreFailsAsStatus) {
  for (const bool fixed64_suffix : {false, true}) {
    TableOptions options;
    options.keys_end_in_fixed64 = fixed64_suffix;
    const Map entries = {{"aaaaaaaa", "small"},
                         {std::string(kMaxTableKeyBytes, 'k'), "at the limit"},
                         {std::string(kMaxTableKeyBytes, 'm'), std::string(1000, 'v')}};
    const std::string contents = test::BuildTable(options, entries);
    ASSERT_FALSE(contents.empty());
    std::unique_ptr<TableReader> table;
    ASSERT_TRUE(OpenTable(options, contents, &table).ok());
    ExpectFullScanBothWays(*table, entries);

    test::StringSink sink;
    TableBuilder builder(options, &sink);
    builder.Add("aaaaaaaa", "small");
    builder.Add(std::string(kMaxTableKeyBytes + 1, 'k'), "v");
    EXPECT_TRUE(builder.status().IsInvalidArgument()) << builder.status().ToString();
    builder.Add("zzzzzzzz", "after the failure: dropped");
    EXPECT_TRUE(builder.Finish().IsInvalidArgument());
  }
  // With keys_end_in_fixed64 every key must hold its 8-byte suffix.
  TableOptions options;
  options.keys_end_in_fixed64 = true;
  test::StringSink sink;
  TableBuilder builder(options, &sink);
  builder.Add("short", "v");
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());
}

// Long keys that share all but their last bytes make separators as long as the keys: with one
// entry per block the index grows as fast as the data. Past index_bytes_before_long_blocks a block
// is cut only at 16 times its last key's length, so the rest of the index costs about 1/16 of the
// data (in the largest tables it would otherwise outgrow kMaxBlockBytes and fail the table).
TEST(Table, LongKeysLengthenTheBlocksOnceTheIndexIsLarge) {
  Random rnd(test::TestSeed());
  Map entries;
  for (int i = 0; i < 400; ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "%06d", i);
    entries[std::string(4090, 'p') + suffix] = std::string(rnd.Uniform(64), 'v');
  }
  for (const bool aligned : {true, false}) {
    SCOPED_TRACE(aligned ? "aligned" : "contiguous");
    TableOptions options;
    options.block_size = 1024;
    options.align_data_blocks = aligned;
    std::unique_ptr<TableReader> table;
    ASSERT_TRUE(OpenTable(options, BuildTable(options, entries), &table).ok());
    EXPECT_EQ(table->properties().num_data_blocks, entries.size()) << "a small index: by size";

    constexpr uint64_t kThreshold = uint64_t{64} << 10;
    options.index_bytes_before_long_blocks = kThreshold;
    ASSERT_TRUE(OpenTable(options, BuildTable(options, entries), &table).ok());
    const TableProperties& p = table->properties();
    EXPECT_LT(p.num_data_blocks, entries.size() / 4);
    // At most one entry past the threshold, then 1/16 of the data and an entry's overhead per
    // block.
    EXPECT_LE(p.index_bytes, kThreshold + 4200 + p.data_bytes / 16 + 40 * p.num_data_blocks);
    ExpectFullScanBothWays(*table, entries);
    ExpectSeeksMatchModel(*table, entries, &rnd);
  }
}

// The footer of docs/format/sstable.md's worked example, byte for byte: its checksum covers every
// footer byte but its own (the version and the magic too). A change here is a format change.
TEST(TableFormat, GoldenFooterOfTheDocumentedExample) {
  Footer footer;
  footer.metaindex_handle = BlockHandle{532, 24};
  footer.index_handle = BlockHandle{39, 14};
  footer.format_version = 1;
  std::string encoded;
  footer.EncodeTo(&encoded);
  ASSERT_EQ(encoded.size(), Footer::kEncodedBytes);
  const std::string expected_head("\x94\x04\x18\x27\x0e", 5);
  EXPECT_EQ(encoded.substr(0, 5), expected_head);
  EXPECT_EQ(encoded.substr(5, 35), std::string(35, '\0'));
  EXPECT_EQ(encoded.substr(40, 4), std::string("\x7a\x77\xd1\xd5", 4));
  EXPECT_EQ(encoded.substr(44, 4), std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(encoded.substr(48), "ZIGGYSST");
  Footer decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded, 613).ok());
  encoded[44] = 2;  // the version is under the checksum
  EXPECT_TRUE(decoded.DecodeFrom(encoded, 613).IsCorruption());
}

}  // namespace
}  // namespace ziggydb
