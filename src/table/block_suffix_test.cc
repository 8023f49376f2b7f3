// Blocks whose keys end in a fixed64 stored apart as a varint64 (BlockKeyEncoding::kVarintSuffix,
// table format 2): round trips, seeks among keys that differ only in their suffix, the bytes
// saved, and malformed suffixes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "table/block.h"
#include "table/block_builder.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string KeyWithSuffix(const std::string& prefix, uint64_t suffix) {
  std::string key = prefix;
  PutFixed64(&key, suffix);
  return key;
}

std::string BuildContents(const Entries& entries, int restart_interval, BlockKeyEncoding encoding) {
  BlockBuilder builder(BytewiseComparator(), restart_interval, encoding);
  for (const auto& [key, value] : entries)
    builder.Add(key, value);
  return std::string(builder.Finish());
}

std::shared_ptr<const Block> Parse(std::string contents) {
  std::shared_ptr<const Block> block;
  EXPECT_TRUE(Block::Parse(std::move(contents), &block).ok());
  return block;
}

// Sorted keys from a small alphabet (shared prefixes) with suffixes of every varint length.
Entries RandomEntries(Random* rnd, size_t count) {
  std::map<std::string, std::string> sorted;
  while (sorted.size() < count) {
    // Built by appending: GCC 12 at -O3 raises a false -Wrestrict on `"k" + std::string&&`.
    std::string prefix = "k";
    prefix += std::to_string(rnd->Uniform(4));
    prefix += rnd->Bytes(rnd->Skewed(4));
    const uint64_t suffix = rnd->OneIn(4) ? rnd->Uniform(256) : rnd->Next64() >> rnd->Uniform(64);
    sorted[KeyWithSuffix(prefix, suffix)] = rnd->Bytes(rnd->Skewed(6));
  }
  return Entries(sorted.begin(), sorted.end());
}

TEST(BlockSuffix, RoundTripsBothDirectionsAtEveryRestartInterval) {
  Random rnd(test::TestSeed());
  for (int restart_interval : {1, 2, 16}) {
    const Entries entries = RandomEntries(&rnd, 300);
    auto block = Parse(BuildContents(entries, restart_interval, BlockKeyEncoding::kVarintSuffix));
    BlockIterator it(block, BytewiseComparator(), BlockKeyEncoding::kVarintSuffix);
    size_t i = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
      ASSERT_LT(i, entries.size());
      EXPECT_EQ(it.key(), entries[i].first);
      EXPECT_EQ(it.value(), entries[i].second);
    }
    EXPECT_EQ(i, entries.size());
    EXPECT_TRUE(it.status().ok());
    for (it.SeekToLast(); it.Valid(); it.Prev()) {
      ASSERT_GT(i, 0u);
      --i;
      EXPECT_EQ(it.key(), entries[i].first);
    }
    EXPECT_EQ(i, 0u);
    for (size_t j = 0; j < entries.size(); j += 7) {
      it.Seek(entries[j].first);
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), entries[j].first);
      it.SeekForPrev(entries[j].first);
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), entries[j].first);
    }
  }
}

// Keys from a few bytes to several times KeyBuffer::kInlineBytes, in both encodings: the key
// buffers move from inline storage to the heap in the middle of a block (and of a restart
// interval) without losing the shared prefix.
TEST(BlockSuffix, KeysOutgrowingTheInlineBufferRoundTrip) {
  Entries entries;
  for (size_t length = 1; length <= 4 * KeyBuffer::kInlineBytes; length += 5) {
    std::string prefix = std::string(length, 'p');
    prefix.back() = static_cast<char>('a' + length % 20);
    entries.emplace_back(KeyWithSuffix(prefix, length), "v" + std::to_string(length));
  }
  std::sort(entries.begin(), entries.end());
  for (BlockKeyEncoding encoding : {BlockKeyEncoding::kWhole, BlockKeyEncoding::kVarintSuffix}) {
    for (int restart_interval : {1, 16}) {
      auto block = Parse(BuildContents(entries, restart_interval, encoding));
      BlockIterator it(block, BytewiseComparator(), encoding);
      size_t i = 0;
      for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
        ASSERT_LT(i, entries.size());
        EXPECT_EQ(it.key(), entries[i].first);
      }
      EXPECT_EQ(i, entries.size());
      for (it.SeekToLast(); it.Valid(); it.Prev())
        EXPECT_EQ(it.key(), entries[--i].first);
      EXPECT_EQ(i, 0u);
      for (const auto& [key, value] : entries) {
        it.Seek(key);
        ASSERT_TRUE(it.Valid());
        EXPECT_EQ(it.key(), key);
        EXPECT_EQ(it.value(), value);
      }
      EXPECT_TRUE(it.status().ok());
    }
  }
}

