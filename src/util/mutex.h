// Mutex, MutexLock, MutexUnlock and CondVar: std::mutex and std::condition_variable with clang
// thread-safety annotations (util/thread_annotations.h), so that the `thread-safety` build
// (clang -Wthread-safety -Werror, a stage of `make test`) checks the lock discipline.
//
// Cost: none over the std types in a release build. Every method is an inline forward to the std
// call; CondVar::Wait adopts the already-locked std::mutex into a std::unique_lock for the wait
// and releases it afterwards without unlocking. With ZIGGY_DEBUG_CHECKS (the debug, asan and
// thread-safety presets) a Mutex also records its owning thread, so AssertHeld checks at run time
// what the analysis assumes at compile time.
//
// How to annotate a class (docs/design/concurrency.md has the whole discipline):
//
//   class Queue {
//    public:
//     void Push(Item item) EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       items_.push_back(std::move(item));
//       not_empty_.NotifyOne();
//     }
//     Item Pop() EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       while (items_.empty()) not_empty_.Wait(&mu_);  // re-check after every wake-up
//       return TakeFrontLocked();
//     }
//
//    private:
//     Item TakeFrontLocked() REQUIRES(mu_);
//
//     Mutex mu_;
//     CondVar not_empty_;  // waiters: Pop; notifier: Push
//     std::deque<Item> items_ GUARDED_BY(mu_);
//   };
//
// A class like DBImpl, whose methods hold the mutex but release it around file I/O, annotates
// such a method REQUIRES(mu_) (held on entry and on return, released in between) instead of
// passing a `std::unique_lock<std::mutex>*`, and releases the mutex in a scope:
//
//   [[nodiscard]] Status FlushOldestImmutable() REQUIRES(mu_);  // in the class
//
//   Status DBImpl::FlushOldestImmutable() {
//     ... pick the memtable, under mu_ ...
//     {
//       MutexUnlock unlock(&mu_);  // no GUARDED_BY(mu_) field may be touched in this scope
//       s = BuildTable(...);
//     }
//     ... install the result, under mu_ again ...
//   }
//
// The analysis then rejects a guarded field touched in the unlocked scope, a REQUIRES(mu_) method
// called from it, and a path that returns with the mutex released. Whatever must survive the
// unlocked region (a pointer to the memtable being flushed, a flag saying "a flush is running")
// is copied out, or marked, while the mutex is still held.
//
// Waiting: give each condition its own CondVar, named after what its waiters wait for
// (`flush_done_`, `manifest_write_done_`), with a comment naming the mutex, waiters and
// notifiers; wait in a loop on the condition (`while (!cond) cv.Wait(&mu_);`), not through a
// predicate lambda: the analysis checks a lambda's body without the caller's locks, so the loop is
// what lets it see that the condition reads guarded fields under the mutex.
#ifndef ZIGGYDB_UTIL_MUTEX_H_
#define ZIGGYDB_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "util/assert.h"
#include "util/thread_annotations.h"

#ifdef ZIGGY_DEBUG_CHECKS
#include <atomic>
#include <thread>
#endif

namespace ziggydb {

class CondVar;

// A non-recursive mutex: locking it twice from one thread is a deadlock (and, under the analysis,
// a compile error).
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() {
    mu_.lock();
    SetOwner();
  }
  void Unlock() RELEASE() {
    ClearOwner();
    mu_.unlock();
  }

  // Tells the analysis that the calling thread holds this mutex, where it cannot see it (a
  // callback invoked under the lock, code reached through a function pointer). Checked at run
  // time with ZIGGY_DEBUG_CHECKS only. Prefer REQUIRES on the function: that is checked at every
  // call site.
  void AssertHeld() const ASSERT_CAPABILITY(this) {
#ifdef ZIGGY_DEBUG_CHECKS
    ZIGGY_ASSERT(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id());
#endif
  }

 private:
  friend class CondVar;

#ifdef ZIGGY_DEBUG_CHECKS
  // Relaxed is enough: only the owner stores its own id, and a thread that reads its own id back
  // reads its own latest store (it cleared the id before it last unlocked).
  void SetOwner() {
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void ClearOwner() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
  }
  std::atomic<std::thread::id> owner_{};
#else
  void SetOwner() {}
  void ClearOwner() {}
#endif

  std::mutex mu_;
};

// Holds a Mutex from construction to the end of the scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Releases a held Mutex from construction to the end of the scope, then takes it again: the
// "drop the DB mutex during I/O" region of a REQUIRES(mu) function.
class SCOPED_CAPABILITY MutexUnlock {
 public:
  explicit MutexUnlock(Mutex* mu) RELEASE(mu) : mu_(mu) { mu_->Unlock(); }
  ~MutexUnlock() RELEASE() { mu_->Lock(); }
  MutexUnlock(const MutexUnlock&) = delete;
  MutexUnlock& operator=(const MutexUnlock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable. Its waiters hold a Mutex, the same one for every wait on it (the one that
// guards the state they wait for). Wakes may be spurious: waiters loop on their condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases *mu, sleeps until notified (or spuriously woken), and takes *mu again before
  // returning.
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->ClearOwner();
    cv_.wait(lock);
    mu->SetOwner();
    lock.release();  // the caller still holds *mu
  }

  // As Wait, but returns no later than `deadline`. Returns false if it returned because the
  // deadline passed (the caller still re-checks its condition, which may have become true).
  bool WaitUntil(Mutex* mu, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->ClearOwner();
    const bool notified = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    mu->SetOwner();
    lock.release();
    return notified;
  }

  // Notifiers need not hold the mutex, but a notifier that changed the waited-for state must
  // have done so under it (or a waiter may check, miss the change, and sleep through the notify).
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_MUTEX_H_
