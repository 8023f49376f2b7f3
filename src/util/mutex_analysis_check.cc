// Lock-discipline mistakes the clang analysis must reject, one per ZIGGY_MISUSE value, so that a
// change which silently disables the annotations (a macro that expands to nothing under clang, a
// missing attribute on Mutex) fails a test. src/util/CMakeLists.txt compiles this file once per
// case with clang -Wthread-safety and expects that case's diagnostic; without ZIGGY_MISUSE the file
// must compile cleanly. Not linked into anything.
#include "util/mutex.h"

namespace ziggydb {

class Account {
 public:
  void Deposit(int amount) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    AddLocked(amount);
  }

  int BalanceAfterIo() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    {
      MutexUnlock unlock(&mu_);
      // file I/O would go here
    }
    return balance_;
  }

  void WaitForFunds(int amount) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (balance_ < amount)
      funded_.Wait(&mu_);
  }

  void AddLocked(int amount) REQUIRES(mu_) {
    balance_ += amount;
    funded_.NotifyAll();
  }

#if ZIGGY_MISUSE == 1  // a guarded field read without its mutex
  int Balance() {
    return balance_;
  }
#elif ZIGGY_MISUSE == 2  // a REQUIRES function called without the mutex
  void Add(int amount) {
    AddLocked(amount);
  }
#elif ZIGGY_MISUSE == 3  // an EXCLUDES function called with the mutex held
  void DepositTwice(int amount) REQUIRES(mu_) {
    Deposit(amount);
  }
#elif ZIGGY_MISUSE == 4  // a guarded field written while a MutexUnlock scope released the mutex
  void AddDuringIo(int amount) REQUIRES(mu_) {
    MutexUnlock unlock(&mu_);
    balance_ += amount;
  }
#elif ZIGGY_MISUSE == 5  // the mutex taken twice
  void LockTwice() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    MutexLock again(&mu_);
  }
#elif ZIGGY_MISUSE == 6  // a REQUIRES function that returns with the mutex released
  void ReleaseAndReturn() REQUIRES(mu_) {
    mu_.Unlock();
  }
#elif ZIGGY_MISUSE == 7  // a wait without the mutex
  void WaitUnlocked() {
    funded_.Wait(&mu_);
  }
#endif

 private:
  Mutex mu_;
  CondVar funded_;  // waiters: WaitForFunds; notifier: AddLocked
  int balance_ GUARDED_BY(mu_) = 0;
};

}  // namespace ziggydb
