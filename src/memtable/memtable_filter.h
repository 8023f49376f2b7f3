// MemTableFilter: an in-memory Bloom filter over the user keys added to one memtable, so that a
// point lookup for a key the memtable never saw skips the skiplist search (a chain of dependent
// cache misses) after a single cache-line probe.
//
// Layout (in memory only, never persisted): num_lines 64-byte lines of 512 bits. A key's 64-bit
// hash h picks one line with FastRange(h, num_lines); Mix(h) supplies kProbes 9-bit offsets
// inside that line. Confining the probes to one line costs some false positives against a
// standard Bloom filter of the same size, which is fine here: a false positive only costs the
// skiplist search the filter would have saved, and the filter is sized generously (see
// MemTableFilterBytes).
//
// Thread safety: Add is for the memtable's single writer; AddConcurrently may run on several
// threads at once (not alongside Add); MayContain may run concurrently with both. Bits are only
// ever set, through relaxed atomic words. A reader that happens-after an Add (e.g. through the DB
// mutex that publishes the write's sequence number) sees its bits; one racing with an Add may miss
// them, exactly as it may miss the skiplist node being linked.
#ifndef ZIGGYDB_MEMTABLE_MEMTABLE_FILTER_H_
#define ZIGGYDB_MEMTABLE_MEMTABLE_FILTER_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "util/assert.h"
#include "util/hash.h"

namespace ziggydb {

class MemTableFilter {
 public:
  static constexpr size_t kLineBytes = 64;
  static constexpr int kProbes = 6;

  // bytes is rounded down to whole lines; precondition: bytes >= kLineBytes.
  explicit MemTableFilter(size_t bytes)
      : num_lines_(bytes / kLineBytes),
        words_(std::make_unique<std::atomic<uint64_t>[]>(num_lines_ * kWordsPerLine)) {
    ZIGGY_ASSERT(num_lines_ >= 1);
  }
  MemTableFilter(const MemTableFilter&) = delete;
  MemTableFilter& operator=(const MemTableFilter&) = delete;

  static uint64_t HashKey(std::string_view user_key) { return Hash64(user_key, kSeed); }

  // Single writer.
  void Add(uint64_t hash) {
    std::atomic<uint64_t>* line = Line(hash);
    uint64_t probes = Mix(hash);
    for (int i = 0; i < kProbes; ++i, probes >>= kProbeBits) {
      std::atomic<uint64_t>& word = line[(probes >> 6) & (kWordsPerLine - 1)];
      const uint64_t mask = uint64_t{1} << (probes & 63);
      // Relaxed load + store, not fetch_or: only this thread writes, so no update is lost, and
      // a plain store avoids a locked instruction per probe.
      const uint64_t old = word.load(std::memory_order_relaxed);
      if ((old & mask) == 0) word.store(old | mask, std::memory_order_relaxed);
    }
  }

  // Add for several writers at once: fetch_or, so that no writer's bit is lost.
  void AddConcurrently(uint64_t hash) {
    std::atomic<uint64_t>* line = Line(hash);
    uint64_t probes = Mix(hash);
    for (int i = 0; i < kProbes; ++i, probes >>= kProbeBits) {
      std::atomic<uint64_t>& word = line[(probes >> 6) & (kWordsPerLine - 1)];
      const uint64_t mask = uint64_t{1} << (probes & 63);
      if ((word.load(std::memory_order_relaxed) & mask) == 0) {
        word.fetch_or(mask, std::memory_order_relaxed);
      }
    }
  }

  // False only if no key with this hash was added (subject to the visibility rule above).
  bool MayContain(uint64_t hash) const {
    const std::atomic<uint64_t>* line = Line(hash);
    uint64_t probes = Mix(hash);
    bool all_set = true;
    for (int i = 0; i < kProbes; ++i, probes >>= kProbeBits) {
      const uint64_t word =
          line[(probes >> 6) & (kWordsPerLine - 1)].load(std::memory_order_relaxed);
      all_set &= ((word >> (probes & 63)) & 1) != 0;
    }
    return all_set;
  }

  size_t bytes() const { return num_lines_ * kLineBytes; }

 private:
  static constexpr size_t kWordsPerLine = kLineBytes / sizeof(uint64_t);
  static constexpr int kProbeBits = 9;  // log2(512 bits per line)
  static_assert(kProbes * kProbeBits <= 64);
  static constexpr uint64_t kSeed = 0x6d656d66;  // distinct from the table filters' seed

  // A bijective finalizer: the probe offsets come from bits independent of the line choice (the
  // line uses h's high bits through FastRange).
  static uint64_t Mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
  }

  std::atomic<uint64_t>* Line(uint64_t hash) const {
    const auto line = static_cast<size_t>(FastRange(hash, num_lines_));
    return &words_[line * kWordsPerLine];
  }

  const size_t num_lines_;
  const std::unique_ptr<std::atomic<uint64_t>[]> words_;  // value-initialised: all zero
};

// Filter bytes for a memtable expected to grow to memtable_bytes: 1/64 of it (about 18 bits per
// entry for 100-byte values), between 4 KiB and 64 MiB.
inline size_t MemTableFilterBytes(size_t memtable_bytes) {
  return std::clamp<size_t>(memtable_bytes / 64, size_t{4} << 10, size_t{64} << 20);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_MEMTABLE_FILTER_H_
