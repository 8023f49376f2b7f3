// Env: the file system and clock that a DB uses. The default is POSIX; tests substitute an
// in-memory, fault-injecting one. A program may supply its own (Options::env).
//
// Durability contract (what the DB relies on):
//   1. Data appended to a WritableFile is durable only after Sync() returns OK.
//   2. A failed Sync() is final for that file: the data since the last good Sync may be lost, and
//      the file must not be synced again as though nothing happened.
//   3. A created, renamed or removed name is durable only after SyncDir() of its directory.
//   4. RenameFile replaces the target atomically.
// Thread safety: an Env and RandomAccessFile are safe for concurrent use; other file objects
// are used by one thread at a time.
#ifndef ZIGGYDB_ENV_H_
#define ZIGGYDB_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb {

// Reads a file front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch (at least n bytes long); *result points into scratch or at
  // data the file owns. A short read means end of file.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// Reads a file at any offset; safe for concurrent use.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset; a short read means the file ended.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;
};

// Appends to a file.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Hands buffered data to the operating system (survives a process crash, not power loss).
  virtual Status Flush() = 0;
  // Flushes, then makes the data durable (fdatasync). See the contract above.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Hint: the file will grow to about `bytes`; an implementation may reserve the space so that
  // later appends and syncs need no metadata update. Never changes what reads return.
  virtual Status Preallocate(uint64_t bytes) {
    (void)bytes;
    return Status::OK();
  }
};

// Held while a process owns a DB directory.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Where a DB writes its human-readable info log. Thread-safe.
class Logger {
 public:
  virtual ~Logger() = default;
  // Writes one line (a newline is added). Lines are never interleaved.
  virtual void Log(std::string_view line) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never destroyed.
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates or truncates.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Opens for appending, creating it if absent.
  virtual Status NewAppendableFile(const std::string& path,
                                   std::unique_ptr<WritableFile>* result) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, without "." and "..". NotFound only if the
  // directory does not exist; any other failure (permission denied, not a directory) is an
  // IOError naming it.
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  // Seconds since the Unix epoch at which the file's contents last changed. NotSupported when
  // this Env does not keep modification times.
  virtual Status GetFileModificationTime(const std::string& path, uint64_t* unix_seconds) {
    (void)unix_seconds;
    return Status::NotSupported("modification times", path);
  }
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Gives the file `from` a second name `to` (a hard link; `to` must not exist). NotSupported
  // when this Env or the file system cannot link (the two paths on different file systems, an
  // in-memory Env): callers then copy the file instead.
  virtual Status LinkFile(const std::string& from, const std::string& to) {
    return Status::NotSupported("hard links", from + " -> " + to);
  }
  // OK if the directory already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Makes the creation, rename and removal of entries in dir durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on the file (creating it), held until UnlockFile. A lock held by
  // this or another process yields Busy; failing to open the file yields IOError naming the
  // cause. Never blocks. If it throws (std::bad_alloc), it holds no lock and has removed the
  // file again if it created it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
  virtual Status UnlockFile(std::unique_ptr<FileLock> lock) = 0;

  // A Logger writing to a file, replacing it.
  virtual Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) = 0;

  // Microseconds on a monotonic clock, for measuring durations.
  virtual uint64_t NowMicros() = 0;
  // Microseconds since the Unix epoch, for timestamps written to files.
  virtual uint64_t WallMicros() = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_H_
