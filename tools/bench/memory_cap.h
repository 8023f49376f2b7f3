// The bigger-than-memory mode of `ziggy bench` (issue 17): a memory cgroup around this process, so
// that the engine's memory and the page cache holding its files together stay under a cap, and the
// store cannot be read from memory once it is larger than the cap.
//
// Create makes a group of its own (cgroup v1: /sys/fs/cgroup/memory/ziggy-bench-<pid>; cgroup v2:
// <this process's group>/../ziggy-bench-<pid> under the unified hierarchy), sets its limit
// (memory.limit_in_bytes / memory.max) and moves the whole process (every thread) into it. Pages
// already charged elsewhere stay there, so create the cap before opening engines. DropCache
// reclaims the group's page cache (v1 memory.force_empty, v2 memory.reclaim): the cold start of a
// read phase without dropping every other process's cache on a shared host. The destructor moves
// the process back and removes the group. Needs root (or a delegated hierarchy).
#ifndef ZIGGYDB_TOOLS_BENCH_MEMORY_CAP_H_
#define ZIGGYDB_TOOLS_BENCH_MEMORY_CAP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb::bench {

// Where a process's memory group is, from the text of /proc/<pid>/cgroup: the v1 line naming the
// memory controller ("4:memory:/a/b" -> "/a/b") or else the v2 line ("0::/a/b"); empty when
// neither is there. *v2 tells which.
std::string MemoryGroupOf(std::string_view proc_cgroup, bool* v2);

class MemoryCap {
 public:
  static Status Create(uint64_t limit_bytes, std::unique_ptr<MemoryCap>* cap);
  ~MemoryCap();
  MemoryCap(const MemoryCap&) = delete;
  MemoryCap& operator=(const MemoryCap&) = delete;

  // Reclaims the page cache charged to the group (what anonymous memory cannot give up without
  // swap stays: the kernel's "busy" answer for it is not an error).
  Status DropCache();
  // Bytes charged to the group now (memory.usage_in_bytes / memory.current).
  uint64_t UsageBytes() const;
  const std::string& dir() const { return dir_; }

 private:
  MemoryCap(std::string dir, std::string home, bool v2) : dir_(dir), home_(home), v2_(v2) {}

  const std::string dir_;   // the group's directory
  const std::string home_;  // the group the process came from, where it returns
  const bool v2_;
};

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_MEMORY_CAP_H_
