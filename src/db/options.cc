// Options::Validate: the ranges documented in include/ziggydb/options.h.
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "util/status_macros.h"
#include "ziggydb/options.h"

namespace ziggydb {
namespace {

enum class Unit : uint8_t { kCount, kBytes, kBytesPerSec };

// 65536 bytes -> "64 KiB": the largest binary unit that divides the value.
template <typename T>
std::string Amount(T value, Unit unit) {
  if (unit == Unit::kCount) return std::to_string(value);
  constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  uint64_t scaled = static_cast<uint64_t>(value);
  size_t power = 0;
  while (power + 1 < std::size(kUnits) && scaled >= 1024 && scaled % 1024 == 0) {
    scaled /= 1024;
    ++power;
  }
  // Appended piece by piece: GCC 12 at -O3 raises a false -Wrestrict on "x" + std::string&&.
  std::string text = std::to_string(scaled);
  text += ' ';
  text += kUnits[power];
  if (unit == Unit::kBytesPerSec) text += "/s";
  return text;
}

// InvalidArgument naming the field and its range (as the header states it) if value is outside.
template <typename T>
Status CheckRange(const char* field, T value, const OptionRange<T>& range, Unit unit) {
  if (range.Contains(value)) return Status::OK();
  std::string text;
  if (range.max == std::numeric_limits<T>::max()) {
    text = "at least ";
    text += Amount(range.min, unit);
  } else {
    text = "[";
    text += Amount(range.min, unit);
    text += ", ";
    text += Amount(range.max, unit);
    text += ']';
  }
  return Status::InvalidArgument(std::string("option ") + field + " out of range", text);
}

Status OutOfRange(const char* field, const std::string& range) {
  return Status::InvalidArgument(std::string("option ") + field + " out of range", range);
}

}  // namespace

Status Options::Validate() const {
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("memtable_bytes", memtable_bytes, kMemtableBytesRange, Unit::kBytes));
  ZIGGY_RETURN_IF_ERROR(CheckRange("max_immutable_memtables", max_immutable_memtables,
                                   kMaxImmutableMemtablesRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(CheckRange("max_write_group_bytes", max_write_group_bytes,
                                   kMaxWriteGroupBytesRange, Unit::kBytes));
  if (static_cast<uint8_t>(wal_recovery_mode) >
      static_cast<uint8_t>(WalRecoveryMode::kSkipAnyCorruptedRecords)) {
    return OutOfRange("wal_recovery_mode", "not a WalRecoveryMode");
  }
  if (memory_budget_bytes != 0) {
    ZIGGY_RETURN_IF_ERROR(CheckRange("memory_budget_bytes", memory_budget_bytes,
                                     kMemoryBudgetBytesRange, Unit::kBytes));
  }
  ZIGGY_RETURN_IF_ERROR(CheckRange("block_size", block_size, kBlockSizeRange, Unit::kBytes));
  ZIGGY_RETURN_IF_ERROR(CheckRange("block_restart_interval", block_restart_interval,
                                   kBlockRestartIntervalRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("bloom_bits_per_key", bloom_bits_per_key, kBloomBitsPerKeyRange, Unit::kCount));
  if (static_cast<uint8_t>(compression) > static_cast<uint8_t>(CompressionType::kLz4)) {
    return OutOfRange("compression", "not a CompressionType");
  }
  if (row_cache_bytes != 0) {
    ZIGGY_RETURN_IF_ERROR(
        CheckRange("row_cache_bytes", row_cache_bytes, kRowCacheBytesRange, Unit::kBytes));
    if (memory_budget_bytes != 0 && row_cache_bytes > memory_budget_bytes / 2)
      return OutOfRange("row_cache_bytes", "at most half of memory_budget_bytes");
  }
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("max_open_files", max_open_files, kMaxOpenFilesRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(CheckRange("max_background_jobs", max_background_jobs,
                                   kMaxBackgroundJobsRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("l0_stop_trigger", l0_stop_trigger, kL0TriggerRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("l0_slowdown_trigger", l0_slowdown_trigger, kL0TriggerRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("l0_compaction_trigger", l0_compaction_trigger, kL0TriggerRange, Unit::kCount));
  if (l0_slowdown_trigger > l0_stop_trigger) {
    return OutOfRange("l0_slowdown_trigger", "at most l0_stop_trigger");
  }
  if (l0_compaction_trigger > l0_slowdown_trigger) {
    return OutOfRange("l0_compaction_trigger", "at most l0_slowdown_trigger");
  }
  ZIGGY_RETURN_IF_ERROR(
      CheckRange("target_file_size", target_file_size, kTargetFileSizeRange, Unit::kBytes));
  ZIGGY_RETURN_IF_ERROR(CheckRange("level_size_multiplier", level_size_multiplier,
                                   kLevelSizeMultiplierRange, Unit::kCount));
  ZIGGY_RETURN_IF_ERROR(CheckRange("max_bytes_for_level_base", max_bytes_for_level_base,
                                   kMaxBytesForLevelBaseRange, Unit::kBytes));
  if (static_cast<uint8_t>(compaction_priority) >
      static_cast<uint8_t>(CompactionPriority::kRoundRobin)) {
    return OutOfRange("compaction_priority", "not a CompactionPriority");
  }
  if (soft_pending_compaction_bytes != 0 && hard_pending_compaction_bytes != 0 &&
      soft_pending_compaction_bytes > hard_pending_compaction_bytes) {
    return OutOfRange("soft_pending_compaction_bytes", "at most hard_pending_compaction_bytes");
  }
  return CheckRange("delayed_write_bytes_per_sec", delayed_write_bytes_per_sec,
                    kDelayedWriteBytesPerSecRange, Unit::kBytesPerSec);
}

Status WriteOptions::Validate() const {
  if (sync && disable_wal) {
    return Status::InvalidArgument(
        "sync and disable_wal together: a write without the WAL cannot be made durable by the "
        "write");
  }
  return Status::OK();
}

}  // namespace ziggydb
