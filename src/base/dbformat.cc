#include "base/dbformat.h"

#include <cstring>
#include <limits>

#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {

void AppendInternalKey(std::string* dst, std::string_view user_key, SequenceNumber sequence,
                       ValueType type) {
  ZIGGY_ASSERT(raw(sequence) <= kMaxSequenceNumber);
  ZIGGY_ASSERT(IsValidValueType(static_cast<uint8_t>(type)));
  dst->append(user_key);
  PutFixed64(dst, PackSequenceAndType(sequence, type));
}

bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < kInternalKeyTrailerBytes) return false;
  const size_t user_bytes = ikey.size() - kInternalKeyTrailerBytes;
  const uint64_t tag = DecodeFixed64(ikey.data() + user_bytes);
  const auto type_byte = static_cast<uint8_t>(tag & 0xff);
  if (!IsValidValueType(type_byte)) return false;
  out->user_key = ikey.substr(0, user_bytes);
  out->sequence = SequenceNumber{tag >> 8};
  out->type = static_cast<ValueType>(type_byte);
  return true;
}

// ---- InternalKeyComparator ----

InternalKeyComparator::InternalKeyComparator(const Comparator* user)
    : user_(user), bytewise_(user == BytewiseComparator()) {
  ZIGGY_ASSERT(user_ != nullptr);
}

std::optional<size_t> InternalKeyComparator::BytewisePrefixTrailerBytes() const {
  const std::optional<size_t> user = user_->BytewisePrefixTrailerBytes();
  if (!user.has_value()) return std::nullopt;
  return *user + kInternalKeyTrailerBytes;
}

const char* InternalKeyComparator::Name() const {
  return "ziggydb.InternalKeyComparator";
}

int InternalKeyComparator::Compare(std::string_view a, std::string_view b) const {
  const std::string_view user_a = ExtractUserKey(a);
  const std::string_view user_b = ExtractUserKey(b);
  // The default user order inline: every merge, seek and table search comes through here.
  const int r = bytewise_ ? user_a.compare(user_b) : user_->Compare(user_a, user_b);
  if (r != 0) return r;
  // Larger tags (newer sequences) order first.
  const uint64_t tag_a = ExtractTag(a);
  const uint64_t tag_b = ExtractTag(b);
  if (tag_a > tag_b) return -1;
  if (tag_a < tag_b) return 1;
  return 0;
}

void InternalKeyComparator::FindShortestSeparator(std::string* start,
                                                  std::string_view limit) const {
  const std::string_view user_start = ExtractUserKey(*start);
  const std::string_view user_limit = ExtractUserKey(limit);
  std::string shortened(user_start);
  user_->FindShortestSeparator(&shortened, user_limit);
  // Only a user key that is both shorter and strictly larger helps: an equal user key would need
  // its original tag to stay >= *start, which saves nothing.
  if (shortened.size() < user_start.size() && user_->Compare(user_start, shortened) < 0) {
    PutFixed64(&shortened,
               PackSequenceAndType(SequenceNumber{kMaxSequenceNumber}, kValueTypeForSeek));
    ZIGGY_ASSERT(Compare(*start, shortened) < 0);
    ZIGGY_ASSERT(Compare(shortened, limit) < 0);
    start->swap(shortened);
  }
}

void InternalKeyComparator::FindShortSuccessor(std::string* key) const {
  const std::string_view user_key = ExtractUserKey(*key);
  std::string shortened(user_key);
  user_->FindShortSuccessor(&shortened);
  if (shortened.size() < user_key.size() && user_->Compare(user_key, shortened) < 0) {
    PutFixed64(&shortened,
               PackSequenceAndType(SequenceNumber{kMaxSequenceNumber}, kValueTypeForSeek));
    ZIGGY_ASSERT(Compare(*key, shortened) < 0);
    key->swap(shortened);
  }
}

// ---- LookupKey ----

LookupKey::LookupKey(std::string_view user_key, SequenceNumber sequence) {
  ZIGGY_ASSERT(raw(sequence) <= kMaxSequenceNumber);
  ZIGGY_ASSERT(user_key.size() <= std::numeric_limits<uint32_t>::max() - kInternalKeyTrailerBytes);
  const auto ikey_bytes = static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerBytes);
  const size_t needed_bytes = static_cast<size_t>(VarintLength(ikey_bytes)) + ikey_bytes;
  char* dst = inline_;
  if (needed_bytes > kInlineBytes) {
    heap_ = std::make_unique_for_overwrite<char[]>(needed_bytes);
    dst = heap_.get();
  }
  start_ = dst;
  dst = EncodeVarint32(dst, ikey_bytes);
  key_start_ = dst;
  if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
  dst += user_key.size();
  EncodeFixed64(dst, PackSequenceAndType(sequence, kValueTypeForSeek));
  end_ = dst + kInternalKeyTrailerBytes;
  ZIGGY_ASSERT(static_cast<size_t>(end_ - start_) == needed_bytes);
}

}  // namespace ziggydb
