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

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_HASH_H_
