#include "ziggydb/write_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"
#include "ziggydb/options.h"

namespace ziggydb {
namespace {

// Records the updates a batch replays, as "Put(k, v)" / "Delete(k)" strings.
class RecordingHandler final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    ops.push_back("Put(" + std::string(key) + ", " + std::string(value) + ")");
  }
  void Delete(std::string_view key) override { ops.push_back("Delete(" + std::string(key) + ")"); }
  std::vector<std::string> ops;
};

std::vector<std::string> Replay(const WriteBatch& batch, Status* status = nullptr) {
  RecordingHandler handler;
  Status s = batch.Iterate(&handler);
  if (status != nullptr) *status = s;
  return handler.ops;
}

TEST(WriteBatch, EmptyBatchHasHeaderOnly) {
  WriteBatch batch;
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), kWriteBatchHeaderBytes);
  EXPECT_TRUE(batch.status().ok());
  EXPECT_TRUE(Replay(batch).empty());
}

TEST(WriteBatch, ReplaysUpdatesInOrder) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Put(std::string("c\0d", 3), "");
  EXPECT_EQ(batch.Count(), 3u);
  Status s;
  const auto ops = Replay(batch, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ops, (std::vector<std::string>{"Put(a, 1)", "Delete(b)",
                                           "Put(" + std::string("c\0d", 3) + ", )"}));
}

TEST(WriteBatch, MatchesDocumentedEncoding) {
  // docs/format/write_batch.md, worked example.
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{100});
  batch.Put("k", "vv");
  batch.Delete("k");
  const std::string expected = std::string("\x64\0\0\0\0\0\0\0", 8) + std::string("\x02\0\0\0", 4) +
                               std::string("\x01\x01k\x02vv", 6) + std::string("\x00\x01k", 3);
  EXPECT_EQ(WriteBatchInternal::Contents(batch), expected);
  EXPECT_EQ(raw(WriteBatchInternal::Sequence(batch)), 100u);
}

TEST(WriteBatch, AppendConcatenatesAndKeepsSequence) {
  WriteBatch a;
  WriteBatch b;
  WriteBatchInternal::SetSequence(&a, SequenceNumber{7});
  a.Put("x", "1");
  b.Delete("y");
  b.Put("z", "2");
  a.Append(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(raw(WriteBatchInternal::Sequence(a)), 7u);
  EXPECT_EQ(Replay(a), (std::vector<std::string>{"Put(x, 1)", "Delete(y)", "Put(z, 2)"}));
}

TEST(WriteBatch, ClearResetsEverything) {
  WriteBatch batch;
  batch.Put("a", "b");
  batch.Put(std::string(kMaxKeyBytes + 1, 'k'), "v");
  EXPECT_FALSE(batch.status().ok());
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_TRUE(batch.status().ok());
}

TEST(WriteBatch, OverLimitKeyMarksBatchAndIsNotAdded) {
  WriteBatch batch;
  batch.Put("ok", "1");
  batch.Put(std::string(kMaxKeyBytes + 1, 'k'), "v");
  batch.Delete(std::string(kMaxKeyBytes + 1, 'k'));
  EXPECT_TRUE(batch.status().IsInvalidArgument());
  EXPECT_EQ(batch.Count(), 1u);
  // A key of exactly the limit is fine.
  WriteBatch edge;
  edge.Put(std::string(kMaxKeyBytes, 'k'), "v");
  EXPECT_TRUE(edge.status().ok());
  EXPECT_EQ(edge.Count(), 1u);
}

TEST(WriteBatch, OverLimitMarkCarriesThroughAppend) {
  WriteBatch bad;
  bad.Put(std::string(kMaxKeyBytes + 1, 'k'), "v");
  WriteBatch dst;
  dst.Put("a", "1");
  dst.Append(bad);
  EXPECT_TRUE(dst.status().IsInvalidArgument());
}

TEST(WriteBatch, SetContentsRoundTrips) {
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{42});
  batch.Put("a", "1");
  batch.Delete("b");
  WriteBatch copy;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&copy, WriteBatchInternal::Contents(batch)).ok());
  EXPECT_EQ(WriteBatchInternal::Contents(copy), WriteBatchInternal::Contents(batch));
  EXPECT_EQ(WriteBatchInternal::Count(copy), 2u);
}

