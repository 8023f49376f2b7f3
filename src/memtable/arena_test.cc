#include "memtable/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

TEST(Arena, StartsEmpty) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(Arena, SmallAllocationsShareABlock) {
  Arena arena;
  char* a = arena.Allocate(10);
  char* b = arena.Allocate(20);
  EXPECT_EQ(b, a + 10);  // bump allocation within one block
  const size_t usage = arena.MemoryUsage();
  EXPECT_GE(usage, Arena::kMinBlockBytes);
  EXPECT_LT(usage, 2 * Arena::kMinBlockBytes);
}

TEST(Arena, BlockSizeFollowsTheMemtableCapacity) {
  EXPECT_EQ(ArenaBlockBytes(size_t{64} << 10), Arena::kMinBlockBytes);
  EXPECT_EQ(ArenaBlockBytes(size_t{64} << 20), size_t{256} << 10);
  EXPECT_EQ(ArenaBlockBytes(size_t{4} << 30), size_t{1} << 20);
  Arena arena(size_t{64} << 10);
  arena.Allocate(100);
  const size_t usage = arena.MemoryUsage();
  EXPECT_GE(usage, size_t{64} << 10);
  EXPECT_LT(usage, size_t{128} << 10);
  char* a = arena.Allocate(16 << 10);  // a quarter of the block: still carved from it
  char* b = arena.Allocate(8);
  EXPECT_EQ(b, a + (16 << 10));
  EXPECT_EQ(arena.MemoryUsage(), usage);
}

TEST(Arena, LargeAllocationGetsItsOwnBlockAndKeepsTheCurrentOne) {
  Arena arena;
  char* small = arena.Allocate(16);
  const size_t before = arena.MemoryUsage();
  char* large = arena.Allocate(100000);
  EXPECT_GE(arena.MemoryUsage(), before + 100000);
  EXPECT_LT(arena.MemoryUsage(), before + 100000 + 64);
  std::memset(large, 0x5a, 100000);
  // The small block still serves the next small request.
  EXPECT_EQ(arena.Allocate(8), small + 16);
}

TEST(Arena, AlignedAllocationsAreAligned) {
  Arena arena;
  for (size_t bytes : {1, 3, 7, 8, 13, 1000, 5000, 1, 2}) {
    arena.Allocate(1);  // misalign the bump pointer
    char* p = arena.AllocateAligned(bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % Arena::kAlignBytes, 0u) << bytes;
  }
}

TEST(Arena, RandomAllocationsKeepTheirContents) {
  Random rnd(test::TestSeed());
  Arena arena;
  std::vector<std::pair<char*, size_t>> allocations;
  size_t total_bytes = 0;
  const uint64_t n = test::ScaledIterations(20000);
  for (uint64_t i = 0; i < n; ++i) {
    size_t bytes = rnd.OneIn(500) ? rnd.Uniform(12000) + 1 : rnd.Skewed(10) + 1;
    char* p = rnd.OneIn(2) ? arena.AllocateAligned(bytes) : arena.Allocate(bytes);
    std::memset(p, static_cast<int>(i % 256), bytes);
    allocations.emplace_back(p, bytes);
    total_bytes += bytes;
    ASSERT_GE(arena.MemoryUsage(), total_bytes);
  }
  // Bounded waste: at most a quarter block lost per block plus alignment padding.
  EXPECT_LE(arena.MemoryUsage(), total_bytes * 2 + Arena::kMinBlockBytes * 2 + n * 8);
  for (size_t i = 0; i < allocations.size(); ++i) {
    const auto [p, bytes] = allocations[i];
    for (size_t j = 0; j < bytes; ++j)
      ASSERT_EQ(static_cast<uint8_t>(p[j]), i % 256) << i;
  }
}

}  // namespace
}  // namespace ziggydb
