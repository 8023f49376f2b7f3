#include "table/bloom.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"

namespace ziggydb {
namespace {

// n distinct 9-byte keys: a one-byte tag (so keys built with different tags never collide), then a
// fixed64 of base + i.
class KeySet {
 public:
  KeySet(char tag, uint64_t base, size_t n) : bytes_(n * kKeyBytes, '\0') {
    for (size_t i = 0; i < n; ++i) {
      bytes_[i * kKeyBytes] = tag;
      EncodeFixed64(&bytes_[i * kKeyBytes + 1], base + i);
    }
    for (size_t i = 0; i < n; ++i)
      views_.emplace_back(bytes_.data() + i * kKeyBytes, kKeyBytes);
  }
  const std::vector<std::string_view>& views() const { return views_; }

 private:
  static constexpr size_t kKeyBytes = 9;
  std::string bytes_;
  std::vector<std::string_view> views_;
};

// Probes a filter held in an allocation of exactly its size, so ASan flags any read past it.
bool MayMatchExact(const FilterPolicy& policy, std::string_view key, std::string_view filter) {
  auto copy = std::make_unique<char[]>(filter.size());
  std::copy(filter.begin(), filter.end(), copy.get());
  return policy.KeyMayMatch(key, std::string_view(copy.get(), filter.size()));
}

TEST(Bloom, ProbesAreRoundedBitsTimesLn2) {
  EXPECT_EQ(BloomProbesForBitsPerKey(5), 3);
  EXPECT_EQ(BloomProbesForBitsPerKey(10), 7);
  EXPECT_EQ(BloomProbesForBitsPerKey(16), 11);
  EXPECT_EQ(BloomProbesForBitsPerKey(1), 1);
  EXPECT_EQ(BloomProbesForBitsPerKey(0), 1);
  EXPECT_EQ(BloomProbesForBitsPerKey(-7), 1);
  EXPECT_EQ(BloomProbesForBitsPerKey(1000), BloomProbesForBitsPerKey(kBloomBitsPerKeyMax));
  EXPECT_LE(BloomProbesForBitsPerKey(kBloomBitsPerKeyMax), kBloomProbesMax);
}

TEST(Bloom, FilterSizeIsBitsPerKeyTimesKeysPlusTrailer) {
  auto policy = NewBloomFilterPolicy(10);
  KeySet keys('k', 0, 1000);
  std::string filter;
  policy->CreateFilter(keys.views(), &filter);
  EXPECT_EQ(filter.size(), 1000 * 10 / 8 + 2);
  EXPECT_EQ(static_cast<uint8_t>(filter[filter.size() - 2]), 7);  // probes
  EXPECT_EQ(static_cast<uint8_t>(filter.back()), kBloomFormatVersion);

  std::string tiny;
  policy->CreateFilter({}, &tiny);
  EXPECT_EQ(tiny.size(), kBloomFilterBitsMin / 8 + 2);
}

TEST(Bloom, CreateFilterAppendsAfterExistingBytes) {
  auto policy = NewBloomFilterPolicy(10);
  KeySet keys('k', 0, 50);
  std::string alone;
  policy->CreateFilter(keys.views(), &alone);
  std::string appended = "prefix";
  policy->CreateFilter(keys.views(), &appended);
  EXPECT_EQ(appended, "prefix" + alone);
}

TEST(Bloom, EmptyFilterMatchesNothingItWasNotBuiltFrom) {
  auto policy = NewBloomFilterPolicy(10);
  std::string filter;
  policy->CreateFilter({}, &filter);
  EXPECT_FALSE(policy->KeyMayMatch("a", filter));
  EXPECT_FALSE(policy->KeyMayMatch("", filter));
}

TEST(Bloom, NoFalseNegatives) {
  const uint64_t seed = test::TestSeed();
  Random rnd(seed);
  for (int bits_per_key : {1, 5, 10, 16, 40}) {
    auto policy = NewBloomFilterPolicy(bits_per_key);
    for (size_t n : {0, 1, 2, 3, 10, 100, 1000, 10000}) {
      std::vector<std::string> owned;
      owned.emplace_back();  // the empty key is a key too
      for (size_t i = 1; i < n; ++i)
        owned.push_back(rnd.Bytes(rnd.Skewed(6)));
      std::vector<std::string_view> keys(owned.begin(), owned.begin() + n);
      std::string filter;
      policy->CreateFilter(keys, &filter);
      for (std::string_view key : keys) {
        ASSERT_TRUE(MayMatchExact(*policy, key, filter))
            << "bits_per_key=" << bits_per_key << " n=" << n << " seed=" << seed;
      }
    }
  }
}

// The textbook rate of a standard Bloom filter: (1 - e^{-kn/m})^k.
double TheoreticalFpRate(double num_keys, double num_bits, int num_probes) {
  return std::pow(1.0 - std::exp(-num_probes * num_keys / num_bits), num_probes);
}

// Statistical, not timing: the measured rate over enough absent keys to expect >= ~4000 false
// positives has a relative standard error <= ~1.6%, so the 10% bound sits over 6 sigma out.
TEST(Bloom, FalsePositiveRateWithinTenPercentOfTheory) {
  const uint64_t seed = test::TestSeed();
  constexpr size_t kNumKeys = 1'000'000;
  const KeySet present('p', seed, kNumKeys);
  for (int bits_per_key : {5, 10, 16}) {
    auto policy = NewBloomFilterPolicy(bits_per_key);
    std::string filter;
    policy->CreateFilter(present.views(), &filter);
    const int num_probes = BloomProbesForBitsPerKey(bits_per_key);
    const double theory = TheoreticalFpRate(kNumKeys, (filter.size() - 2) * 8.0, num_probes);
    // Absent keys in chunks of a million to bound memory; enough chunks to expect >= 4000 hits.
    constexpr size_t kChunk = 1'000'000;
    const size_t num_chunks = std::max<size_t>(1, std::ceil(4000 / theory / kChunk));
    const size_t num_absent = num_chunks * kChunk;
    size_t false_positives = 0;
    for (size_t done = 0; done < num_absent; done += kChunk) {
      const KeySet absent('a', seed + done, kChunk);
      for (std::string_view key : absent.views())
        false_positives += policy->KeyMayMatch(key, filter) ? 1 : 0;
    }
    const double measured = static_cast<double>(false_positives) / num_absent;
    std::printf("bits/key=%2d k=%2d absent=%zu measured=%.5f%% theory=%.5f%% ratio=%.4f\n",
                bits_per_key, num_probes, num_absent, measured * 100, theory * 100,
                measured / theory);
    EXPECT_NEAR(measured / theory, 1.0, 0.10) << "bits_per_key=" << bits_per_key;
  }
}

TEST(Bloom, UnparsableFiltersMatchEverything) {
  auto policy = NewBloomFilterPolicy(10);
  // An all-zero bit array with a valid trailer rejects keys: the cases below differ only in what
  // makes the filter unparsable.
  auto zero_filter = [](uint8_t probes, uint8_t version) {
    std::string f(16, '\0');
    f.push_back(static_cast<char>(probes));
    f.push_back(static_cast<char>(version));
    return f;
  };
  ASSERT_FALSE(MayMatchExact(*policy, "key", zero_filter(7, kBloomFormatVersion)));

  EXPECT_TRUE(MayMatchExact(*policy, "key", ""));
  EXPECT_TRUE(MayMatchExact(*policy, "key", std::string(1, '\0')));
  EXPECT_TRUE(MayMatchExact(*policy, "key", std::string{'\x07', '\x01'}));  // no bit bytes
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(7, 0)));
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(7, 2)));
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(7, 255)));
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(0, kBloomFormatVersion)));
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(kBloomProbesMax + 1, kBloomFormatVersion)));
  EXPECT_TRUE(MayMatchExact(*policy, "key", zero_filter(255, kBloomFormatVersion)));
}

