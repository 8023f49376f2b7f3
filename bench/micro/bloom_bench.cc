// Bloom filter micro benchmarks: build cost per key and probe cost for present and absent keys,
// over filters from L1-resident (1K keys) to well past L2 (1M keys at 16 bits/key = 2 MiB).
// Part of ziggy_micro_bench (main from benchmark::benchmark_main):
//   ziggy_micro_bench --benchmark_filter=Bloom
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "table/bloom.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// n distinct 16-byte keys: a tag byte, seven filler bytes, then fixed64(i).
std::vector<std::string> MakeKeys(char tag, size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string key(8, tag);
    PutFixed64(&key, i * 0x9e3779b97f4a7c15ULL);
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string_view> Views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

// Args: {num_keys, bits_per_key}.
void BM_BloomCreateFilter(benchmark::State& state) {
  const auto keys = MakeKeys('k', state.range(0));
  const auto views = Views(keys);
  auto policy = NewBloomFilterPolicy(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    std::string filter;
    policy->CreateFilter(views, &filter);
    benchmark::DoNotOptimize(filter.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Args: {num_keys, bits_per_key, probe_present (0/1)}. Reports ns per KeyMayMatch.
void BM_BloomProbe(benchmark::State& state) {
  const size_t n = state.range(0);
  const auto keys = MakeKeys('k', n);
  auto policy = NewBloomFilterPolicy(static_cast<int>(state.range(1)));
  std::string filter;
  policy->CreateFilter(Views(keys), &filter);
  const auto probes = state.range(2) != 0 ? keys : MakeKeys('a', n);
  size_t i = 0;
  size_t matches = 0;
  for (auto _ : state) {
    matches += policy->KeyMayMatch(probes[i], filter) ? 1 : 0;
    i = i + 1 == n ? 0 : i + 1;
  }
  benchmark::DoNotOptimize(matches);
  state.counters["match_rate"] =
      benchmark::Counter(static_cast<double>(matches) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_BloomCreateFilter)->Args({1000, 10})->Args({100000, 10})->Args({1000000, 10});
BENCHMARK(BM_BloomProbe)
    ->ArgNames({"keys", "bits", "present"})
    ->ArgsProduct({{1000, 100000, 1000000}, {10}, {0, 1}})
    ->Args({1000000, 5, 0})
    ->Args({1000000, 16, 0});

}  // namespace
}  // namespace ziggydb
