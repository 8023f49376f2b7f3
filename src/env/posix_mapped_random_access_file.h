// The POSIX mapped file (env/mapped_file.h): a read-only shared mapping of a whole file, made
// once at open and unmapped at destruction. Read returns views of the mapping.
//
// The mapping is advised MADV_RANDOM (the .cc says why): a fault on a page that is not in the page
// cache reads that page only, not the device's read-ahead window. Data blocks are page-aligned
// (docs/format/sstable.md, "Page alignment"), so a point read faults in one page per block.
#ifndef ZIGGYDB_ENV_POSIX_MAPPED_RANDOM_ACCESS_FILE_H_
#define ZIGGYDB_ENV_POSIX_MAPPED_RANDOM_ACCESS_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/env.h"

namespace ziggydb::posix {

// Mapping a whole table file needs address space only a 64-bit process has to spare.
static_assert(sizeof(void*) == 8, "mapped reads assume a 64-bit address space");

// Thread-safe: Read only computes a view.
//
// Invariants:
//   1. map_ maps exactly [0, size_bytes_) of the file read-only; map_ is null iff size_bytes_
//      is 0 (mmap refuses empty ranges).
//   2. The mapping lives as long as this object, so every view Read returned stays valid until
//      the destructor (mapped_file.h contract 2).
class PosixMappedRandomAccessFile final : public RandomAccessFile {
 public:
  // Maps the whole of `path`. NotSupported when the kernel refuses the mapping for lack of
  // memory or mappings (ENOMEM: vm.max_map_count), so the caller can fall back to pread.
  [[nodiscard]] static Status Open(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result);
  ~PosixMappedRandomAccessFile() override;

  // Never touches scratch.
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override;

 private:
  PosixMappedRandomAccessFile(const char* map, uint64_t size_bytes)
      : map_(map), size_bytes_(size_bytes) {}

  const char* const map_;
  const uint64_t size_bytes_;
};

}  // namespace ziggydb::posix

#endif  // ZIGGYDB_ENV_POSIX_MAPPED_RANDOM_ACCESS_FILE_H_
