// Internal keys: the form in which the memtable, the WAL replay and the DB store a user key
// together with the version information that orders its versions.
//
//   internal key = user_key bytes ++ fixed64 little-endian tag,  tag = (sequence << 8) | type
//
// (spec: docs/format/internal_key.md). Internal keys order by user key ascending under the user's
// comparator, then by tag descending, so the newest version of a key comes first and a seek to
// (user_key, s) lands on the newest version visible at sequence s.
//
// Thread safety: everything here is either a value type or immutable after construction.
#ifndef ZIGGYDB_BASE_DBFORMAT_H_
#define ZIGGYDB_BASE_DBFORMAT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/coding.h"
#include "util/comparator.h"

namespace ziggydb {

// Distinct types so a sequence number cannot be passed where a file number is expected.
enum class SequenceNumber : uint64_t {};
constexpr uint64_t raw(SequenceNumber sequence) {
  return static_cast<uint64_t>(sequence);
}
enum class FileNumber : uint64_t {};
constexpr uint64_t raw(FileNumber number) {
  return static_cast<uint64_t>(number);
}

// The largest file number a DB uses or accepts from disk (a name or a MANIFEST field above it is
// not ours / Corruption), so that the counter, which only grows, can never wrap.
inline constexpr uint64_t kMaxFileNumber = (uint64_t{1} << 62) - 1;

// Sequence numbers take 56 bits so that sequence and type pack into one fixed64 tag.
inline constexpr uint64_t kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

// Persisted — never renumber. The low byte of every internal key's tag.
enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
};
// The largest ValueType. Because tags order descending, a lookup key built with it orders before
// every entry of the same (user key, sequence), whatever that entry's type.
inline constexpr ValueType kValueTypeForSeek = ValueType::kValue;

inline constexpr size_t kInternalKeyTrailerBytes = 8;

// True iff `byte` names a ValueType this version understands.
constexpr bool IsValidValueType(uint8_t byte) {
  return byte <= static_cast<uint8_t>(ValueType::kValue);
}

// Precondition: raw(sequence) <= kMaxSequenceNumber.
constexpr uint64_t PackSequenceAndType(SequenceNumber sequence, ValueType type) {
  return (raw(sequence) << 8) | static_cast<uint8_t>(type);
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence{0};
  ValueType type = ValueType::kValue;

  friend bool operator==(const ParsedInternalKey&, const ParsedInternalKey&) = default;
};

// Appends user_key ++ fixed64(tag). Precondition: raw(sequence) <= kMaxSequenceNumber.
void AppendInternalKey(std::string* dst, std::string_view user_key, SequenceNumber sequence,
                       ValueType type);
inline void AppendInternalKey(std::string* dst, const ParsedInternalKey& key) {
  AppendInternalKey(dst, key.user_key, key.sequence, key.type);
}

// Splits ikey into its parts; out->user_key points into ikey. Returns false (and leaves *out
// unspecified) when ikey is shorter than the trailer or its type byte is unknown.
[[nodiscard]] bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out);

// A key shorter than the trailer comes only from damaged bytes (an entry of a format-1 table or
// of an index block is compared before anything parses it): it counts as a user key with tag 0,
// never an abort, and ParseInternalKey, which every consumer of an entry calls, reports it as
// Corruption. Inline: every merge step, table probe and memtable walk calls these.
inline std::string_view ExtractUserKey(std::string_view ikey) {
  if (ikey.size() < kInternalKeyTrailerBytes) [[unlikely]]
    return ikey;
  return ikey.substr(0, ikey.size() - kInternalKeyTrailerBytes);
}

inline uint64_t ExtractTag(std::string_view ikey) {
  if (ikey.size() < kInternalKeyTrailerBytes) [[unlikely]]
    return 0;
  return DecodeFixed64(ikey.data() + ikey.size() - kInternalKeyTrailerBytes);
}

// Orders internal keys: user key ascending via the injected user comparator, then tag
// (sequence, type) descending. A key without the 8-byte trailer (damage) orders as above.
class InternalKeyComparator final : public Comparator {
 public:
  // `user` must outlive this comparator.
  explicit InternalKeyComparator(const Comparator* user);

  int Compare(std::string_view a, std::string_view b) const override;
  const char* Name() const override;  // "ziggydb.InternalKeyComparator"
  // Shorten the user part with the user comparator; when that yields a strictly larger user key,
  // the result carries the maximal tag (kMaxSequenceNumber, kValueTypeForSeek) so it orders before
  // every real entry of that user key.
  void FindShortestSeparator(std::string* start, std::string_view limit) const override;
  void FindShortSuccessor(std::string* key) const override;
  // The user comparator's trailer plus the 8-byte tag, when the user order is a bytewise prefix
  // order (internal keys sort by user key first).
  std::optional<size_t> BytewisePrefixTrailerBytes() const override;

  const Comparator* user_comparator() const { return user_; }

 private:
  const Comparator* user_;
  const bool bytewise_;  // user_ is BytewiseComparator(): compared inline, no virtual call
};

// The key a point lookup seeks with: (user_key, sequence, kValueTypeForSeek), held in one buffer
// as varint32(internal key length) ++ internal key, so that both the memtable's length-prefixed
// form and the plain internal key are views into it. Short keys live inline, longer ones on the
// heap. Not copyable (the views point into this object).
class LookupKey {
 public:
  // Precondition: raw(sequence) <= kMaxSequenceNumber.
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey() = default;

  // varint32 length ++ internal key: the encoding memtable entries begin with.
  std::string_view memtable_key() const { return {start_, static_cast<size_t>(end_ - start_)}; }
  std::string_view internal_key() const {
    return {key_start_, static_cast<size_t>(end_ - key_start_)};
  }
  std::string_view user_key() const {
    return {key_start_, static_cast<size_t>(end_ - key_start_) - kInternalKeyTrailerBytes};
  }

 private:
  // Covers user keys up to ~180 bytes without touching the heap.
  static constexpr size_t kInlineBytes = 200;

  const char* start_;
  const char* key_start_;
  const char* end_;
  std::unique_ptr<char[]> heap_;  // null iff the key fits inline_
  char inline_[kInlineBytes];
};

}  // namespace ziggydb

#endif  // ZIGGYDB_BASE_DBFORMAT_H_
