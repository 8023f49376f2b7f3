// The option handles of the C API (include/ziggydb/c.h): Options, ReadOptions, WriteOptions.
// Setters store the value as given; Options::Validate (run by DB::Open) judges the ranges.
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "c/c_handles.h"
#include "ziggydb/statistics.h"

using ziggydb::c_api::ToSnapshot;

namespace {

// Sets or clears one bound of `options` (the ReadOptions views `stored`). false if memory ran out;
// nothing changed then.
bool SetBound(ziggydb_readoptions_t* options, const char* key, size_t keylen,
              std::optional<std::string>* stored, std::optional<std::string_view>* view) noexcept {
  try {
    if (key == nullptr) {
      view->reset();
      stored->reset();
    } else {
      std::string copy(key, keylen);
      *stored = std::move(copy);
      *view = **stored;
    }
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

extern "C" {

ziggydb_options_t* ziggydb_options_create(void) {
  return new (std::nothrow) ziggydb_options_t;
}
void ziggydb_options_destroy(ziggydb_options_t* options) {
  delete options;
}

void ziggydb_options_set_create_if_missing(ziggydb_options_t* options, uint8_t v) {
  options->options.create_if_missing = v != 0;
}
void ziggydb_options_set_error_if_exists(ziggydb_options_t* options, uint8_t v) {
  options->options.error_if_exists = v != 0;
}
void ziggydb_options_set_paranoid_checks(ziggydb_options_t* options, uint8_t v) {
  options->options.paranoid_checks = v != 0;
}
void ziggydb_options_set_write_buffer_size(ziggydb_options_t* options, size_t bytes) {
  options->options.memtable_bytes = bytes;
}
void ziggydb_options_set_max_open_files(ziggydb_options_t* options, int n) {
  options->options.max_open_files = n;
}
void ziggydb_options_set_block_size(ziggydb_options_t* options, size_t bytes) {
  options->options.block_size = bytes;
}
void ziggydb_options_set_block_restart_interval(ziggydb_options_t* options, int n) {
  options->options.block_restart_interval = n;
}
void ziggydb_options_set_max_file_size(ziggydb_options_t* options, size_t bytes) {
  options->options.target_file_size = bytes;
}
void ziggydb_options_set_compression(ziggydb_options_t* options, int compression) {
  // A number outside the enum becomes 255, which Validate rejects at open, rather than being
  // truncated into one that names another algorithm.
  options->options.compression = static_cast<ziggydb::CompressionType>(
      compression >= 0 && compression <= UINT8_MAX ? compression : UINT8_MAX);
}
void ziggydb_options_set_bloom_bits_per_key(ziggydb_options_t* options, int bits) {
  options->options.bloom_bits_per_key = bits;
}
void ziggydb_options_set_block_cache_bytes(ziggydb_options_t* options, size_t bytes) {
  options->options.block_cache_bytes = bytes;
}
void ziggydb_options_set_row_cache_bytes(ziggydb_options_t* options, size_t bytes) {
  options->options.row_cache_bytes = bytes;
}
void ziggydb_options_set_max_background_jobs(ziggydb_options_t* options, int n) {
  options->options.max_background_jobs = n;
}
void ziggydb_options_set_use_mmap_reads(ziggydb_options_t* options, uint8_t v) {
  options->options.use_mmap_reads = v != 0;
}
void ziggydb_options_set_statistics(ziggydb_options_t* options, uint8_t v) {
  try {
    options->options.statistics = v != 0 ? ziggydb::CreateStatistics() : nullptr;
  } catch (...) {
    options->options.statistics = nullptr;  // documented cost: no tickers rather than a crash
  }
}

void ziggydb_options_set_memory_budget_bytes(ziggydb_options_t* options, size_t bytes) {
  options->options.memory_budget_bytes = bytes;
}
void ziggydb_options_set_l0_compaction_trigger(ziggydb_options_t* options, int n) {
  options->options.l0_compaction_trigger = n;
}
void ziggydb_options_set_l0_slowdown_trigger(ziggydb_options_t* options, int n) {
  options->options.l0_slowdown_trigger = n;
}
void ziggydb_options_set_l0_stop_trigger(ziggydb_options_t* options, int n) {
  options->options.l0_stop_trigger = n;
}
void ziggydb_options_set_read_compactions(ziggydb_options_t* options, uint8_t v) {
  options->options.read_compactions = v != 0;
}

ziggydb_readoptions_t* ziggydb_readoptions_create(void) {
  return new (std::nothrow) ziggydb_readoptions_t;
}
void ziggydb_readoptions_destroy(ziggydb_readoptions_t* options) {
  delete options;
}
void ziggydb_readoptions_set_verify_checksums(ziggydb_readoptions_t* options, uint8_t v) {
  options->options.verify_checksums = v != 0;
}
void ziggydb_readoptions_set_fill_cache(ziggydb_readoptions_t* options, uint8_t v) {
  options->options.fill_cache = v != 0;
}
void ziggydb_readoptions_set_snapshot(ziggydb_readoptions_t* options,
                                      const ziggydb_snapshot_t* snapshot) {
  options->options.snapshot = ToSnapshot(snapshot);
}
uint8_t ziggydb_readoptions_set_iterate_lower_bound(ziggydb_readoptions_t* options, const char* key,
                                                    size_t keylen) {
  return SetBound(options, key, keylen, &options->lower_bound,
                  &options->options.iterate_lower_bound);
}
uint8_t ziggydb_readoptions_set_iterate_upper_bound(ziggydb_readoptions_t* options, const char* key,
                                                    size_t keylen) {
  return SetBound(options, key, keylen, &options->upper_bound,
                  &options->options.iterate_upper_bound);
}

ziggydb_writeoptions_t* ziggydb_writeoptions_create(void) {
  return new (std::nothrow) ziggydb_writeoptions_t;
}
void ziggydb_writeoptions_destroy(ziggydb_writeoptions_t* options) {
  delete options;
}
void ziggydb_writeoptions_set_sync(ziggydb_writeoptions_t* options, uint8_t v) {
  options->options.sync = v != 0;
}
void ziggydb_writeoptions_set_disable_wal(ziggydb_writeoptions_t* options, uint8_t v) {
  options->options.disable_wal = v != 0;
}

}  // extern "C"
