// Options: plain structs with documented defaults. Validate() reports settings out of range.
//
// Every field is read once, at DB::Open (Options) or at the call that takes it (ReadOptions,
// WriteOptions). Persisted enums are `enum class : uint8_t` with explicit values: never renumber.
#ifndef ZIGGYDB_OPTIONS_H_
#define ZIGGYDB_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb {

class Env;
class EventListener;
class Logger;
class Snapshot;
class Statistics;

// Hard limits on what one operation may carry. A WriteBatch over a limit fails as a whole in
// DB::Write with InvalidArgument; nothing of it is applied.
inline constexpr size_t kMaxKeyBytes = size_t{1} << 20;         // 1 MiB
inline constexpr size_t kMaxValueBytes = size_t{256} << 20;     // 256 MiB
inline constexpr size_t kMaxWriteBatchBytes = size_t{1} << 30;  // 1 GiB, encoded
static_assert(kMaxKeyBytes + kMaxValueBytes < kMaxWriteBatchBytes);

// The values Options::Validate accepts for one numeric option, both ends inclusive. The comment
// of each Options field names its range constant; the constants are the contract.
template <typename T>
struct OptionRange {
  T min;
  T max;
  constexpr bool Contains(T value) const { return value >= min && value <= max; }
};

inline constexpr OptionRange<size_t> kMemtableBytesRange{size_t{64} << 10, size_t{4} << 30};
inline constexpr OptionRange<int> kMaxImmutableMemtablesRange{1, 16};
inline constexpr OptionRange<size_t> kMaxWriteGroupBytesRange{size_t{4} << 10, kMaxWriteBatchBytes};
inline constexpr OptionRange<size_t> kBlockSizeRange{size_t{1} << 10, size_t{4} << 20};
inline constexpr OptionRange<int> kBlockRestartIntervalRange{1, 1024};
inline constexpr OptionRange<int> kBloomBitsPerKeyRange{0, 32};
inline constexpr OptionRange<int> kMaxOpenFilesRange{16, std::numeric_limits<int>::max()};
inline constexpr OptionRange<int> kMaxBackgroundJobsRange{2, 16};
// Each L0 trigger lies in this range, and in addition
// l0_compaction_trigger <= l0_slowdown_trigger <= l0_stop_trigger.
inline constexpr OptionRange<int> kL0TriggerRange{1, 1000};
inline constexpr OptionRange<uint64_t> kTargetFileSizeRange{uint64_t{64} << 10, uint64_t{4} << 30};
inline constexpr OptionRange<int> kLevelSizeMultiplierRange{2, 100};
inline constexpr OptionRange<uint64_t> kMaxBytesForLevelBaseRange{uint64_t{64} << 10,
                                                                  uint64_t{1} << 40};
inline constexpr OptionRange<uint64_t> kDelayedWriteBytesPerSecRange{
    uint64_t{64} << 10, std::numeric_limits<uint64_t>::max()};
// Options::memory_budget_bytes when not 0: room for the smallest memtables and some cache.
inline constexpr OptionRange<size_t> kMemoryBudgetBytesRange{size_t{4} << 20,
                                                             std::numeric_limits<size_t>::max()};

// Options::row_cache_bytes when not 0.
inline constexpr OptionRange<size_t> kRowCacheBytesRange{size_t{64} << 10, size_t{64} << 30};

// 4 GiB memtables need a 64-bit size_t.
static_assert(kMemtableBytesRange.min < kMemtableBytesRange.max);
// A group commit may carry the largest batch, and no more.
static_assert(kMaxWriteGroupBytesRange.max == kMaxWriteBatchBytes);
// Queued memtables: at least one may wait for its flush while the next one fills.
static_assert(kMaxImmutableMemtablesRange.min >= 1);
// One thread flushes; at least one more compacts.
static_assert(kMaxBackgroundJobsRange.min >= 2);
// An L0 compaction needs at least one L0 table to start.
static_assert(kL0TriggerRange.min >= 1);
// The smallest base level target holds at least one table of the smallest size.
static_assert(kTargetFileSizeRange.min <= kMaxBytesForLevelBaseRange.min);

// How a data block is compressed on disk. Persisted in every block trailer — never renumber.
enum class CompressionType : uint8_t {
  kNone = 0,
  kSnappy = 1,
  kZstd = 2,
  kLz4 = 3,
};

