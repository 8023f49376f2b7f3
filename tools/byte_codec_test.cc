// The encodings of keys and values on the ziggy command line: every byte string round-trips
// through each, and malformed input is refused with its offset.
#include "tools/byte_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb::tools {
namespace {

constexpr ByteFormat kFormats[] = {ByteFormat::kRaw, ByteFormat::kEscaped, ByteFormat::kHex};

std::string Decoded(ByteFormat format, std::string_view text) {
  std::string bytes;
  Status s = DecodeBytes(format, text, &bytes);
  return s.ok() ? bytes : "ERROR: " + s.ToString();
}

TEST(ByteCodec, EncodesAsDocumented) {
  const std::string bytes("a\0\\\n\xff", 5);
  EXPECT_EQ(EncodeBytes(ByteFormat::kEscaped, bytes), "a\\x00\\x5c\\x0a\\xff");
  EXPECT_EQ(EncodeBytes(ByteFormat::kHex, bytes), "61005c0aff");
  EXPECT_EQ(EncodeBytes(ByteFormat::kRaw, bytes), bytes);
}

TEST(ByteCodec, DecodesEitherCaseAndDoubledBackslash) {
  EXPECT_EQ(Decoded(ByteFormat::kHex, "00FFaB"), std::string("\0\xff\xab", 3));
  EXPECT_EQ(Decoded(ByteFormat::kEscaped, "k\\x00\\XFF"),
            "ERROR: Invalid argument: a backslash "
            "must start \\xHH or \\\\ at offset 5");
  EXPECT_EQ(Decoded(ByteFormat::kEscaped, "k\\x00\\xFF\\\\"), std::string("k\0\xff\\", 4));
  EXPECT_EQ(Decoded(ByteFormat::kEscaped, ""), "");
  EXPECT_EQ(Decoded(ByteFormat::kHex, ""), "");
}

TEST(ByteCodec, RefusesMalformedInputWithItsOffset) {
  EXPECT_EQ(Decoded(ByteFormat::kHex, "abc"),
            "ERROR: Invalid argument: hex needs two digits per byte; the length is odd (3)");
  EXPECT_EQ(Decoded(ByteFormat::kHex, "a0g1"),
            "ERROR: Invalid argument: not a hex digit at offset 2");
  EXPECT_EQ(Decoded(ByteFormat::kHex, "a00g"),
            "ERROR: Invalid argument: not a hex digit at offset 3");
  for (const char* bad : {"\\", "ab\\x", "ab\\x4", "ab\\x4g", "ab\\n"}) {
    const std::string decoded = Decoded(ByteFormat::kEscaped, bad);
    EXPECT_NE(decoded.find("ERROR: Invalid argument: a backslash must start"), std::string::npos)
        << bad << " -> " << decoded;
  }
}

TEST(ByteCodec, EveryByteStringRoundTrips) {
  Random rnd(test::TestSeed());  // prints the seed
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = rnd.Bytes(rnd.Uniform(40));
    // Half the rounds draw from the bytes the escaped form gives meaning to.
    constexpr std::string_view kTricky("\\x0aF\0", 6);
    if (round % 2 == 1) {
      for (char& c : bytes)
        c = kTricky[rnd.Uniform(kTricky.size())];
    }
    for (ByteFormat format : kFormats) {
      const std::string encoded = EncodeBytes(format, bytes);
      if (format != ByteFormat::kRaw) {
        for (const char c : encoded)
          ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "not printable ASCII: " << encoded;
      }
      ASSERT_EQ(Decoded(format, encoded), bytes) << "format " << static_cast<int>(format);
    }
  }
}

}  // namespace
}  // namespace ziggydb::tools
