#include "base/dbformat.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <type_traits>

#include "testutil/reverse_comparator.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

std::string IKey(std::string_view user_key, uint64_t sequence, ValueType type) {
  std::string out;
  AppendInternalKey(&out, user_key, SequenceNumber{sequence}, type);
  return out;
}

// Small alphabets make equal user keys and shared prefixes common, including NUL and 0xff.
rc::Gen<std::string> GenUserKey() {
  return rc::gen::container<std::string>(rc::gen::element('a', 'b', '\0', '\xff', '\x7f'));
}
rc::Gen<uint64_t> GenSequence() {
  return rc::gen::oneOf(rc::gen::inRange<uint64_t>(0, 4),
                        rc::gen::inRange<uint64_t>(0, kMaxSequenceNumber + 1),
                        rc::gen::just(kMaxSequenceNumber));
}
rc::Gen<ValueType> GenType() {
  return rc::gen::element(ValueType::kDeletion, ValueType::kValue);
}
rc::Gen<std::string> GenInternalKey() {
  return rc::gen::apply([](const std::string& user, uint64_t sequence,
                           ValueType type) { return IKey(user, sequence, type); },
                        GenUserKey(), GenSequence(), GenType());
}

int Sign(int x) {
  return (x > 0) - (x < 0);
}

TEST(DbFormat, EncodingIsUserKeyThenLittleEndianTag) {
  const std::string ikey = IKey("k", 0x0102, ValueType::kValue);
  ASSERT_EQ(ikey.size(), 9u);
  EXPECT_EQ(ikey[0], 'k');
  EXPECT_EQ(ikey[1], '\x01');  // type in the low byte
  EXPECT_EQ(ikey[2], '\x02');
  EXPECT_EQ(ikey[3], '\x01');
  EXPECT_EQ(ExtractUserKey(ikey), "k");
  EXPECT_EQ(ExtractTag(ikey), (uint64_t{0x0102} << 8) | 1);
}

TEST(DbFormat, ParseRejectsShortKeysAndUnknownTypes) {
  ParsedInternalKey parsed;
  EXPECT_FALSE(ParseInternalKey("", &parsed));
  EXPECT_FALSE(ParseInternalKey(std::string(7, '\0'), &parsed));
  std::string bad = "user";
  PutFixed64(&bad, (uint64_t{5} << 8) | 2);  // type 2 is unknown
  EXPECT_FALSE(ParseInternalKey(bad, &parsed));
  std::string bad_high = "user";
  PutFixed64(&bad_high, (uint64_t{5} << 8) | 0xff);
  EXPECT_FALSE(ParseInternalKey(bad_high, &parsed));
  // An empty user key is valid.
  ASSERT_TRUE(ParseInternalKey(IKey("", 7, ValueType::kDeletion), &parsed));
  EXPECT_EQ(parsed.user_key, "");
  EXPECT_EQ(raw(parsed.sequence), 7u);
  EXPECT_EQ(parsed.type, ValueType::kDeletion);
}

// A key without its trailer (damaged table bytes, compared before anything parses them) orders
// as a user key with tag 0 instead of aborting.
TEST(DbFormat, ShortKeysFromDamagedBytesCompareWithoutAborting) {
  const InternalKeyComparator icmp(BytewiseComparator());
  const std::string short_key = "ab";
  EXPECT_EQ(ExtractUserKey(short_key), "ab");
  EXPECT_EQ(ExtractTag(short_key), 0u);
  EXPECT_LT(icmp.Compare(short_key, IKey("b", 1, ValueType::kValue)), 0);
  EXPECT_GT(icmp.Compare(short_key, IKey("ab", 1, ValueType::kValue)), 0);  // tag 0 sorts last
  EXPECT_EQ(icmp.Compare(short_key, short_key), 0);
}

