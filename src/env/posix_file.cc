#include "env/posix_file.h"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "env/kill_point.h"
#include "env/posix_open_guard.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb::posix {
namespace {

// Writeback of written data is started every this many bytes (StartWritebackOfWholePages).
constexpr uint64_t kWritebackStepBytes = uint64_t{1} << 20;
constexpr uint64_t kWritebackPageBytes = 4096;

}  // namespace

Status ErrnoError(std::string_view op, const std::string& path, int err) {
  std::string context(op);
  context.append(" ");
  context.append(path);
  return Status::IOError(context, std::strerror(err));
}

bool IsNoSpaceError(int err) {
  return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

Status ReserveZeroedBytes(int fd, const std::string& path, uint64_t from, uint64_t bytes,
                          int* error_number) {
  int unused = 0;
  int& err = error_number != nullptr ? *error_number : unused;
  if (RetryOnEintr([&] {
        return fallocate(fd, 0, static_cast<off_t>(from), static_cast<off_t>(bytes));
      }) == 0) {
    return Status::OK();
  }
  err = errno;
  if (err != EOPNOTSUPP && err != ENOSYS) return ErrnoError("fallocate", path, err);
  // No fallocate on this file system: write the zeros ourselves.
  static constexpr size_t kChunkBytes = 64 * 1024;
  const std::string zeros(kChunkBytes, '\0');
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, bytes - done));
    const ssize_t written = pwrite(fd, zeros.data(), n, static_cast<off_t>(from + done));
    if (written < 0) {
      if (errno == EINTR) continue;
      err = errno;
      return ErrnoError("zero-fill", path, err);
    }
    done += static_cast<uint64_t>(written);
  }
  err = 0;
  return Status::OK();
}

Status PwriteFully(int fd, const std::string& path, std::string_view op, std::string_view data,
                   uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t written =
        pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(op, path, errno);
    }
    done += static_cast<size_t>(written);
  }
  return Status::OK();
}

PosixSequentialFile::~PosixSequentialFile() {
  close(fd_);
}

Status PosixSequentialFile::Read(size_t n, std::string_view* result, char* scratch) {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = read(fd_, scratch + done, n - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      *result = std::string_view();
      return ErrnoError("read", path_, errno);
    }
    if (got == 0) break;  // end of file
    done += static_cast<size_t>(got);
  }
  *result = std::string_view(scratch, done);
  return Status::OK();
}

Status PosixSequentialFile::Skip(uint64_t n) {
  if (lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return ErrnoError("lseek", path_, errno);
  return Status::OK();
}

PosixRandomAccessFile::~PosixRandomAccessFile() {
  close(fd_);
}

Status PosixRandomAccessFile::Read(uint64_t offset, size_t n, std::string_view* result,
                                   char* scratch) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      *result = std::string_view();
      return ErrnoError("pread", path_, errno);
    }
    if (got == 0) break;  // end of file
    done += static_cast<size_t>(got);
  }
  *result = std::string_view(scratch, done);
  return Status::OK();
}

Status StickyWriteError(const std::string& path, const Status& error) {
  ZIGGY_ASSERT(!error.ok());
  return Status::IOError(
      path, std::string("earlier write or sync failed, data since the last successful Sync may "
                        "be lost: ") +
                error.ToString());
}

void StartWritebackOfWholePages(int fd, uint64_t file_offset, uint64_t* writeback_offset) {
  // Only whole pages: the page holding file_offset may still be written (by the next append),
  // and starting its writeback now would make that write wait for the I/O.
  const uint64_t end = file_offset - file_offset % kWritebackPageBytes;
  if (end < *writeback_offset + kWritebackStepBytes) return;
  // SYNC_FILE_RANGE_WRITE alone queues the I/O and returns; it gives no durability.
  (void)sync_file_range(fd, static_cast<off_t>(*writeback_offset),
                        static_cast<off_t>(end - *writeback_offset), SYNC_FILE_RANGE_WRITE);
  *writeback_offset = end;
}

PosixWritableFile::PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
  ZIGGY_ASSERT(fd_ >= 0);
  buffer_.reserve(kWritableBufferBytes);
}

PosixWritableFile::~PosixWritableFile() {
  if (fd_ >= 0) Close().PermitUncheckedError();
}

Status PosixWritableFile::Fail(Status error) {
  sticky_error_ = StickyWriteError(path_, error);
  return error;
}

Status PosixWritableFile::Append(std::string_view data) {
  if (!sticky_error_.ok()) return sticky_error_;
  ZIGGY_ASSERT(fd_ >= 0);
  if (buffer_.size() + data.size() <= kWritableBufferBytes) {
    buffer_.append(data);
    return Status::OK();
  }
  ZIGGY_RETURN_IF_ERROR(Flush());
  if (data.size() >= kWritableBufferBytes) {
    // Large writes skip the buffer rather than being copied through it.
    return WriteToKernel(data.data(), data.size());
  }
  buffer_.append(data);
  return Status::OK();
}

Status PosixWritableFile::Flush() {
  if (!sticky_error_.ok()) return sticky_error_;
  ZIGGY_ASSERT(fd_ >= 0);
  Status s = WriteToKernel(buffer_.data(), buffer_.size());
  buffer_.clear();
  return s;
}

Status PosixWritableFile::WriteToKernel(const char* data, size_t n) {
  while (n > 0) {
    const ssize_t written = write(fd_, data, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoError("write", path_, errno));
    }
    // A short write (disk nearly full, signal) is resumed where it stopped.
    data += written;
    n -= static_cast<size_t>(written);
    file_offset_ += static_cast<uint64_t>(written);
  }
  StartWritebackOfWholePages(fd_, file_offset_, &writeback_offset_);
  ZIGGY_KILL_POINT("write", path_);
  return Status::OK();
}

Status PosixWritableFile::Sync() {
  ZIGGY_RETURN_IF_ERROR(Flush());
  if (fdatasync(fd_) != 0) {
    return Fail(ErrnoError("fdatasync (data may be lost)", path_, errno));
  }
  ZIGGY_KILL_POINT("sync", path_);
  return Status::OK();
}

Status PosixWritableFile::Close() {
  if (fd_ < 0) return sticky_error_;
  Status s = Flush();
  if (close(fd_) != 0 && s.ok()) s = ErrnoError("close", path_, errno);
  fd_ = -1;
  return s;
}

Status PosixWritableFile::Preallocate(uint64_t bytes) {
  if (!sticky_error_.ok()) return sticky_error_;
  ZIGGY_ASSERT(fd_ >= 0);
  // KEEP_SIZE: reserve blocks without changing what reads (or the size) show. A hint: where the
  // space is not there (or the call not supported) the file simply grows as it is written, and a
  // full disk is reported by the write that needs the space.
  if (RetryOnEintr(
          [&] { return fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)); }) != 0 &&
      errno != EOPNOTSUPP && errno != ENOSYS && !IsNoSpaceError(errno)) {
    return ErrnoError("fallocate", path_, errno);
  }
  return Status::OK();
}

}  // namespace ziggydb::posix
