// Data block iteration, with keys stored whole (table format 1) and with their 8-byte trailer as a
// varint (format 2): a forward scan, a backward scan, and seeks, over one 4 KiB block of internal
// keys (16-byte user keys, 100-byte values) whose trailers carry 5-byte varints (sequences near
// 2^24, as after a few million writes) or 1-byte ones (sequence 0, a tree's last level).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "table/block.h"
#include "table/block_builder.h"
#include "util/coding.h"
#include "util/comparator.h"
#include "util/random.h"

namespace ziggydb {
namespace {

constexpr size_t kBlockBytes = 4096;

// range(0): 0 = whole keys, 1 = varint suffix.
BlockKeyEncoding EncodingOf(const benchmark::State& state) {
  return state.range(0) == 0 ? BlockKeyEncoding::kWhole : BlockKeyEncoding::kVarintSuffix;
}

struct BuiltBlock {
  std::shared_ptr<const Block> block;
  std::vector<std::string> keys;
};

// range(1): 1 = sequence 0, else large sequences.
BuiltBlock Build(const benchmark::State& state) {
  const BlockKeyEncoding encoding = EncodingOf(state);
  const bool sequence_zero = state.range(1) == 1;
  BlockBuilder builder(BytewiseComparator(), 16, encoding);
  BuiltBlock built;
  Random rnd(301);
  const std::string value(100, 'v');
  for (uint64_t i = 0; builder.CurrentSizeEstimate() < kBlockBytes; ++i) {
    std::string key = "user0000";
    PutFixed64(&key, __builtin_bswap64(1000 + i * 7));  // ascending bytewise
    const uint64_t sequence = sequence_zero ? 0 : (uint64_t{1} << 24) + rnd.Uniform(1 << 20);
    PutFixed64(&key, sequence << 8 | 1);
    builder.Add(key, value);
    built.keys.push_back(std::move(key));
  }
  if (!Block::Parse(std::string(builder.Finish()), &built.block).ok()) std::abort();
  return built;
}

void BM_BlockScanForward(benchmark::State& state) {
  const BuiltBlock built = Build(state);
  const BlockKeyEncoding encoding = EncodingOf(state);
  for (auto _ : state) {
    BlockIterator it(built.block, BytewiseComparator(), encoding);
    for (it.SeekToFirst(); it.Valid(); it.Next())
      benchmark::DoNotOptimize(it.key().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(built.keys.size()));
}

void BM_BlockScanBackward(benchmark::State& state) {
  const BuiltBlock built = Build(state);
  const BlockKeyEncoding encoding = EncodingOf(state);
  for (auto _ : state) {
    BlockIterator it(built.block, BytewiseComparator(), encoding);
    for (it.SeekToLast(); it.Valid(); it.Prev())
      benchmark::DoNotOptimize(it.key().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(built.keys.size()));
}

void BM_BlockSeek(benchmark::State& state) {
  const BuiltBlock built = Build(state);
  const BlockKeyEncoding encoding = EncodingOf(state);
  BlockIterator it(built.block, BytewiseComparator(), encoding);
  size_t i = 0;
  for (auto _ : state) {
    it.Seek(built.keys[i]);
    benchmark::DoNotOptimize(it.value().data());
    i = (i + 17) % built.keys.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// {encoding, sequence 0}: whole keys; varint suffix with 5-byte and 1-byte suffixes.
#define ZIGGY_BLOCK_ARGS ->Args({0, 0})->Args({1, 0})->Args({1, 1})
BENCHMARK(BM_BlockScanForward) ZIGGY_BLOCK_ARGS;
BENCHMARK(BM_BlockScanBackward) ZIGGY_BLOCK_ARGS;
BENCHMARK(BM_BlockSeek) ZIGGY_BLOCK_ARGS;
#undef ZIGGY_BLOCK_ARGS

}  // namespace
}  // namespace ziggydb
