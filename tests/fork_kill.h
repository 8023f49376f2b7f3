// ForkAndKill: the real-process half of the crash tests. A forked child does some work against a
// DB and reports numbers (what it has had acknowledged) to the parent over a pipe; the parent
// SIGKILLs it after a delay, reaps it and returns everything the child reported before it died.
//
// Pipe protocol: a stream of 8-byte values in host byte order. kChildOpened (once, when the
// child's DB::Open returned) and kChildFailed (the child hit an error, then exits) are reserved;
// every other value is the child's own (a batch or commit number).
//
// Precondition of ForkAndKill: the calling process has no other threads (no DB open), so the fork
// copies a sane process. The child must never return into the test framework.
#ifndef ZIGGYDB_TESTS_FORK_KILL_H_
#define ZIGGYDB_TESTS_FORK_KILL_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

namespace ziggydb::test {

inline constexpr uint64_t kChildFailed = ~uint64_t{0};
inline constexpr uint64_t kChildOpened = ~uint64_t{0} - 1;

// Child side: sends one value. A parent that is gone ends the child (exit code 5).
inline void ReportToParent(int fd, uint64_t value) {
  const char* p = reinterpret_cast<const char*>(&value);
  size_t left = sizeof(value);
  while (left > 0) {
    const ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(5);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

struct KillResult {
  bool child_failed = false;    // the child reported an error or died on its own
  std::vector<uint64_t> acked;  // the child's values, in the order the parent read them
};

namespace fork_kill_internal {

// Reads one value; false at end of file.
inline bool ReadReport(int fd, uint64_t* value) {
  char* p = reinterpret_cast<char*>(value);
  size_t have = 0;
  while (have < sizeof(*value)) {
    const ssize_t n = read(fd, p + have, sizeof(*value) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
  }
  return true;
}

inline void Note(uint64_t value, KillResult* result) {
  if (value == kChildFailed) {
    result->child_failed = true;
  } else if (value != kChildOpened) {
    result->acked.push_back(value);
  }
}

}  // namespace fork_kill_internal

// Forks `child` (given the pipe's write end; it must not return) and SIGKILLs it delay_micros
// after the fork, or after its first report when after_open (the child reports kChildOpened
// once its DB is open), then reaps it.
inline KillResult ForkAndKill(const std::function<void(int fd)>& child, bool after_open,
                              uint64_t delay_micros) {
  using fork_kill_internal::Note;
  using fork_kill_internal::ReadReport;
  KillResult result;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    result.child_failed = true;
    return result;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    child(fds[1]);
    _exit(7);  // a child that returns is a test bug: the parent sees an exit, not a kill
  }
  close(fds[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    close(fds[0]);
    result.child_failed = true;
    return result;
  }
  uint64_t value = 0;
  if (after_open && ReadReport(fds[0], &value)) Note(value, &result);  // kChildOpened, normally
  std::this_thread::sleep_for(std::chrono::microseconds(delay_micros));
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // The write end is closed in both processes now: read to end of file.
  while (ReadReport(fds[0], &value))
    Note(value, &result);
  close(fds[0]);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) result.child_failed = true;
  return result;
}

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_FORK_KILL_H_
