#include "util/histogram.h"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "util/assert.h"

namespace ziggydb {

static_assert(Histogram::kNumBuckets == 7424);

Histogram::Histogram() : counts_(kNumBuckets, 0) {}

size_t Histogram::BucketIndex(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int log2 = 63 - std::countl_zero(value);  // >= kSubBucketBits
  const int shift = log2 - kSubBucketBits;
  const uint64_t sub = (value >> shift) - kSubBuckets;  // [0, 128)
  return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

uint64_t Histogram::BucketLow(size_t index) {
  ZIGGY_ASSERT(index < kNumBuckets);
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::BucketHigh(size_t index) {
  ZIGGY_ASSERT(index < kNumBuckets);
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  return BucketLow(index) + ((uint64_t{1} << shift) - 1);  // the last bucket ends at 2^64-1
}

void Histogram::Add(uint64_t value) {
  ++counts_[BucketIndex(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::Merge(const Histogram& other) {
  // Self-merge reads each count before writing it, so doubling works too.
  for (size_t i = 0; i < kNumBuckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank, 1-based: the ceil(p% of count)-th smallest sample, at least the first.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t below = 0;  // samples in buckets before i
  for (size_t i = 0; i < kNumBuckets; ++i) {
    if (counts_[i] == 0) continue;
    if (below + counts_[i] >= rank) {
      // Interpolate by the rank's position among this bucket's samples; stays inside the bucket,
      // which also holds the exact answer, so the error is below the bucket's width.
      const double fraction =
          static_cast<double>(rank - below - 1) / static_cast<double>(counts_[i]);
      const uint64_t low = BucketLow(i);
      const auto offset =
          static_cast<uint64_t>(fraction * static_cast<double>(BucketHigh(i) - low));
      return std::clamp(low + offset, min_, max_);
    }
    below += counts_[i];
  }
  ZIGGY_ASSERT(false && "bucket counts sum to count_");
  return max_;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::string Histogram::ToString() const {
  char line[320];
  std::snprintf(line, sizeof(line),
                "count=%" PRIu64 " min=%" PRIu64 " mean=%.2f p50=%" PRIu64 " p90=%" PRIu64
                " p99=%" PRIu64 " p99.9=%" PRIu64 " p99.99=%" PRIu64 " max=%" PRIu64,
                count_, Min(), Mean(), Percentile(50), Percentile(90), Percentile(99),
                Percentile(99.9), Percentile(99.99), max_);
  return line;
}

}  // namespace ziggydb
