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

// 0 .. num-1, shuffled with `seed` when `shuffle`.
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

}  // namespace

PhaseResult FillDataset(DB* db, const FillSpec& spec) {
  PhaseResult result;
  const ValueSource values(spec.seed, spec.value_bytes);
  const std::vector<uint64_t> order = KeyOrder(spec.num, spec.random_order, spec.seed);
  const uint32_t batch_size = std::max<uint32_t>(spec.batch, 1);
  WriteOptions options;
  options.sync = spec.sync;
  ProgressBar progress("load", spec.num, spec.progress);
  std::string key, value;
  WriteBatch batch;
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < spec.num && result.status.ok(); i += batch_size) {
    const uint64_t end = std::min<uint64_t>(spec.num, i + batch_size);
    const Clock::time_point op_start = Clock::now();
    if (batch_size == 1) {
      key = GeneratedKey(order[i]);
      values.ValueFor(order[i], &value);
      result.status = db->Put(options, key, value);
    } else {
      batch.Clear();
      for (uint64_t j = i; j < end; ++j) {
        values.ValueFor(order[j], &value);
        batch.Put(GeneratedKey(order[j]), value);
      }
      result.status = db->Write(options, batch);
    }
    result.latency_ns.Add(ElapsedNs(op_start));
    if (!result.status.ok()) break;
    result.ops += end - i;
    result.bytes += (end - i) * (kGeneratedKeyBytes + spec.value_bytes);
    progress.Advance(end - i);
  }
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
  for (uint64_t i = 0; i < spec.num; ++i) {
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
