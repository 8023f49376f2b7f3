#include "tools/bench/phase_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tools/bench/memory_cap.h"

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

TEST(PhaseCost, ReadCountersAreDeltas) {
  ResourceSnapshot begin, end;
  begin.io.fetched = 4096;
  end.io.fetched = 3 * 4096;
  begin.major_faults = 7;
  end.major_faults = 9;
  end.device_reads = 5;  // unknown at the start (0): counts from 0
  const PhaseCost cost = PhaseCost::Between(begin, end, 0);
  EXPECT_EQ(cost.fetched_bytes, 2u * 4096);
  EXPECT_EQ(cost.major_faults, 2u);
  EXPECT_EQ(cost.device_reads, 5u);
}

TEST(MemoryGroupOf, PicksTheV1MemoryLineElseTheUnifiedOne) {
  bool v2 = true;
  EXPECT_EQ(MemoryGroupOf("12:pids:/p\n4:cpu,memory:/a/b:c\n0::/u\n", &v2), "/a/b:c");
  EXPECT_FALSE(v2);
  EXPECT_EQ(MemoryGroupOf("3:cpu:/x\n0::/user.slice/s\n", &v2), "/user.slice/s");
  EXPECT_TRUE(v2);
  EXPECT_EQ(MemoryGroupOf("3:cpu:/x\ngarbage\n", &v2), "");
  EXPECT_FALSE(v2);
}

std::string ProcSelfCgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Needs root and a memory cgroup hierarchy; skipped elsewhere.
TEST(MemoryCap, MovesTheProcessIntoItsGroupAndBackOut) {
  std::unique_ptr<MemoryCap> cap;
  Status s = MemoryCap::Create(uint64_t{256} << 20, &cap);
  if (!s.ok()) GTEST_SKIP() << s.ToString();
  const std::string dir = cap->dir();
  bool v2 = false;
  const std::string group = MemoryGroupOf(ProcSelfCgroup(), &v2);
  EXPECT_EQ(std::filesystem::path(group).filename(), std::filesystem::path(dir).filename());
  EXPECT_GT(cap->UsageBytes(), 0u);  // the pages this process touches now are charged here
  EXPECT_TRUE(cap->DropCache().ok());
  cap.reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(MemoryGroupOf(ProcSelfCgroup(), &v2), group);
}

}  // namespace
}  // namespace ziggydb::bench