// Which table of a level over its size target a compaction moves down next
// (docs/design/compaction.md, Picking).
enum class CompactionPriority : uint8_t {
  // The table overlapping the fewest bytes of the next level per byte of its own: the least
  // rewriting for the bytes moved, so the lowest write amplification.
  kMinOverlappingRatio = 0,
  // The next table after the previous pick, in key order, wrapping around: every key range is
  // visited in turn, whatever its overlap.
  kRoundRobin = 1,
};

// What DB::Open does when a write-ahead log it replays is damaged.
enum class WalRecoveryMode : uint8_t {
  // Default. What a crash mid-write leaves is dropped (logged, and counted in the "ziggydb.stats"
  // property): a torn or corrupt record at the very end of the newest log; damage past every byte
  // a log declares synced (a page of its unsynced tail lost), which ends that log there, even
  // with intact records after it; and a torn older log, which ends replay there (its later logs
  // are dropped) unless a later log says it was whole. Damage anywhere else fails Open with
  // Corruption naming the file and offset (docs/design/recovery.md, "WAL damage").
  kTolerateCorruptedTailRecords = 0,
  // Any damage, even a torn tail, fails Open with Corruption.
  kAbsoluteConsistency = 1,
  // Replay stops at the first damaged record; everything after it, in that log and in later
  // logs, is discarded. The DB is the state as of some point in time, possibly older than the
  // last acknowledged write.
  kPointInTimeRecovery = 2,
  // Damaged records are skipped and replay goes on: salvages as much as possible, and may
  // surface a state that never existed (a later write without an earlier one).
  kSkipAnyCorruptedRecords = 3,
};

struct Options {
  // ---- Opening ----
  // Create the DB if the directory holds none. Default: false.
  bool create_if_missing = false;
  // Fail Open if a DB already exists there. Default: false.
  bool error_if_exists = false;
  // Check more, and fail earlier: a table written by a flush or compaction is read back before
  // the MANIFEST names it, and any corruption found in the background stops further writes.
  // Open does not open or read the live tables, so its cost barely grows with the data: it
  // checks that each exists with the size the MANIFEST records (one stat per table); a table's
  // footer and index are checked when it is first opened, and every block of every table by
  // `ziggy verify`. Default: true.
  bool paranoid_checks = true;
  // File system and clock. nullptr means the POSIX environment (Env::Default()). Not owned; must
  // outlive the DB.
  Env* env = nullptr;
  // Where the DB's human-readable info log goes. nullptr means a file named LOG in the DB
  // directory (the previous one kept as LOG.old).
  std::shared_ptr<Logger> info_log;
  // Tickers and histograms (ziggydb/statistics.h), e.g. CreateStatistics(); may be shared by
  // several DBs. Default: nullptr (off: each event costs one pointer test).
  std::shared_ptr<Statistics> statistics;
  // Called on flushes, compactions, stalls and background errors (ziggydb/listener.h), in
  // order, without the DB mutex held. Default: none.
  std::vector<std::shared_ptr<EventListener>> listeners;

  // ---- Write path ----
  // Bytes the mutable memtable may hold before it is frozen and flushed to an L0 table.
  // Default: 64 MiB. Range: kMemtableBytesRange (64 KiB to 4 GiB).
  size_t memtable_bytes = size_t{64} << 20;
  // Frozen memtables that may wait for flush before writers stall. Default: 2.
  // Range: kMaxImmutableMemtablesRange (1 to 16).
  int max_immutable_memtables = 2;
  // Upper bound on the encoded bytes one group commit writes to the WAL. Default: 1 MiB.
  // Range: kMaxWriteGroupBytesRange (4 KiB to kMaxWriteBatchBytes).
  size_t max_write_group_bytes = size_t{1} << 20;
  // What recovery does with a damaged write-ahead log; see WalRecoveryMode.
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;

