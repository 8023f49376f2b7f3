#include "env/posix_mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "env/kill_point.h"
#include "env/posix_file.h"
#include "env/posix_open_guard.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb::posix {
namespace {

constexpr uint64_t kPageBytes = 4096;
// See the header: how far ahead of a frequently synced log zeros are written, and below how many
// appended bytes between two syncs a log counts as frequently synced.
constexpr uint64_t kZeroAheadBytes = 64 * 1024;
// Written pages are unmapped in steps of this many bytes (UnmapWrittenPages).
constexpr uint64_t kUnmapStepBytes = uint64_t{1} << 20;

uint64_t PageEnd(uint64_t offset) {
  return offset - offset % kPageBytes + kPageBytes;
}

// Sequential stores into the mapping would otherwise look like a stream to the fault path, which
// then reads ahead into ever larger page-cache folios. Writeback works on whole folios, so every
// writeback started behind the write position (or by the kernel) would also write the large
// folio holding it, and the next stores would dirty, and write, all of it again: measured, a 57
// MB log cost 72 MB of device writes. Advisory: a failure only loses that optimisation.
void AdviseRandom(char* map, uint64_t bytes) {
  (void)madvise(map, bytes, MADV_RANDOM);
}

Status MapShared(int fd, const std::string& path, uint64_t bytes, char** map) {
  void* address = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) return ErrnoError("mmap", path, errno);
  *map = static_cast<char*>(address);
  AdviseRandom(*map, bytes);
  return Status::OK();
}

}  // namespace

Status PosixMappedWritableFile::Open(std::string path, int fd, uint64_t reserved_bytes,
                                     std::unique_ptr<WritableFile>* result) {
  ZIGGY_ASSERT(fd >= 0 && reserved_bytes > 0);
  char* map = nullptr;
  ZIGGY_RETURN_IF_ERROR(MapShared(fd, path, reserved_bytes, &map));
  OpenGuard mapping(-1);  // unmapped if the allocation below throws; fd stays the caller's
  mapping.SetMapping(map, reserved_bytes);
  result->reset(new PosixMappedWritableFile(std::move(path), fd, reserved_bytes, map));
  mapping.Release();
  return Status::OK();
}

PosixMappedWritableFile::PosixMappedWritableFile(std::string path, int fd, uint64_t reserved_bytes,
                                                 char* map)
    : path_(std::move(path)),
      fd_(fd),
      reserve_step_bytes_(reserved_bytes),
      reserved_bytes_(reserved_bytes),
      map_(map) {}

PosixMappedWritableFile::~PosixMappedWritableFile() {
  if (fd_ >= 0) Close().PermitUncheckedError();
}

Status PosixMappedWritableFile::Fail(Status error) {
  sticky_error_ = StickyWriteError(path_, error);
  return error;
}

