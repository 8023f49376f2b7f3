// CRC-32C throughput (bytes/s) per implementation and buffer size, against a plain one-stream
// crc32-instruction loop and, when installed, ISA-L's crc32_iscsi.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "util/crc32c.h"
#include "util/random.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif
#if defined(ZIGGY_HAVE_ISAL)
#include <isa-l/crc.h>
#endif

namespace ziggydb::crc32c {
namespace {

std::vector<char> RandomBuffer(size_t n) {
  Random rnd(301);
  std::vector<char> buffer(n);
  for (char& c : buffer)
    c = static_cast<char>(rnd.Next32());
  return buffer;
}

template <typename Fn>
void RunCrc(benchmark::State& state, Fn crc_fn) {
  const auto n = static_cast<size_t>(state.range(0));
  const std::vector<char> buffer = RandomBuffer(n);
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = crc_fn(crc, buffer.data(), n);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32c(benchmark::State& state, Implementation impl) {
  if (!IsAvailable(impl)) {
    state.SkipWithError("implementation not available on this CPU");
    return;
  }
  RunCrc(state, [impl](uint32_t crc, const char* data, size_t n) {
    return ExtendWith(impl, crc, data, n);
  });
}

// What callers get: Extend through the one-time selection (the fastest available path).
void BM_Crc32cSelected(benchmark::State& state) {
  state.SetLabel(ImplementationName(ActiveImplementation()));
  RunCrc(state, [](uint32_t crc, const char* data, size_t n) { return Extend(crc, data, n); });
}

#if defined(__x86_64__)
// The baseline the hardware paths are measured against: one dependent chain of crc32 on 8 bytes.
__attribute__((target("sse4.2"))) uint32_t SingleStream(uint32_t crc, const char* data, size_t n) {
  uint64_t reg = ~crc;
  for (; n >= 8; n -= 8, data += 8) {
    uint64_t word;
    std::memcpy(&word, data, sizeof(word));
    reg = _mm_crc32_u64(reg, word);
  }
  for (; n > 0; --n, ++data)
    reg = _mm_crc32_u8(static_cast<uint32_t>(reg), static_cast<unsigned char>(*data));
  return ~static_cast<uint32_t>(reg);
}

void BM_Crc32cSingleStreamU64(benchmark::State& state) {
  if (!IsAvailable(Implementation::kSse42)) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  RunCrc(state, SingleStream);
}
#endif

#if defined(ZIGGY_HAVE_ISAL)
// ISA-L keeps the register un-inverted at both ends: crc32_iscsi(d, n, r) returns the raw
// register after d from raw register r. Our Extend(c, d, n) == ~crc32_iscsi(d, n, ~c).
void BM_IsalCrc32Iscsi(benchmark::State& state) {
  RunCrc(state, [](uint32_t crc, const char* data, size_t n) {
    return ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data)),
                        static_cast<int>(n), ~crc);
  });
}
#endif

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);
}

BENCHMARK_CAPTURE(BM_Crc32c, software, Implementation::kSoftware)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Crc32c, sse42, Implementation::kSse42)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Crc32c, avx512, Implementation::kAvx512)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Crc32c, armv8, Implementation::kArmCrc)->Apply(Sizes);
BENCHMARK(BM_Crc32cSelected)->Apply(Sizes);
#if defined(__x86_64__)
BENCHMARK(BM_Crc32cSingleStreamU64)->Apply(Sizes);
#endif
#if defined(ZIGGY_HAVE_ISAL)
BENCHMARK(BM_IsalCrc32Iscsi)->Apply(Sizes);
#endif

}  // namespace
}  // namespace ziggydb::crc32c
