// FaultInjectionEnv: the in-memory file system crash tests run on. It is a MemEnv (env/mem_env.h)
// that can lose what was never made durable and fail chosen operations.
//
// Durability model (the contract of ziggydb/env.h, enforced):
//   1. Each file keeps its bytes as of its last successful Sync apart from the unsynced tail (or
//      unsynced in-place overwrites); readers see both until DropUnsyncedData().
//   2. Each directory keeps its names as of its last SyncDir apart from the current names; a
//      create, rename or remove not followed by SyncDir of that directory is undone by
//      DropUnsyncedData(). A synced file whose name was never made durable vanishes; so does a
//      directory (with everything in it) whose name its parent never made durable.
//      DropUnsyncedDataKeeping may keep a directory's unsynced name changes instead (all of them).
//   3. A failed WritableFile::Sync (or Append) is sticky, as in the POSIX Env: every later Append,
//      Flush and Sync on that file object returns IOError saying data may be lost. So a DB whose
//      WAL sync fails must notice, and a test can check that it refuses further writes.
// Injected faults (InjectError): transient (the next `count` matching operations fail) or
// persistent (every matching operation fails until ClearErrors), reported as a plain I/O error
// or as a full disk (the message the POSIX Env gives for ENOSPC). A failed Close has already
// closed the file (as close(2) does), so only the report is lost.
// Every file object this Env hands out is counted while it lives (open_file_count), so a test can
// check that a failed operation closed what it opened.
// Thread safety: as MemEnv; InjectError/ClearErrors may race with the operations they target.
#ifndef ZIGGYDB_ENV_FAULT_ENV_H_
#define ZIGGYDB_ENV_FAULT_ENV_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "env/mem_env.h"
#include "util/mutex.h"

namespace ziggydb {

// What an injected fault reports.
enum class FaultError : uint8_t {
  kIOError,  // EIO
  kNoSpace,  // ENOSPC: "No space left on device"
};

class FaultInjectionEnv : public MemEnv {
 public:
  // InjectError's count for a fault that lasts until ClearErrors.
  static constexpr int kPersistent = -1;

  FaultInjectionEnv() = default;

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override;

  // Power loss: each file back to its last synced bytes; names whose create/rename/remove was not
  // followed by SyncDir of their directory revert; every lock is released. File objects opened
  // before the call must not be used afterwards (their process is gone), only destroyed.
  void DropUnsyncedData() { RevertToDurableState(); }
  // Power loss after writeback had reached part of the unsynced data (in any order across
  // files, each file front to back): of each file's unsynced bytes the first
  // keep_bytes(path, unsynced_bytes) survive; the rest is lost as in DropUnsyncedData. A newer
  // log can so outlive an older one's tail. keep_bytes must not call into this Env.
  // keep_names(dir) true: every name change in dir since its last SyncDir survives (a journal
  // commit took them all; ziggydb/env.h allows any prefix of them).
  void DropUnsyncedDataKeeping(
      const std::function<uint64_t(const std::string& path, uint64_t unsynced_bytes)>& keep_bytes,
      const std::function<bool(const std::string& dir)>& keep_names = {}) {
    RevertToDurableStateKeeping(keep_bytes, keep_names);
  }

  // The next `count` operations of kind `op` whose path contains path_substring fail (nothing is
  // changed by a failed operation, except that a failed Close has closed its file); with
  // kPersistent, every one until ClearErrors. An empty substring matches every path. Rules
  // accumulate; each counts down on its own.
  void InjectError(FaultOp op, std::string path_substring, int count = 1,
                   FaultError error = FaultError::kIOError) {
    InjectErrorAfter(0, op, std::move(path_substring), count, error);
  }
  // As InjectError, once `skip` matching operations have succeeded (to reach, say, the second
  // directory sync of a flush).
  void InjectErrorAfter(int skip, FaultOp op, std::string path_substring, int count,
                        FaultError error);
  void ClearErrors();
  // A file its directory still lists but that cannot be looked at or opened (EACCES, EIO): every
  // stat and open of a path containing path_substring fails until ClearErrors.
  void MakeInaccessible(const std::string& path_substring) {
    InjectError(FaultOp::kStat, path_substring, kPersistent);
    InjectError(FaultOp::kOpen, path_substring, kPersistent);
  }

  // Damage already on the medium (survives DropUnsyncedData): xors one byte of the file.
  Status FlipByte(const std::string& path, uint64_t offset, uint8_t xor_mask = 0x01) {
    return CorruptByte(path, offset, xor_mask);
  }
  // Cuts the file (current and synced bytes) to `size` bytes; size must not exceed the file.
  Status Truncate(const std::string& path, uint64_t size) { return TruncateDurably(path, size); }

  // Injected failures so far.
  uint64_t injected_error_count() const;
  // File objects (sequential, random-access, writable) handed out and not yet destroyed.
  uint64_t open_file_count() const { return open_files_.load(std::memory_order_relaxed); }

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override
      EXCLUDES(rules_mu_);

 private:
  class CountedSequentialFile;
  class CountedRandomAccessFile;
  class CountedWritableFile;

  struct Rule {
    FaultOp op;
    std::string path_substring;
    int skip;       // matching operations still let through
    int remaining;  // kPersistent: never runs out
    FaultError error;
  };

  // The first rule matching the operation, counted down; OK if none.
  Status MatchRule(FaultOp op, std::string_view path, std::string_view other_path)
      EXCLUDES(rules_mu_);

  mutable Mutex rules_mu_;
  std::vector<Rule> rules_ GUARDED_BY(rules_mu_);
  uint64_t injected_error_count_ GUARDED_BY(rules_mu_) = 0;
  std::atomic<uint64_t> open_files_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_FAULT_ENV_H_
