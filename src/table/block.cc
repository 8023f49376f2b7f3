#include "table/block.h"

#include <algorithm>
#include <cstring>

#include "table/format.h"
#include "table/restart_words.h"
#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// Decodes an entry header (three varint32s: shared, non_shared, value bytes) at p, bounded by
// limit; null when malformed. Headers of small entries are three one-byte varints: that case is
// decoded inline, anything else through the general decoder.
inline const char* DecodeEntryHeader(const char* p, const char* limit, uint32_t* shared,
                                     uint32_t* non_shared, uint32_t* value_bytes) {
  if (limit - p >= 3) {
    const auto a = static_cast<uint8_t>(p[0]);
    const auto b = static_cast<uint8_t>(p[1]);
    const auto c = static_cast<uint8_t>(p[2]);
    if (((a | b | c) & 0x80) == 0) {
      *shared = a;
      *non_shared = b;
      *value_bytes = c;
      return p + 3;
    }
  }
  p = DecodeVarint32(p, limit, shared);
  if (p != nullptr) p = DecodeVarint32(p, limit, non_shared);
  if (p != nullptr) p = DecodeVarint32(p, limit, value_bytes);
  return p;
}

}  // namespace

void KeyBuffer::Grow(size_t size) {
  const size_t capacity = std::max(size, 2 * capacity_);
  auto grown = std::make_unique_for_overwrite<char[]>(capacity);
  std::memcpy(grown.get(), data_, capacity_);
  heap_ = std::move(grown);
  data_ = heap_.get();
  capacity_ = capacity;
}

Status Block::ParseRestarts(std::string_view contents, uint32_t* restarts_offset,
                            uint32_t* num_restarts) {
  const size_t size = contents.size();
  if (size < 4 || size > kMaxBlockBytes) return Status::Corruption("bad block size");
  const uint32_t count = DecodeFixed32(contents.data() + size - 4);
  if (count > (size - 4) / 4) return Status::Corruption("bad block restart count");
  const auto restarts = static_cast<uint32_t>(size - 4 - 4 * size_t{count});
  if ((count == 0) != (restarts == 0)) {
    return Status::Corruption("block restart count disagrees with its entries");
  }
  uint32_t previous = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t offset = DecodeFixed32(contents.data() + restarts + 4 * size_t{i});
    const bool ordered = i == 0 ? offset == 0 : offset > previous;
    if (!ordered || offset >= restarts) return Status::Corruption("bad block restart array");
    previous = offset;
  }
  *restarts_offset = restarts;
  *num_restarts = count;
  return Status::OK();
}

Status Block::Parse(std::string contents, std::shared_ptr<const Block>* block) {
  uint32_t restarts_offset = 0;
  uint32_t num_restarts = 0;
  Status s = ParseRestarts(contents, &restarts_offset, &num_restarts);
  if (!s.ok()) return s;
  *block = std::make_shared<const Block>(Key(), std::move(contents), restarts_offset, num_restarts);
  return Status::OK();
}

Status Block::ParseView(std::string_view contents, std::atomic<int64_t>* live_views,
                        std::shared_ptr<const Block>* block) {
  uint32_t restarts_offset = 0;
  uint32_t num_restarts = 0;
  Status s = ParseRestarts(contents, &restarts_offset, &num_restarts);
  if (!s.ok()) return s;
  *block =
      std::make_shared<const Block>(Key(), contents, live_views, restarts_offset, num_restarts);
  return Status::OK();
}

Status Block::ParseViewInPlace(std::string_view contents, std::atomic<int64_t>* live_views,
                               std::optional<Block>* block) {
  uint32_t restarts_offset = 0;
  uint32_t num_restarts = 0;
  Status s = ParseRestarts(contents, &restarts_offset, &num_restarts);
  if (!s.ok()) return s;
  block->emplace(Key(), contents, live_views, restarts_offset, num_restarts);
  return Status::OK();
}

Block::Block(Key, std::string contents, uint32_t restarts_offset, uint32_t num_restarts)
    : owned_(std::move(contents)),
      contents_(owned_),
      live_views_(nullptr),
      restarts_offset_(restarts_offset),
      num_restarts_(num_restarts) {}

Block::Block(Key, std::string_view view, std::atomic<int64_t>* live_views, uint32_t restarts_offset,
             uint32_t num_restarts)
    : contents_(view),
      live_views_(live_views),
      restarts_offset_(restarts_offset),
      num_restarts_(num_restarts) {
  ZIGGY_ASSERT(contents_.size() >= 4);
  // relaxed: only the decrement in ~Block must order the uses of the view before it.
  if (live_views_ != nullptr) live_views_->fetch_add(1, std::memory_order_relaxed);
}

