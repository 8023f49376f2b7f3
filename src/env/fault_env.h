// FaultInjectionEnv: the in-memory file system crash tests run on. It is a MemEnv (env/mem_env.h)
// that can lose what was never made durable and fail chosen operations.
//
// Durability model (the contract of ziggydb/env.h, enforced):
//   1. Each file keeps its bytes as of its last successful Sync apart from the unsynced tail (or
//      unsynced in-place overwrites); readers see both until DropUnsyncedData().
//   2. Each directory keeps its names as of its last SyncDir apart from the current names; a
//      create, rename or remove not followed by SyncDir of that directory is undone by
//      DropUnsyncedData(). A synced file whose name was never made durable vanishes.
//   3. A failed WritableFile::Sync (or Append) is sticky, as in the POSIX Env: every later Append,
//      Flush and Sync on that file object returns IOError saying data may be lost. So a DB whose
//      WAL sync fails must notice, and a test can check that it refuses further writes.
// Thread safety: as MemEnv; InjectError/ClearErrors may race with the operations they target.
#ifndef ZIGGYDB_ENV_FAULT_ENV_H_
#define ZIGGYDB_ENV_FAULT_ENV_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "env/mem_env.h"
#include "util/mutex.h"

namespace ziggydb {

class FaultInjectionEnv : public MemEnv {
 public:
  FaultInjectionEnv() = default;

  // Power loss: each file back to its last synced bytes; names whose create/rename/remove was not
  // followed by SyncDir of their directory revert; every lock is released. File objects opened
  // before the call must not be used afterwards (their process is gone), only destroyed.
  void DropUnsyncedData() { RevertToDurableState(); }
  // Power loss after writeback had reached part of the unsynced data (in any order across
  // files, each file front to back): of each file's unsynced bytes the first
  // keep_bytes(path, unsynced_bytes) survive; the rest is lost as in DropUnsyncedData. A newer
  // log can so outlive an older one's tail. keep_bytes must not call into this Env.
  void DropUnsyncedDataKeeping(
      const std::function<uint64_t(const std::string& path, uint64_t unsynced_bytes)>& keep_bytes) {
    RevertToDurableStateKeeping(keep_bytes);
  }

  // The next `count` operations of kind `op` whose path contains path_substring fail with
  // IOError (nothing is changed by a failed operation). An empty substring matches every path.
  // Rules accumulate; each counts down on its own.
  void InjectError(FaultOp op, std::string path_substring, int count = 1);
  void ClearErrors();

  // Damage already on the medium (survives DropUnsyncedData): xors one byte of the file.
  Status FlipByte(const std::string& path, uint64_t offset, uint8_t xor_mask = 0x01) {
    return CorruptByte(path, offset, xor_mask);
  }
  // Cuts the file (current and synced bytes) to `size` bytes; size must not exceed the file.
  Status Truncate(const std::string& path, uint64_t size) { return TruncateDurably(path, size); }

  // Injected failures so far.
  uint64_t injected_error_count() const;

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override
      EXCLUDES(rules_mu_);

 private:
  struct Rule {
    FaultOp op;
    std::string path_substring;
    int remaining;
  };

  mutable Mutex rules_mu_;
  std::vector<Rule> rules_ GUARDED_BY(rules_mu_);
  uint64_t injected_error_count_ GUARDED_BY(rules_mu_) = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_FAULT_ENV_H_
