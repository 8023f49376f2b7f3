#include "table/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "table/block_builder.h"
#include "table/restart_words.h"
#include "testutil/reverse_comparator.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::shared_ptr<const Block> BuildBlock(const Entries& entries, int restart_interval) {
  BlockBuilder builder(BytewiseComparator(), restart_interval);
  for (const auto& [key, value] : entries)
    builder.Add(key, value);
  std::shared_ptr<const Block> block;
  EXPECT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
  return block;
}

Entries RandomEntries(Random* rnd, size_t count) {
  std::map<std::string, std::string> sorted;
  while (sorted.size() < count) {
    // Shared prefixes from a small alphabet exercise the prefix compression. Keys are built by
    // appending: GCC 12 at -O3 raises a false -Wrestrict on `"k" + std::string&&`.
    std::string key = "k";
    key += std::to_string(rnd->Uniform(4));
    key += rnd->Bytes(rnd->Skewed(4));
    sorted[key] = rnd->Bytes(rnd->Skewed(6));
  }
  return Entries(sorted.begin(), sorted.end());
}

TEST(Block, EmptyBlockIsFourBytesAndIteratesNothing) {
  auto block = BuildBlock({}, 16);
  EXPECT_EQ(block->contents().size(), 4u);
  BlockIterator it(block, BytewiseComparator());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek("a");
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("a");
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(Block, RoundTripsBothDirectionsAtEveryRestartInterval) {
  Random rnd(test::TestSeed());
  for (int interval : {1, 2, 3, 16, 1000}) {
    const Entries entries = RandomEntries(&rnd, 1 + rnd.Uniform(300));
    auto block = BuildBlock(entries, interval);
    BlockIterator it(block, BytewiseComparator());
    size_t i = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
      ASSERT_LT(i, entries.size());
      EXPECT_EQ(it.key(), entries[i].first);
      EXPECT_EQ(it.value(), entries[i].second);
    }
    EXPECT_EQ(i, entries.size());
    for (it.SeekToLast(); it.Valid(); it.Prev()) {
      ASSERT_GT(i, 0u);
      --i;
      EXPECT_EQ(it.key(), entries[i].first);
      EXPECT_EQ(it.value(), entries[i].second);
    }
    EXPECT_EQ(i, 0u);
    EXPECT_TRUE(it.status().ok());
  }
}

TEST(Block, SeekAndSeekForPrevAtAndBetweenKeys) {
  Random rnd(test::TestSeed());
  const Entries entries = RandomEntries(&rnd, 200);
  auto block = BuildBlock(entries, 4);
  BlockIterator it(block, BytewiseComparator());
  std::vector<std::string> keys;
  for (const auto& e : entries)
    keys.push_back(e.first);
  const uint64_t iterations = test::ScaledIterations(2000);
  for (uint64_t n = 0; n < iterations; ++n) {
    std::string target;
    if (n % 2 == 0) {
      target = keys[rnd.Uniform(keys.size())];
    } else {
      target = "k";  // then 2 random bytes, appended as in RandomEntries
      target += rnd.Bytes(2);
    }
    if (n % 4 == 1) target.push_back('\0');  // just after a key
    auto lower = std::lower_bound(keys.begin(), keys.end(), target);
    it.Seek(target);
    if (lower == keys.end()) {
      EXPECT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), *lower);
    }
    auto upper = std::upper_bound(keys.begin(), keys.end(), target);
    it.SeekForPrev(target);
    if (upper == keys.begin()) {
      EXPECT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), *std::prev(upper));
    }
  }
  it.Seek("");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), keys.front());
  it.SeekForPrev("\xff\xff\xff\xff\xff");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), keys.back());
  EXPECT_TRUE(it.status().ok());
}

// Keys with a long shared prefix (as a DB's numbered keys), a few that leave it early or are
// prefixes of it, and a short successor last (as an index block's last separator).
std::vector<std::string> IndexLikeKeys(Random* rnd, size_t count) {
  std::vector<std::string> keys;
  while (keys.size() < count) {
    std::string key = "user0000";
    switch (rnd->Uniform(8)) {
      case 0:
        key.resize(rnd->Uniform(9));  // a prefix of the common prefix
        break;
      case 1:
        key += rnd->Bytes(rnd->Uniform(12));  // any bytes after it, 0x00 and 0xff included
        break;
      default:
        key += std::to_string(rnd->Uniform(1000000));
        break;
    }
    keys.push_back(std::move(key));
  }
  keys.push_back("v");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// The shape of the DB's internal key order without its module (base/ lies above table/): a user
// key in bytewise order, then an 8-byte big-endian sequence, newest first.
class SequencedComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    const int by_user = a.substr(0, a.size() - 8).compare(b.substr(0, b.size() - 8));
    if (by_user != 0) return by_user;
    return b.substr(b.size() - 8).compare(a.substr(a.size() - 8));
  }
  const char* Name() const override { return "test.Sequenced"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
  std::optional<size_t> BytewisePrefixTrailerBytes() const override { return 8; }
};

