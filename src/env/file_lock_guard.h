// FileLockGuard: releases a lock taken with Env::LockFile on every way out of a scope, an
// exception included (a POSIX lock is held until UnlockFile: its descriptor and the process's
// lock-table entry would otherwise stay, and every later opener in this process would be Busy).
#ifndef ZIGGYDB_ENV_FILE_LOCK_GUARD_H_
#define ZIGGYDB_ENV_FILE_LOCK_GUARD_H_

#include <memory>
#include <new>
#include <utility>

#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb {

class FileLockGuard {
 public:
  // *lock (held, or null) must outlive the guard.
  FileLockGuard(Env* env, std::unique_ptr<FileLock>* lock) : env_(env), lock_(lock) {}
  FileLockGuard(const FileLockGuard&) = delete;
  FileLockGuard& operator=(const FileLockGuard&) = delete;
  // An unlock failure here is ignored: the POSIX Env releases the descriptor and its lock-table
  // entry regardless. Call Unlock() to see it.
  ~FileLockGuard() {
    if (*lock_ == nullptr) return;
    try {
      env_->UnlockFile(std::move(*lock_)).PermitUncheckedError();
    } catch (const std::bad_alloc&) {
      // The error Status of a failed unlock could not be built; the lock is released all the
      // same (the POSIX Env closes the descriptor first). A destructor must not throw.
    }
  }

  // Releases the lock now (OK if none is held).
  Status Unlock() { return *lock_ == nullptr ? Status::OK() : env_->UnlockFile(std::move(*lock_)); }

 private:
  Env* const env_;
  std::unique_ptr<FileLock>* const lock_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_FILE_LOCK_GUARD_H_