TEST(WriteBatch, TruncatedEncodingsAreCorruption) {
  WriteBatch batch;
  batch.Put("key", "value");
  batch.Delete("gone");
  const std::string contents(WriteBatchInternal::Contents(batch));
  for (size_t n = 0; n < contents.size(); ++n) {
    WriteBatch damaged;
    Status s = WriteBatchInternal::SetContents(&damaged, std::string_view(contents).substr(0, n));
    EXPECT_TRUE(s.IsCorruption()) << "prefix " << n;
    EXPECT_EQ(damaged.Count(), 0u);
  }
}

TEST(WriteBatch, CountMismatchIsCorruption) {
  WriteBatch batch;
  batch.Put("a", "1");
  std::string contents(WriteBatchInternal::Contents(batch));
  EncodeFixed32(contents.data() + 8, 2);  // claims more records than present
  WriteBatch damaged;
  EXPECT_TRUE(WriteBatchInternal::SetContents(&damaged, contents).IsCorruption());
  EncodeFixed32(contents.data() + 8, 0);  // claims fewer
  EXPECT_TRUE(WriteBatchInternal::SetContents(&damaged, contents).IsCorruption());
}

TEST(WriteBatch, UnknownTypeIsCorruption) {
  WriteBatch batch;
  batch.Put("a", "1");
  std::string contents(WriteBatchInternal::Contents(batch));
  contents[kWriteBatchHeaderBytes] = 0x7f;
  WriteBatch damaged;
  EXPECT_TRUE(WriteBatchInternal::SetContents(&damaged, contents).IsCorruption());
}

TEST(WriteBatch, RandomBytesNeverCrashTheDecoder) {
  const uint64_t seed = test::TestSeed();
  Random rnd(seed);
  WriteBatch base;
  base.Put("alpha", "beta");
  base.Delete("gamma");
  base.Put("delta", std::string(300, 'x'));
  const std::string contents(WriteBatchInternal::Contents(base));
  const uint64_t iterations = test::ScaledIterations(2000);
  for (uint64_t i = 0; i < iterations; ++i) {
    std::string damaged = contents;
    const int flips = 1 + static_cast<int>(rnd.Uniform(4));
    for (int f = 0; f < flips; ++f)
      damaged[rnd.Uniform(damaged.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
    WriteBatch batch;
    Status s = WriteBatchInternal::SetContents(&batch, damaged);
    if (s.ok()) {
      Status replay;
      Replay(batch, &replay);
      EXPECT_TRUE(replay.ok());
    } else {
      EXPECT_TRUE(s.IsCorruption());
    }
  }
}

TEST(WriteBatch, InsertIntoAssignsConsecutiveSequences) {
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable mem(icmp);
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{10});
  batch.Put("k", "v1");
  batch.Put("k", "v2");
  batch.Delete("j");
  ASSERT_TRUE(WriteBatchInternal::InsertInto(batch, &mem).ok());
  EXPECT_EQ(mem.NumEntries(), 3u);
  std::string value;
  Status s;
  ASSERT_TRUE(mem.Get(LookupKey("k", SequenceNumber{10}), &value, &s));
  EXPECT_EQ(value, "v1");
  ASSERT_TRUE(mem.Get(LookupKey("k", SequenceNumber{11}), &value, &s));
  EXPECT_EQ(value, "v2");
  ASSERT_TRUE(mem.Get(LookupKey("j", SequenceNumber{12}), &value, &s));
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_FALSE(mem.Get(LookupKey("j", SequenceNumber{11}), &value, &s));
}

// A batch read back from a WAL carries its own sequence: one whose records would run past the
// largest sequence number is damage (Corruption), and nothing of it reaches the memtable.
TEST(WriteBatch, InsertIntoPastTheLargestSequenceIsCorruption) {
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable mem(icmp);
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{kMaxSequenceNumber});
  EXPECT_TRUE(WriteBatchInternal::InsertInto(batch, &mem).IsCorruption());
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{UINT64_MAX});
  EXPECT_TRUE(WriteBatchInternal::InsertInto(batch, &mem).IsCorruption());
  EXPECT_EQ(mem.NumEntries(), 0u);
  // The last sequence number itself is usable.
  WriteBatchInternal::SetSequence(&batch, SequenceNumber{kMaxSequenceNumber - 1});
  EXPECT_TRUE(WriteBatchInternal::InsertInto(batch, &mem).ok());
  EXPECT_EQ(mem.NumEntries(), 2u);
}

}  // namespace
}  // namespace ziggydb
