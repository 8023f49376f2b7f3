// Random: a small, fast, deterministic PRNG (splitmix64 seeding xoshiro256**) for tests,
// benchmarks and skiplist heights. The same seed yields the same sequence on every platform.
// Not thread-safe; not for cryptography.
#ifndef ZIGGYDB_UTIL_RANDOM_H_
#define ZIGGYDB_UTIL_RANDOM_H_

#include <cstdint>
#include <string>

#include "util/hash.h"

namespace ziggydb {

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t x = seed;
    for (auto& word : state_)
      word = SplitMix64(&x);
  }

  uint64_t Next64() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  uint32_t Next32() { return static_cast<uint32_t>(Next64() >> 32); }
  // Uniform in [0, n). Precondition: n > 0.
  uint64_t Uniform(uint64_t n) { return FastRange(Next64(), n); }
  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  // Uniform in [0, 2^max_log): picks the exponent uniformly, then a value below it; skews toward
  // small numbers, which makes test sizes cover every order of magnitude.
  uint64_t Skewed(int max_log) { return Uniform(uint64_t{1} << Uniform(max_log + 1)); }
  // n random bytes.
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>(Next64() >> 56);
    return s;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_RANDOM_H_
