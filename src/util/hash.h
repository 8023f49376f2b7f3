// Non-cryptographic 64-bit hashing for in-memory structures (bloom filters, cache shards,
// hash tables). Wraps xxHash's XXH3; the same bytes and seed hash alike on every platform and
// release of xxHash ≥ 0.8, so values may be persisted (e.g. in filter blocks).
// Thread-safe: a pure function.
#ifndef ZIGGYDB_UTIL_HASH_H_
#define ZIGGYDB_UTIL_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ziggydb {

// XXH3_64bits_withSeed(data, n, seed). data may be null when n == 0.
uint64_t Hash64(const char* data, size_t n, uint64_t seed);

inline uint64_t Hash64(std::string_view bytes, uint64_t seed) {
  return Hash64(bytes.data(), bytes.size(), seed);
}

// Maps x evenly onto [0, n) by its high bits, (x * n) >> 64 in 128-bit arithmetic: a range
// reduction for any n (not only powers of two) without a division. n == 0 gives 0.
inline uint64_t FastRange(uint64_t x, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_HASH_H_