TEST(DbFormat, ComparatorOrdersNewestFirstWithinAUserKey) {
  const InternalKeyComparator cmp(BytewiseComparator());
  EXPECT_STREQ(cmp.Name(), "ziggydb.InternalKeyComparator");
  EXPECT_LT(cmp.Compare(IKey("a", 9, ValueType::kValue), IKey("a", 3, ValueType::kValue)), 0);
  EXPECT_LT(cmp.Compare(IKey("a", 3, ValueType::kValue), IKey("a", 3, ValueType::kDeletion)), 0);
  EXPECT_LT(cmp.Compare(IKey("a", 1, ValueType::kValue), IKey("b", 99, ValueType::kValue)), 0);
  EXPECT_LT(cmp.Compare(IKey("a", 1, ValueType::kValue),
                        IKey(std::string_view("a\0", 2), 99, ValueType::kValue)),
            0);
  EXPECT_EQ(cmp.Compare(IKey("a", 1, ValueType::kValue), IKey("a", 1, ValueType::kValue)), 0);
}

// Over bytewise user keys the internal order is a bytewise order of the key without its 8-byte
// tag (the table's index search aid relies on it); over any other user order it is not.
TEST(DbFormat, ComparatorIsABytewisePrefixOrderOnlyOverBytewiseUserKeys) {
  EXPECT_EQ(BytewiseComparator()->BytewisePrefixTrailerBytes(), std::optional<size_t>(0));
  EXPECT_EQ(InternalKeyComparator(BytewiseComparator()).BytewisePrefixTrailerBytes(),
            std::optional<size_t>(8));
  const test::ReverseComparator reverse;
  EXPECT_FALSE(InternalKeyComparator(&reverse).BytewisePrefixTrailerBytes().has_value());
}

TEST(DbFormat, SeparatorShortensUserKeyWithMaxTag) {
  const InternalKeyComparator cmp(BytewiseComparator());
  std::string start = IKey("abcdef", 5, ValueType::kValue);
  cmp.FindShortestSeparator(&start, IKey("abzz", 9, ValueType::kValue));
  EXPECT_EQ(start, IKey("abd", kMaxSequenceNumber, kValueTypeForSeek));
  // Same user key: unchanged.
  start = IKey("abc", 5, ValueType::kValue);
  cmp.FindShortestSeparator(&start, IKey("abc", 2, ValueType::kValue));
  EXPECT_EQ(start, IKey("abc", 5, ValueType::kValue));
  // Prefix: unchanged.
  start = IKey("abc", 5, ValueType::kValue);
  cmp.FindShortestSeparator(&start, IKey("abcd", 2, ValueType::kValue));
  EXPECT_EQ(start, IKey("abc", 5, ValueType::kValue));

  std::string key = IKey("abc", 5, ValueType::kValue);
  cmp.FindShortSuccessor(&key);
  EXPECT_EQ(key, IKey("b", kMaxSequenceNumber, kValueTypeForSeek));
  key = IKey("\xff\xff", 5, ValueType::kValue);
  cmp.FindShortSuccessor(&key);
  EXPECT_EQ(key, IKey("\xff\xff", 5, ValueType::kValue));
}

TEST(DbFormat, LookupKeyViewsShareOneBuffer) {
  for (const size_t user_bytes : {size_t{0}, size_t{3}, size_t{191}, size_t{192}, size_t{5000}}) {
    const std::string user(user_bytes, '\xab');
    const LookupKey lookup(user, SequenceNumber{42});
    EXPECT_EQ(lookup.user_key(), user);
    EXPECT_EQ(lookup.internal_key(), IKey(user, 42, kValueTypeForSeek));
    std::string_view memtable_key = lookup.memtable_key();
    std::string_view prefixed;
    ASSERT_TRUE(GetLengthPrefixed(&memtable_key, &prefixed));
    EXPECT_TRUE(memtable_key.empty());
    EXPECT_EQ(prefixed, lookup.internal_key());
    EXPECT_EQ(prefixed.data(), lookup.internal_key().data());
  }
}

RC_GTEST_PROP(DbFormatProp, ParseInvertsAppend, ()) {
  const std::string user_key = *GenUserKey();
  const ParsedInternalKey key{user_key, SequenceNumber{*GenSequence()}, *GenType()};
  const std::string prefix = *rc::gen::arbitrary<std::string>();
  std::string encoded = prefix;
  AppendInternalKey(&encoded, key);
  ParsedInternalKey parsed;
  RC_ASSERT(ParseInternalKey(std::string_view(encoded).substr(prefix.size()), &parsed));
  RC_ASSERT(parsed == key);
}

