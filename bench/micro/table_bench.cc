// Point lookups in one table over a mapped file (the DB's default read path): the bloom filter,
// the index search, and the in-block search of a raw data block viewed in place. Internal keys
// (16-byte user keys, 8-byte trailers stored as varints, table format 2) with 100-byte values,
// probed in a random order: a table small enough for the CPU caches (10k keys, ~1.3 MB) and one
// that is not (500k keys, ~65 MB).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/dbformat.h"
#include "db/internal_filter_policy.h"
#include "table/bloom.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

std::string UserKey(uint64_t i) {
  std::string key = "user0000";
  PutFixed64(&key, __builtin_bswap64(i * 7));  // ascending bytewise, gaps for absent keys
  return key;
}

// range(0): keys in the table; range(1): 1 = probe present keys, 0 = absent ones.
void BM_TableGet(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  const bool present = state.range(1) != 0;
  const InternalKeyComparator cmp(BytewiseComparator());
  auto bloom = NewBloomFilterPolicy(10);
  const InternalFilterPolicy filter(bloom.get());  // over user keys, as the DB's tables
  TableOptions options;
  options.comparator = &cmp;
  options.filter_policy = &filter;
  options.keys_end_in_fixed64 = true;
  std::map<std::string, std::string> entries;
  const std::string value(100, 'v');
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    AppendInternalKey(&key, UserKey(i), SequenceNumber{(uint64_t{1} << 24) + i}, ValueType::kValue);
    entries.emplace(std::move(key), value);
  }
  std::unique_ptr<TableReader> table;
  if (!test::OpenMappedTable(options, test::BuildTable(options, entries), &table).ok()) {
    state.SkipWithError("cannot build the table");
    return;
  }
  entries.clear();
  // Lookup keys as the DB's Get makes them: the newest version at or below the read's sequence.
  Random rnd(301);
  std::vector<std::string> lookups(1 << 16);
  for (std::string& lookup : lookups) {
    const uint64_t i = rnd.Uniform(n);
    AppendInternalKey(&lookup, present ? UserKey(i) : UserKey(i) + "x",
                      SequenceNumber{kMaxSequenceNumber}, kValueTypeForSeek);
  }
  size_t i = 0;
  uint64_t found = 0;
  const ReadOptions read_options;
  for (auto _ : state) {
    const Status s = table->Get(read_options, lookups[i],
                                [&](std::string_view, std::string_view v) { found += v.size(); });
    benchmark::DoNotOptimize(s);
    i = (i + 1) & (lookups.size() - 1);
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_TableGet)->ArgNames({"keys", "present"})->ArgsProduct({{10000, 500000}, {0, 1}});

}  // namespace
}  // namespace ziggydb
