#include "memtable/memtable.h"

#include <cstring>
#include <limits>

#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// Decodes a varint32 this memtable wrote. No bound is needed: the bytes are our own encoding,
// which always terminates within kMaxVarint32Bytes.
const char* DecodeOwnVarint32(const char* p, uint32_t* value) {
  uint32_t result = 0;
  for (int shift = 0; shift < 7 * kMaxVarint32Bytes; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    result |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return p;
    }
  }
  ZIGGY_ASSERT(false && "memtable entry with an unterminated varint");
  return nullptr;
}

// The length-prefixed bytes at p; *next (if given) receives the byte after them.
std::string_view DecodePrefixed(const char* p, const char** next = nullptr) {
  uint32_t bytes = 0;
  const char* data = DecodeOwnVarint32(p, &bytes);
  if (next != nullptr) *next = data + bytes;
  return {data, bytes};
}

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  return comparator->Compare(DecodePrefixed(a), DecodePrefixed(b));
}

MemTable::MemTable(const InternalKeyComparator& comparator)
    : comparator_(comparator), table_(EntryComparator{&comparator_}, &arena_) {}

void MemTable::Add(SequenceNumber sequence, ValueType type, std::string_view user_key,
                   std::string_view value) {
  constexpr size_t kMaxBytes = std::numeric_limits<uint32_t>::max();
  ZIGGY_ASSERT(user_key.size() <= kMaxBytes - kInternalKeyTrailerBytes);
  ZIGGY_ASSERT(value.size() <= kMaxBytes);
  const auto key_bytes = static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerBytes);
  const auto value_bytes = static_cast<uint32_t>(value.size());
  const size_t entry_bytes =
      VarintLength(key_bytes) + size_t{key_bytes} + VarintLength(value_bytes) + value_bytes;

  char* const entry = arena_.Allocate(entry_bytes);
  char* p = EncodeVarint32(entry, key_bytes);
  if (!user_key.empty()) std::memcpy(p, user_key.data(), user_key.size());
  p += user_key.size();
  EncodeFixed64(p, PackSequenceAndType(sequence, type));
  p += kInternalKeyTrailerBytes;
  p = EncodeVarint32(p, value_bytes);
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  ZIGGY_ASSERT(p + value.size() == entry + entry_bytes);

  if constexpr (kZiggyDebugChecks) {  // decode what was just encoded
    const char* value_start = nullptr;
    ParsedInternalKey parsed;
    ZIGGY_ASSERT(ParseInternalKey(DecodePrefixed(entry, &value_start), &parsed));
    ZIGGY_ASSERT(parsed == (ParsedInternalKey{user_key, sequence, type}));
    ZIGGY_ASSERT(DecodePrefixed(value_start) == value);
  }
  table_.Insert(entry);
  num_entries_.store(NumEntries() + 1, std::memory_order_relaxed);  // single writer
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* status) const {
  Table::Iterator iter(&table_);
  // Lands on the first entry ordering at or after (user_key, sequence, kValueTypeForSeek): the
  // newest entry of user_key with a sequence <= the lookup's, if user_key has one.
  iter.Seek(key.memtable_key().data());
  if (!iter.Valid()) return false;
  const char* value_start = nullptr;
  ParsedInternalKey parsed;
  ZIGGY_ASSERT(ParseInternalKey(DecodePrefixed(iter.key(), &value_start), &parsed));
  if (comparator_.user_comparator()->Compare(parsed.user_key, key.user_key()) != 0) return false;
  ZIGGY_DASSERT(raw(parsed.sequence) <= (ExtractTag(key.internal_key()) >> 8));
  switch (parsed.type) {
    case ValueType::kValue: {
      const std::string_view found = DecodePrefixed(value_start);
      value->assign(found.data(), found.size());
      *status = Status::OK();
      return true;
    }
    case ValueType::kDeletion:
      *status = Status::NotFound("deleted in memtable");
      return true;
  }
  ZIGGY_ASSERT(false && "unknown value type in memtable");
  return false;
}

// Iterates the skiplist, decoding entries on demand. Seek targets are internal keys, re-encoded
// with their length prefix into scratch_ so the skiplist can compare them with entries.
class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  // Precondition for both seeks: target is an internal key (>= 8 bytes).
  void Seek(std::string_view target) override { iter_.Seek(EncodeTarget(target)); }
  void SeekForPrev(std::string_view target) override { iter_.SeekForPrev(EncodeTarget(target)); }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override { return DecodePrefixed(iter_.key()); }
  std::string_view value() const override {
    const char* value_start = nullptr;
    DecodePrefixed(iter_.key(), &value_start);
    return DecodePrefixed(value_start);
  }
  Status status() const override { return Status::OK(); }

 private:
  const char* EncodeTarget(std::string_view target) {
    ZIGGY_ASSERT(target.size() >= kInternalKeyTrailerBytes &&
                 target.size() <= std::numeric_limits<uint32_t>::max());
    scratch_.clear();
    PutLengthPrefixed(&scratch_, target);
    return scratch_.data();
  }

  Table::Iterator iter_;
  std::string scratch_;
};

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

}  // namespace ziggydb
