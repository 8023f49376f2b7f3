#include "util/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb::crc32c {
namespace {

// Restores automatic selection state after a test that forces a path.
class ForcedImplementation {
 public:
  explicit ForcedImplementation(Implementation impl) : previous_(ActiveImplementation()) {
    ForceImplementationForTesting(impl);
  }
  ~ForcedImplementation() { ForceImplementationForTesting(previous_); }

 private:
  Implementation previous_;
};

std::string Ascending(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s.push_back(static_cast<char>(i));
  return s;
}

TEST(Crc32c, SoftwareIsAlwaysAvailable) {
  const std::vector<Implementation> impls = AvailableImplementations();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(impls.front(), Implementation::kSoftware);
  for (Implementation impl : impls)
    std::fprintf(stderr, "[ info ] crc32c path available: %s\n", ImplementationName(impl));
  std::fprintf(stderr, "[ info ] crc32c active: %s\n", ImplementationName(ActiveImplementation()));
}

#if defined(__x86_64__)
TEST(Crc32c, HardwarePathSelectedOnCapableX86) {
  if (std::getenv("ZIGGY_CRC32C") != nullptr) GTEST_SKIP() << "selection overridden by env";
  if (!IsAvailable(Implementation::kSse42)) GTEST_SKIP() << "no SSE4.2 here";
  EXPECT_NE(ActiveImplementation(), Implementation::kSoftware);
}
#endif

TEST(Crc32c, EnvironmentSelectsSoftware) {
  const char* requested = std::getenv("ZIGGY_CRC32C");
  if (requested == nullptr || std::string(requested) != "software") GTEST_SKIP() << "env not set";
  EXPECT_EQ(ActiveImplementation(), Implementation::kSoftware);
}

TEST(Crc32c, IscsiVectorsOnEveryPath) {
  const std::string zeros(32, '\0');
  const std::string ones(32, '\xff');
  const std::string ascending = Ascending(32);
  const std::string descending(ascending.rbegin(), ascending.rend());
  const std::string digits = "123456789";
  for (Implementation impl : AvailableImplementations()) {
    SCOPED_TRACE(ImplementationName(impl));
    ForcedImplementation forced(impl);
    EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(Value(ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(Value(ascending.data(), ascending.size()), 0x46DD794Eu);
    EXPECT_EQ(Value(descending.data(), descending.size()), 0x113FDB5Cu);
    EXPECT_EQ(Value(digits.data(), digits.size()), 0xE3069283u);
    EXPECT_EQ(Value(nullptr, 0), 0u);
  }
}

// Pins the long-buffer code (streams, folding) to a value computed bit by bit here.
TEST(Crc32c, LongBufferMatchesBitwiseReference) {
  Random rnd(test::TestSeed());
  const std::string data = rnd.Bytes(3 * 4096 * 3 + 777);
  uint32_t reg = 0xffffffffu;
  for (unsigned char byte : data) {
    reg ^= byte;
    for (int bit = 0; bit < 8; ++bit)
      reg = (reg & 1u) != 0 ? (reg >> 1) ^ 0x82f63b78u : reg >> 1;
  }
  for (Implementation impl : AvailableImplementations()) {
    EXPECT_EQ(ExtendWith(impl, 0, data.data(), data.size()), ~reg) << ImplementationName(impl);
  }
}

// Every length 0..4096 at every start alignment 0..15, each path against the software one.
TEST(Crc32c, AllPathsAgreeAtEveryLengthAndAlignment) {
  Random rnd(test::TestSeed());
  constexpr size_t kMaxLength = 4096;
  constexpr size_t kAlignments = 16;
  const std::string buffer = rnd.Bytes(kMaxLength + kAlignments);
  for (Implementation impl : AvailableImplementations()) {
    if (impl == Implementation::kSoftware) continue;
    for (size_t align = 0; align < kAlignments; ++align) {
      for (size_t n = 0; n <= kMaxLength; ++n) {
        const char* p = buffer.data() + align;
        const uint32_t seed_crc = static_cast<uint32_t>(n * 0x9e3779b9u);
        const uint32_t expected = ExtendWith(Implementation::kSoftware, seed_crc, p, n);
        ASSERT_EQ(ExtendWith(impl, seed_crc, p, n), expected)
            << ImplementationName(impl) << " n=" << n << " align=" << align;
      }
    }
  }
}

RC_GTEST_PROP(Crc32c, AllPathsAgreeOnRandomBuffers, ()) {
  const size_t n = *rc::gen::inRange<size_t>(0, (1u << 20) + 1);
  const size_t align = *rc::gen::inRange<size_t>(0, 64);
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const uint32_t crc = *rc::gen::arbitrary<uint32_t>();
  Random rnd(seed);
  const std::string buffer = rnd.Bytes(n + align);
  const char* p = buffer.data() + align;
  const uint32_t expected = ExtendWith(Implementation::kSoftware, crc, p, n);
  for (Implementation impl : AvailableImplementations())
    RC_ASSERT(ExtendWith(impl, crc, p, n) == expected);
}

RC_GTEST_PROP(Crc32c, ExtendComposes, (const std::string& a, const std::string& b)) {
  for (Implementation impl : AvailableImplementations()) {
    const uint32_t whole = ExtendWith(impl, 0, (a + b).data(), a.size() + b.size());
    const uint32_t first = ExtendWith(impl, 0, a.data(), a.size());
    RC_ASSERT(ExtendWith(impl, first, b.data(), b.size()) == whole);
  }
  RC_ASSERT(Extend(Value(a.data(), a.size()), b.data(), b.size()) ==
            Value((a + b).data(), a.size() + b.size()));
}

TEST(Crc32c, ExtendComposesAcrossLargeSplits) {
  Random rnd(test::TestSeed());
  const std::string data = rnd.Bytes(200000);
  const uint32_t whole = Value(data.data(), data.size());
  for (size_t split : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{12289}, size_t{65536},
                       size_t{199999}, data.size()}) {
    const uint32_t first = Value(data.data(), split);
    EXPECT_EQ(Extend(first, data.data() + split, data.size() - split), whole) << split;
  }
}

RC_GTEST_PROP(Crc32c, UnmaskInvertsMask, (uint32_t crc)) {
  RC_ASSERT(Unmask(Mask(crc)) == crc);
  RC_ASSERT(Mask(Unmask(crc)) == crc);
}

TEST(Crc32c, MaskChangesTypicalValues) {
  const std::string digits = "123456789";
  const uint32_t crc = Value(digits.data(), digits.size());
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_NE(Mask(Mask(crc)), Mask(crc));
  Random rnd(test::TestSeed());
  const uint64_t iterations = test::ScaledIterations(100000);
  for (uint64_t i = 0; i < iterations; ++i) {
    const uint32_t x = rnd.Next32();
    ASSERT_EQ(Unmask(Mask(x)), x);
    // Mask has fixed points (about one in 2^32 values): a spurious failure here has odds ~2^-26.
    if (i < 64) {
      EXPECT_NE(Mask(x), x) << x;
    }
  }
}

TEST(Crc32c, NamesAreDistinctAndSelectableByEnv) {
  EXPECT_STREQ(ImplementationName(Implementation::kSoftware), "software");
  EXPECT_STRNE(ImplementationName(Implementation::kSse42),
               ImplementationName(Implementation::kAvx512));
  EXPECT_STRNE(ImplementationName(Implementation::kAvx512),
               ImplementationName(Implementation::kArmCrc));
}

}  // namespace
}  // namespace ziggydb::crc32c
