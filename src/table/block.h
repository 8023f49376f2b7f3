// Block: the decoded, immutable contents of one block (data, index, metaindex or properties), and
// BlockIterator, a cursor over its entries in both directions. Format: docs/format/sstable.md,
// "Block".
//
// Invariants of a parsed Block (checked by Block::Parse, relied on by BlockIterator):
//   1. The restart array [restarts_offset_, size - 4) fits in the contents.
//   2. num_restarts_ == 0 exactly when the block holds no entries (restarts_offset_ == 0).
//   3. Otherwise restart[0] == 0 and the restart offsets strictly increase, all < restarts_offset_.
// Entries themselves are decoded lazily; the iterator bounds every read by restarts_offset_ and
// reports malformed entries as Corruption, including an entry at a restart point that shares a
// prefix and an entry that straddles a restart point (so every restart offset starts an entry,
// and Prev, which rescans from a restart point, sees the same entries as Next).
//
// A Block owns its bytes (Parse) or views bytes it does not own (ParseView: a data block of a
// memory-mapped table, see docs/design/table_reads.md).
// INVARIANT (views): the viewed bytes outlive the Block and every BlockIterator over it, and so
// every key and value slice taken from them. The TableReader that makes a view guarantees it by
// outliving all of these; a view Block is never put into the block cache.
//
// Thread safety: a Block is immutable and may be shared (the block cache holds
// shared_ptr<const Block>). A BlockIterator is used by one thread at a time.
#ifndef ZIGGYDB_TABLE_BLOCK_H_
#define ZIGGYDB_TABLE_BLOCK_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/format.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/comparator.h"
#include "ziggydb/iterator.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Block {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Takes ownership of contents (the uncompressed block without trailer). Corruption if the
  // restart array is malformed.
  [[nodiscard]] static Status Parse(std::string contents, std::shared_ptr<const Block>* block);
  // As Parse, over bytes the Block does not own (see the view invariant above). live_views, when
  // not null, counts this Block from now until its destruction (release order), so that the
  // owner of the bytes can assert that no view outlives them.
  [[nodiscard]] static Status ParseView(std::string_view contents, std::atomic<int64_t>* live_views,
                                        std::shared_ptr<const Block>* block);
  // As ParseView, into *block: no allocation, for a view used within one scope (a point lookup).
  [[nodiscard]] static Status ParseViewInPlace(std::string_view contents,
                                               std::atomic<int64_t>* live_views,
                                               std::optional<Block>* block);

  // For Parse/ParseView/ParseViewInPlace only (Key is private); public so that make_shared and
  // std::optional::emplace can construct the Block.
  Block(Key, std::string contents, uint32_t restarts_offset, uint32_t num_restarts);
  Block(Key, std::string_view view, std::atomic<int64_t>* live_views, uint32_t restarts_offset,
        uint32_t num_restarts);
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  std::string_view contents() const { return contents_; }
  uint32_t num_restarts() const { return num_restarts_; }
  // Offset of the first byte after the entries (the start of the restart array).
  uint32_t restarts_offset() const { return restarts_offset_; }
  uint32_t restart(uint32_t index) const {
    ZIGGY_ASSERT(index < num_restarts_);
    return DecodeFixed32(contents_.data() + restarts_offset_ + 4 * size_t{index});
  }
  // The key and value of the entry at restart point `index` of a block that stores keys whole
  // (BlockKeyEncoding::kWhole), and the offset just past the entry; false if it is malformed.
  bool WholeEntryAtRestart(uint32_t index, std::string_view* key, std::string_view* value,
                           uint32_t* end) const;
  // What the block costs in memory, for the block cache (a view owns no bytes).
  size_t charge() const { return owned_.capacity() + sizeof(Block); }

 private:
  // Checks the restart array of contents (invariants 1-3).
  [[nodiscard]] static Status ParseRestarts(std::string_view contents, uint32_t* restarts_offset,
                                            uint32_t* num_restarts);

  const std::string owned_;  // empty for a view
  // owned_, or the viewed bytes. Declared after owned_: initialized from it.
  const std::string_view contents_;
  std::atomic<int64_t>* const live_views_;  // null unless a counted view
  const uint32_t restarts_offset_;
  const uint32_t num_restarts_;
};