RC_GTEST_PROP(DbFormatProp, ParseNeverAcceptsGarbageTypes, ()) {
  const std::string bytes = *rc::gen::arbitrary<std::string>();
  ParsedInternalKey parsed;
  if (ParseInternalKey(bytes, &parsed)) {
    RC_ASSERT(bytes.size() >= kInternalKeyTrailerBytes);
    RC_ASSERT(IsValidValueType(static_cast<uint8_t>(bytes[bytes.size() - 8])));
    std::string again;
    AppendInternalKey(&again, parsed);
    RC_ASSERT(again == bytes);
  }
}

RC_GTEST_PROP(DbFormatProp, ComparatorIsATotalOrder, ()) {
  const InternalKeyComparator cmp(BytewiseComparator());
  const std::string a = *GenInternalKey();
  const std::string b = *GenInternalKey();
  const std::string c = *GenInternalKey();
  RC_ASSERT(cmp.Compare(a, a) == 0);
  RC_ASSERT(Sign(cmp.Compare(a, b)) == -Sign(cmp.Compare(b, a)));  // antisymmetry
  RC_ASSERT((cmp.Compare(a, b) == 0) == (a == b));                 // equality is byte equality
  if (cmp.Compare(a, b) <= 0 && cmp.Compare(b, c) <= 0) RC_ASSERT(cmp.Compare(a, c) <= 0);
  if (cmp.Compare(a, b) < 0 && cmp.Compare(b, c) <= 0) RC_ASSERT(cmp.Compare(a, c) < 0);
}

RC_GTEST_PROP(DbFormatProp, UserKeyDecidesThenSequenceDescends, ()) {
  const InternalKeyComparator cmp(BytewiseComparator());
  const std::string ua = *GenUserKey();
  const std::string ub = *GenUserKey();
  const uint64_t sa = *GenSequence();
  const uint64_t sb = *GenSequence();
  const ValueType ta = *GenType();
  const ValueType tb = *GenType();
  const int r = cmp.Compare(IKey(ua, sa, ta), IKey(ub, sb, tb));
  if (ua != ub) {
    RC_ASSERT(Sign(r) == Sign(ua.compare(ub)));
  } else if (sa != sb) {
    RC_ASSERT(Sign(r) == (sa > sb ? -1 : 1));
  } else {
    RC_ASSERT(Sign(r) == (ta == tb ? 0 : (ta > tb ? -1 : 1)));
  }
}

RC_GTEST_PROP(DbFormatProp, SeparatorLiesInHalfOpenRange, ()) {
  const InternalKeyComparator cmp(BytewiseComparator());
  // Wider alphabet than GenUserKey so the bytewise separator actually shortens often.
  const auto gen_user = rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z'));
  std::string a = IKey(*gen_user, *GenSequence(), *GenType());
  std::string b = IKey(*gen_user, *GenSequence(), *GenType());
  if (cmp.Compare(a, b) > 0) a.swap(b);
  RC_PRE(cmp.Compare(a, b) < 0);
  std::string separator = a;
  cmp.FindShortestSeparator(&separator, b);
  RC_ASSERT(cmp.Compare(a, separator) <= 0);
  RC_ASSERT(cmp.Compare(separator, b) < 0);
  RC_ASSERT(separator.size() <= a.size());
  RC_ASSERT(ExtractUserKey(separator).size() <= ExtractUserKey(a).size());

  std::string successor = a;
  cmp.FindShortSuccessor(&successor);
  RC_ASSERT(cmp.Compare(a, successor) <= 0);
  RC_ASSERT(successor.size() <= a.size());
}

TEST(DbFormat, DistinctNumberTypes) {
  static_assert(!std::is_convertible_v<SequenceNumber, FileNumber>);
  static_assert(!std::is_convertible_v<uint64_t, SequenceNumber>);
  static_assert(raw(SequenceNumber{7}) == 7);
  static_assert(raw(FileNumber{9}) == 9);
  static_assert(PackSequenceAndType(SequenceNumber{kMaxSequenceNumber}, ValueType::kValue) ==
                ~uint64_t{0} - 0xfe);
  SUCCEED();
}

}  // namespace
}  // namespace ziggydb