// Seek and SeekForPrev to target land on the same entry with and without the words.
void ExpectSeeksAgree(BlockIterator* plain, BlockIterator* fast, const std::string& target) {
  plain->Seek(target);
  fast->Seek(target);
  ASSERT_EQ(plain->Valid(), fast->Valid()) << target;
  if (plain->Valid()) {
    ASSERT_EQ(plain->key(), fast->key()) << target;
  }
  plain->SeekForPrev(target);
  fast->SeekForPrev(target);
  ASSERT_EQ(plain->Valid(), fast->Valid()) << target;
  if (plain->Valid()) {
    ASSERT_EQ(plain->key(), fast->key()) << target;
  }
}

// Seeks with a block's RestartWords must land where the plain binary search does, for a whole-key
// bytewise order and a prefix order with a trailer, for keys in the block and between them.
TEST(Block, RestartWordsSeekAsThePlainSearch) {
  Random rnd(test::TestSeed());
  const SequencedComparator sequenced;
  for (const bool with_trailer : {false, true}) {
    const Comparator* const cmp =
        with_trailer ? static_cast<const Comparator*>(&sequenced) : BytewiseComparator();
    const auto encode = [&](std::string_view user_key, uint64_t sequence) {
      std::string key(user_key);
      if (with_trailer) {
        for (int shift = 56; shift >= 0; shift -= 8)
          key.push_back(static_cast<char>(sequence >> shift));
      }
      return key;
    };
    const std::vector<std::string> user_keys = IndexLikeKeys(&rnd, 50 + rnd.Uniform(400));
    BlockBuilder builder(cmp, /*restart_interval=*/1 + rnd.Uniform(2));
    for (const std::string& user_key : user_keys)
      builder.Add(encode(user_key, 100), "v");
    std::shared_ptr<const Block> block;
    ASSERT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
    const RestartWords words = RestartWords::Build(*block, cmp);
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(words.size(), block->num_restarts());
    BlockIterator plain(block, cmp);
    BlockIterator fast(block, cmp, BlockKeyEncoding::kWhole, &words);
    const std::vector<std::string> extra = IndexLikeKeys(&rnd, 2000);
    for (size_t n = 0; n < user_keys.size() + extra.size(); ++n) {
      const std::string& user_key =
          n < user_keys.size() ? user_keys[n] : extra[n - user_keys.size()];
      for (const uint64_t sequence : {50, 100, 150}) {
        ASSERT_NO_FATAL_FAILURE(ExpectSeeksAgree(&plain, &fast, encode(user_key, sequence)));
      }
    }
    EXPECT_TRUE(fast.status().ok());
  }
}

// Words tied over many restarts (4 distinct words over 800 restarts), with targets on, between,
// before and after the keys: the restart keys of equal words decide.
TEST(Block, RestartWordsSeekAsThePlainSearchWithTiedWords) {
  std::vector<std::string> keys;
  for (const char* word : {"aaaaaaaa", "aaaabbbb", "bbbbaaaa", "bbbbbbbb"}) {
    for (int i = 1000; i < 1200; ++i)
      keys.push_back("k" + std::string(word) + std::to_string(i));
  }
  BlockBuilder builder(BytewiseComparator(), /*restart_interval=*/1);
  for (const std::string& key : keys)
    builder.Add(key, "v");
  std::shared_ptr<const Block> block;
  ASSERT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
  const RestartWords words = RestartWords::Build(*block, BytewiseComparator());
  ASSERT_EQ(words.size(), 800u);
  BlockIterator plain(block, BytewiseComparator());
  BlockIterator fast(block, BytewiseComparator(), BlockKeyEncoding::kWhole, &words);
  std::vector<std::string> targets = {"", "a", "k", "kaaaa", "kz", "l"};
  for (const std::string& key : keys) {
    targets.push_back(key);
    targets.push_back(key + "0");
    targets.push_back(key.substr(0, key.size() - 1));
  }
  for (const std::string& target : targets)
    ASSERT_NO_FATAL_FAILURE(ExpectSeeksAgree(&plain, &fast, target));
}

