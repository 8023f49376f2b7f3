// Options::Validate accepts exactly the ranges options.h names (kMemtableBytesRange and the rest)
// and says which field is out of range, in the header's terms.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "ziggydb/options.h"

namespace ziggydb {
namespace {

// Both ends of `range` pass; one step past either end (where there is one) fails naming `name`.
template <typename T>
void ExpectValidatesRange(T Options::*field, const OptionRange<T>& range, const char* name) {
  SCOPED_TRACE(name);
  Options options;
  options.*field = range.min;
  EXPECT_TRUE(options.Validate().ok());
  options.*field = range.max;
  EXPECT_TRUE(options.Validate().ok());
  if (range.min > std::numeric_limits<T>::lowest()) {
    options.*field = range.min - 1;
    const Status s = options.Validate();
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_NE(s.ToString().find(std::string("option ") + name + " out of range"), std::string::npos)
        << s.ToString();
  }
  if (range.max < std::numeric_limits<T>::max()) {
    options.*field = range.max + 1;
    const Status s = options.Validate();
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_NE(s.ToString().find(name), std::string::npos) << s.ToString();
  }
}

TEST(OptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(Options().Validate().ok());
}

TEST(OptionsTest, EveryNamedRangeIsWhatValidateAccepts) {
  ExpectValidatesRange(&Options::memtable_bytes, kMemtableBytesRange, "memtable_bytes");
  ExpectValidatesRange(&Options::max_immutable_memtables, kMaxImmutableMemtablesRange,
                       "max_immutable_memtables");
  ExpectValidatesRange(&Options::max_write_group_bytes, kMaxWriteGroupBytesRange,
                       "max_write_group_bytes");
  ExpectValidatesRange(&Options::block_size, kBlockSizeRange, "block_size");
  ExpectValidatesRange(&Options::block_restart_interval, kBlockRestartIntervalRange,
                       "block_restart_interval");
  ExpectValidatesRange(&Options::bloom_bits_per_key, kBloomBitsPerKeyRange, "bloom_bits_per_key");
  ExpectValidatesRange(&Options::max_open_files, kMaxOpenFilesRange, "max_open_files");
  ExpectValidatesRange(&Options::row_cache_bytes, kRowCacheBytesRange, "row_cache_bytes");
  ExpectValidatesRange(&Options::max_background_jobs, kMaxBackgroundJobsRange,
                       "max_background_jobs");
  ExpectValidatesRange(&Options::target_file_size, kTargetFileSizeRange, "target_file_size");
  ExpectValidatesRange(&Options::level_size_multiplier, kLevelSizeMultiplierRange,
                       "level_size_multiplier");
  ExpectValidatesRange(&Options::max_bytes_for_level_base, kMaxBytesForLevelBaseRange,
                       "max_bytes_for_level_base");
  ExpectValidatesRange(&Options::delayed_write_bytes_per_sec, kDelayedWriteBytesPerSecRange,
                       "delayed_write_bytes_per_sec");
}

TEST(OptionsTest, RangesAreReportedInTheHeadersUnits) {
  Options options;
  options.memtable_bytes = 1;
  EXPECT_NE(options.Validate().ToString().find("[64 KiB, 4 GiB]"), std::string::npos);
  options = Options();
  options.max_open_files = 1;
  EXPECT_NE(options.Validate().ToString().find("at least 16"), std::string::npos);
  options = Options();
  options.delayed_write_bytes_per_sec = 1;
  EXPECT_NE(options.Validate().ToString().find("at least 64 KiB/s"), std::string::npos);
  options = Options();
  options.max_write_group_bytes = kMaxWriteBatchBytes + 1;
  EXPECT_NE(options.Validate().ToString().find("[4 KiB, 1 GiB]"), std::string::npos);
}

TEST(OptionsTest, L0TriggersStayInRangeAndInOrder) {
  Options options;
  options.l0_compaction_trigger = kL0TriggerRange.min;
  options.l0_slowdown_trigger = kL0TriggerRange.min;
  options.l0_stop_trigger = kL0TriggerRange.min;
  EXPECT_TRUE(options.Validate().ok());
  options.l0_compaction_trigger = kL0TriggerRange.max;
  options.l0_slowdown_trigger = kL0TriggerRange.max;
  options.l0_stop_trigger = kL0TriggerRange.max;
  EXPECT_TRUE(options.Validate().ok());
  options.l0_stop_trigger = kL0TriggerRange.max + 1;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());

  options = Options();
  options.l0_compaction_trigger = kL0TriggerRange.min - 1;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = Options();
  options.l0_slowdown_trigger = options.l0_stop_trigger + 1;
  EXPECT_NE(options.Validate().ToString().find("l0_slowdown_trigger"), std::string::npos);
  options = Options();
  options.l0_compaction_trigger = options.l0_slowdown_trigger + 1;
  EXPECT_NE(options.Validate().ToString().find("l0_compaction_trigger"), std::string::npos);
}

}  // namespace
}  // namespace ziggydb
