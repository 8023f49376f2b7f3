// Env::Default(): the local file system through POSIX/Linux calls.
#include "env/posix_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>

#include "env/kill_point.h"
#include "env/mapped_file.h"
#include "env/posix_file.h"
#include "env/posix_mapped_file.h"
#include "env/posix_mapped_random_access_file.h"
#include "env/posix_open_guard.h"
#include "env/preallocated_file.h"
#include "util/assert.h"
#include "util/mutex.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

using posix::ErrnoError;

// The smallest reservation a preallocated file is given; with less room it is a plain file.
constexpr uint64_t kPreallocateBytesMin = uint64_t{256} << 10;

// Paths locked through any PosixEnv in this process. flock alone already excludes a second open
// file description, but the set makes the same-process case explicit and independent of how the
// path is spelled to flock's inode.
class LockTable {
 public:
  bool Insert(const std::string& path) {
    MutexLock guard(&mu_);
    return paths_.insert(path).second;
  }
  void Erase(const std::string& path) {
    MutexLock guard(&mu_);
    paths_.erase(path);
  }

 private:
  Mutex mu_;
  std::set<std::string> paths_ GUARDED_BY(mu_);
};

LockTable& Locks() {
  static auto* table = new LockTable();  // never destroyed: locks may be released at exit
  return *table;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  const std::string path_;
  const int fd_;
};

// Busy, and only for a lock someone holds: a LOCK that cannot be opened (permission denied, a
// file where a directory should be) is an IOError naming the cause.
Status LockHeld(const std::string& path) {
  return Status::Busy("lock " + path, "held by another process/opener");
}

Status OpenWritable(const std::string& path, int flags, std::unique_ptr<WritableFile>* result) {
  bool created = false;
  const int fd = posix::OpenCreating(path, O_WRONLY | O_CLOEXEC | flags, &created);
  if (fd < 0) return ErrnoError("open for writing", path, errno);
  // Until the file object owns fd (its allocation may throw): closed, and removed if made here.
  posix::OpenGuard guard(fd);
  if (created) guard.RemoveOnFailure(&path);
  ZIGGY_KILL_POINT("create", path);
  *result = std::make_unique<posix::PosixWritableFile>(path, fd);
  guard.Release();
  return Status::OK();
}

class PosixEnv final : public Env, public PreallocatingEnv, public MappingEnv {
 public:
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", path, errno);
    posix::OpenGuard guard(fd);  // closed if the allocation below throws
    *result = std::make_unique<posix::PosixSequentialFile>(path, fd);
    guard.Release();
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", path, errno);
    posix::OpenGuard guard(fd);  // closed if the allocation below throws
    *result = std::make_unique<posix::PosixRandomAccessFile>(path, fd);
    guard.Release();
    return Status::OK();
  }

  Status NewMappedRandomAccessFile(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result) override {
    return posix::PosixMappedRandomAccessFile::Open(path, result);
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return OpenWritable(path, O_TRUNC, result);
  }

  Status NewAppendableFile(const std::string& path,
                           std::unique_ptr<WritableFile>* result) override {
    return OpenWritable(path, O_APPEND, result);
  }

  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override {
    return ziggydb::NewPreallocatedWritableFile(path, bytes, result);
  }

  bool FileExists(const std::string& path) override { return access(path.c_str(), F_OK) == 0; }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    // Closed on every return, and when emplace_back throws.
    const std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), &closedir);
    if (d == nullptr) {
      const int err = errno;
      // NotFound only when nothing is there; EACCES, ENOTDIR and the rest keep their cause.
      if (err == ENOENT) return Status::NotFound("opendir " + dir, std::strerror(err));
      return ErrnoError("opendir", dir, err);
    }
    while (true) {
      errno = 0;
      const struct dirent* entry = readdir(d.get());
      if (entry == nullptr) break;
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") names->emplace_back(name);
    }
    const int read_errno = errno;
    if (read_errno != 0) return ErrnoError("readdir", dir, read_errno);
    return Status::OK();
  }

  Status GetFileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status GetFileModificationTime(const std::string& path, uint64_t* unix_seconds) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
    *unix_seconds = static_cast<uint64_t>(std::max<time_t>(st.st_mtime, 0));
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return ErrnoError("unlink", path, errno);
    ZIGGY_KILL_POINT("unlink", path);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) return ErrnoError("rename to " + to, from, errno);
    ZIGGY_KILL_POINT("rename", to);
    return Status::OK();
  }

  Status LinkFile(const std::string& from, const std::string& to) override {
    if (link(from.c_str(), to.c_str()) == 0) return Status::OK();
    const int err = errno;
    // Another file system, or one without hard links: the caller copies.
    if (err == EXDEV || err == EPERM || err == EOPNOTSUPP) {
      return Status::NotSupported("hard link to " + to, std::strerror(err));
    }
    return ErrnoError("link to " + to, from, err);
  }

  Status CreateDir(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    const int err = errno;
    struct stat st;
    if (err == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return ErrnoError("mkdir", dir, err);
  }

  Status RemoveDir(const std::string& dir) override {
    if (rmdir(dir.c_str()) != 0) return ErrnoError("rmdir", dir, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open directory", dir, errno);
    Status s;
    if (fsync(fd) != 0) s = ErrnoError("fsync directory (entries may be lost)", dir, errno);
    close(fd);
    if (s.ok()) ZIGGY_KILL_POINT("syncdir", dir);
    return s;
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  Status UnlockFile(std::unique_ptr<FileLock> lock) override;

  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override {
    return NewPosixLogger(path, kInfoLogRotateBytes, result);
  }

  uint64_t NowMicros() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }

  uint64_t WallMicros() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

Status PosixEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  if (!Locks().Insert(path)) return LockHeld(path);
  int fd = -1;
  // A lock is only a lock on the file the path names: the holder of the file we opened may have
  // unlinked it (DestroyDB, a failed Open's rollback) and released it before our flock, and the
  // next opener would create and lock a new file. Then we start over with the file now there.
  bool created = false;  // whether this call made the file (removed again if it throws)
  for (int attempt = 0;; ++attempt) {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created = fd >= 0;
    // There already (or a symbolic link): opened as before, creating it should it have gone
    // meanwhile (not counted as ours then: at worst an empty LOCK outlives a throw).
    if (fd < 0 && errno == EEXIST) fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      Locks().Erase(path);
      return ErrnoError("open lock file", path, err);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      close(fd);
      Locks().Erase(path);
      if (err == EWOULDBLOCK || err == EAGAIN) return LockHeld(path);
      return ErrnoError("flock", path, err);
    }
    if (PathStillNamesFile(fd, path)) break;
    flock(fd, LOCK_UN);
    close(fd);
    if (attempt == 2) {  // replaced again and again: someone else is busy with this path
      Locks().Erase(path);
      return LockHeld(path);
    }
  }
  try {
    *lock = std::make_unique<PosixFileLock>(path, fd);
  } catch (...) {
    // An allocation failure must not leave the lock held with nobody to release it, nor a file
    // this call made (removed while still locked: nobody else holds it).
    if (created) unlink(path.c_str());
    flock(fd, LOCK_UN);
    close(fd);
    Locks().Erase(path);
    throw;
  }
  return Status::OK();
}

