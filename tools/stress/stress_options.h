// The per-run configuration of `ziggy stress`, drawn from the run's seed so that a seed names
// one configuration exactly (the command line printed at start repeats it).
#ifndef ZIGGYDB_TOOLS_STRESS_STRESS_OPTIONS_H_
#define ZIGGYDB_TOOLS_STRESS_STRESS_OPTIONS_H_

#include <cstdint>
#include <string>

#include "ziggydb/options.h"

namespace ziggydb::tools::stress {

// How writes choose WriteOptions::sync.
enum class SyncMode { kNever, kAlways, kMixed };

struct RunConfig {
  Options options;
  SyncMode sync_mode = SyncMode::kNever;
};

// The configuration of seed `seed`: memtable and target file sizes, block size, compression,
// bloom bits, mmap reads, background jobs, sync mode and WAL recovery mode. Only the recovery
// modes that Open accepts after a crash are drawn: kAbsoluteConsistency rejects the torn WAL
// tail a kill may leave, by design.
RunConfig RandomConfig(uint64_t seed);

// "memtable_bytes=65536 target_file_size=... sync=mixed recovery=point-in-time".
std::string DescribeConfig(const RunConfig& config);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_STRESS_OPTIONS_H_
