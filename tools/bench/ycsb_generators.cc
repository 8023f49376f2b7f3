#include "tools/bench/ycsb_generators.h"

#include <cmath>

#include "util/assert.h"

namespace ziggydb::bench {

uint64_t Fnv1a64(uint64_t value) {
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t hash = kOffsetBasis;
  for (int i = 0; i < 8; ++i) {
    hash ^= value & 0xff;
    hash *= kPrime;
    value >>= 8;
  }
  return hash;
}

double NextUnitDouble(Random* rnd) {
  return static_cast<double>(rnd->Next64() >> 11) * 0x1.0p-53;
}

double ZetaExtend(uint64_t from, uint64_t to, double theta, double zeta_from) {
  ZIGGY_ASSERT(from <= to);
  double sum = zeta_from;
  for (uint64_t i = from + 1; i <= to; ++i)
    sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}

double Zeta(uint64_t n, double theta) {
  ZIGGY_ASSERT(theta > 0 && theta < 1);
  if (n <= kZetaExactItems) return ZetaExtend(0, n, theta, 0.0);
  // sum_{i=m+1..n} f(i) = integral_m^n f + (f(n) - f(m)) / 2 + (f'(n) - f'(m)) / 12 - ...,
  // with f(x) = x^-theta; the next term is O(m^(-theta-3)), far below double precision here.
  const uint64_t m = kZetaExactItems;
  const double head = ZetaExtend(0, m, theta, 0.0);
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  auto f = [theta](double x) { return std::pow(x, -theta); };
  auto df = [theta](double x) { return -theta * std::pow(x, -theta - 1); };
  const double integral = (std::pow(dn, 1 - theta) - std::pow(dm, 1 - theta)) / (1 - theta);
  return head + integral + (f(dn) - f(dm)) / 2 + (df(dn) - df(dm)) / 12;
}

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta)
    : ZipfianGenerator(items, theta, Zeta(items, theta)) {}

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta, double zeta_items)
    : theta_(theta),
      alpha_(1.0 / (1.0 - theta)),
      zeta2_(Zeta(2, theta)),
      half_pow_theta_(1.0 + std::pow(0.5, theta)) {
  ZIGGY_ASSERT(items >= 1);
  ZIGGY_ASSERT(theta > 0 && theta < 1);
  items_ = items;
  zeta_n_ = zeta_items;
  eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2_ / zeta_n_);
}

void ZipfianGenerator::SetItems(uint64_t items) {
  ZIGGY_ASSERT(items >= 1);
  zeta_n_ = items > items_ ? ZetaExtend(items_, items, theta_, zeta_n_) : Zeta(items, theta_);
  items_ = items;
  eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2_ / zeta_n_);
}

uint64_t ZipfianGenerator::Next(Random* rnd) const {
  const double u = NextUnitDouble(rnd);
  const double uz = u * zeta_n_;
  if (uz < 1.0) return 0;
  if (uz < half_pow_theta_) return items_ >= 2 ? 1 : 0;
  const double rank = static_cast<double>(items_) * std::pow(eta_ * u - eta_ + 1, alpha_);
  // The closed form can reach items_ at u -> 1 through rounding; clamp into range.
  const uint64_t r = static_cast<uint64_t>(rank);
  return r < items_ ? r : items_ - 1;
}

uint64_t ZipfianGenerator::Next(Random* rnd, uint64_t items) {
  if (items != items_) SetItems(items);
  return Next(rnd);
}

double ZipfianGenerator::Probability(uint64_t rank) const {
  ZIGGY_ASSERT(rank < items_);
  return 1.0 / std::pow(static_cast<double>(rank + 1), theta_) / zeta_n_;
}

ScrambledZipfianGenerator::ScrambledZipfianGenerator(uint64_t items, double theta)
    : items_(items), ranks_(kScrambledRankItems, theta) {
  ZIGGY_ASSERT(items >= 1);
}

uint64_t ScrambledZipfianGenerator::Next(Random* rnd) const {
  return Fnv1a64(ranks_.Next(rnd)) % items_;
}

void YcsbKey(uint64_t index, bool hashed, std::string* out) {
  out->assign("user");
  out->append(std::to_string(hashed ? Fnv1a64(index) : index));
}

std::string YcsbKey(uint64_t index, bool hashed) {
  std::string key;
  YcsbKey(index, hashed, &key);
  return key;
}

}  // namespace ziggydb::bench
