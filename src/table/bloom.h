// Standard Bloom filter policy (format: docs/format/bloom_filter.md, version 1).
//
// One flat bit array per filter, k probes per key spread over the whole array (not blocked into
// cache lines: a blocked layout trades a measurably higher false-positive rate for fewer cache
// misses, and we want the textbook rate (1 - e^{-kn/m})^k). Probe positions come from one 64-bit
// XXH3 hash per key, split into two 64-bit values combined by double hashing.
//
// Thread safety: the returned policy is immutable; share it freely.
#ifndef ZIGGYDB_TABLE_BLOOM_H_
#define ZIGGYDB_TABLE_BLOOM_H_

#include <cstdint>
#include <memory>

#include "table/filter_policy.h"

namespace ziggydb {

// Limits of the encoding. A filter naming more probes than kBloomProbesMax is treated as corrupt.
inline constexpr int kBloomBitsPerKeyMin = 1;
inline constexpr int kBloomBitsPerKeyMax = 40;
inline constexpr int kBloomProbesMax = 30;
// Smallest bit array a filter is given, so tiny key sets still get a usable filter.
inline constexpr uint64_t kBloomFilterBitsMin = 64;
// Version byte written in every filter's trailer. A reader answers "may match" for any other value.
inline constexpr uint8_t kBloomFormatVersion = 1;
static_assert(kBloomBitsPerKeyMax * 0.6931471805599453 + 0.5 < kBloomProbesMax + 1,
              "the largest bits_per_key must map to a probe count the encoding accepts");

// Probes per key used for bits_per_key: round(bits_per_key * ln 2), at least 1. bits_per_key is
// clamped to [kBloomBitsPerKeyMin, kBloomBitsPerKeyMax] first.
int BloomProbesForBitsPerKey(int bits_per_key);

// A policy spending about bits_per_key bits per key (clamped as above; 10 gives ~0.82% false
// positives). The filter records its own probe count, so a reader may use any bits_per_key.
std::unique_ptr<FilterPolicy> NewBloomFilterPolicy(int bits_per_key);

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_BLOOM_H_
