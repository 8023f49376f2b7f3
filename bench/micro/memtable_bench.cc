// MemTable throughput: Add of random keys (one writer), Get hits and misses, seeks to present and
// absent keys with 10 nexts, and a full scan, for
// memtables of 2^10 .. 2^18 entries with 16-byte user keys and 100-byte values, each memtable
// built with a capacity as the DB builds them.
// Needs ziggy_memtable linked into ziggy_micro_bench.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/dbformat.h"
#include "memtable/memtable.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

constexpr size_t kValueBytes = 100;

// 16-byte keys: a fixed64 random number, printed-width style so that keys share prefixes.
std::vector<std::string> RandomKeys(size_t n, uint64_t seed) {
  Random rnd(seed);
  std::vector<std::string> keys(n);
  for (auto& key : keys) {
    key.assign("user0000");
    PutFixed64(&key, rnd.Next64());
  }
  return keys;
}

// Built as the DB builds one, with a capacity (so with its key filter and index), sized for the
// keys: ~140 bytes each with its node, rounded up.
std::unique_ptr<MemTable> Fill(const InternalKeyComparator& cmp,
                               const std::vector<std::string>& keys) {
  auto memtable = std::make_unique<MemTable>(cmp, keys.size() * 160);
  const std::string value(kValueBytes, 'v');
  uint64_t sequence = 1;
  for (const auto& key : keys)
    memtable->Add(SequenceNumber{sequence++}, ValueType::kValue, key, value);
  return memtable;
}

void BM_MemTableAdd(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const std::vector<std::string> keys = RandomKeys(n, 301);
  const InternalKeyComparator cmp(BytewiseComparator());
  for (auto _ : state) {
    auto memtable = Fill(cmp, keys);
    benchmark::DoNotOptimize(memtable->NumEntries());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

void BM_MemTableGet(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const bool hits = state.range(1) != 0;
  const std::vector<std::string> keys = RandomKeys(n, 301);
  const std::vector<std::string> probes = hits ? keys : RandomKeys(n, 302);
  const InternalKeyComparator cmp(BytewiseComparator());
  const auto memtable = Fill(cmp, keys);
  std::string value;
  Status status;
  size_t i = 0;
  uint64_t found = 0;
  for (auto _ : state) {
    const LookupKey lookup(probes[i], SequenceNumber{kMaxSequenceNumber});
    found += memtable->Get(lookup, &value, &status) ? 1 : 0;
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// A seek and 10 nexts, as seekrandom's: to a key the memtable holds (through the key index) or
// to one it does not (the list search).
void BM_MemTableSeek(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const bool present = state.range(1) != 0;
  const std::vector<std::string> keys = RandomKeys(n, 301);
  const std::vector<std::string> targets = present ? keys : RandomKeys(n, 302);
  const InternalKeyComparator cmp(BytewiseComparator());
  const auto memtable = Fill(cmp, keys);
  auto it = memtable->NewIterator();
  std::string target;
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    target.clear();
    AppendInternalKey(&target, targets[i], SequenceNumber{kMaxSequenceNumber}, kValueTypeForSeek);
    it->Seek(target);
    for (int step = 0; step < 10 && it->Valid(); ++step, it->Next())
      bytes += it->value().size();
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_MemTableScan(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const InternalKeyComparator cmp(BytewiseComparator());
  const auto memtable = Fill(cmp, RandomKeys(n, 301));
  for (auto _ : state) {
    auto it = memtable->NewIterator();
    size_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next())
      bytes += it->key().size() + it->value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

BENCHMARK(BM_MemTableAdd)
    ->RangeMultiplier(16)
    ->Range(1 << 10, 1 << 18)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemTableGet)->ArgsProduct({{1 << 10, 1 << 14, 1 << 18}, {0, 1}});
BENCHMARK(BM_MemTableSeek)->ArgsProduct({{1 << 14, 1 << 18}, {0, 1}});
BENCHMARK(BM_MemTableScan)
    ->RangeMultiplier(16)
    ->Range(1 << 10, 1 << 18)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ziggydb
