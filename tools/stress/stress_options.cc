#include "tools/stress/stress_options.h"

#include <fmt/core.h>

#include "util/random.h"

namespace ziggydb::tools::stress {
namespace {

const char* CompressionName(CompressionType c) {
  switch (c) {
    case CompressionType::kNone:
      return "none";
    case CompressionType::kSnappy:
      return "snappy";
    case CompressionType::kZstd:
      return "zstd";
    case CompressionType::kLz4:
      return "lz4";
  }
  return "?";
}

const char* RecoveryName(WalRecoveryMode m) {
  switch (m) {
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      return "tolerate-corrupted-tail";
    case WalRecoveryMode::kAbsoluteConsistency:
      return "absolute-consistency";
    case WalRecoveryMode::kPointInTimeRecovery:
      return "point-in-time";
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      return "skip-any-corrupted";
  }
  return "?";
}

const char* SyncName(SyncMode m) {
  switch (m) {
    case SyncMode::kNever:
      return "never";
    case SyncMode::kAlways:
      return "always";
    case SyncMode::kMixed:
      return "mixed";
  }
  return "?";
}

}  // namespace

RunConfig RandomConfig(uint64_t seed) {
  Random rng(seed ^ 0x5eed0f0b7105ULL);
  RunConfig config;
  Options& o = config.options;
  o.create_if_missing = true;
  // Small sizes, so that a run of seconds flushes, compacts and rolls files many times.
  o.memtable_bytes = (size_t{64} << 10) << rng.Uniform(5);      // 64 KiB .. 1 MiB
  o.target_file_size = (uint64_t{64} << 10) << rng.Uniform(4);  // 64 KiB .. 512 KiB
  o.max_bytes_for_level_base = (uint64_t{256} << 10) << rng.Uniform(3);
  o.block_size = size_t{1024} << rng.Uniform(4);  // 1 .. 8 KiB
  o.block_restart_interval = 1 + static_cast<int>(rng.Uniform(32));
  static constexpr CompressionType kCompressions[] = {CompressionType::kNone, CompressionType::kLz4,
                                                      CompressionType::kZstd,
                                                      CompressionType::kSnappy};
  o.compression = kCompressions[rng.Uniform(4)];
  o.bloom_bits_per_key = rng.OneIn(4) ? 0 : static_cast<int>(1 + rng.Uniform(20));
  o.use_mmap_reads = rng.OneIn(2);
  o.max_background_jobs = 2 + static_cast<int>(rng.Uniform(3));
  o.l0_compaction_trigger = 2 + static_cast<int>(rng.Uniform(4));
  o.block_cache_bytes = rng.OneIn(4) ? (size_t{64} << 10) : (size_t{8} << 20);
  // A small row cache: its slots are reused (and raced for) often.
  o.row_cache_bytes = rng.OneIn(2) ? 0 : (size_t{64} << 10);
  static constexpr SyncMode kSyncModes[] = {SyncMode::kNever, SyncMode::kAlways, SyncMode::kMixed};
  config.sync_mode = kSyncModes[rng.Uniform(3)];
  static constexpr WalRecoveryMode kModes[] = {WalRecoveryMode::kTolerateCorruptedTailRecords,
                                               WalRecoveryMode::kPointInTimeRecovery,
                                               WalRecoveryMode::kSkipAnyCorruptedRecords};
  o.wal_recovery_mode = kModes[rng.Uniform(3)];
  o.read_compactions = !rng.OneIn(4);
  return config;
}

std::string DescribeConfig(const RunConfig& config) {
  const Options& o = config.options;
  return fmt::format(
      "memtable_bytes={} target_file_size={} max_bytes_for_level_base={} block_size={} "
      "restart_interval={} compression={} bloom_bits={} mmap_reads={} background_jobs={} "
      "l0_trigger={} read_compactions={} block_cache_bytes={} row_cache_bytes={} sync={} "
      "recovery={}",
      o.memtable_bytes, o.target_file_size, o.max_bytes_for_level_base, o.block_size,
      o.block_restart_interval, CompressionName(o.compression), o.bloom_bits_per_key,
      o.use_mmap_reads ? "on" : "off", o.max_background_jobs, o.l0_compaction_trigger,
      o.read_compactions ? "on" : "off", o.block_cache_bytes, o.row_cache_bytes,
      SyncName(config.sync_mode), RecoveryName(o.wal_recovery_mode));
}

}  // namespace ziggydb::tools::stress