// Packs a value "v<number>" into the number; refuses anything else.
bool PackNumberedValue(std::string_view value, uint64_t* packed) {
  if (value.size() < 2 || value[0] != 'v') return false;
  *packed = std::stoull(std::string(value.substr(1)));
  return true;
}

// With values kept (an index-like block: every entry a restart), a lookup the words decide gives
// the first entry at or after the target and its value, as the block's own search does; one they
// do not decide says so.
TEST(Block, RestartWordsFindTheFirstEntryNotBeforeTheTarget) {
  Random rnd(test::TestSeed());
  // Keys that all start with the common prefix (a shorter first key would make it empty, and
  // every word then "user0000").
  std::vector<std::string> keys = IndexLikeKeys(&rnd, 50 + rnd.Uniform(400));
  std::erase_if(keys, [](const std::string& key) { return key.size() < 8; });
  for (int i = 0; i < 40; ++i)  // runs of keys sharing their word after the common prefix
    keys.push_back("user0000" + std::string(8, static_cast<char>('a' + i % 4)) + std::to_string(i));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  BlockBuilder builder(BytewiseComparator(), /*restart_interval=*/1);
  for (size_t i = 0; i < keys.size(); ++i)
    builder.Add(keys[i], "v" + std::to_string(i));
  std::shared_ptr<const Block> block;
  ASSERT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
  const RestartWords words = RestartWords::Build(*block, BytewiseComparator(), &PackNumberedValue);
  ASSERT_EQ(words.size(), keys.size());
  BlockIterator plain(block, BytewiseComparator());
  size_t decided = 0;
  std::vector<std::string> targets = IndexLikeKeys(&rnd, 2000);
  targets.insert(targets.end(), keys.begin(), keys.end());
  for (const std::string& target : targets) {
    uint32_t index = 0;
    uint64_t value = 0;
    if (!words.FindFirstNotBefore(target, &index, &value)) continue;
    ++decided;
    plain.Seek(target);
    const size_t expected =
        static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), target) - keys.begin());
    ASSERT_EQ(index, expected) << target;
    ASSERT_EQ(plain.Valid(), index < keys.size()) << target;
    if (index < keys.size()) {
      ASSERT_EQ(value, index) << target;
      ASSERT_EQ(plain.key(), keys[index]) << target;
    }
  }
  EXPECT_GT(decided, targets.size() / 2);  // most lookups skip the block
  // Undecidable: a target whose word is some restart's (any restart key itself, for one): only
  // the full keys decide.
  uint32_t index = 0;
  uint64_t value = 0;
  EXPECT_FALSE(words.FindFirstNotBefore("user0000aaaaaaaa0", &index, &value));
}

// Values are kept only when every entry is a restart and every value packs.
TEST(Block, RestartWordsKeepValuesOnlyForIndexLikeBlocks) {
  std::vector<std::string> keys;
  for (int i = 1000; i < 1100; ++i)
    keys.push_back("key" + std::to_string(i * 7919));
  std::sort(keys.begin(), keys.end());
  uint32_t index = 0;
  uint64_t value = 0;
  for (const int interval : {1, 2}) {
    for (const bool packable : {true, false}) {
      BlockBuilder builder(BytewiseComparator(), interval);
      for (size_t i = 0; i < keys.size(); ++i)
        builder.Add(keys[i], (packable || i != 50 ? "v" : "x") + std::to_string(i));
      std::shared_ptr<const Block> block;
      ASSERT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
      const RestartWords words =
          RestartWords::Build(*block, BytewiseComparator(), &PackNumberedValue);
      ASSERT_FALSE(words.empty());
      EXPECT_EQ(words.FindFirstNotBefore("key5", &index, &value), interval == 1 && packable)
          << interval << " " << packable;
    }
  }
  BlockBuilder builder(BytewiseComparator(), 1);
  for (size_t i = 0; i < keys.size(); ++i)
    builder.Add(keys[i], "v" + std::to_string(i));
  std::shared_ptr<const Block> block;
  ASSERT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
  EXPECT_FALSE(RestartWords::Build(*block, BytewiseComparator())
                   .FindFirstNotBefore("key5", &index, &value));  // no decoder, no values
}

TEST(Block, RestartWordsNeedEnoughWellFormedRestarts) {
  const Entries few = {{"a", "1"}, {"b", "2"}};
  EXPECT_TRUE(RestartWords::Build(*BuildBlock(few, 1), BytewiseComparator()).empty());
  // Keys shorter than the order's trailer leave the block without words.
  Entries short_keys;
  for (int i = 0; i < 40; ++i)
    short_keys.emplace_back("k" + std::to_string(100 + i), "v");
  const SequencedComparator sequenced;
  EXPECT_TRUE(RestartWords::Build(*BuildBlock(short_keys, 1), &sequenced).empty());
  EXPECT_FALSE(RestartWords::Build(*BuildBlock(short_keys, 1), BytewiseComparator()).empty());
  // An order that is not a bytewise prefix order gets none.
  const test::ReverseComparator reverse;
  EXPECT_TRUE(RestartWords::Build(*BuildBlock(short_keys, 1), &reverse).empty());
}

