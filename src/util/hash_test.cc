#include "util/hash.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <string>
#include <unordered_set>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

// Published XXH3-64 value of the empty input with seed 0; pins the algorithm, since filters
// persist these hashes.
TEST(Hash, EmptyInputKnownValue) {
  EXPECT_EQ(Hash64(nullptr, 0, 0), 0x2D06800538D394C2ull);
  EXPECT_EQ(Hash64(std::string_view(), 0), 0x2D06800538D394C2ull);
}

RC_GTEST_PROP(Hash, DeterministicAndSeedSensitive, (const std::string& bytes, uint64_t seed)) {
  RC_ASSERT(Hash64(bytes, seed) == Hash64(bytes.data(), bytes.size(), seed));
  RC_ASSERT(Hash64(bytes, seed) != Hash64(bytes, seed ^ 1));
}

TEST(Hash, SingleBitFlipsChangeAboutHalfTheOutputBits) {
  Random rnd(test::TestSeed());
  const uint64_t iterations = test::ScaledIterations(2000);
  uint64_t flipped_bits = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    std::string bytes = rnd.Bytes(1 + rnd.Uniform(64));
    const uint64_t before = Hash64(bytes, 7);
    bytes[rnd.Uniform(bytes.size())] ^= static_cast<char>(1u << rnd.Uniform(8));
    flipped_bits += static_cast<uint64_t>(std::popcount(before ^ Hash64(bytes, 7)));
  }
  const double mean = static_cast<double>(flipped_bits) / static_cast<double>(iterations);
  EXPECT_GT(mean, 30.0);
  EXPECT_LT(mean, 34.0);
}

TEST(Hash, DistinctKeysRarelyCollide) {
  std::unordered_set<uint64_t> seen;
  constexpr int kKeys = 100000;
  for (int i = 0; i < kKeys; ++i)
    seen.insert(Hash64("key" + std::to_string(i), 0));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kKeys));  // collision odds ~ 2^-30
}

}  // namespace
}  // namespace ziggydb
