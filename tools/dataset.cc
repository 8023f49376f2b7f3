#include "tools/dataset.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include <fmt/core.h>

#include "tools/cli_util.h"
#include "util/random.h"

namespace ziggydb::tools {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ElapsedNs(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

// Writes each group with one Put (a group of one) or one WriteBatch, timing the DB call.
class DbSink final : public DatasetSink {
 public:
  DbSink(DB* db, const WriteOptions& options, PhaseResult* result, ProgressBar* progress)
      : db_(db), options_(options), result_(result), progress_(progress) {}

  Status Write(std::span<const std::string> keys, std::span<const std::string> values) override {
    const Clock::time_point start = Clock::now();
    Status s;
    if (keys.size() == 1) {
      s = db_->Put(options_, keys[0], values[0]);
    } else {
      batch_.Clear();
      for (size_t j = 0; j < keys.size(); ++j)
        batch_.Put(keys[j], values[j]);
      s = db_->Write(options_, batch_);
    }
    result_->latency_ns.Add(ElapsedNs(start));
    if (!s.ok()) return s;
    result_->ops += keys.size();
    uint64_t bytes = 0;
    for (size_t j = 0; j < keys.size(); ++j)
      bytes += keys[j].size() + values[j].size();
    result_->bytes += bytes;
    progress_->Advance(bytes);
    return s;
  }

 private:
  DB* const db_;
  const WriteOptions options_;
  PhaseResult* const result_;
  ProgressBar* const progress_;
  WriteBatch batch_;
};

}  // namespace

std::vector<uint64_t> KeyOrder(uint64_t num, bool shuffle, uint64_t seed) {
  std::vector<uint64_t> order(num);
  std::iota(order.begin(), order.end(), uint64_t{0});
  if (shuffle) {
    Random rnd(seed);
    for (uint64_t i = num; i > 1; --i)
      std::swap(order[i - 1], order[rnd.Uniform(i)]);
  }
  return order;
}

namespace {

// splitmix64's finaliser: a strong 64-bit mix, the Feistel round function.
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

KeyPermutation::KeyPermutation(uint64_t num, bool shuffle, uint64_t seed)
    : num_(num), shuffle_(shuffle) {
  unsigned bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < num)
    bits += 2;
  half_bits_ = bits / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  uint64_t state = seed;
  for (uint64_t& key : round_keys_) {
    state = Mix64(state);
    key = state;
  }
}

uint64_t KeyPermutation::Encrypt(uint64_t x) const {
  uint64_t left = x >> half_bits_, right = x & half_mask_;
  for (const uint64_t key : round_keys_) {
    const uint64_t next = left ^ (Mix64(right ^ key) & half_mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t KeyPermutation::operator()(uint64_t i) const {
  if (!shuffle_) return i;
  // Cycle-walking: the cycle through i (< num) comes back below num, so this ends.
  uint64_t x = Encrypt(i);
  while (x >= num_)
    x = Encrypt(x);
  return x;
}

Status WriteDataset(uint64_t begin, uint64_t end, uint32_t batch,
                    const std::function<uint64_t(uint64_t)>& key_of, const ValueSource& values,
                    DatasetSink* sink) {
  const uint64_t group_max = std::max<uint32_t>(batch, 1);
  std::vector<std::string> keys(group_max), vals(group_max);
  for (uint64_t i = begin; i < end && !InterruptRequested();) {
    const uint64_t n = std::min(group_max, end - i);
    for (uint64_t j = 0; j < n; ++j, ++i) {
      const uint64_t k = key_of(i);
      GeneratedKey(k, &keys[j]);
      values.ValueFor(k, &vals[j]);
    }
    Status s = sink->Write(std::span(keys.data(), n), std::span(vals.data(), n));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

PhaseResult FillDataset(DB* db, const FillSpec& spec) {
  PhaseResult result;
  const ValueSource values(spec.seed, spec.value_bytes);
  const KeyPermutation order(spec.num, spec.random_order, spec.seed);
  WriteOptions options;
  options.sync = spec.sync;
  ProgressBar progress("load", spec.num * (kGeneratedKeyBytes + spec.value_bytes), spec.progress,
                       ProgressUnit::kBytes);
  DbSink sink(db, options, &result, &progress);
  const Clock::time_point start = Clock::now();
  result.status = WriteDataset(0, spec.num, spec.batch, order, values, &sink);
  result.seconds = static_cast<double>(ElapsedNs(start)) / 1e9;
  return result;
}

PhaseResult ReadDataset(DB* db, const ReadSpec& spec) {
  PhaseResult result;
  const ValueSource values(spec.seed, spec.value_bytes);
  // A different seed than the fill's, so reads do not retrace the write order.
  const std::vector<uint64_t> order = KeyOrder(spec.num, true, spec.seed ^ 0x5eed);
  ProgressBar progress(spec.missing ? "readmissing" : "read", spec.num, spec.progress);
  const ReadOptions options;
  std::string key, value, expected;
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < spec.num && !InterruptRequested(); ++i) {
    key = spec.missing ? MissingKey(order[i]) : GeneratedKey(order[i]);
    const Clock::time_point op_start = Clock::now();
    Status s = db->Get(options, key, &value);
    result.latency_ns.Add(ElapsedNs(op_start));
    if (s.ok()) {
      ++result.found;
      values.ValueFor(order[i], &expected);
      if (spec.missing || value != expected) ++result.wrong_values;
      result.bytes += key.size() + value.size();
    } else if (!s.IsNotFound()) {
      result.status = s;
      break;
    }
    ++result.ops;
    progress.Advance();
  }
  result.seconds = static_cast<double>(ElapsedNs(start)) / 1e9;
  return result;
}

void PrintPhase(std::string_view name, const PhaseResult& result) {
  const double seconds = std::max(result.seconds, 1e-9);
  fmt::print("  {:<12} {:>11} ops in {:6.2f} s: {:>10} ops/s {:7.1f} MB/s\n", name,
             WithCommas(result.ops), result.seconds,
             WithCommas(static_cast<uint64_t>(static_cast<double>(result.ops) / seconds)),
             static_cast<double>(result.bytes) / seconds / 1e6);
  fmt::print("  {:<12} latency {}\n", "", LatencySummary(result.latency_ns));
}

}  // namespace ziggydb::tools