TEST(Bloom, GarbageFiltersNeverCrash) {
  const uint64_t seed = test::TestSeed();
  Random rnd(seed);
  auto policy = NewBloomFilterPolicy(10);
  KeySet keys('k', 0, 100);
  std::string valid;
  policy->CreateFilter(keys.views(), &valid);

  const uint64_t iterations = test::ScaledIterations(20000);
  for (uint64_t i = 0; i < iterations; ++i) {
    std::string filter;
    switch (rnd.Uniform(3)) {
      case 0:  // random bytes, sometimes with a plausible trailer
        filter = rnd.Bytes(rnd.Skewed(9));
        if (filter.size() >= 2 && rnd.OneIn(2)) {
          filter[filter.size() - 1] = static_cast<char>(kBloomFormatVersion);
          filter[filter.size() - 2] = static_cast<char>(rnd.Uniform(kBloomProbesMax + 2));
        }
        break;
      case 1:  // a truncated valid filter
        filter = valid.substr(0, rnd.Uniform(valid.size() + 1));
        break;
      default:  // a valid filter with flipped bytes
        filter = valid;
        for (int flips = 1 + rnd.Uniform(3); flips > 0; --flips)
          filter[rnd.Uniform(filter.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
        break;
    }
    (void)MayMatchExact(*policy, keys.views()[rnd.Uniform(100)], filter);
    (void)MayMatchExact(*policy, rnd.Bytes(rnd.Uniform(20)), filter);
  }
}

TEST(Bloom, FilterDoesNotDependOnReaderBitsPerKey) {
  auto writer = NewBloomFilterPolicy(16);
  auto reader = NewBloomFilterPolicy(5);
  KeySet keys('k', 0, 1000);
  std::string filter;
  writer->CreateFilter(keys.views(), &filter);
  for (std::string_view key : keys.views())
    ASSERT_TRUE(reader->KeyMayMatch(key, filter));
}

// Golden bytes of docs/format/bloom_filter.md's worked example: a change here is a format change.
TEST(Bloom, MatchesDocumentedExample) {
  auto policy = NewBloomFilterPolicy(10);
  std::string filter;
  policy->CreateFilter({"hello", "world"}, &filter);
  std::string hex;
  for (unsigned char c : filter) {
    char buf[3];
    std::snprintf(buf, sizeof(buf), "%02x", c);
    hex += buf;
  }
  EXPECT_EQ(hex, "81904020640020230701");
  EXPECT_STREQ(policy->Name(), "ziggydb.BloomFilter");
}

}  // namespace
}  // namespace ziggydb