Status PosixMappedWritableFile::EnsureReserved(uint64_t end_offset) {
  if (end_offset <= reserved_bytes_) return Status::OK();
  const uint64_t needed_bytes = end_offset - reserved_bytes_;
  uint64_t grow_bytes = std::max(reserve_step_bytes_, needed_bytes);
  int err = 0;
  Status s = ReserveZeroedBytes(fd_, path_, reserved_bytes_, grow_bytes, &err);
  if (!s.ok() && IsNoSpaceError(err) && grow_bytes > needed_bytes) {
    // No room for a whole step: reserve only what this append needs (whole pages), so that a
    // nearly full disk fails the write that truly does not fit, not one that does.
    grow_bytes = (needed_bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
    if (RetryOnEintr([&] { return ftruncate(fd_, static_cast<off_t>(reserved_bytes_)); }) != 0) {
      return ErrnoError("ftruncate", path_, errno);
    }
    s = ReserveZeroedBytes(fd_, path_, reserved_bytes_, grow_bytes);
  }
  ZIGGY_RETURN_IF_ERROR(s);
  void* grown = mremap(map_, reserved_bytes_, reserved_bytes_ + grow_bytes, MREMAP_MAYMOVE);
  if (grown == MAP_FAILED) return ErrnoError("mremap", path_, errno);
  map_ = static_cast<char*>(grown);
  reserved_bytes_ += grow_bytes;
  AdviseRandom(map_, reserved_bytes_);
  return Status::OK();
}

Status PosixMappedWritableFile::Append(std::string_view data) {
  if (!sticky_error_.ok()) return sticky_error_;
  ZIGGY_ASSERT(fd_ >= 0 && map_ != nullptr);
  Status s = EnsureReserved(file_offset_ + data.size());
  if (!s.ok()) return Fail(std::move(s));
  if (file_offset_ < synced_page_end_) {
    s = PwriteFully(fd_, path_, "pwrite", data, file_offset_);
    if (!s.ok()) return Fail(std::move(s));
  } else {
    std::memcpy(map_ + file_offset_, data.data(), data.size());
  }
  file_offset_ += data.size();
  ZIGGY_KILL_POINT("write", path_);
  return Status::OK();
}

Status PosixMappedWritableFile::Flush() {
  if (!sticky_error_.ok()) return sticky_error_;
  UnmapWrittenPages();
  return Status::OK();
}

void PosixMappedWritableFile::UnmapWrittenPages() {
  // Only whole pages: the page holding file_offset_ takes the next append.
  const uint64_t end = file_offset_ - file_offset_ % kPageBytes;
  if (end < unmapped_end_ + kUnmapStepBytes) return;
  (void)madvise(map_ + unmapped_end_, end - unmapped_end_, MADV_DONTNEED);
  unmapped_end_ = end;
}

Status PosixMappedWritableFile::Sync() {
  if (!sticky_error_.ok()) return sticky_error_;
  if (file_offset_ - synced_offset_ < kZeroAheadBytes) {
    Status s = ZeroAhead();
    if (!s.ok()) return Fail(std::move(s));
  }
  if (fdatasync(fd_) != 0) {
    return Fail(ErrnoError("fdatasync (data may be lost)", path_, errno));
  }
  synced_offset_ = file_offset_;
  synced_page_end_ = PageEnd(file_offset_);
  ZIGGY_KILL_POINT("sync", path_);
  return Status::OK();
}

Status PosixMappedWritableFile::ZeroAhead() {
  // Only pages wholly past the data (the page holding file_offset_ has appended bytes), and only
  // once the next page is not zeroed yet.
  const uint64_t from = PageEnd(file_offset_);
  if (zeroed_end_ > from) return Status::OK();
  const uint64_t end = std::min(from + kZeroAheadBytes, reserved_bytes_);
  if (from >= end) return Status::OK();
  static const std::string zeros(kZeroAheadBytes, '\0');
  ZIGGY_RETURN_IF_ERROR(
      PwriteFully(fd_, path_, "zero-ahead", {zeros.data(), static_cast<size_t>(end - from)}, from));
  zeroed_end_ = end;
  return Status::OK();
}

Status PosixMappedWritableFile::Close() {
  if (fd_ < 0) return sticky_error_;
  Status s = sticky_error_;
  if (munmap(map_, reserved_bytes_) != 0 && s.ok()) s = ErrnoError("munmap", path_, errno);
  map_ = nullptr;
  if (s.ok() &&
      RetryOnEintr([&] { return ftruncate(fd_, static_cast<off_t>(file_offset_)); }) != 0) {
    s = ErrnoError("ftruncate", path_, errno);
  }
  if (close(fd_) != 0 && s.ok()) s = ErrnoError("close", path_, errno);
  fd_ = -1;
  return s;
}

Status PosixMappedWritableFile::Preallocate(uint64_t bytes) {
  if (!sticky_error_.ok()) return sticky_error_;
  Status s = EnsureReserved(bytes);
  if (!s.ok()) return Fail(std::move(s));
  return Status::OK();
}

}  // namespace ziggydb::posix