bool Block::WholeEntryAtRestart(uint32_t index, std::string_view* key, std::string_view* value,
                                uint32_t* end) const {
  const char* const data = contents_.data();
  const char* const limit = data + restarts_offset_;
  uint32_t shared = 0;
  uint32_t non_shared = 0;
  uint32_t value_bytes = 0;
  const char* p =
      DecodeEntryHeader(data + restart(index), limit, &shared, &non_shared, &value_bytes);
  if (p == nullptr || shared != 0 ||
      uint64_t{non_shared} + value_bytes > static_cast<uint64_t>(limit - p)) {
    return false;
  }
  *key = std::string_view(p, non_shared);
  *value = std::string_view(p + non_shared, value_bytes);
  *end = static_cast<uint32_t>(p + non_shared + value_bytes - data);
  return true;
}

Block::~Block() {
  // release: this Block's reads of the view happen before the owner's acquire check.
  if (live_views_ != nullptr) live_views_->fetch_sub(1, std::memory_order_release);
}

BlockIterator::BlockIterator(std::shared_ptr<const Block> block, const Comparator* comparator,
                             BlockKeyEncoding encoding, const RestartWords* words)
    : block_(std::move(block)),
      comparator_(comparator),
      data_(block_->contents().data()),
      restarts_offset_(block_->restarts_offset()),
      num_restarts_(block_->num_restarts()),
      encoding_(encoding),
      words_(words),
      current_(restarts_offset_) {
  ZIGGY_DASSERT(words_ == nullptr || words_->size() == num_restarts_);
}

namespace {

// Decodes a key suffix varint64 at p (bounded by limit); null when malformed (unterminated, past
// limit, or over 64 bits). Inline: every entry of a format-2 data block has one, mostly of 1 (a
// sequence-0 value) to 5 bytes.
inline const char* DecodeKeySuffix(const char* p, const char* limit, uint64_t* suffix) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && p < limit; shift += 7) {
    const uint64_t byte = static_cast<uint8_t>(*p++);
    if (shift == 63 && byte > 1) return nullptr;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *suffix = result;
      return p;
    }
  }
  return nullptr;
}

// Unpacks the stored key bytes of a kVarintSuffix entry, varint64(suffix) ++ delta, into
// delta ++ fixed64(suffix) at buffer[at...], growing the buffer if needed (never shrinking it).
// Returns the end of what it wrote, or 0 if the suffix is malformed.
inline size_t UnpackSplitKey(const char* stored, uint32_t stored_bytes, size_t at,
                             KeyBuffer* buffer) {
  uint64_t suffix = 0;
  const char* const delta = DecodeKeySuffix(stored, stored + stored_bytes, &suffix);
  if (delta == nullptr) return 0;
  const auto delta_bytes = static_cast<size_t>((stored + stored_bytes) - delta);
  const size_t end = at + delta_bytes + kKeySuffixBytes;
  buffer->Reserve(end);
  std::memcpy(buffer->data() + at, delta, delta_bytes);
  EncodeFixed64(buffer->data() + at + delta_bytes, suffix);
  return end;
}

}  // namespace

void BlockIterator::MarkInvalid() {
  current_ = restarts_offset_;
  next_offset_ = restarts_offset_;
  restart_index_ = num_restarts_;
  key_size_ = 0;
  value_ = {};
}

void BlockIterator::MarkCorrupt(std::string_view what) {
  if (status_.ok()) status_ = Status::Corruption("bad block entry", what);
  MarkInvalid();
}

void BlockIterator::SeekToRestart(uint32_t index) {
  ZIGGY_ASSERT(index < num_restarts_);
  key_size_ = 0;
  restart_index_ = index;
  next_offset_ = block_->restart(index);
}

bool BlockIterator::ParseNextEntry() {
  // One decoder per encoding, so that neither pays for the other's branches.
  return encoding_ == BlockKeyEncoding::kVarintSuffix ? ParseNextEntryAs<true>()
                                                      : ParseNextEntryAs<false>();
}

template <bool kSplitSuffix>
bool BlockIterator::ParseNextEntryAs() {
  current_ = next_offset_;
  if (current_ >= restarts_offset_) {
    MarkInvalid();
    return false;
  }
  const char* p = data_ + current_;
  const char* const limit = data_ + restarts_offset_;
  uint32_t shared = 0;
  uint32_t non_shared = 0;
  uint32_t value_bytes = 0;
  p = DecodeEntryHeader(p, limit, &shared, &non_shared, &value_bytes);
  // The previous key's bytes an entry may share: with a split suffix, all but the suffix.
  const size_t shareable = kSplitSuffix && key_size_ != 0 ? key_size_ - kKeySuffixBytes : key_size_;
  if (p == nullptr || shared > shareable ||
      uint64_t{non_shared} + value_bytes > static_cast<uint64_t>(limit - p)) {
    MarkCorrupt("entry header at offset " + std::to_string(current_));
    return false;
  }
  // Keep restart_index_ the last restart point <= current_.
  while (restart_index_ + 1 < num_restarts_ && block_->restart(restart_index_ + 1) <= current_)
    ++restart_index_;
  if (shared != 0 && block_->restart(restart_index_) == current_) {
    MarkCorrupt("restart entry shares a prefix at offset " + std::to_string(current_));
    return false;
  }
  if constexpr (kSplitSuffix) {
    // The key bytes are varint64(suffix) ++ delta (docs/format/sstable.md, "Block").
    const size_t end = UnpackSplitKey(p, non_shared, shared, &key_buffer_);
    if (end == 0) {
      MarkCorrupt("entry key suffix at offset " + std::to_string(current_));
      return false;
    }
    key_size_ = end;
  } else {
    std::memcpy(KeyRoom(shared + non_shared) + shared, p, non_shared);
    key_size_ = shared + non_shared;
  }
  p += non_shared;
  value_ = std::string_view(p, value_bytes);
  next_offset_ = static_cast<uint32_t>((p + value_bytes) - data_);
  // Entries must begin exactly at each restart point, or scanning forward from a restart point
  // (Prev, Seek) would decode different entries than scanning from the start.
  if (restart_index_ + 1 < num_restarts_ && block_->restart(restart_index_ + 1) < next_offset_) {
    MarkCorrupt("entry straddles a restart point at offset " + std::to_string(current_));
    return false;
  }
  return true;
}

