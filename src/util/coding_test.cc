#include "util/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace ziggydb {
namespace {

TEST(Coding, FixedRoundTrip) {
  std::string s;
  PutFixed32(&s, 0xdeadbeef);
  PutFixed64(&s, 0x0123456789abcdefULL);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0xef);  // little-endian
  std::string_view in = s;
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0xdeadbeefu);
  EXPECT_EQ(b, 0x0123456789abcdefULL);
  EXPECT_TRUE(in.empty());
}

TEST(Coding, Varint32RejectsOverflowInFifthByte) {
  const char bytes[] = {'\xff', '\xff', '\xff', '\xff', '\x10'};  // 2^32 would need bit 32
  uint32_t v = 0;
  EXPECT_EQ(DecodeVarint32(bytes, bytes + sizeof(bytes), &v), nullptr);
  const char max[] = {'\xff', '\xff', '\xff', '\xff', '\x0f'};
  ASSERT_NE(DecodeVarint32(max, max + sizeof(max), &v), nullptr);
  EXPECT_EQ(v, std::numeric_limits<uint32_t>::max());
}

TEST(Coding, Varint64RejectsElevenBytes) {
  std::string s(10, '\x80');
  s.push_back('\x01');
  uint64_t v = 0;
  EXPECT_EQ(DecodeVarint64(s.data(), s.data() + s.size(), &v), nullptr);
}

}  // namespace
}  // namespace ziggydb
