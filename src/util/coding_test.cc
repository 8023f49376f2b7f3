#include "util/coding.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <memory>
#include <variant>
#include <vector>

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

// 0, 2^(7k)-1 and 2^(7k) for every k that fits, and the maximum: where varint lengths change.
template <typename T>
std::vector<T> VarintEdges() {
  std::vector<T> edges = {0, std::numeric_limits<T>::max()};
  for (int bits = 7; bits < std::numeric_limits<T>::digits; bits += 7) {
    edges.push_back((T{1} << bits) - 1);
    edges.push_back(T{1} << bits);
  }
  return edges;
}

// Arbitrary values, with the length-changing edges drawn often.
template <typename T>
rc::Gen<T> VarintValues() {
  return rc::gen::oneOf(rc::gen::arbitrary<T>(), rc::gen::elementOf(VarintEdges<T>()));
}

TEST(Coding, VarintEdgesRoundTripWithExpectedLength) {
  for (uint64_t v : VarintEdges<uint64_t>()) {
    std::string s;
    PutVarint64(&s, v);
    EXPECT_EQ(static_cast<int>(s.size()), VarintLength(v)) << v;
    std::string_view in = s;
    uint64_t decoded = 0;
    ASSERT_TRUE(GetVarint64(&in, &decoded)) << v;
    EXPECT_EQ(decoded, v);
  }
  EXPECT_EQ(VarintLength(127), 1);
  EXPECT_EQ(VarintLength(128), 2);
  EXPECT_EQ(VarintLength(std::numeric_limits<uint32_t>::max()), kMaxVarint32Bytes);
  EXPECT_EQ(VarintLength(std::numeric_limits<uint64_t>::max()), kMaxVarint64Bytes);
}

RC_GTEST_PROP(CodingProp, Varint32RoundTrips, ()) {
  const uint32_t v = *VarintValues<uint32_t>();
  std::string s;
  PutVarint32(&s, v);
  RC_ASSERT(static_cast<int>(s.size()) == VarintLength(v));
  char buf[kMaxVarint32Bytes];
  RC_ASSERT(EncodeVarint32(buf, v) - buf == VarintLength(v));
  RC_ASSERT(std::string(buf, static_cast<size_t>(VarintLength(v))) == s);
  std::string_view in = s;
  uint32_t decoded = 0;
  RC_ASSERT(GetVarint32(&in, &decoded));
  RC_ASSERT(decoded == v);
  RC_ASSERT(in.empty());
}

RC_GTEST_PROP(CodingProp, Varint64RoundTrips, ()) {
  const uint64_t v = *VarintValues<uint64_t>();
  std::string s;
  PutVarint64(&s, v);
  RC_ASSERT(static_cast<int>(s.size()) == VarintLength(v));
  uint64_t decoded = 0;
  RC_ASSERT(DecodeVarint64(s.data(), s.data() + s.size(), &decoded) == s.data() + s.size());
  RC_ASSERT(decoded == v);
}

RC_GTEST_PROP(CodingProp, FixedRoundTrips, ()) {
  const uint32_t a = *VarintValues<uint32_t>();
  const uint64_t b = *VarintValues<uint64_t>();
  std::string s;
  PutFixed32(&s, a);
  PutFixed64(&s, b);
  RC_ASSERT(s.size() == 12u);
  RC_ASSERT(DecodeFixed32(s.data()) == a);
  RC_ASSERT(DecodeFixed64(s.data() + 4) == b);
  std::string_view in = s;
  uint32_t da = 0;
  uint64_t db = 0;
  RC_ASSERT(GetFixed32(&in, &da) && GetFixed64(&in, &db) && in.empty());
  RC_ASSERT(da == a && db == b);
}

// One encoded field of any kind, for sequence properties.
struct Fixed32Field {
  uint32_t v;
};
struct Fixed64Field {
  uint64_t v;
};
struct Varint32Field {
  uint32_t v;
};
struct Varint64Field {
  uint64_t v;
};
using Field = std::variant<Fixed32Field, Fixed64Field, Varint32Field, Varint64Field, std::string>;

rc::Gen<Field> Fields() {
  return rc::gen::oneOf(
      rc::gen::map(VarintValues<uint32_t>(), [](uint32_t v) { return Field(Fixed32Field{v}); }),
      rc::gen::map(VarintValues<uint64_t>(), [](uint64_t v) { return Field(Fixed64Field{v}); }),
      rc::gen::map(VarintValues<uint32_t>(), [](uint32_t v) { return Field(Varint32Field{v}); }),
      rc::gen::map(VarintValues<uint64_t>(), [](uint64_t v) { return Field(Varint64Field{v}); }),
      rc::gen::map(rc::gen::arbitrary<std::string>(), [](std::string v) { return Field(v); }));
}

void Encode(const Field& field, std::string* dst) {
  if (const auto* f = std::get_if<Fixed32Field>(&field)) PutFixed32(dst, f->v);
  if (const auto* f = std::get_if<Fixed64Field>(&field)) PutFixed64(dst, f->v);
  if (const auto* f = std::get_if<Varint32Field>(&field)) PutVarint32(dst, f->v);
  if (const auto* f = std::get_if<Varint64Field>(&field)) PutVarint64(dst, f->v);
  if (const auto* f = std::get_if<std::string>(&field)) PutLengthPrefixed(dst, *f);
}