TEST(Block, RejectsMalformedRestartArrays) {
  std::shared_ptr<const Block> block;
  EXPECT_TRUE(Block::Parse("", &block).IsCorruption());
  EXPECT_TRUE(Block::Parse("abc", &block).IsCorruption());
  std::string huge_count;
  PutFixed32(&huge_count, 1000);
  EXPECT_TRUE(Block::Parse(huge_count, &block).IsCorruption());
  // One entry but zero restarts.
  std::string no_restarts(
      "\x00\x01\x01"
      "ab",
      5);
  PutFixed32(&no_restarts, 0);
  EXPECT_TRUE(Block::Parse(no_restarts, &block).IsCorruption());
  // A restart pointing past the entries.
  std::string bad_restart(
      "\x00\x01\x01"
      "ab",
      5);
  PutFixed32(&bad_restart, 0);
  PutFixed32(&bad_restart, 9);
  PutFixed32(&bad_restart, 2);
  EXPECT_TRUE(Block::Parse(bad_restart, &block).IsCorruption());
}

TEST(Block, EntryOverrunningTheBlockIsCorruption) {
  std::string contents(
      "\x00\x05\x01"
      "ab",
      5);  // claims a 5-byte key, has 2 bytes
  PutFixed32(&contents, 0);
  PutFixed32(&contents, 1);
  std::shared_ptr<const Block> block;
  ASSERT_TRUE(Block::Parse(contents, &block).ok());
  BlockIterator it(block, BytewiseComparator());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
  it.Seek("a");  // sticky
  EXPECT_FALSE(it.Valid());
}

// Regression (found by table_fuzz): a restart offset inside an entry let Prev, which rescans
// from restart points, decode a phantom entry that Next never saw.
TEST(Block, EntryStraddlingARestartPointIsCorruption) {
  std::string contents(
      "\x00\x01\x02"
      "axy"
      "\x00\x01\x00"
      "b",
      10);
  PutFixed32(&contents, 0);
  PutFixed32(&contents, 3);  // points into the middle of the first entry
  PutFixed32(&contents, 2);
  std::shared_ptr<const Block> block;
  ASSERT_TRUE(Block::Parse(contents, &block).ok());
  BlockIterator it(block, BytewiseComparator());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
}

// Flip random bytes of valid blocks: decoding must stay in bounds (ASan checks) and either
// succeed or report Corruption; never crash, never loop forever.
TEST(Block, RandomDamageIsContained) {
  Random rnd(test::TestSeed());
  const uint64_t iterations = test::ScaledIterations(3000);
  for (uint64_t n = 0; n < iterations; ++n) {
    const Entries entries = RandomEntries(&rnd, 1 + rnd.Uniform(40));
    BlockBuilder builder(BytewiseComparator(), 1 + static_cast<int>(rnd.Uniform(5)));
    for (const auto& [key, value] : entries)
      builder.Add(key, value);
    std::string contents(builder.Finish());
    const int flips = 1 + static_cast<int>(rnd.Uniform(3));
    for (int f = 0; f < flips; ++f)
      contents[rnd.Uniform(contents.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
    std::shared_ptr<const Block> block;
    if (!Block::Parse(contents, &block).ok()) continue;
    BlockIterator it(block, BytewiseComparator());
    size_t steps = 0;
    std::vector<std::string> forward;
    for (it.SeekToFirst(); it.Valid() && steps < 10000; it.Next(), ++steps)
      forward.emplace_back(it.key());
    const bool forward_ok = it.status().ok();
    BlockIterator back(block, BytewiseComparator());
    std::vector<std::string> backward;
    for (back.SeekToLast(); back.Valid() && steps < 20000; back.Prev(), ++steps)
      backward.emplace_back(back.key());
    if (forward_ok && back.status().ok()) {
      std::reverse(backward.begin(), backward.end());
      ASSERT_EQ(forward, backward) << "Next and Prev must see the same entries";
    }
    it.Seek(entries[0].first);
    it.SeekForPrev(entries.back().first);
    ASSERT_LT(steps, 20000u);
  }
}

}  // namespace
}  // namespace ziggydb