TEST(BlockSuffix, SeeksAmongVersionsOfOnePrefix) {
  // Like the versions of one user key: same prefix, suffixes in bytewise key order.
  Entries entries;
  for (uint64_t suffix : {0x0100ull, 0x0200ull, 0x0300ull, 0x010000000000ull}) {
    std::string value = "v";  // appended, as in RandomEntries
    value += std::to_string(suffix);
    entries.emplace_back(KeyWithSuffix("user", suffix), value);
  }
  std::sort(entries.begin(), entries.end());
  auto block = Parse(BuildContents(entries, 2, BlockKeyEncoding::kVarintSuffix));
  BlockIterator it(block, BytewiseComparator(), BlockKeyEncoding::kVarintSuffix);
  for (const auto& [key, value] : entries) {
    it.Seek(key);
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), key);
    EXPECT_EQ(it.value(), value);
  }
  it.Seek(KeyWithSuffix("user", 0xffffffffffffffffull));
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(BlockSuffix, ASmallSuffixTakesOneByteInsteadOfEight) {
  Entries entries;
  for (int i = 0; i < 100; ++i)
    entries.emplace_back(KeyWithSuffix("key" + std::to_string(1000 + i), 1), "value");
  const size_t whole = BuildContents(entries, 16, BlockKeyEncoding::kWhole).size();
  const size_t split = BuildContents(entries, 16, BlockKeyEncoding::kVarintSuffix).size();
  EXPECT_EQ(whole - split, 100u * 7);
}

TEST(BlockSuffix, GoldenBytesOfTheDocumentedEntry) {
  // docs/format/sstable.md: "k1" ++ fixed64(1) -> "v".
  const std::string contents =
      BuildContents({{KeyWithSuffix("k1", 1), "v"}}, 16, BlockKeyEncoding::kVarintSuffix);
  EXPECT_EQ(contents.substr(0, 7), std::string("\x00\x03\x01\x01k1v", 7));
}

// One entry by hand: shared 0, then non_shared and value_size as given, then `rest` (the key
// bytes, varint64 suffix first, and the value), then a restart array holding offset 0.
std::string HandMadeBlock(uint8_t non_shared, uint8_t value_bytes, const std::string& rest) {
  std::string contents;
  contents.push_back(0);
  contents.push_back(static_cast<char>(non_shared));
  contents.push_back(static_cast<char>(value_bytes));
  contents.append(rest);
  PutFixed32(&contents, 0);
  PutFixed32(&contents, 1);
  return contents;
}

TEST(BlockSuffix, MalformedSuffixesAreCorruption) {
  // The suffix varint does not end inside the key bytes; the value overruns the entries.
  for (const std::string& contents : {HandMadeBlock(2, 0, "\x80\x80"),
                                      HandMadeBlock(2, 5, std::string("\x01", 1) + "a" + "xy")}) {
    auto block = Parse(contents);
    BlockIterator it(block, BytewiseComparator(), BlockKeyEncoding::kVarintSuffix);
    it.SeekToFirst();
    EXPECT_FALSE(it.Valid());
    EXPECT_TRUE(it.status().IsCorruption()) << it.status().ToString();
    BlockIterator seeker(block, BytewiseComparator(), BlockKeyEncoding::kVarintSuffix);
    seeker.Seek("a");
    EXPECT_FALSE(seeker.Valid());
  }
  // The same shape with a whole suffix and value reads back: suffix 7, key byte "a", value "ab".
  auto good = Parse(HandMadeBlock(2, 2, std::string("\x07", 1) + "a" + "ab"));
  BlockIterator it(good, BytewiseComparator(), BlockKeyEncoding::kVarintSuffix);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), KeyWithSuffix("a", 7));
  EXPECT_EQ(it.value(), "ab");
}

}  // namespace
}  // namespace ziggydb