  // ---- Tables ----
  // Target uncompressed size of a data block. Default: 4 KiB.
  // Range: kBlockSizeRange (1 KiB to 4 MiB).
  size_t block_size = 4096;
  // Keys between restart points in a block (prefix compression restarts there). Default: 16.
  // Range: kBlockRestartIntervalRange (1 to 1024).
  int block_restart_interval = 16;
  // Bloom filter bits per key; 0 disables filters. Default: 10 (~0.8% false positives).
  // Range: kBloomBitsPerKeyRange (0 to 32).
  int bloom_bits_per_key = 10;
  // Compression of data blocks; a block is stored raw when compressing saves under 1/8.
  // Default: kNone.
  CompressionType compression = CompressionType::kNone;
  // Bytes of uncompressed data blocks kept in the shared block cache. Default: 32 MiB.
  size_t block_cache_bytes = size_t{32} << 20;
  // A row cache for point reads of hot keys (docs/design/table_reads.md, "The row cache"): table
  // entries (key and value, 232 bytes at most together) that Gets found, held in slots of 256
  // bytes so that a repeated Get of the same key skips the table's filter, index and data
  // block. Allocated in full at open. A thread looks up in it only while its own lookups hit
  // often enough, so uniform reads pay little for it. Pays for skewed reads (zipfian, a hot set)
  // of keys that live in tables; it holds copies, so memory is its cost. Under a memory budget
  // it counts as fixed usage and must be at most half of memory_budget_bytes.
  // 0: no row cache. Default: 0. Range: 0 or kRowCacheBytesRange (64 KiB to 64 GiB).
  size_t row_cache_bytes = 0;
  // Table files kept open (with their index and filter in memory). Default: 1000.
  // Range: kMaxOpenFilesRange (at least 16).
  int max_open_files = 1000;
  // Read table files through a read-only memory mapping (one per open table, so at most
  // max_open_files of them): data blocks stored uncompressed are read in place, without a copy
  // and without the block cache (the page cache is their cache); compressed blocks still go
  // through the block cache. Trade-off: a read of a mapped page that meets a disk I/O error, or
  // of a table file truncated by another process while open, raises SIGBUS and kills the process
  // instead of returning IOError. false: tables are read with pread into the block cache. Envs
  // that cannot map files (in-memory ones) always read as with false. Default: true.
  bool use_mmap_reads = true;

  // ---- Memory budget (docs/design/memory.md) ----
  // One cap on the DB's memory: memtables (mutable and immutable), the block cache, the index and
  // filter blocks of open tables, and what live iterators pin (evicted blocks, flushed
  // memtables). Memtables get at most half of it and switch earlier (memtable_bytes becomes an
  // upper bound); the block cache gets the rest (block_cache_bytes is then ignored) and shrinks
  // as memtables and pins grow. Pins are never refused: if they alone exceed the cap, the usage
  // stays over it until iterators are released. Per DB: DBs sharing a process each take their
  // own. The "ziggydb.memory" property reports each part. 0: no budget.
  // Default: 0. Range: 0 or kMemoryBudgetBytesRange (at least 4 MiB).
  size_t memory_budget_bytes = 0;

  // ---- Compaction (docs/design/compaction.md) ----
  // Background threads: one flushes memtables (flushes never wait behind a compaction), the
  // others (max_background_jobs - 1) each run one compaction at a time, concurrently whenever
  // there are compactions that touch disjoint tables and key ranges. Default: 2.
  // Range: kMaxBackgroundJobsRange (2 to 16).
  int max_background_jobs = 2;
  // L0 files that trigger an L0 compaction (L0 score = files / trigger). Default: 4.
  // Range: kL0TriggerRange (1 to 1000), and at most l0_slowdown_trigger.
  int l0_compaction_trigger = 4;
  // Read compactions (docs/design/compaction.md): once iterator seeks have paid for L0 tables
  // overlapping other runs about what merging L0 below costs, L0 is merged below before it
  // reaches l0_compaction_trigger. Faster seeks and scans for more compaction writes: measured,
  // a read-mostly scan workload +14-16% ops/s, a 50/50 update and short-scan mix +8-14% ops/s
  // for 1.6x the bytes written. Default: true.
  bool read_compactions = true;
  // L0 files at which writes are delayed (a write rate, see delayed_write_bytes_per_sec).
  // Default: 20. Range: kL0TriggerRange, and from l0_compaction_trigger to l0_stop_trigger.
  int l0_slowdown_trigger = 20;
  // L0 files at which writes stop until a compaction brings L0 back below. Default: 36.
  // Range: kL0TriggerRange, and at least l0_slowdown_trigger.
  int l0_stop_trigger = 36;
  // Size at which a compaction output table is closed and the next one started.
  // Default: 64 MiB. Range: kTargetFileSizeRange (64 KiB to 4 GiB).
  uint64_t target_file_size = uint64_t{64} << 20;
  // Growth factor between the size targets of adjacent levels. Default: 10.
  // Range: kLevelSizeMultiplierRange (2 to 100).
  int level_size_multiplier = 10;
  // Size target of the level L0 compacts into (the base level). Targets are derived from the
  // last level upward (dynamic level sizing): the last level's target is its actual size, each
  // level above it 1/level_size_multiplier of the next, and the base level is the deepest level
  // whose target would fall to max_bytes_for_level_base or below; its target is raised to
  // max_bytes_for_level_base, and the levels above it stay empty.
  // Default: 256 MiB. Range: kMaxBytesForLevelBaseRange (64 KiB to 1 TiB).
  uint64_t max_bytes_for_level_base = uint64_t{256} << 20;
  // Order in which tables of a level >= 1 are compacted. Default: kMinOverlappingRatio.
  CompactionPriority compaction_priority = CompactionPriority::kMinOverlappingRatio;
  // Estimated bytes compaction still has to rewrite to bring every level under its target, at
  // which writes are delayed (soft) or stopped (hard). 0 disables the check.
  // Defaults: 64 GiB and 256 GiB. Range: soft <= hard when both are set.
  uint64_t soft_pending_compaction_bytes = uint64_t{64} << 30;
  uint64_t hard_pending_compaction_bytes = uint64_t{256} << 30;
  // The write rate allowed while writes are delayed. Default: 16 MiB/s.
  // Range: kDelayedWriteBytesPerSecRange (at least 64 KiB/s).
  uint64_t delayed_write_bytes_per_sec = uint64_t{16} << 20;

