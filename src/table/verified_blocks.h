// VerifiedBlocks: which data blocks of one open table have passed their checksum, so that a
// mapped table verifies each block once per TableReader instead of on every load
// (docs/design/table_reads.md, "Checksums").
//
// One bit per granule of 2^granule_shift bytes of the data region [0, data_end). A block stands
// for the granule holding its offset, and only blocks whose stored bytes (contents + trailer) span
// at least one granule are tracked.
// INVARIANT: two tracked blocks never share a bit: they do not overlap and each is at least a
// granule long, so their offsets lie in different granules. A set bit therefore always means
// "this very block was verified"; untracked (small) blocks are verified on every load.
//
// Thread safety: Contains and Insert may run concurrently from any thread. The bits are relaxed
// atomics: a bit publishes no data, only a fact about immutable bytes of the file.
#ifndef ZIGGYDB_TABLE_VERIFIED_BLOCKS_H_
#define ZIGGYDB_TABLE_VERIFIED_BLOCKS_H_

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "table/format.h"

namespace ziggydb {

class VerifiedBlocks {
 public:
  // Tracks nothing: every block is verified on every load.
  VerifiedBlocks() = default;
  // For a data region ending at data_end whose blocks average avg_block_bytes stored bytes. The
  // granule is the largest power of two <= half that average (at least kMinGranuleBytes), so
  // nearly every block is tracked and the bitmap costs about 2 bits per block, and never more
  // than data_end / 512 bytes.
  VerifiedBlocks(uint64_t data_end, uint64_t avg_block_bytes)
      : granule_shift_(
            std::max(kMinGranuleShift, static_cast<int>(std::bit_width(avg_block_bytes / 2)) - 1)),
        data_end_(data_end),
        num_words_(static_cast<size_t>((data_end >> granule_shift_) / 64 + 1)),
        words_(std::make_unique<std::atomic<uint64_t>[]>(num_words_)) {}

  VerifiedBlocks(VerifiedBlocks&&) = default;
  VerifiedBlocks& operator=(VerifiedBlocks&&) = default;

  // True if the block at handle passed its checksum before (always false if it is not tracked).
  bool Contains(const BlockHandle& handle) const {
    size_t word = 0;
    uint64_t mask = 0;
    if (!Track(handle, &word, &mask)) return false;
    return (words_[word].load(std::memory_order_relaxed) & mask) != 0;
  }
  // Records that the block at handle passed its checksum.
  void Insert(const BlockHandle& handle) const {
    size_t word = 0;
    uint64_t mask = 0;
    if (Track(handle, &word, &mask)) words_[word].fetch_or(mask, std::memory_order_relaxed);
  }

 private:
  static constexpr int kMinGranuleShift = 6;  // 64 bytes: bitmap <= data_end / 512 bytes

  // The bit of a tracked block: it lies inside the data region and spans a whole granule.
  bool Track(const BlockHandle& handle, size_t* word, uint64_t* mask) const {
    if (words_ == nullptr || handle.offset >= data_end_) return false;
    if (handle.size < (uint64_t{1} << granule_shift_) - kBlockTrailerBytes) return false;
    const uint64_t granule = handle.offset >> granule_shift_;
    *word = static_cast<size_t>(granule / 64);
    *mask = uint64_t{1} << (granule % 64);
    return true;
  }

  int granule_shift_ = kMinGranuleShift;
  uint64_t data_end_ = 0;
  size_t num_words_ = 0;
  // Bits mutate through a const reader: the set is a cache of checks, not table state.
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_VERIFIED_BLOCKS_H_
