#include "db/row_cache.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "util/assert.h"
#include "util/hash.h"

namespace ziggydb {
namespace {

constexpr size_t kEntryWords = RowCache::kEntryBytes / sizeof(uint64_t);
constexpr uint64_t kLengthMask = 0xffff;
constexpr uint64_t kDeletionBit = uint64_t{1} << 32;
constexpr int kTagShift = 33;  // the hash's top 31 bits, to skip most foreign keys early

// Lookups per hit-rate window, and the hits in one that keep a thread looking up on every Get.
constexpr uint32_t kWindow = 256;
constexpr uint32_t kHotHits = kWindow / 3;
constexpr uint32_t kColdSampleMask = 15;

struct ThreadGate {
  uint32_t gets = 0;
  uint32_t lookups = 0;
  uint32_t hits = 0;
  bool hot = true;
};
thread_local ThreadGate gate;

size_t SlotCount(size_t capacity_bytes) {
  return std::bit_floor(std::max<size_t>(capacity_bytes / RowCache::kSlotBytes, 1));
}

}  // namespace

// A sequence lock over one entry. `version` is even when the slot is stable (0: never written)
// and odd while one writer fills it. A writer makes it odd, stores the words with release, then
// stores the next even version with release. A reader loads the version, the words with
// acquire, then the version again: if it read any word of a writer, that word's release store
// came after the writer made the version odd, so the second load sees the odd version or a
// later one and the reader discards what it read. (No fences: ThreadSanitizer does not model
// them, and on x86 these acquire loads and release stores are plain moves.)
struct alignas(64) RowCache::Slot {
  std::atomic<uint64_t> version{0};
  std::atomic<uint64_t> file_number{0};
  // Key length (bits 0-15), value length (16-31), deletion (32), hash tag (33-63).
  std::atomic<uint64_t> header{0};
  std::atomic<uint64_t> words[kEntryWords]{};  // the key's bytes, then the value's
};

static_assert(kLengthMask >= RowCache::kEntryBytes);

RowCache::RowCache(size_t capacity_bytes)
    : slot_count_(SlotCount(capacity_bytes)), slots_(new Slot[slot_count_]) {
  static_assert(sizeof(Slot) == kSlotBytes);
  ZIGGY_ASSERT(std::has_single_bit(slot_count_));
}

RowCache::~RowCache() = default;

RowCache::Decision RowCache::Decide() {
  const uint32_t n = ++gate.gets;
  if (gate.hot) return {.lookup = true, .admit = (n & 1) == 0};
  const bool sampled = (n & kColdSampleMask) == 0;
  return {.lookup = sampled, .admit = sampled};
}

void RowCache::Record(bool hit) {
  gate.hits += hit ? 1 : 0;
  if (++gate.lookups < kWindow) return;
  gate.hot = gate.hits >= kHotHits;
  gate.lookups = 0;
  gate.hits = 0;
}

uint64_t RowCache::HashKey(std::string_view user_key) {
  return Hash64(user_key, 0x726f77);
}

void RowCache::Prefetch(uint64_t hash) const {
  const char* slot = reinterpret_cast<const char*>(&slots_[hash & (slot_count_ - 1)]);
  for (size_t offset = 0; offset < kSlotBytes; offset += 64)
    __builtin_prefetch(slot + offset);
}

RowCache::Result RowCache::Lookup(uint64_t file_number, std::string_view user_key, uint64_t hash,
                                  std::string* value) const {
  const Slot& slot = slots_[hash & (slot_count_ - 1)];
  const uint64_t version = slot.version.load(std::memory_order_acquire);
  if (version == 0 || (version & 1) != 0) return Result::kMiss;
  // Everything read before the second version load may be torn: it is only trusted after it.
  if (slot.file_number.load(std::memory_order_acquire) != file_number) return Result::kMiss;
  const uint64_t header = slot.header.load(std::memory_order_acquire);
  if ((header >> kTagShift) != (hash >> kTagShift)) return Result::kMiss;
  const size_t key_bytes = header & kLengthMask;
  const size_t value_bytes = (header >> 16) & kLengthMask;
  if (key_bytes != user_key.size() || key_bytes + value_bytes > kEntryBytes) return Result::kMiss;
  uint64_t copy[kEntryWords];
  const size_t words = (key_bytes + value_bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t);
  for (size_t i = 0; i < words; ++i)
    copy[i] = slot.words[i].load(std::memory_order_acquire);
  if (slot.version.load(std::memory_order_relaxed) != version) return Result::kMiss;

  const char* bytes = reinterpret_cast<const char*>(copy);
  if (std::memcmp(bytes, user_key.data(), key_bytes) != 0) return Result::kMiss;
  if ((header & kDeletionBit) != 0) return Result::kDeletion;
  value->assign(bytes + key_bytes, value_bytes);
  return Result::kValue;
}

void RowCache::Insert(uint64_t file_number, std::string_view user_key, uint64_t hash, bool deleted,
                      std::string_view value) {
  if (deleted) value = {};
  if (user_key.size() + value.size() > kEntryBytes) return;
  Slot& slot = slots_[hash & (slot_count_ - 1)];
  uint64_t version = slot.version.load(std::memory_order_relaxed);
  if ((version & 1) != 0) return;
  if (!slot.version.compare_exchange_strong(version, version + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
    return;
  }
  uint64_t copy[kEntryWords];
  char* bytes = reinterpret_cast<char*>(copy);
  std::memcpy(bytes, user_key.data(), user_key.size());
  if (!value.empty()) std::memcpy(bytes + user_key.size(), value.data(), value.size());
  const size_t total = user_key.size() + value.size();
  const size_t words = (total + sizeof(uint64_t) - 1) / sizeof(uint64_t);
  ZIGGY_ASSERT(words <= kEntryWords);
  std::memset(bytes + total, 0, words * sizeof(uint64_t) - total);
  slot.file_number.store(file_number, std::memory_order_release);
  slot.header.store(user_key.size() | (value.size() << 16) | (deleted ? kDeletionBit : 0) |
                        (hash >> kTagShift << kTagShift),
                    std::memory_order_release);
  for (size_t i = 0; i < words; ++i)
    slot.words[i].store(copy[i], std::memory_order_release);
  slot.version.store(version + 2, std::memory_order_release);
}

}  // namespace ziggydb
