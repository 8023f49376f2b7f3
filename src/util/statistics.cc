// CreateStatistics: sharded relaxed-atomic tickers and histograms (ziggydb/statistics.h).
//
// Layout: kMaxShards cache-line aligned shards, each holding every ticker and every histogram.
// A thread takes a shard index once (round robin over all threads ever seen) and always records
// there, so threads on different shards never write the same cache line; threads sharing a shard
// still count exactly (fetch_add). Readers sum all shards.
//
// Histogram buckets are log-linear like util/histogram.h, but coarser (16 sub-buckets per power
// of two instead of 128) so that a shard of every histogram stays a few KiB, and shifted so that
// every bucket's inclusive upper bound is a "round" number: values 0..16 have exact buckets;
// above, bucket (k, j) holds (2^k + j * 2^(k-4), 2^k + (j+1) * 2^(k-4)], so every power of two
// is a bucket's high bound (what Prometheus `le` bounds need to be exact).
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include "util/assert.h"
#include "ziggydb/statistics.h"

namespace ziggydb {
namespace {

constexpr int kSubBucketBits = 4;
constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 16
// Values above 2^kMaxValueBits share the last bucket (its high bound is then reported as max).
constexpr int kMaxValueBits = 40;  // 2^40 us = 12.7 days
constexpr size_t kNumBuckets = kSubBuckets + 1 + (kMaxValueBits - kSubBucketBits) * kSubBuckets;
static_assert(kNumBuckets == 593);
// Shards: enough for the threads of a busy process to rarely share one; bounded so that a
// Statistics stays under ~1 MiB.
constexpr size_t kMaxShards = 16;

size_t BucketIndex(uint64_t value) {
  if (value <= kSubBuckets) return static_cast<size_t>(value);
  const uint64_t w = std::min(value, uint64_t{1} << kMaxValueBits) - 1;  // >= 16
  const int log2 = 63 - std::countl_zero(w);                             // >= 4
  const int shift = log2 - kSubBucketBits;
  const uint64_t sub = (w >> shift) - kSubBuckets;  // [0, 16)
  return static_cast<size_t>(kSubBuckets + 1 + static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

// Inclusive bounds of bucket `index`.
uint64_t BucketHigh(size_t index) {
  if (index <= kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets - 1) / kSubBuckets;
  const uint64_t sub = (index - kSubBuckets - 1) % kSubBuckets;
  return (kSubBuckets + sub + 1) << shift;
}
uint64_t BucketLow(size_t index) {
  if (index <= kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets - 1) / kSubBuckets;
  const uint64_t sub = (index - kSubBuckets - 1) % kSubBuckets;
  return ((kSubBuckets + sub) << shift) + 1;
}

// The sample count is the sum of the buckets (one atomic add fewer per sample).
struct AtomicHistogram {
  std::atomic<uint64_t> sum{0};
  std::atomic<uint64_t> min{UINT64_MAX};
  std::atomic<uint64_t> max{0};
  std::array<std::atomic<uint64_t>, kNumBuckets> buckets{};

  void Record(uint64_t value) {
    buckets[BucketIndex(value)].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(value, std::memory_order_relaxed);
    // Usually one relaxed load each: the extremes rarely move.
    uint64_t seen = max.load(std::memory_order_relaxed);
    while (value > seen && !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
    seen = min.load(std::memory_order_relaxed);
    while (value < seen && !min.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
  }

  void Clear() {
    for (auto& bucket : buckets)
      bucket.store(0, std::memory_order_relaxed);
    sum.store(0, std::memory_order_relaxed);
    min.store(UINT64_MAX, std::memory_order_relaxed);
    max.store(0, std::memory_order_relaxed);
  }
};

struct alignas(64) Shard {
  std::array<std::atomic<uint64_t>, kNumTickers> tickers{};
  std::array<AtomicHistogram, kNumHistogramTypes> histograms;
};

// The calling thread's shard index, drawn once per thread.
size_t ThreadShardIndex() {
  static std::atomic<size_t> next{0};
  // Relaxed: the index only spreads threads over shards; it orders nothing.
  thread_local const size_t index = next.fetch_add(1, std::memory_order_relaxed);
  return index;
}

class ShardedStatistics final : public Statistics {
 public:
  ShardedStatistics()
      : num_shards_(std::clamp<size_t>(
            std::bit_ceil(std::max(1u, std::thread::hardware_concurrency())), 2, kMaxShards)),
        shards_(std::make_unique<Shard[]>(num_shards_)) {
    ZIGGY_ASSERT(std::has_single_bit(num_shards_));
  }

  void RecordTick(Ticker ticker, uint64_t count) override {
    ZIGGY_DASSERT(ticker < Ticker::kNumTickers);
    MyShard().tickers[static_cast<size_t>(ticker)].fetch_add(count, std::memory_order_relaxed);
  }

  void RecordHistogram(HistogramType type, uint64_t value) override {
    ZIGGY_DASSERT(type < HistogramType::kNumHistogramTypes);
    MyShard().histograms[static_cast<size_t>(type)].Record(value);
  }

  uint64_t GetTickerCount(Ticker ticker) const override {
    ZIGGY_ASSERT(ticker < Ticker::kNumTickers);
    uint64_t total = 0;
    for (size_t i = 0; i < num_shards_; ++i)
      total += shards_[i].tickers[static_cast<size_t>(ticker)].load(std::memory_order_relaxed);
    return total;
  }

  HistogramSnapshot GetHistogram(HistogramType type) const override;

  void Reset() override {
    for (size_t i = 0; i < num_shards_; ++i) {
      for (auto& ticker : shards_[i].tickers)
        ticker.store(0, std::memory_order_relaxed);
      for (auto& histogram : shards_[i].histograms)
        histogram.Clear();
    }
  }

 private:
  Shard& MyShard() { return shards_[ThreadShardIndex() & (num_shards_ - 1)]; }

  const size_t num_shards_;  // a power of two
  const std::unique_ptr<Shard[]> shards_;
};

HistogramSnapshot ShardedStatistics::GetHistogram(HistogramType type) const {
  ZIGGY_ASSERT(type < HistogramType::kNumHistogramTypes);
  HistogramSnapshot out;
  std::array<uint64_t, kNumBuckets> counts{};
  uint64_t min = UINT64_MAX;
  for (size_t i = 0; i < num_shards_; ++i) {
    const AtomicHistogram& h = shards_[i].histograms[static_cast<size_t>(type)];
    for (size_t b = 0; b < kNumBuckets; ++b)
      counts[b] += h.buckets[b].load(std::memory_order_relaxed);
    out.sum += h.sum.load(std::memory_order_relaxed);
    min = std::min(min, h.min.load(std::memory_order_relaxed));
    out.max = std::max(out.max, h.max.load(std::memory_order_relaxed));
  }
  for (size_t b = 0; b < kNumBuckets; ++b) {
    if (counts[b] == 0) continue;
    out.count += counts[b];
    out.buckets.push_back(HistogramBucket{BucketLow(b), BucketHigh(b), counts[b]});
  }
  if (out.count == 0) return HistogramSnapshot();
  out.min = min == UINT64_MAX ? out.buckets.front().low : min;
  out.max = std::max(out.max, out.min);
  // Values past 2^kMaxValueBits sit in the last bucket: widen it to reach them.
  out.buckets.back().high = std::max(out.buckets.back().high, out.max);
  return out;
}

}  // namespace

double HistogramSnapshot::Mean() const {
  return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count);
}

double HistogramSnapshot::Percentile(double p) const {
  if (count == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count))));
  uint64_t below = 0;
  for (const HistogramBucket& bucket : buckets) {
    if (below + bucket.count >= rank) {
      const double fraction =
          static_cast<double>(rank - below - 1) / static_cast<double>(bucket.count);
      const double value = static_cast<double>(bucket.low) +
                           fraction * static_cast<double>(bucket.high - bucket.low);
      return std::clamp(value, static_cast<double>(min), static_cast<double>(max));
    }
    below += bucket.count;
  }
  return static_cast<double>(max);
}

uint64_t HistogramSnapshot::CountAtOrBelow(uint64_t bound) const {
  uint64_t total = 0;
  for (const HistogramBucket& bucket : buckets) {
    if (bucket.high > bound) break;
    total += bucket.count;
  }
  return total;
}

std::string Statistics::ToString() const {
  std::string out;
  char line[256];
  for (size_t i = 0; i < kNumTickers; ++i) {
    const auto ticker = static_cast<Ticker>(i);
    std::snprintf(line, sizeof(line), "%.*s: %" PRIu64 "\n",
                  static_cast<int>(TickerName(ticker).size()), TickerName(ticker).data(),
                  GetTickerCount(ticker));
    out += line;
  }
  for (size_t i = 0; i < kNumHistogramTypes; ++i) {
    const auto type = static_cast<HistogramType>(i);
    const HistogramSnapshot h = GetHistogram(type);
    if (h.count == 0) continue;
    std::snprintf(line, sizeof(line),
                  "%.*s: count=%" PRIu64 " sum=%" PRIu64 " min=%" PRIu64
                  " mean=%.1f p50=%.1f p95=%.1f p99=%.1f p99.9=%.1f max=%" PRIu64 "\n",
                  static_cast<int>(HistogramName(type).size()), HistogramName(type).data(), h.count,
                  h.sum, h.min, h.Mean(), h.Percentile(50), h.Percentile(95), h.Percentile(99),
                  h.Percentile(99.9), h.max);
    out += line;
  }
  return out;
}

std::shared_ptr<Statistics> CreateStatistics() {
  return std::make_shared<ShardedStatistics>();
}

}  // namespace ziggydb
