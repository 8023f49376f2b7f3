// Block compression: each codec round-trips, and damaged contents are Corruption before anything
// the damage names is allocated (a size claim the payload cannot hold).
#include "table/compression.h"

#include <gtest/gtest.h>

#include <string>

#include "table/format.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

constexpr CompressionType kCodecs[] = {CompressionType::kZstd, CompressionType::kLz4,
                                       CompressionType::kSnappy};

std::string SampleBlock() {
  std::string raw;
  for (int i = 0; i < 2000; ++i)
    raw += "key" + std::to_string(i % 97) + "value";
  return raw;
}

// `compressed` (CompressBlock's output) with its size field replaced by `claim`.
std::string WithSizeClaim(std::string_view compressed, uint32_t claim) {
  uint32_t size = 0;
  EXPECT_TRUE(GetVarint32(&compressed, &size));
  std::string damaged;
  PutVarint32(&damaged, claim);
  damaged.append(compressed);
  return damaged;
}

// The size field of CompressBlock's output.
uint32_t SizeClaim(std::string_view compressed) {
  uint32_t size = 0;
  EXPECT_TRUE(GetVarint32(&compressed, &size));
  return size;
}

TEST(Compression, EachCodecRoundTrips) {
  const std::string raw = SampleBlock();
  for (CompressionType type : kCodecs) {
    SCOPED_TRACE(static_cast<int>(type));
    std::string compressed;
    ASSERT_TRUE(CompressBlock(type, raw, &compressed));
    EXPECT_LT(compressed.size(), raw.size());
    std::string out;
    ASSERT_TRUE(UncompressBlock(type, compressed, &out).ok());
    EXPECT_EQ(out, raw);
  }
}

// A size field rewritten to claim far more than the payload holds (a damaged block read without
// checksum verification, or a crafted table) is refused without allocating it: the output
// string never grows to the claim.
TEST(Compression, AnInflatedSizeClaimIsCorruptionWithoutTheAllocation) {
  const std::string raw = SampleBlock();
  const uint32_t claim = static_cast<uint32_t>(kMaxBlockBytes);
  for (CompressionType type : kCodecs) {
    SCOPED_TRACE(static_cast<int>(type));
    std::string compressed;
    ASSERT_TRUE(CompressBlock(type, raw, &compressed));
    std::string out;
    const Status s = UncompressBlock(type, WithSizeClaim(compressed, claim), &out);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(out.empty());
    EXPECT_LT(out.capacity(), size_t{1} << 20);
  }
}

// A claim a little off the truth is Corruption too (from the codec's own check).
TEST(Compression, ASizeClaimOffByOneIsCorruption) {
  const std::string raw = SampleBlock();
  for (CompressionType type : kCodecs) {
    SCOPED_TRACE(static_cast<int>(type));
    std::string compressed;
    ASSERT_TRUE(CompressBlock(type, raw, &compressed));
    const uint32_t size = SizeClaim(compressed);
    for (uint32_t claim : {size - 1, size + 1}) {
      std::string out;
      EXPECT_TRUE(UncompressBlock(type, WithSizeClaim(compressed, claim), &out).IsCorruption())
          << claim;
    }
  }
}

}  // namespace
}  // namespace ziggydb
