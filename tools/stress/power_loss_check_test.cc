// The check after a power loss (power_loss_check.h): a prefix of the acknowledged writes that
// keeps every write made durable by a sync write or by a Flush or CompactRange that returned OK.
#include "tools/stress/power_loss_check.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace ziggydb::tools::stress {
namespace {

using Found = std::vector<std::optional<uint32_t>>;

WriteRecord Put(uint32_t id) {
  return MakeRecord(id, true);
}
WriteRecord Del(uint32_t id) {
  return MakeRecord(id, false);
}

// Five unsynced puts, one per key 0..4 (value id 1 each); what a DB holding the first n of them
// reads as.
PowerLossTrace FivePuts() {
  PowerLossTrace trace(5);
  for (uint32_t i = 0; i < 5; ++i)
    trace.Acknowledged({{i, Put(1)}}, /*synced=*/false);
  return trace;
}
Found AfterPuts(size_t n) {
  Found found(5);
  for (size_t i = 0; i < n; ++i)
    found[i] = 1;
  return found;
}

TEST(PowerLossCheckTest, UnsyncedWritesMayBeLostAsASuffix) {
  const PowerLossTrace trace = FivePuts();
  std::string detail;
  for (size_t n = 0; n <= 5; ++n)
    EXPECT_EQ(trace.MatchingPrefix(AfterPuts(n), &detail), n) << n;
  Found gap = AfterPuts(3);
  gap[1].reset();  // write 1 lost, writes 0 and 2 kept: no prefix
  EXPECT_EQ(trace.MatchingPrefix(gap, &detail), std::nullopt);
  // The detail names the first key that differs from the shortest allowed prefix (none here).
  EXPECT_EQ(detail,
            "key s00000000: expected absent (never written) (or a later acknowledged "
            "write), found value id 1");
}

TEST(PowerLossCheckTest, ASyncedWriteKeepsItselfAndEveryEarlierOne) {
  PowerLossTrace trace = FivePuts();
  trace.Acknowledged({{0, Put(2)}}, /*synced=*/true);
  std::string detail;
  Found all = AfterPuts(5);
  EXPECT_EQ(trace.MatchingPrefix(all, &detail), std::nullopt);  // the synced write is lost
  all[0] = 2;
  EXPECT_EQ(trace.MatchingPrefix(all, &detail), 6u);
}

// The defect the old check had: a Flush or CompactRange that returned OK did not count, so a
// recovery that lost writes acknowledged before it passed.
TEST(PowerLossCheckTest, AFlushThatReturnedOkKeepsEveryWriteBeforeIt) {
  PowerLossTrace trace = FivePuts();
  trace.Flushed();
  trace.Acknowledged({{0, Del(2)}}, /*synced=*/false);
  EXPECT_EQ(trace.durable(), 5u);
  std::string detail;
  for (size_t n = 0; n < 5; ++n) {
    EXPECT_EQ(trace.MatchingPrefix(AfterPuts(n), &detail), std::nullopt) << n;
    EXPECT_NE(detail.find("expected put id 1"), std::string::npos) << detail;
  }
  EXPECT_EQ(trace.MatchingPrefix(AfterPuts(5), &detail), 5u);  // the delete after it lost
  Found deleted = AfterPuts(5);
  deleted[0].reset();
  EXPECT_EQ(trace.MatchingPrefix(deleted, &detail), 6u);

  // Without the flush the same losses were legal.
  const PowerLossTrace unflushed = FivePuts();
  for (size_t n = 0; n < 5; ++n)
    EXPECT_EQ(unflushed.MatchingPrefix(AfterPuts(n), &detail), n) << n;
}

TEST(PowerLossCheckTest, ABatchIsKeptWholeOrNotAtAll) {
  PowerLossTrace trace(3);
  trace.Acknowledged({{0, Put(1)}, {1, Put(1)}, {2, Del(1)}}, /*synced=*/false);
  std::string detail;
  EXPECT_EQ(trace.MatchingPrefix(Found{1, 1, std::nullopt}, &detail), 1u);
  EXPECT_EQ(trace.MatchingPrefix(Found{std::nullopt, std::nullopt, std::nullopt}, &detail), 0u);
  EXPECT_EQ(trace.MatchingPrefix(Found{1, std::nullopt, std::nullopt}, &detail), std::nullopt);
}

TEST(PowerLossCheckTest, ARecoveryStartsTheNextTraceFromItsState) {
  PowerLossTrace trace = FivePuts();
  trace.Flushed();
  trace.Acknowledged({{0, Put(2)}}, /*synced=*/false);
  std::string detail;
  const std::optional<size_t> prefix = trace.MatchingPrefix(AfterPuts(5), &detail);
  ASSERT_EQ(prefix, 5u);
  trace.Recovered(*prefix);
  EXPECT_EQ(trace.size(), 0u);
  EXPECT_EQ(trace.durable(), 0u);
  EXPECT_EQ(trace.Latest(0), Put(1));  // the lost write is gone from the model
  EXPECT_EQ(trace.MatchingPrefix(AfterPuts(5), &detail), 0u);
  EXPECT_EQ(trace.MatchingPrefix(AfterPuts(4), &detail), std::nullopt);
}

}  // namespace
}  // namespace ziggydb::tools::stress
