// Options::Validate: the ranges documented in include/ziggydb/options.h.
#include <string>

#include "ziggydb/options.h"

namespace ziggydb {
namespace {

template <typename T>
bool InRange(T value, T low, T high) {
  return value >= low && value <= high;
}

Status OutOfRange(const char* field, const std::string& range) {
  return Status::InvalidArgument(std::string("option ") + field + " out of range", range);
}

}  // namespace

Status Options::Validate() const {
  if (!InRange<size_t>(memtable_bytes, size_t{64} << 10, size_t{4} << 30)) {
    return OutOfRange("memtable_bytes", "[64 KiB, 4 GiB]");
  }
  if (!InRange(max_immutable_memtables, 1, 16)) {
    return OutOfRange("max_immutable_memtables", "[1, 16]");
  }
  if (!InRange<size_t>(max_write_group_bytes, size_t{4} << 10, kMaxWriteBatchBytes)) {
    return OutOfRange("max_write_group_bytes", "[4 KiB, kMaxWriteBatchBytes]");
  }
  if (static_cast<uint8_t>(wal_recovery_mode) >
      static_cast<uint8_t>(WalRecoveryMode::kSkipAnyCorruptedRecords)) {
    return OutOfRange("wal_recovery_mode", "not a WalRecoveryMode");
  }
  if (!InRange<size_t>(block_size, size_t{1} << 10, size_t{4} << 20)) {
    return OutOfRange("block_size", "[1 KiB, 4 MiB]");
  }
  if (!InRange(block_restart_interval, 1, 1024)) {
    return OutOfRange("block_restart_interval", "[1, 1024]");
  }
  if (!InRange(bloom_bits_per_key, 0, 32)) return OutOfRange("bloom_bits_per_key", "[0, 32]");
  if (static_cast<uint8_t>(compression) > static_cast<uint8_t>(CompressionType::kLz4)) {
    return OutOfRange("compression", "not a CompressionType");
  }
  if (max_open_files < 16) return OutOfRange("max_open_files", "at least 16");
  if (!InRange(max_background_jobs, 2, 16)) return OutOfRange("max_background_jobs", "[2, 16]");
  if (!InRange(l0_stop_trigger, 1, 1000)) return OutOfRange("l0_stop_trigger", "[1, 1000]");
  if (!InRange(l0_slowdown_trigger, 1, l0_stop_trigger)) {
    return OutOfRange("l0_slowdown_trigger", "[1, l0_stop_trigger]");
  }
  if (!InRange(l0_compaction_trigger, 1, l0_slowdown_trigger)) {
    return OutOfRange("l0_compaction_trigger", "[1, l0_slowdown_trigger]");
  }
  if (!InRange<uint64_t>(target_file_size, uint64_t{64} << 10, uint64_t{4} << 30)) {
    return OutOfRange("target_file_size", "[64 KiB, 4 GiB]");
  }
  if (!InRange(level_size_multiplier, 2, 100)) {
    return OutOfRange("level_size_multiplier", "[2, 100]");
  }
  if (!InRange<uint64_t>(max_bytes_for_level_base, uint64_t{64} << 10, uint64_t{1} << 40)) {
    return OutOfRange("max_bytes_for_level_base", "[64 KiB, 1 TiB]");
  }
  if (static_cast<uint8_t>(compaction_priority) >
      static_cast<uint8_t>(CompactionPriority::kRoundRobin)) {
    return OutOfRange("compaction_priority", "not a CompactionPriority");
  }
  if (soft_pending_compaction_bytes != 0 && hard_pending_compaction_bytes != 0 &&
      soft_pending_compaction_bytes > hard_pending_compaction_bytes) {
    return OutOfRange("soft_pending_compaction_bytes", "at most hard_pending_compaction_bytes");
  }
  if (delayed_write_bytes_per_sec < (uint64_t{64} << 10)) {
    return OutOfRange("delayed_write_bytes_per_sec", "at least 64 KiB/s");
  }
  return Status::OK();
}

}  // namespace ziggydb
