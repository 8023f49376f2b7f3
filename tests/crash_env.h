// CrashEnv: a FaultInjectionEnv whose machine can stop at a chosen file-system operation.
//
// Model: operations that FaultInjectionEnv can fail (FaultOp: append, sync, read, rename, sync
// dir, remove, create) are numbered as they happen. CrashAfter(n) lets n more of them succeed;
// from then on every one fails with IOError, so nothing more becomes durable (durability only
// changes through Sync, SyncDir and the creation of preallocated files, all of which are
// counted). The DB keeps running against a frozen disk; the test then destroys it and calls
// Restart(), which drops everything unsynced (a power loss at the moment of the crash) and lets
// a new DB open. Operations that cannot fail (LockFile, Close, ...) change only what is not
// durable, so they do not disturb the durable state captured at the crash; nor do the looks that
// change nothing (FaultOp kOpen, kStat, kList), which are neither counted nor refused.
//
// Thread safety: as FaultInjectionEnv; the crash point counts the operations of every thread, so
// with a background flush running the exact interleaving (not the invariants) varies by run.
#ifndef ZIGGYDB_TESTS_CRASH_ENV_H_
#define ZIGGYDB_TESTS_CRASH_ENV_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "env/fault_env.h"
#include "util/mutex.h"

namespace ziggydb::test {

class CrashEnv : public FaultInjectionEnv {
 public:
  struct Op {
    FaultOp op;
    std::string path;
  };

  // Lets `ops` more counted operations whose path contains path_filter succeed (others pass
  // freely); the next such operation fails, and so does every operation after it.
  void CrashAfter(uint64_t ops, std::string path_filter = "") {
    MutexLock guard(&mu_);
    budget_ = ops;
    filter_ = std::move(path_filter);
  }
  void CrashNow() { CrashAfter(0); }
  // True once an operation has been refused because of the crash.
  bool crashed() const {
    MutexLock guard(&mu_);
    return crashed_;
  }
  // The operation that the crash refused first (valid once crashed()).
  Op crash_op() const {
    MutexLock guard(&mu_);
    return crash_op_;
  }
  // Power loss at the crash point, then a fresh machine. Precondition: no DB open on this Env.
  void Restart() {
    DropUnsyncedData();
    MutexLock guard(&mu_);
    budget_ = kNoCrash;
    filter_.clear();
    crashed_ = false;
  }

  // Counted operations since the last ResetOps(), and (if recording) each one.
  void ResetOps(bool record) {
    MutexLock guard(&mu_);
    op_count_ = 0;
    record_ = record;
    ops_.clear();
  }
  uint64_t op_count() const {
    MutexLock guard(&mu_);
    return op_count_;
  }
  std::vector<Op> recorded_ops() const {
    MutexLock guard(&mu_);
    return ops_;
  }

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override {
    if (op == FaultOp::kOpen || op == FaultOp::kStat || op == FaultOp::kList)
      return FaultInjectionEnv::InjectedFault(op, path, other_path);
    {
      MutexLock guard(&mu_);
      const bool matches =
          path.find(filter_) != std::string_view::npos ||
          (!other_path.empty() && other_path.find(filter_) != std::string_view::npos);
      if (!crashed_ && budget_ == 0 && matches) {
        crashed_ = true;
        crash_op_ = Op{op, std::string(path)};
      }
      if (crashed_) return Status::IOError("machine crashed (CrashEnv)", path);
      if (budget_ != kNoCrash && matches) --budget_;
      ++op_count_;
      if (record_) ops_.push_back(Op{op, std::string(path)});
    }
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }

 private:
  static constexpr uint64_t kNoCrash = std::numeric_limits<uint64_t>::max();

  mutable Mutex mu_;
  uint64_t budget_ GUARDED_BY(mu_) = kNoCrash;  // matching operations left before the crash
  std::string filter_ GUARDED_BY(mu_);          // which operations count toward the crash
  bool crashed_ GUARDED_BY(mu_) = false;
  Op crash_op_ GUARDED_BY(mu_){};
  uint64_t op_count_ GUARDED_BY(mu_) = 0;
  bool record_ GUARDED_BY(mu_) = false;
  std::vector<Op> ops_ GUARDED_BY(mu_);
};

// What an operation touched: "log", "sst", "MANIFEST", "CURRENT" (and its temporary), "dir" (a
// directory sync) or "other".
inline std::string FileKind(const CrashEnv::Op& op) {
  const std::string& path = op.path;
  if (op.op == FaultOp::kSyncDir) return "dir";
  if (path.ends_with(".log")) return "log";
  if (path.ends_with(".sst")) return "sst";
  if (path.find("MANIFEST") != std::string::npos) return "MANIFEST";
  if (path.find("CURRENT") != std::string::npos || path.ends_with(".dbtmp")) return "CURRENT";
  return "other";
}

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_CRASH_ENV_H_
