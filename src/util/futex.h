// Sleeping on a 32-bit atomic word with Linux futexes, for hand-offs where the waiter must not
// need a mutex to learn that it was woken (the group-commit queue wakes many writers at once).
//
// Unlike std::atomic::notify_one, FutexWakeOne takes only the word's address and the kernel looks
// waiters up by that address without reading the word. So a waker may store the new value, let
// the waiter see it, return and free the word, and still call FutexWakeOne on the old address:
// at worst it wakes some unrelated waiter whose word now lives there, and every waiter re-checks
// its word after waking (FutexWait may also return spuriously or on a signal).
#ifndef ZIGGYDB_UTIL_FUTEX_H_
#define ZIGGYDB_UTIL_FUTEX_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace ziggydb {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a futex word is 32 bits");

// Sleeps while *word == expected (checked atomically by the kernel). May return early.
inline void FutexWait(const std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

// Like FutexWait, but also returns once `timeout` has passed.
inline void FutexWaitFor(const std::atomic<uint32_t>* word, uint32_t expected,
                         std::chrono::nanoseconds timeout) {
  const int64_t nanos = std::max<int64_t>(timeout.count(), 0);
  struct timespec relative;
  relative.tv_sec = static_cast<time_t>(nanos / 1'000'000'000);
  relative.tv_nsec = static_cast<long>(nanos % 1'000'000'000);
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, &relative, nullptr, 0);
}

// Wakes one thread sleeping on `word`. `word` need not point to a live object any more.
inline void FutexWakeOne(const std::atomic<uint32_t>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_FUTEX_H_
