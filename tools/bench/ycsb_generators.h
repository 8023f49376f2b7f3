// Request generators of the YCSB core workloads, re-expressed from their published definitions
// (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", SoCC 2010; the zipfian draw of
// Gray et al., "Quickly Generating Billion-Record Synthetic Databases", SIGMOD 1994).
//
// Every generator draws from a caller-owned ziggydb::Random, so a seed fixes the sequence.
// Thread safety: none; keep one generator per thread (ScrambledZipfianGenerator and
// UniformGenerator are immutable after construction and may be shared).
#ifndef ZIGGYDB_TOOLS_BENCH_YCSB_GENERATORS_H_
#define ZIGGYDB_TOOLS_BENCH_YCSB_GENERATORS_H_

#include <cstdint>
#include <string>

#include "util/random.h"

namespace ziggydb::bench {

// YCSB's zipfian constant: P(rank r) is proportional to 1 / (r + 1)^0.99.
inline constexpr double kZipfianConstant = 0.99;
// The rank space a scrambled zipfian draws from before hashing down to the item count (YCSB's
// choice: large enough that hot ranks land on unrelated items of any realistic key space).
inline constexpr uint64_t kScrambledRankItems = 10'000'000'000;

// FNV-1a 64 over the 8 little-endian bytes of `value` (offset basis 0xcbf29ce484222325, prime
// 0x100000001b3). YCSB additionally takes the absolute value of the signed result; we keep the
// unsigned hash, which spreads keys the same way.
uint64_t Fnv1a64(uint64_t value);

// A uniform double in [0, 1) from the top 53 bits of one draw.
double NextUnitDouble(Random* rnd);

// zeta(n, theta) = sum_{i=1..n} 1 / i^theta. Exact (summed) up to kZetaExactItems terms; beyond,
// the exact head plus the Euler-Maclaurin tail (integral, half end terms, first derivative
// correction), accurate to ~1e-12 relative. theta in (0, 1).
inline constexpr uint64_t kZetaExactItems = uint64_t{1} << 22;
double Zeta(uint64_t n, double theta);
// zeta(to, theta) given zeta(from, theta) = zeta_from, by summing the terms from+1..to.
double ZetaExtend(uint64_t from, uint64_t to, double theta, double zeta_from);

// Zipfian ranks in [0, items): rank 0 is the most popular. Draws by Gray et al.'s closed form
// (exact for ranks 0 and 1, a continuous approximation above). The item count may grow between
// draws (Next(rnd, items)); zeta is then extended by the new terms only, as YCSB does for
// "latest". A shrinking item count recomputes zeta from scratch.
class ZipfianGenerator {
 public:
  // Precondition: items >= 1, theta in (0, 1).
  explicit ZipfianGenerator(uint64_t items, double theta = kZipfianConstant);
  // With zeta(items, theta) already known.
  ZipfianGenerator(uint64_t items, double theta, double zeta_items);

  uint64_t Next(Random* rnd) const;
  // Draws over `items` items (>= 1), adjusting zeta when the count changed.
  uint64_t Next(Random* rnd, uint64_t items);

  uint64_t items() const { return items_; }
  double zeta() const { return zeta_n_; }
  // The theoretical probability of `rank` under the zipfian law (not Gray's approximation).
  double Probability(uint64_t rank) const;

 private:
  void SetItems(uint64_t items);

  double theta_;
  double alpha_;           // 1 / (1 - theta)
  double zeta2_;           // zeta(2, theta)
  double half_pow_theta_;  // 1 + 0.5^theta: the u*zeta(n) bound of rank 1
  uint64_t items_ = 0;
  double zeta_n_ = 0;
  double eta_ = 0;  // (1 - (2/n)^(1-theta)) / (1 - zeta2/zeta_n)
};

// Zipfian popularity spread over the item space: draws a zipfian rank over kScrambledRankItems
// and returns Fnv1a64(rank) % items, so the popular items are scattered rather than the lowest
// indices. Immutable after construction.
class ScrambledZipfianGenerator {
 public:
  // Precondition: items >= 1.
  explicit ScrambledZipfianGenerator(uint64_t items, double theta = kZipfianConstant);
  uint64_t Next(Random* rnd) const;
  uint64_t items() const { return items_; }

 private:
  uint64_t items_;
  ZipfianGenerator ranks_;  // over kScrambledRankItems
};

// "latest": zipfian over recency, the most recently inserted item the most popular. Next(rnd, n)
// returns an index in [0, n) where n is the number of items inserted so far (growing).
class LatestGenerator {
 public:
  explicit LatestGenerator(uint64_t items, double theta = kZipfianConstant) : zipf_(items, theta) {}
  uint64_t Next(Random* rnd, uint64_t items) { return items - 1 - zipf_.Next(rnd, items); }

 private:
  ZipfianGenerator zipf_;
};

// The record key of insert index `index`: "user" + the decimal of Fnv1a64(index) when `hashed`
// (YCSB's default insertorder=hashed, which scatters inserts over the key space), else of index.
std::string YcsbKey(uint64_t index, bool hashed);
void YcsbKey(uint64_t index, bool hashed, std::string* out);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_YCSB_GENERATORS_H_