Status PosixEnv::UnlockFile(std::unique_ptr<FileLock> lock) {
  auto* posix_lock = dynamic_cast<PosixFileLock*>(lock.get());
  if (posix_lock == nullptr) {
    // Env is public API: a null lock, or one from another Env, is misuse reported, not fatal.
    return Status::InvalidArgument("UnlockFile: not a lock of this Env");
  }
  // Released before any Status is built (which allocates): out of memory still unlocks.
  const int unlock_errno = flock(posix_lock->fd(), LOCK_UN) != 0 ? errno : 0;
  close(posix_lock->fd());
  Locks().Erase(posix_lock->path());
  if (unlock_errno != 0) return ErrnoError("unlock", posix_lock->path(), unlock_errno);
  return Status::OK();
}

}  // namespace

bool PathStillNamesFile(int fd, const std::string& path) {
  struct stat held {};
  struct stat named {};
  return fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                   std::unique_ptr<WritableFile>* result) {
  ZIGGY_ASSERT(bytes > 0);
  // Read-write: a shared writable mapping needs it.
  bool created = false;
  const int fd = posix::OpenCreating(path, O_RDWR | O_TRUNC | O_CLOEXEC, &created);
  if (fd < 0) return ErrnoError("open for writing", path, errno);
  // Every failure (or throw) before a file object owns fd closes it and removes the file if this
  // call made it: a failed creation leaves nothing behind.
  posix::OpenGuard guard(fd);
  if (created) guard.RemoveOnFailure(&path);
  ZIGGY_KILL_POINT("create", path);
  // Reserve what fits. Where `bytes` does not (a full disk or quota, a file size limit) the
  // reservation is halved down to kPreallocateBytesMin; below that the file is an ordinary
  // appending one (exact size, so each sync also journals a size change): a DB can still be
  // created and written on a nearly full disk (docs/design/durability.md).
  for (uint64_t reserve_bytes = bytes;; reserve_bytes /= 2) {
    int err = 0;
    Status s = posix::ReserveZeroedBytes(fd, path, 0, reserve_bytes, &err);
    if (s.ok()) {
      // The reserved size must be durable before the first record, so that later fdatasyncs of
      // in-place writes have no size change to journal.
      if (fsync(fd) != 0) return ErrnoError("fsync preallocated", path, errno);
      s = posix::PosixMappedWritableFile::Open(path, fd, reserve_bytes, result);
      if (s.ok()) {
        guard.Release();
        return Status::OK();
      }
      // No mapping (out of address space or of mappings, a file system that cannot map files
      // shared): the file is an ordinary appending one, emptied first, rather than no log.
      if (posix::RetryOnEintr([fd] { return ftruncate(fd, 0); }) != 0) {
        return ErrnoError("ftruncate", path, errno);
      }
      break;
    }
    // Whatever part was reserved goes: the next attempt, or the plain file, starts empty.
    const bool emptied = posix::RetryOnEintr([fd] { return ftruncate(fd, 0); }) == 0;
    if (!posix::IsNoSpaceError(err) || !emptied) return s;
    if (reserve_bytes / 2 < kPreallocateBytesMin) break;
  }
  *result = std::make_unique<posix::PosixWritableFile>(path, fd);
  guard.Release();
  return Status::OK();
}

Env* Env::Default() {
  static auto* env = new PosixEnv();  // never destroyed (env.h)
  return env;
}

}  // namespace ziggydb
