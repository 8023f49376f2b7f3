#include "memtable/memtable.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// Decodes a varint32 this memtable wrote. No bound is needed: the bytes are our own encoding,
// which always terminates within kMaxVarint32Bytes.
const char* DecodeOwnVarint32Slow(const char* p, uint32_t* value) {
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

// Lengths under 128 (every key of a typical memtable) take one byte: keep that path inline.
inline const char* DecodeOwnVarint32(const char* p, uint32_t* value) {
  const auto byte = static_cast<uint8_t>(*p);
  if ((byte & 0x80) == 0) {
    *value = byte;
    return p + 1;
  }
  return DecodeOwnVarint32Slow(p, value);
}

// The length-prefixed bytes at p; *next (if given) receives the byte after them.
inline std::string_view DecodePrefixed(const char* p, const char** next = nullptr) {
  uint32_t bytes = 0;
  const char* data = DecodeOwnVarint32(p, &bytes);
  if (next != nullptr) *next = data + bytes;
  return {data, bytes};
}

// The 8 bytes at p as a big-endian number, so that integer order is memcmp order.
inline uint64_t LoadBigEndian64(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
  return word;
}

// memcmp order of two byte strings, a proper prefix first: BytewiseComparator's order, inline.
// Memtable keys are short, so whole words and no library call beat memcmp's dispatch.
inline int CompareBytes(const char* a, size_t a_bytes, const char* b, size_t b_bytes) {
  const size_t common = std::min(a_bytes, b_bytes);
  size_t i = 0;
  for (; i + 8 <= common; i += 8) {
    const uint64_t x = LoadBigEndian64(a + i);
    const uint64_t y = LoadBigEndian64(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  for (; i < common; ++i) {
    const auto x = static_cast<uint8_t>(a[i]);
    const auto y = static_cast<uint8_t>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a_bytes < b_bytes ? -1 : (a_bytes > b_bytes ? 1 : 0);
}

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  const std::string_view ikey_a = DecodePrefixed(a);
  const std::string_view ikey_b = DecodePrefixed(b);
  if (!bytewise) return comparator->Compare(ikey_a, ikey_b);
  // InternalKeyComparator's order: user key ascending, then tag descending. Entries and lookup
  // keys always carry the 8-byte tag.
  ZIGGY_DASSERT(ikey_a.size() >= kInternalKeyTrailerBytes &&
                ikey_b.size() >= kInternalKeyTrailerBytes);
  const size_t user_a = ikey_a.size() - kInternalKeyTrailerBytes;
  const size_t user_b = ikey_b.size() - kInternalKeyTrailerBytes;
  const int r = CompareBytes(ikey_a.data(), user_a, ikey_b.data(), user_b);
  if (r != 0) return r;
  const uint64_t tag_a = DecodeFixed64(ikey_a.data() + user_a);
  const uint64_t tag_b = DecodeFixed64(ikey_b.data() + user_b);
  return tag_a > tag_b ? -1 : (tag_a < tag_b ? 1 : 0);
}

MemTable::MemTable(const InternalKeyComparator& comparator, size_t capacity_bytes,
                   SequenceNumber first_sequence)
    : comparator_(comparator),
      arena_(ArenaBlockBytes(capacity_bytes)),
      table_(EntryComparator{&comparator_, comparator.user_comparator() == BytewiseComparator()},
             &arena_),
      filter_(capacity_bytes == 0
                  ? nullptr
                  : std::make_unique<MemTableFilter>(MemTableFilterBytes(capacity_bytes))),
      index_(capacity_bytes == 0 || comparator.user_comparator() != BytewiseComparator()
                 ? nullptr
                 : std::make_unique<MemTableIndex>(MemTableIndexSlots(capacity_bytes))),
      first_sequence_(first_sequence) {}

void MemTable::Add(SequenceNumber sequence, ValueType type, std::string_view user_key,
                   std::string_view value) {
  AddImpl</*kConcurrent=*/false>(sequence, type, user_key, value);
}

void MemTable::AddConcurrently(SequenceNumber sequence, ValueType type, std::string_view user_key,
                               std::string_view value) {
  AddImpl</*kConcurrent=*/true>(sequence, type, user_key, value);
}

template <bool kConcurrent>
void MemTable::AddImpl(SequenceNumber sequence, ValueType type, std::string_view user_key,
                       std::string_view value) {
  constexpr size_t kMaxBytes = std::numeric_limits<uint32_t>::max();
  ZIGGY_ASSERT(user_key.size() <= kMaxBytes - kInternalKeyTrailerBytes);
  ZIGGY_ASSERT(value.size() <= kMaxBytes);
  ZIGGY_DASSERT(raw(sequence) >= raw(first_sequence_));
  const auto key_bytes = static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerBytes);
  const auto value_bytes = static_cast<uint32_t>(value.size());
  const size_t entry_bytes =
      VarintLength(key_bytes) + size_t{key_bytes} + VarintLength(value_bytes) + value_bytes;

  const uint64_t hash = KeyHash(user_key);
  if (index_ != nullptr) index_->Prefetch(hash);
  // The filter bits go in before the entry is linked, so any reader that can find the entry
  // also passes the filter.
  if (filter_ != nullptr) {
    if constexpr (kConcurrent) {
      filter_->AddConcurrently(hash);
    } else {
      filter_->Add(hash);
    }
  }
  const auto fill = [&](char* entry) {
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
  };
  const char* entry = nullptr;
  if constexpr (kConcurrent) {
    entry = table_.InsertConcurrently(entry_bytes, fill);
    num_entries_.fetch_add(1, std::memory_order_relaxed);
  } else {
    entry = table_.Insert(entry_bytes, fill);
    num_entries_.store(NumEntries() + 1, std::memory_order_relaxed);  // single writer
  }
  if (index_ != nullptr) {
    // After the link (MemTableIndex invariant 2). Sequences of one user key are unique
    // (memtable.h, invariant 2), so another entry of it is either older or newer.
    index_->Insert(hash, entry, [&](const char* other) {
      const std::string_view other_key = DecodePrefixed(other);
      const size_t other_user = other_key.size() - kInternalKeyTrailerBytes;
      if (other_user != user_key.size() ||
          std::memcmp(other_key.data(), user_key.data(), other_user) != 0) {
        return MemTableIndex::Relation::kOtherKey;
      }
      const SequenceNumber other_sequence{DecodeFixed64(other_key.data() + other_user) >> 8};
      ZIGGY_DASSERT(raw(other_sequence) != raw(sequence));
      return raw(other_sequence) > raw(sequence) ? MemTableIndex::Relation::kSameKeyNewer
                                                 : MemTableIndex::Relation::kSameKeyOlder;
    });
  }
}

const char* MemTable::FindNewest(uint64_t hash, std::string_view user_key) const {
  return index_->Find(hash, [user_key](const char* entry) {
    const std::string_view key = DecodePrefixed(entry);
    return key.size() - kInternalKeyTrailerBytes == user_key.size() &&
           std::memcmp(key.data(), user_key.data(), user_key.size()) == 0;
  });
}

MemTable::IndexSeek MemTable::SeekThroughIndex(uint64_t hash, std::string_view user_key,
                                               uint64_t tag, Table::Iterator* iter) const {
  if (!index_complete()) return IndexSeek::kUnknown;
  const char* newest = FindNewest(hash, user_key);
  if (newest == nullptr) return IndexSeek::kAbsent;
  // The entries before `newest` in the list order before user_key (it is the key's newest), so
  // the answer is the first one from here on that is not a newer version of user_key.
  iter->SeekToEntry(newest);
  for (int step = 0; step < kMaxIndexSeekSteps; ++step) {
    const std::string_view ikey = DecodePrefixed(iter->key());
    if (ExtractUserKey(ikey) != user_key || ExtractTag(ikey) <= tag) return IndexSeek::kPositioned;
    iter->Next();
    if (!iter->Valid()) return IndexSeek::kPositioned;
  }
  return IndexSeek::kUnknown;
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* status) const {
  std::string_view found;
  if (!Get(key, &found, status)) return false;
  if (status->ok()) value->assign(found.data(), found.size());
  return true;
}

bool MemTable::Get(const LookupKey& key, std::string_view* value, Status* status) const {
  const uint64_t hash = KeyHash(key.user_key());
  if (filter_ != nullptr && !filter_->MayContain(hash)) return false;
  // The lookup key's tag is (sequence, kValueTypeForSeek): the first entry at or after it is the
  // newest entry of user_key with a sequence <= the lookup's, if user_key has one.
  Table::Iterator iter(&table_);
  switch (SeekThroughIndex(hash, key.user_key(), ExtractTag(key.internal_key()), &iter)) {
    case IndexSeek::kAbsent:
      return false;
    case IndexSeek::kPositioned:
      break;
    case IndexSeek::kUnknown:
      iter.Seek(key.memtable_key().data());
      break;
  }
  if (!iter.Valid()) return false;
  const char* value_start = nullptr;
  ParsedInternalKey parsed;
  ZIGGY_ASSERT(ParseInternalKey(DecodePrefixed(iter.key(), &value_start), &parsed));
  if (comparator_.user_comparator()->Compare(parsed.user_key, key.user_key()) != 0) return false;
  ZIGGY_DASSERT(raw(parsed.sequence) <= ExtractTag(key.internal_key()) >> 8);
  switch (parsed.type) {
    case ValueType::kValue: {
      *value = DecodePrefixed(value_start);
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

std::optional<SequenceNumber> MemTable::NewestSequence(std::string_view user_key) const {
  const uint64_t hash = KeyHash(user_key);
  if (filter_ != nullptr && !filter_->MayContain(hash)) return std::nullopt;
  if (index_complete()) {
    const char* newest = FindNewest(hash, user_key);
    if (newest == nullptr) return std::nullopt;
    return SequenceNumber{ExtractTag(DecodePrefixed(newest)) >> 8};
  }
  const LookupKey lookup(user_key, SequenceNumber{kMaxSequenceNumber});
  Table::Iterator iter(&table_);
  // Versions of a key run newest first: the first one at or after the maximal tag is the newest.
  iter.Seek(lookup.memtable_key().data());
  if (!iter.Valid()) return std::nullopt;
  ParsedInternalKey parsed;
  ZIGGY_ASSERT(ParseInternalKey(DecodePrefixed(iter.key()), &parsed));
  if (comparator_.user_comparator()->Compare(parsed.user_key, user_key) != 0) return std::nullopt;
  return parsed.sequence;
}

// Iterates the skiplist, decoding entries on demand. Seek targets are internal keys, re-encoded
// with their length prefix (into inline_ when short, else scratch_) so the skiplist can compare
// them with entries.
class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const MemTable* mem) : mem_(mem), iter_(&mem->table_) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  // Precondition for both seeks: target is an internal key (>= 8 bytes).
  // An absent key's answer is some other key's entry: only the list search finds it. Without a
  // complete index the key is not hashed at all.
  void Seek(std::string_view target) override {
    ZIGGY_ASSERT(target.size() >= kInternalKeyTrailerBytes);
    const std::string_view user_key = ExtractUserKey(target);
    if (!mem_->index_complete() ||
        mem_->SeekThroughIndex(mem_->KeyHash(user_key), user_key, ExtractTag(target), &iter_) !=
            IndexSeek::kPositioned) {
      iter_.Seek(EncodeTarget(target));
    }
  }
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
    const auto key_bytes = static_cast<uint32_t>(target.size());
    const size_t bytes = VarintLength(key_bytes) + target.size();
    char* encoded = inline_;
    if (bytes > sizeof(inline_)) {
      scratch_.resize(bytes);
      encoded = scratch_.data();
    }
    std::memcpy(EncodeVarint32(encoded, key_bytes), target.data(), target.size());
    return encoded;
  }

  const MemTable* const mem_;
  Table::Iterator iter_;
  // A seek target's encoding: inline_ up to its size (no allocation for short keys), else scratch_.
  char inline_[64];
  std::string scratch_;
};

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(this);
}

}  // namespace ziggydb