// A pointer to block for a BlockIterator that does not outlive the scope holding the Block: a
// shared_ptr aliasing an empty owner, so copying and destroying it updates no count (threads
// reading one Block then write no shared cache line).
inline std::shared_ptr<const Block> Uncounted(const Block& block) {
  return std::shared_ptr<const Block>(std::shared_ptr<const Block>(), &block);
}

// A growable byte buffer whose first kInlineBytes live inside the object, so that decoding the
// (nearly always short) keys of a block allocates nothing per iterator. It only grows, keeping
// its bytes. Not movable: data() may point into the object itself.
class KeyBuffer {
 public:
  static constexpr size_t kInlineBytes = 64;

  KeyBuffer() = default;
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  // Room for `size` bytes, keeping the current ones; returns the start.
  char* Reserve(size_t size) {
    if (size > capacity_) Grow(size);
    return data_;
  }

 private:
  void Grow(size_t size);

  char inline_[kInlineBytes];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  size_t capacity_ = kInlineBytes;
};

class RestartWords;

class BlockIterator final : public Iterator {
 public:
  // Keeps block alive; comparator orders its keys (and must outlive the iterator); encoding is
  // how the block stores them (its table's format version says). words, when not null, are the
  // block's RestartWords (restart_words.h) under comparator's order, and must outlive the
  // iterator: Seek then narrows its restart search with them.
  BlockIterator(std::shared_ptr<const Block> block, const Comparator* comparator,
                BlockKeyEncoding encoding = BlockKeyEncoding::kWhole,
                const RestartWords* words = nullptr);

  bool Valid() const override { return current_ < restarts_offset_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return {key_buffer_.data(), key_size_}; }
  std::string_view value() const override { return value_; }
  // Corruption once a malformed entry was met; sticky (the iterator then stays invalid).
  Status status() const override { return status_; }

 private:
  // Positions before the entry at restart point `index`, so ParseNextEntry decodes it.
  void SeekToRestart(uint32_t index);
  // Decodes the entry at next_offset_ into key_/value_; false at the end or on corruption.
  bool ParseNextEntry();
  template <bool kSplitSuffix>
  bool ParseNextEntryAs();
  // Decodes the whole key stored at restart point `index` (valid until the next call); false
  // (and corrupt) if malformed.
  bool RestartKey(uint32_t index, std::string_view* key);
  // Room for a key of `size` bytes in key_buffer_, keeping its first bytes; returns its start.
  char* KeyRoom(size_t size) { return key_buffer_.Reserve(size); }
  void MarkInvalid();
  void MarkCorrupt(std::string_view what);

  const std::shared_ptr<const Block> block_;
  const Comparator* const comparator_;
  const char* const data_;
  const uint32_t restarts_offset_;
  const uint32_t num_restarts_;
  const BlockKeyEncoding encoding_;
  const RestartWords* const words_;  // null: plain binary search

  // INVARIANT: Valid() iff current_ < restarts_offset_; then key_/value_ hold that entry, which
  // ends at next_offset_, and restart_index_ is the last restart point <= current_.
  uint32_t current_;
  uint32_t next_offset_ = 0;
  uint32_t restart_index_ = 0;
  // The current key is key_buffer_[0, key_size_). The buffer only grows, so decoding an entry
  // writes its bytes in place without a string operation per entry.
  KeyBuffer key_buffer_;
  size_t key_size_ = 0;
  std::string_view value_;
  KeyBuffer restart_key_;  // RestartKey's decoded key (kVarintSuffix)
  Status status_;
  // Prev walks forward from a restart point to the entry before the current one; it keeps the
  // entries it passed (oldest first, keys back to back in prev_keys_) so that the next Prev calls
  // in that interval take the last one instead of decoding the interval again.
  // INVARIANT: every cached entry lies in the interval of restart point prev_restart_index_, and
  // each one's key ends where the next one's begins (the last one's at prev_keys_.size()).
  struct PrevEntry {
    uint32_t offset;
    uint32_t next_offset;
    uint32_t key_begin;  // in prev_keys_
    std::string_view value;
  };
  std::vector<PrevEntry> prev_entries_;
  std::string prev_keys_;
  uint32_t prev_restart_index_ = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_BLOCK_H_