bool BlockIterator::RestartKey(uint32_t index, std::string_view* key) {
  const uint32_t offset = block_->restart(index);
  const char* p = data_ + offset;
  const char* const limit = data_ + restarts_offset_;
  uint32_t shared = 0;
  uint32_t non_shared = 0;
  uint32_t value_bytes = 0;
  p = DecodeEntryHeader(p, limit, &shared, &non_shared, &value_bytes);
  if (p == nullptr || shared != 0 || non_shared > static_cast<uint64_t>(limit - p)) {
    MarkCorrupt("restart entry at offset " + std::to_string(offset));
    return false;
  }
  if (encoding_ == BlockKeyEncoding::kWhole) {
    *key = std::string_view(p, non_shared);
    return true;
  }
  // The whole key: shared is 0 at a restart point.
  const size_t end = UnpackSplitKey(p, non_shared, 0, &restart_key_);
  if (end == 0) {
    MarkCorrupt("restart entry key suffix at offset " + std::to_string(offset));
    return false;
  }
  *key = std::string_view(restart_key_.data(), end);
  return true;
}

void BlockIterator::SeekToFirst() {
  if (!status_.ok() || num_restarts_ == 0) return MarkInvalid();
  SeekToRestart(0);
  ParseNextEntry();
}

void BlockIterator::SeekToLast() {
  if (!status_.ok() || num_restarts_ == 0) return MarkInvalid();
  SeekToRestart(num_restarts_ - 1);
  while (ParseNextEntry() && next_offset_ < restarts_offset_) {
  }
}

void BlockIterator::Seek(std::string_view target) {
  if (!status_.ok() || num_restarts_ == 0) return MarkInvalid();
  // Find the last restart point whose key is < target; the answer is at or after it.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  if (words_ != nullptr) words_->Bounds(target, &left, &right);
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) return;
    if (comparator_->Compare(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestart(left);
  while (ParseNextEntry()) {
    if (comparator_->Compare(key(), target) >= 0) return;
  }
}

void BlockIterator::SeekForPrev(std::string_view target) {
  Seek(target);
  if (!Valid()) {
    if (status_.ok()) SeekToLast();
    return;
  }
  if (comparator_->Compare(key(), target) > 0) Prev();
}

void BlockIterator::Next() {
  ZIGGY_ASSERT(Valid());
  ParseNextEntry();
}

void BlockIterator::Prev() {
  ZIGGY_ASSERT(Valid());
  const uint32_t original = current_;
  // The entry before this one may be cached by an earlier Prev in this restart interval: the
  // cache is keyed by offsets in the immutable block, so it holds however we got here.
  if (!prev_entries_.empty() && prev_entries_.back().next_offset == original) {
    const PrevEntry& entry = prev_entries_.back();
    current_ = entry.offset;
    next_offset_ = entry.next_offset;
    restart_index_ = prev_restart_index_;
    key_size_ = prev_keys_.size() - entry.key_begin;
    std::memcpy(KeyRoom(key_size_), prev_keys_.data() + entry.key_begin, key_size_);
    value_ = entry.value;
    prev_keys_.resize(entry.key_begin);
    prev_entries_.pop_back();
    return;
  }
  // Back up to the last restart point before the current entry, then walk forward to the entry
  // that ends where the current one starts, caching the entries passed on the way.
  uint32_t index = restart_index_;
  while (block_->restart(index) >= original) {
    if (index == 0) return MarkInvalid();  // the current entry is the first
    --index;
  }
  prev_entries_.clear();
  prev_keys_.clear();
  prev_restart_index_ = index;
  SeekToRestart(index);
  while (ParseNextEntry()) {
    if (next_offset_ >= original) {
      if (next_offset_ != original) MarkCorrupt("entries overlap a restart point");
      return;
    }
    prev_entries_.push_back(
        PrevEntry{current_, next_offset_, static_cast<uint32_t>(prev_keys_.size()), value_});
    prev_keys_.append(key());
  }
}

}  // namespace ziggydb
