// Generated datasets (tools/dataset.h): the constant-memory key order of `load`.
#include "tools/dataset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ziggydb::tools {
namespace {

TEST(KeyPermutation, IsABijectionOfTheRange) {
  for (const uint64_t num : {1, 2, 3, 4, 5, 17, 1000, 4096, 4097, 65537}) {
    for (const uint64_t seed : {0, 1, 42}) {
      const KeyPermutation order(num, /*shuffle=*/true, seed);
      std::vector<bool> seen(num, false);
      uint64_t fixed_points = 0;
      for (uint64_t i = 0; i < num; ++i) {
        const uint64_t k = order(i);
        ASSERT_LT(k, num) << "num " << num << " seed " << seed << " i " << i;
        ASSERT_FALSE(seen[k]) << "num " << num << " seed " << seed << ": " << k << " twice";
        seen[k] = true;
        fixed_points += k == i;
      }
      if (num >= 1000) {
        EXPECT_LT(fixed_points, num / 100) << "hardly shuffled: num " << num;
      }
    }
  }
}

TEST(KeyPermutation, SeededAndUnshuffled) {
  const KeyPermutation a(100000, true, 7), b(100000, true, 7), c(100000, true, 8);
  uint64_t same_as_other_seed = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a(i), b(i));
    same_as_other_seed += a(i) == c(i);
  }
  EXPECT_LT(same_as_other_seed, 10u);
  const KeyPermutation identity(1'000'000'000'000, /*shuffle=*/false, 7);
  EXPECT_EQ(identity(999'999'999'999), 999'999'999'999u);
  const KeyPermutation huge(1'000'000'000'000, /*shuffle=*/true, 7);
  EXPECT_LT(huge(999'999'999'999), 1'000'000'000'000u);
}

}  // namespace
}  // namespace ziggydb::tools
