#include "env/posix_mapped_random_access_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "env/posix_file.h"
#include "env/posix_open_guard.h"
#include "util/assert.h"

namespace ziggydb::posix {

Status PosixMappedRandomAccessFile::Open(const std::string& path,
                                         std::unique_ptr<RandomAccessFile>* result) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoError("fstat", path, err);
  }
  const auto size_bytes = static_cast<uint64_t>(st.st_size);
  void* map = nullptr;
  if (size_bytes > 0) {
    map = mmap(nullptr, static_cast<size_t>(size_bytes), PROT_READ, MAP_SHARED, fd, 0);
  }
  const int mmap_errno = errno;
  close(fd);  // the mapping keeps the file open
  if (map == MAP_FAILED) {
    if (mmap_errno == ENOMEM) return Status::NotSupported("mmap " + path, "out of mappings");
    return ErrnoError("mmap", path, mmap_errno);
  }
  // Point reads touch one block per table; without this hint a page fault on a file that is not
  // in the page cache reads ahead up to the device's read-ahead window (8 MiB on this machine's
  // disk, measured: 4.75 MB read per Get on a DB larger than memory, 1.8 device reads per Get
  // with it). Compaction inputs that are not cached fault page by page instead: the price is paid
  // only when the data has already left the page cache. Advisory: failure loses the hint only.
  if (map != nullptr) (void)madvise(map, static_cast<size_t>(size_bytes), MADV_RANDOM);
  OpenGuard mapping(-1);  // unmapped if the allocation below throws
  if (map != nullptr) mapping.SetMapping(map, static_cast<size_t>(size_bytes));
  result->reset(new PosixMappedRandomAccessFile(static_cast<const char*>(map), size_bytes));
  mapping.Release();
  return Status::OK();
}

PosixMappedRandomAccessFile::~PosixMappedRandomAccessFile() {
  if (map_ == nullptr) return;
  // munmap of a range we mapped can only fail on a bug (bad address or length).
  const int rc = munmap(const_cast<char*>(map_), static_cast<size_t>(size_bytes_));
  ZIGGY_ASSERT(rc == 0);
}

Status PosixMappedRandomAccessFile::Read(uint64_t offset, size_t n, std::string_view* result,
                                         char* scratch) const {
  (void)scratch;
  if (offset >= size_bytes_) {
    *result = std::string_view();
    return Status::OK();
  }
  const auto count = static_cast<size_t>(std::min<uint64_t>(n, size_bytes_ - offset));
  *result = std::string_view(map_ + offset, count);
  return Status::OK();
}

}  // namespace ziggydb::posix
