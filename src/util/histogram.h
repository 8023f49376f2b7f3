// Histogram: a log-linear histogram of non-negative integer samples (latencies in ns or us,
// sizes in bytes), for benchmarks and statistics.
//
// Buckets: values below 128 each have their own bucket (exact). Above, every power-of-two range
// [2^k, 2^(k+1)) is split into 128 equal sub-buckets of width 2^(k-7), so a bucket is never wider
// than 1/128 (< 0.8%) of any value in it, and Percentile() is within that relative error of the
// exact nearest-rank percentile of the samples added.
//
// Not thread-safe: keep one per thread and Merge() them.
#ifndef ZIGGYDB_UTIL_HISTOGRAM_H_
#define ZIGGYDB_UTIL_HISTOGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ziggydb {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // per power of two
  // Exact buckets [0, 128), then 128 sub-buckets for each of 2^7 .. 2^63.
  static constexpr size_t kNumBuckets = kSubBuckets + (64 - kSubBucketBits) * kSubBuckets;

  Histogram();

  void Add(uint64_t value);
  // Adds other's samples to this one (other may be this).
  void Merge(const Histogram& other);
  void Clear();

  // Nearest-rank percentile: an estimate of the smallest sample with at least p% of samples at or
  // below it, within 1/128 relative error, clamped to [Min(), Max()]. p in [0, 100]; 0 when empty.
  uint64_t Percentile(double p) const;
  uint64_t Min() const { return count_ == 0 ? 0 : min_; }
  uint64_t Max() const { return max_; }
  double Mean() const;
  uint64_t Count() const { return count_; }

  // One line: count, min, mean, p50, p90, p99, p99.9, p99.99, max.
  std::string ToString() const;

  // Bucket layout, exposed for tests: index of value's bucket, and the bucket's inclusive bounds.
  static size_t BucketIndex(uint64_t value);
  static uint64_t BucketLow(size_t index);
  static uint64_t BucketHigh(size_t index);

 private:
  std::vector<uint64_t> counts_;  // kNumBuckets entries
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;  // cannot overflow: < 2^64 samples of < 2^64 each
};

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_HISTOGRAM_H_
