#include "db/memory_budget.h"

#include <algorithm>
#include <cstdio>

namespace ziggydb {
namespace {

size_t SaturatingSub(size_t a, size_t b) {
  return a > b ? a - b : 0;
}

}  // namespace

MemoryBudget::MemoryBudget(size_t cap_bytes, size_t memtable_bytes, int max_immutable_memtables,
                           size_t block_cache_bytes)
    : cap_bytes_(cap_bytes),
      memtable_bytes_(memtable_bytes),
      memtable_slots_(static_cast<size_t>(std::max(max_immutable_memtables, 0)) + 1) {
  targets_ = {memtable_bytes, block_cache_bytes};
  if (enabled()) Rebalance(MemoryUsage{});
}

void MemoryBudget::AddFlushedMemtable(const std::shared_ptr<const MemTable>& mem) {
  if (!enabled()) return;  // nothing reads the pins without a cap
  for (const Flushed& f : flushed_) {
    if (!f.mem.owner_before(mem) && !mem.owner_before(f.mem)) return;  // recorded already
  }
  flushed_.push_back(Flushed{mem, mem->ApproximateMemoryBytes()});
}

size_t MemoryBudget::PinnedMemtableBytes() {
  std::erase_if(flushed_, [](const Flushed& f) { return f.mem.expired(); });
  size_t bytes = 0;
  for (const Flushed& f : flushed_)
    bytes += f.bytes;
  return bytes;
}

MemoryTargets MemoryBudget::Rebalance(const MemoryUsage& usage) {
  if (!enabled()) return targets_;
  // Policy 1: memtables share at most half the cap, less what pins leave of it.
  const size_t room_bytes = SaturatingSub(cap_bytes_, usage.PinnedBytes());
  const size_t memtable_room_bytes = std::min(cap_bytes_ / 2, room_bytes);
  targets_.memtable_switch_bytes = std::max(
      std::min(memtable_bytes_, memtable_room_bytes / memtable_slots_), kMemtableSwitchBytesMin);
  // Policy 2: the cache gets what pins, queued memtables and a full mutable one leave. The
  // mutable one may already hold more than the new switch size (set when the switch was larger):
  // until it switches, it is what the cache must leave room for.
  const size_t mutable_reserve_bytes =
      std::max(usage.mutable_memtable_bytes, targets_.memtable_switch_bytes);
  targets_.block_cache_capacity_bytes =
      SaturatingSub(room_bytes, usage.immutable_memtable_bytes + mutable_reserve_bytes);
  return targets_;
}

std::string MemoryBudget::Describe(const MemoryUsage& usage) const {
  const struct {
    const char* name;
    size_t bytes;
  } lines[] = {
      {"cap", cap_bytes_},
      {"total", usage.TotalBytes()},
      {"mutable memtable", usage.mutable_memtable_bytes},
      {"immutable memtables", usage.immutable_memtable_bytes},
      {"block cache", usage.block_cache_bytes},
      {"block cache pinned by iterators", usage.block_cache_pinned_bytes},
      {"index and filter blocks", usage.table_meta_bytes},
      {"memtables pinned by iterators", usage.pinned_memtable_bytes},
      {"row cache", usage.row_cache_bytes},
      {"memtable switch", targets_.memtable_switch_bytes},
      {"block cache capacity", targets_.block_cache_capacity_bytes},
  };
  std::string out;
  char line[96];
  for (const auto& [name, bytes] : lines) {
    std::snprintf(line, sizeof(line), "%s: %zu\n", name, bytes);
    out += line;
  }
  out += enabled() ? (over_cap(usage) ? "over cap: yes\n" : "over cap: no\n")
                   : "over cap: no (no cap)\n";
  return out;
}

}  // namespace ziggydb