  // ---- Log archive, for point-in-time restore (ziggydb/backup.h) ----
  // Non-empty: a write-ahead log whose memtable is flushed is moved into this directory (created
  // at Open) instead of deleted, so that BackupEngine::RestoreDBFromBackup can replay it up to a
  // chosen sequence number. Not the DB directory (DB::Open refuses the DB's own path string,
  // trailing slashes aside, with InvalidArgument), nor shared by two DBs. Moved by
  // rename when on the same file system, else copied (synced) and then deleted. Default: empty
  // (logs are deleted).
  std::string wal_archive_dir;
  // After each log is archived, the oldest archived logs are deleted while the archive holds
  // more bytes than this (a point-in-time restore then reaches back only as far as the oldest
  // log left). 0: no limit. Default: 0.
  uint64_t wal_archive_max_bytes = 0;
  // After each log is archived, the oldest archived logs are deleted while the oldest was last
  // written more than this many seconds ago (its modification time; logs are deleted oldest
  // first, so the archive stays a gapless run of logs). Needs an Env that reports modification
  // times (the default one does; otherwise the trim fails and is logged). 0: no limit.
  // Default: 0.
  uint64_t wal_archive_max_age_seconds = 0;

  // Returns InvalidArgument naming the first field out of range.
  Status Validate() const;
};

struct ReadOptions {
  // Read as of this snapshot (of this DB: another DB's is refused with InvalidArgument when its
  // sequence is past this DB's, and otherwise reads an unrelated point); nullptr means the
  // latest state when the read starts.
  const Snapshot* snapshot = nullptr;
  // Verify the checksum of every data block read from disk (index, filter and footer are always
  // verified). With use_mmap_reads an uncompressed block is read from the mapping on every use
  // (it is not cached); it is verified by its first use through an open table, which remembers
  // that it passed (as the cache does). Default: true.
  bool verify_checksums = true;
  // Put the data blocks this read loads into the block cache. Default: true (set false for
  // one-off scans that would evict the working set).
  bool fill_cache = true;
  // Iterators only: keys below the lower bound (inclusive) and at or above the upper bound
  // (exclusive) are never returned nor read past. The bytes must outlive the iterator.
  std::optional<std::string_view> iterate_lower_bound;
  std::optional<std::string_view> iterate_upper_bound;
};

struct WriteOptions {
  // false: the write is handed to the OS before Write returns, so it survives a crash of this
  //   process, but a machine crash or power loss may lose the last writes.
  // true: the WAL is also fdatasync'ed before Write returns, so the write survives power loss.
  // Default: false.
  bool sync = false;
  // Skip the WAL: writes since the last memtable flush are lost on any crash. With sync, a write
  // fails with InvalidArgument (nothing could make it durable), and so does every call of a
  // transaction begun with both. Default: false.
  bool disable_wal = false;

  // InvalidArgument for options no write can honour (sync without the WAL).
  Status Validate() const;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_OPTIONS_H_
