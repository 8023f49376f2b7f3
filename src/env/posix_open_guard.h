// OpenGuard: what a POSIX Env call acquired (a file descriptor, a mapping, a file it created)
// until a file object owns it; and two helpers for such calls (OpenCreating, RetryOnEintr).
// Internal to src/env/.
//
// Between open(2) and the file object that takes the descriptor, an allocation (the object, its
// buffer, a vector) may throw std::bad_alloc, and a later step may fail: either way the call
// must leave nothing behind it acquired (no fd or mapping leak, no file it created). The guard
// undoes all of it when it goes out of scope unless Release() was called. Its own members never
// allocate, so it works while unwinding from bad_alloc.
#ifndef ZIGGYDB_ENV_POSIX_OPEN_GUARD_H_
#define ZIGGYDB_ENV_POSIX_OPEN_GUARD_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace ziggydb::posix {

class OpenGuard {
 public:
  // fd may be -1 (a guard for a mapping alone).
  explicit OpenGuard(int fd) : fd_(fd) {}
  OpenGuard(const OpenGuard&) = delete;
  OpenGuard& operator=(const OpenGuard&) = delete;
  ~OpenGuard() { Undo(); }

  // The file at *path was created by this call: it is unlinked too. *path must outlive the guard.
  void RemoveOnFailure(const std::string* path) { created_path_ = path; }
  // Unmapped too.
  void SetMapping(void* address, size_t bytes) {
    map_ = address;
    map_bytes_ = bytes;
  }

  // Unmaps, closes and unlinks now (as the destructor would); the guard is empty afterwards.
  void Undo() noexcept {
    if (map_ != nullptr) (void)munmap(map_, map_bytes_);
    if (fd_ >= 0) (void)close(fd_);
    if (created_path_ != nullptr) (void)unlink(created_path_->c_str());
    Release();
  }
  // Ownership has passed to a file object (or the caller): nothing is undone.
  void Release() noexcept {
    fd_ = -1;
    map_ = nullptr;
    created_path_ = nullptr;
  }

 private:
  int fd_;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  const std::string* created_path_ = nullptr;
};

// open(path, flags | O_CREAT, 0644), telling whether this call created the file (*created), so
// that a failure afterwards removes only a file it made: tried with O_EXCL first.
inline int OpenCreating(const std::string& path, int flags, bool* created) {
  int fd = open(path.c_str(), flags | O_CREAT | O_EXCL, 0644);
  *created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = open(path.c_str(), flags | O_CREAT, 0644);
  return fd;
}

// Calls the system call f() again while it fails with EINTR (a signal arrived first).
template <typename F>
auto RetryOnEintr(F f) {
  auto rc = f();
  while (rc == -1 && errno == EINTR)
    rc = f();
  return rc;
}

}  // namespace ziggydb::posix

#endif  // ZIGGYDB_ENV_POSIX_OPEN_GUARD_H_