// Decodes one field of field's kind; true iff it decoded to field's value.
bool DecodesTo(const Field& field, std::string_view* in) {
  if (const auto* f = std::get_if<Fixed32Field>(&field)) {
    uint32_t v = 0;
    return GetFixed32(in, &v) && v == f->v;
  }
  if (const auto* f = std::get_if<Fixed64Field>(&field)) {
    uint64_t v = 0;
    return GetFixed64(in, &v) && v == f->v;
  }
  if (const auto* f = std::get_if<Varint32Field>(&field)) {
    uint32_t v = 0;
    return GetVarint32(in, &v) && v == f->v;
  }
  if (const auto* f = std::get_if<Varint64Field>(&field)) {
    uint64_t v = 0;
    return GetVarint64(in, &v) && v == f->v;
  }
  std::string_view v;
  return GetLengthPrefixed(in, &v) && v == std::get<std::string>(field);
}

RC_GTEST_PROP(CodingProp, ConcatenationsDecodeInOrder, ()) {
  const auto fields = *rc::gen::container<std::vector<Field>>(Fields());
  std::string s;
  for (const Field& field : fields)
    Encode(field, &s);
  std::string_view in = s;
  for (const Field& field : fields)
    RC_ASSERT(DecodesTo(field, &in));
  RC_ASSERT(in.empty());
}

RC_GTEST_PROP(CodingProp, EveryStrictPrefixFailsAndLeavesInputUnchanged, ()) {
  const Field field = *Fields();
  std::string s;
  Encode(field, &s);
  for (size_t len = 0; len < s.size(); ++len) {
    // A heap copy of exactly len bytes, so a read past the prefix is an ASan error.
    auto prefix = std::make_unique<char[]>(len);
    std::memcpy(prefix.get(), s.data(), len);
    const std::string_view original(prefix.get(), len);
    std::string_view in = original;
    RC_ASSERT(!DecodesTo(field, &in));
    RC_ASSERT(in.data() == original.data() && in.size() == original.size());
  }
}

// Runs every decoder over garbage held in a heap buffer of exactly its size. Whatever they
// return, they must stay inside it (ASan checks) and consume only what they report.
RC_GTEST_PROP(CodingProp, GarbageNeverOverReads, (const std::string& garbage)) {
  const size_t n = garbage.size();
  auto buffer = std::make_unique<char[]>(n);
  std::memcpy(buffer.get(), garbage.data(), n);
  const char* begin = buffer.get();
  const char* end = begin + n;
  for (size_t start = 0; start <= n; ++start) {
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    const char* p32 = DecodeVarint32(begin + start, end, &v32);
    RC_ASSERT(p32 == nullptr || (p32 > begin + start && p32 <= end));
    const char* p64 = DecodeVarint64(begin + start, end, &v64);
    RC_ASSERT(p64 == nullptr || (p64 > begin + start && p64 <= end));
    if (p64 != nullptr) RC_ASSERT(p64 - (begin + start) <= kMaxVarint64Bytes);
    std::string_view in(begin + start, n - start);
    std::string_view bytes;
    if (GetLengthPrefixed(&in, &bytes)) {
      RC_ASSERT(bytes.data() >= begin && bytes.data() + bytes.size() <= end);
      RC_ASSERT(bytes.data() + bytes.size() == in.data());
    }
    RC_ASSERT(in.data() + in.size() == end);
  }
  // A consuming decode loop over the whole buffer ends without leaving it.
  std::string_view in(begin, n);
  for (int kind = 0; !in.empty(); kind = (kind + 1) % 4) {
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    std::string_view bytes;
    const bool ok = kind == 0   ? GetVarint32(&in, &v32)
                    : kind == 1 ? GetVarint64(&in, &v64)
                    : kind == 2 ? GetLengthPrefixed(&in, &bytes)
                                : GetFixed32(&in, &v32);
    if (!ok) break;
    RC_ASSERT(in.data() + in.size() == end);
  }
}

RC_GTEST_PROP(CodingProp, LengthPrefixedRoundTrips, (const std::string& a, const std::string& b)) {
  std::string s;
  PutLengthPrefixed(&s, a);
  PutLengthPrefixed(&s, b);
  RC_ASSERT(s.size() == a.size() + b.size() + static_cast<size_t>(VarintLength(a.size())) +
                            static_cast<size_t>(VarintLength(b.size())));
  std::string_view in = s;
  std::string_view da, db;
  RC_ASSERT(GetLengthPrefixed(&in, &da) && GetLengthPrefixed(&in, &db) && in.empty());
  RC_ASSERT(da == a && db == b);
  RC_ASSERT(da.data() >= s.data() && db.data() + db.size() == s.data() + s.size());
}

TEST(Coding, LengthPrefixLongerThanInputFails) {
  std::string s;
  PutVarint32(&s, 10);
  s += "short";
  std::string_view in = s;
  std::string_view out;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(in.size(), s.size());
}

}  // namespace
}  // namespace ziggydb
