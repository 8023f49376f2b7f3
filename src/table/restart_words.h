// RestartWords: an in-memory search aid for one block's restart points, built when a table opens
// (nothing is stored on disk). A table's index block has one restart point per data block, so a
// seek's binary search over it touches ~log2(blocks) scattered cache lines of the block. This
// keeps one 8-byte word per restart key in a dense array instead: the binary search runs over the
// words, and only restart keys whose word equals the target's are compared in full.
//
// The word of a key's ordered part u (the key without the comparator's trailer: the whole key for
// the bytewise order, the user key for internal keys over bytewise user keys; see
// Comparator::BytewisePrefixTrailerBytes) is, with P the common
// prefix of the block's first and second-to-last restart keys (the last is often a short
// successor such as "l" that shares nothing):
//   u starts with P:  the 8 bytes of u after P, zero-padded, as a big-endian number;
//   u orders before P: 0;   after: UINT64_MAX.
// INVARIANT: the word is monotone (non-decreasing) in the key order, so a restart whose word is
// below the target's has a key below the target, and one whose word is above it a key above.
//
// Values: when every entry of the block is a restart point (a table's index block) and a decoder
// accepts every entry's value, one 8-byte packed value per restart is kept beside the words. A
// point lookup whose word equals no restart's word then has its answer, the first entry at or
// after the target, from the words and values alone: the block itself (half a megabyte for a 64
// MB table, cold in the cache for most reads) is not read.
//
// Thread safety: immutable after Build; shared by every iterator over the block.
#ifndef ZIGGYDB_TABLE_RESTART_WORDS_H_
#define ZIGGYDB_TABLE_RESTART_WORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/block.h"
#include "util/comparator.h"

namespace ziggydb {

class RestartWords {
 public:
  // Words for the restart keys of `block`, stored whole (BlockKeyEncoding::kWhole) and ordered by
  // `comparator`. Empty (no aid) when the comparator is not a bytewise prefix order, the block
  // has few restart points, or a restart key does not decode or is shorter than the trailer.
  // decode, when not null, packs an entry's value into 8 bytes (false: not packable; then no
  // values are kept).
  using ValueDecoder = bool (*)(std::string_view value, uint64_t* packed);
  static RestartWords Build(const Block& block, const Comparator* comparator,
                            ValueDecoder decode = nullptr);

  RestartWords() = default;

  bool empty() const { return words_.empty(); }
  size_t size() const { return words_.size(); }
  // Narrows a seek's binary search: the last restart whose key orders before target (or restart
  // 0 when none does) lies in [*left, *right]. Precondition: !empty().
  void Bounds(std::string_view target, uint32_t* left, uint32_t* right) const;
  // When values are kept and no restart's word equals target's: true, with *index the first
  // restart whose key orders at or after target (size() when none does) and, below size(), *value
  // its packed value. False when the block must be searched.
  bool FindFirstNotBefore(std::string_view target, uint32_t* index, uint64_t* value) const;
  size_t memory_bytes() const {
    return (words_.capacity() + values_.capacity() + top_.capacity()) * sizeof(uint64_t) +
           prefix_.capacity();
  }

 private:
  // The ordered part of key, or nullopt when key is shorter than the trailer.
  std::optional<std::string_view> OrderedPart(std::string_view key) const;
  uint64_t WordOf(std::string_view ordered) const;
  // The restarts whose word equals target's: [first, past). Those before `first` order before
  // target, those from `past` on after it. nullopt when target is not a key of this order.
  struct Tie {
    uint32_t first;
    uint32_t past;
  };
  std::optional<Tie> TiedRestarts(std::string_view target) const;
  // The first restart whose word is at least `word` (size() when none is).
  uint32_t LowerBound(uint64_t word) const;

  size_t trailer_bytes_ = 0;
  std::string prefix_;
  std::vector<uint64_t> words_;
  // top_[j] == words_[j * kTopStride]: a lookup searches these first, then one stride of words_.
  // A binary search over words_ (128 KiB for a 64 MB table's index) is ~14 dependent steps, the
  // last ones on cold lines; over top_ (1/32 of it) it is five fewer, and the stride it leaves
  // is four or five lines, asked for at once.
  static constexpr size_t kTopStride = 32;
  std::vector<uint64_t> top_;
  // Empty, or values_[i] is the packed value of restart i's entry, every entry being a restart.
  std::vector<uint64_t> values_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_RESTART_WORDS_H_
