#include "util/histogram.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

// The nearest-rank percentile of sorted samples.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

void ExpectWithinBound(const Histogram& h, const std::vector<uint64_t>& sorted) {
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = ExactPercentile(sorted, p);
    const uint64_t estimate = h.Percentile(p);
    const double error = std::fabs(static_cast<double>(estimate) - static_cast<double>(exact));
    ASSERT_LE(error, static_cast<double>(exact) / 128.0)
        << "p" << p << " exact=" << exact << " estimate=" << estimate;
  }
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Min(), 0u);
  EXPECT_EQ(h.Max(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.Percentile(50), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 128; ++v)
    h.Add(v);
  EXPECT_EQ(h.Percentile(50), 63u);
  EXPECT_EQ(h.Percentile(100), 127u);
  EXPECT_EQ(h.Min(), 0u);
  EXPECT_DOUBLE_EQ(h.Mean(), 63.5);
}

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  for (size_t i = 0; i + 1 < Histogram::kNumBuckets; ++i) {
    ASSERT_EQ(Histogram::BucketHigh(i) + 1, Histogram::BucketLow(i + 1)) << i;
    const uint64_t width = Histogram::BucketHigh(i) - Histogram::BucketLow(i) + 1;
    if (i < Histogram::kSubBuckets) {
      ASSERT_EQ(width, 1u) << i;
    } else {
      ASSERT_LE(width * 128, Histogram::BucketLow(i)) << i;
    }
  }
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kNumBuckets - 1), UINT64_MAX);
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::kNumBuckets - 1);
}

RC_GTEST_PROP(Histogram, ValueFallsInItsBucket, (uint64_t value)) {
  const size_t index = Histogram::BucketIndex(value);
  RC_ASSERT(index < Histogram::kNumBuckets);
  RC_ASSERT(Histogram::BucketLow(index) <= value);
  RC_ASSERT(value <= Histogram::BucketHigh(index));
}

TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  Random rnd(test::TestSeed());
  const uint64_t rounds = test::ScaledIterations(20);
  for (uint64_t round = 0; round < rounds; ++round) {
    Histogram h;
    std::vector<uint64_t> samples;
    const uint64_t n = 1 + rnd.Uniform(20000);
    for (uint64_t i = 0; i < n; ++i) {
      // Latency-like: mostly small, a long tail over every magnitude.
      const uint64_t v = round % 2 == 0 ? rnd.Skewed(40) : 1000 + rnd.Uniform(1000000);
      samples.push_back(v);
      h.Add(v);
    }
    std::sort(samples.begin(), samples.end());
    EXPECT_EQ(h.Count(), n);
    EXPECT_EQ(h.Min(), samples.front());
    EXPECT_EQ(h.Max(), samples.back());
    ExpectWithinBound(h, samples);
  }
}

RC_GTEST_PROP(Histogram, MergeEqualsAddingEverything,
              (const std::vector<uint64_t>& a, const std::vector<uint64_t>& b)) {
  Histogram ha, hb, all;
  for (uint64_t v : a) {
    ha.Add(v);
    all.Add(v);
  }
  for (uint64_t v : b) {
    hb.Add(v);
    all.Add(v);
  }
  ha.Merge(hb);
  RC_ASSERT(ha.Count() == all.Count());
  RC_ASSERT(ha.Min() == all.Min());
  RC_ASSERT(ha.Max() == all.Max());
  RC_ASSERT(ha.Mean() == all.Mean());
  for (double p : {0.0, 50.0, 99.0, 100.0})
    RC_ASSERT(ha.Percentile(p) == all.Percentile(p));
  RC_ASSERT(ha.ToString() == all.ToString());
}

TEST(Histogram, SelfMergeDoubles) {
  Histogram h;
  h.Add(5);
  h.Add(1000);
  h.Merge(h);
  EXPECT_EQ(h.Count(), 4u);
  EXPECT_EQ(h.Percentile(50), 5u);
  h.Clear();
  EXPECT_EQ(h.Count(), 0u);
}

TEST(Histogram, ToStringNamesTheSummary) {
  Histogram h;
  h.Add(100);
  h.Add(300);
  const std::string s = h.ToString();
  EXPECT_NE(s.find("count=2"), std::string::npos) << s;
  EXPECT_NE(s.find("min=100"), std::string::npos) << s;
  EXPECT_NE(s.find("max=300"), std::string::npos) << s;
  EXPECT_NE(s.find("mean=200.00"), std::string::npos) << s;
}

}  // namespace
}  // namespace ziggydb
