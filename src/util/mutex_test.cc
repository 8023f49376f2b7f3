#include "util/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <thread>
#include <vector>

namespace ziggydb {
namespace {

// The doc example of util/mutex.h, so that the example compiles under the analysis.
class Queue {
 public:
  void Push(int item) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    items_.push_back(item);
    not_empty_.NotifyOne();
  }
  int Pop() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (items_.empty())
      not_empty_.Wait(&mu_);
    return TakeFrontLocked();
  }

 private:
  int TakeFrontLocked() REQUIRES(mu_) {
    const int item = items_.front();
    items_.pop_front();
    return item;
  }

  Mutex mu_;
  CondVar not_empty_;  // waiters: Pop; notifier: Push
  std::deque<int> items_ GUARDED_BY(mu_);
};

// GUARDED_BY applies to fields, not to local variables: test state lives in a struct.
struct Counter {
  Mutex mu;
  int value GUARDED_BY(mu) = 0;
};

TEST(Mutex, MutexLockMakesIncrementsExclusive) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&counter.mu);
        ++counter.value;
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  MutexLock lock(&counter.mu);
  EXPECT_EQ(counter.value, kThreads * kIncrements);
}

TEST(Mutex, CondVarHandsItemsFromProducerToConsumerInOrder) {
  constexpr int kItems = 1000;
  Queue queue;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i)
      queue.Push(i);
  });
  for (int i = 0; i < kItems; ++i)
    ASSERT_EQ(queue.Pop(), i);
  producer.join();
}

TEST(Mutex, NotifyAllWakesEveryWaiter) {
  constexpr int kWaiters = 3;
  struct {
    Mutex mu;
    CondVar opened;  // waiters: the threads below; notifier: the test body
    bool open GUARDED_BY(mu) = false;
    int passed GUARDED_BY(mu) = 0;
  } gate;
  std::vector<std::thread> waiters;
  for (int t = 0; t < kWaiters; ++t) {
    waiters.emplace_back([&] {
      MutexLock lock(&gate.mu);
      while (!gate.open)
        gate.opened.Wait(&gate.mu);
      ++gate.passed;
    });
  }
  {
    MutexLock lock(&gate.mu);
    gate.open = true;
  }
  gate.opened.NotifyAll();
  for (std::thread& waiter : waiters)
    waiter.join();
  MutexLock lock(&gate.mu);
  EXPECT_EQ(gate.passed, kWaiters);
}

TEST(Mutex, WaitUntilReturnsFalseOncePastItsDeadline) {
  Mutex mu;
  CondVar never_notified;
  MutexLock lock(&mu);
  // A deadline already past: the wait cannot be notified in time (spurious wakes aside, which
  // also return true, so loop until the deadline is reported).
  const auto deadline = std::chrono::steady_clock::now();
  while (never_notified.WaitUntil(&mu, deadline)) {
  }
  mu.AssertHeld();
}

TEST(Mutex, MutexUnlockLetsAnotherThreadInAndRelocks) {
  Counter counter;
  MutexLock lock(&counter.mu);
  counter.value = 1;
  {
    MutexUnlock unlock(&counter.mu);
    // Joined inside the scope: it can only finish because the scope released the mutex.
    std::thread other([&] {
      MutexLock other_lock(&counter.mu);
      counter.value = 2;
    });
    other.join();
  }
  EXPECT_EQ(counter.value, 2);
  counter.mu.AssertHeld();
}

TEST(Mutex, AssertHeldChecksTheOwnerInDebugBuilds) {
  if (!kZiggyDebugChecks) GTEST_SKIP() << "AssertHeld checks only with ZIGGY_DEBUG_CHECKS";
  Mutex mu;
  EXPECT_DEATH(mu.AssertHeld(), "owner_");
  std::thread other([&] {
    MutexLock lock(&mu);
    mu.AssertHeld();
  });
  other.join();
}

TEST(Mutex, AssertHeldFailsOnAnotherThreadThanTheOwner) {
  if (!kZiggyDebugChecks) GTEST_SKIP() << "AssertHeld checks only with ZIGGY_DEBUG_CHECKS";
  Mutex mu;
  MutexLock lock(&mu);
  EXPECT_DEATH(
      {
        std::thread other([&] { mu.AssertHeld(); });
        other.join();
      },
      "owner_");
}

}  // namespace
}  // namespace ziggydb
