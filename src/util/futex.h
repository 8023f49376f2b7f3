// Sleeping on a 32-bit atomic word with Linux futexes, for hand-offs where the waiter must not
// need a mutex to learn that it was woken (the group-commit queue wakes many writers at once).
//
// Two ways: a waiter sleeps on a word of its own (FutexWait / FutexWakeOne), or many waiters
// share one word, each with its own bits, and a waker picks which of them to wake with one system
// call (FutexWaitBits / FutexWakeBits). Every waiter re-checks its condition after waking (a wait
// may also return spuriously, on a signal, or because the word changed).
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

// Wakes one thread sleeping in FutexWait on `word`. `word` need not point to a live object any
// more: the kernel looks waiters up by the address without reading it, so at worst an unrelated
// waiter whose word now lives there wakes and re-checks.
inline void FutexWakeOne(const std::atomic<uint32_t>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// Sleeps while *word == expected, until a FutexWakeBits on `word` whose mask shares a bit with
// `bits`, or until `deadline` (CLOCK_MONOTONIC, the clock of std::chrono::steady_clock) when
// `has_deadline`. May return early. Precondition: bits != 0.
inline void FutexWaitBits(const std::atomic<uint32_t>* word, uint32_t expected, uint32_t bits,
                          bool has_deadline, std::chrono::steady_clock::time_point deadline) {
  struct timespec absolute {};
  if (has_deadline) {
    const int64_t nanos = std::max<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count(),
        0);
    absolute.tv_sec = static_cast<time_t>(nanos / 1'000'000'000);
    absolute.tv_nsec = static_cast<long>(nanos % 1'000'000'000);
  }
  syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, expected, has_deadline ? &absolute : nullptr,
          nullptr, bits);
}

// Wakes every thread sleeping in FutexWaitBits on `word` with a bit in `mask`, in one system
// call: the kernel can then also batch the wake-ups it sends to another CPU.
inline void FutexWakeBits(const std::atomic<uint32_t>* word, uint32_t mask) {
  syscall(SYS_futex, word, FUTEX_WAKE_BITSET_PRIVATE, INT32_MAX, nullptr, nullptr, mask);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_FUTEX_H_
