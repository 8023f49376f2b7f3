#include "tools/bench/phase_metrics.h"

#include <gtest/gtest.h>

namespace ziggydb::bench {
namespace {

ResourceSnapshot Snapshot(uint64_t dirtied, uint64_t cancelled) {
  ResourceSnapshot snapshot;
  snapshot.io.dirtied = dirtied;
  snapshot.io.cancelled = cancelled;
  return snapshot;
}

TEST(PhaseCost, DiskBytesAreDirtiedMinusCancelled) {
  // 5,000 bytes dirtied in the phase, 1,500 of them (or earlier ones) discarded before writeback.
  const PhaseCost cost =
      PhaseCost::Between(Snapshot(10'000, 500), Snapshot(15'000, 2'000), /*db_bytes=*/42);
  EXPECT_EQ(cost.disk_write_bytes, 3'500u);
  EXPECT_EQ(cost.cancelled_write_bytes, 1'500u);
  EXPECT_EQ(cost.db_bytes, 42u);
}

TEST(PhaseCost, APhaseThatOnlyDeletesEarlierWritesCostsZeroNotANegativeWrap) {
  const PhaseCost cost = PhaseCost::Between(Snapshot(10'000, 0), Snapshot(10'100, 4'000), 0);
  EXPECT_EQ(cost.disk_write_bytes, 0u);
  EXPECT_EQ(cost.cancelled_write_bytes, 4'000u);
}

TEST(PhaseCost, CountersThatWentBackwardsCountNothing) {
  // /proc/self/io unavailable at the end (zeros): nothing is reported, rather than a huge value.
  const PhaseCost cost = PhaseCost::Between(Snapshot(10'000, 100), Snapshot(0, 0), 0);
  EXPECT_EQ(cost.disk_write_bytes, 0u);
  EXPECT_EQ(cost.cancelled_write_bytes, 0u);
}

}  // namespace
}  // namespace ziggydb::bench
