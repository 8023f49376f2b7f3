// POSIX file objects behind Env::Default(). Internal to src/env/; the rest of the tree sees only
// the interfaces in ziggydb/env.h.
#ifndef ZIGGYDB_ENV_POSIX_FILE_H_
#define ZIGGYDB_ENV_POSIX_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ziggydb/env.h"

namespace ziggydb::posix {

// Bytes a PosixWritableFile buffers before handing them to the kernel.
inline constexpr size_t kWritableBufferBytes = 64 * 1024;

// IOError naming the operation, the path and strerror(err).
Status ErrnoError(std::string_view op, const std::string& path, int err);

// Writes all of `data` at `offset` with pwrite(), retrying short writes and EINTR. `op` names
// the operation in the error.
[[nodiscard]] Status PwriteFully(int fd, const std::string& path, std::string_view op,
                                 std::string_view data, uint64_t offset);

// Grows fd's file to from + bytes with zero bytes: fallocate(mode 0) where supported (unwritten
// extents, read as zeros), else by writing zeros. Does not sync. On failure *error_number (if
// given) is the errno of the call that failed; part of the range may have been reserved.
[[nodiscard]] Status ReserveZeroedBytes(int fd, const std::string& path, uint64_t from,
                                        uint64_t bytes, int* error_number = nullptr);

// The errno values of a reservation that does not fit: the file system is full (ENOSPC), the
// user's quota is (EDQUOT), or the file would pass its size limit (EFBIG).
bool IsNoSpaceError(int err);

// The sticky error a writable file keeps after `error` (a failed write, reservation or
// fdatasync): every later write or sync returns it.
Status StickyWriteError(const std::string& path, const Status& error);

// Starts (does not wait for) writeback of the whole pages of [*writeback_offset, file_offset)
// once there are kWritebackStepBytes of them, and advances *writeback_offset, so that a later
// fdatasync (of a finished table, say) only waits for the tail. Advisory: failures are ignored
// here; a write error still surfaces at the next fdatasync.
void StartWritebackOfWholePages(int fd, uint64_t file_offset, uint64_t* writeback_offset);

// Owns fd. Not thread-safe.
class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override;
  Status Read(size_t n, std::string_view* result, char* scratch) override;
  Status Skip(uint64_t n) override;

 private:
  const std::string path_;
  const int fd_;
};

// Owns fd. Read() is pread-based and safe for concurrent use.
class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override;
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override;

 private:
  const std::string path_;
  const int fd_;
};

// Buffered appending writer. Owns fd (opened with O_TRUNC or O_APPEND) once constructed; if the
// constructor throws (its buffer's allocation), fd stays the caller's (posix_open_guard.h). Used
// by one thread at a time.
//
// Invariants:
//   1. buffer_ holds at most kWritableBufferBytes bytes not yet handed to the kernel.
//   2. Once sticky_error_ is set (a failed write or fdatasync) every later Append, Flush and Sync
//      returns it: after a failed fdatasync the kernel may have dropped the dirty pages and marked
//      them clean, so a retried sync could "succeed" without the data ever reaching the disk.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd);
  ~PosixWritableFile() override;

  Status Append(std::string_view data) override;
  Status Flush() override;
  Status Sync() override;
  Status Close() override;
  Status Preallocate(uint64_t bytes) override;

 private:
  Status WriteToKernel(const char* data, size_t n);
  // Records `error` as the sticky error and returns it.
  Status Fail(Status error);

  const std::string path_;
  int fd_;                         // -1 once closed
  uint64_t file_offset_ = 0;       // bytes handed to the kernel so far
  uint64_t writeback_offset_ = 0;  // writeback was started for [0, writeback_offset_)
  std::string buffer_;
  Status sticky_error_;
};

}  // namespace ziggydb::posix

#endif  // ZIGGYDB_ENV_POSIX_FILE_H_
