// DBImpl and its memory budget (memory_budget.h, docs/design/memory.md): what each part holds,
// and the targets the budget sets for the memtable switch and the block cache.
#include "db/db_impl.h"

namespace ziggydb {

MemoryUsage DBImpl::MemoryUsageNow() {
  MemoryUsage usage;
  usage.mutable_memtable_bytes = mem_ != nullptr ? mem_->ApproximateMemoryBytes() : 0;
  for (const Immutable& imm : imm_)
    usage.immutable_memtable_bytes += imm.mem->ApproximateMemoryBytes();
  if (BlockCache* cache = reads_.block_cache(); cache != nullptr) {
    usage.block_cache_bytes = cache->usage();
    usage.block_cache_pinned_bytes = cache->pinned_usage();
  }
  usage.table_meta_bytes = reads_.table_cache()->pinned_memory_bytes();
  if (const RowCache* rows = reads_.row_cache(); rows != nullptr)
    usage.row_cache_bytes = rows->memory_bytes();
  usage.pinned_memtable_bytes = memory_budget_.PinnedMemtableBytes();
  return usage;
}

void DBImpl::RebalanceMemory() {
  if (!memory_budget_.enabled()) return;
  const MemoryTargets targets = memory_budget_.Rebalance(MemoryUsageNow());
  // Evicting may free many blocks: a cost paid by the switch or flush that changed the balance.
  reads_.block_cache()->SetCapacity(targets.block_cache_capacity_bytes);
}

}  // namespace ziggydb
