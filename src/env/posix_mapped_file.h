// The POSIX preallocated writable file (env/preallocated_file.h): records are copied into a
// shared memory mapping of the zero-filled reservation instead of being handed over with one
// pwrite() per record.
//
// A store into a MAP_SHARED mapping of a regular file lands in the kernel's page cache at once,
// so an appended record survives a crash of the process exactly as a written one does (what
// WritableFile::Flush promises), without a system call. fdatasync() writes back pages dirtied
// through a mapping like any other dirty page of the file (on Linux a written page of a shared
// file mapping is marked dirty at its write fault, and write-protected again when written
// back), so Sync keeps its meaning.
//
// The reservation is real (fallocate reserved the blocks, or zeros were written where it is not
// supported), so the first store into a page needs no new block on a file system that overwrites
// in place (ext4, xfs). Known limitation: a store can still raise SIGBUS, which kills the process
// (no handler is installed) instead of returning an IOError, when
//   - another process truncates the file under the mapping (the DB's LOCK keeps other DB
//     instances out, and no tool of ours shrinks a live log);
//   - the page was written back and dropped from the page cache (memory pressure; written pages
//     are also dropped on purpose by UnmapWrittenPages, but those are never stored to again), and
//     re-faulting it for a store into that page needs a read that fails (EIO from the device);
//   - on a copy-on-write file system (btrfs; also with reflinked or snapshotted files) a store that
//     re-dirties a page written back needs a new block, and none is left (ENOSPC): fallocate
//     reserves no space for rewrites there.
// Only the page holding the write position is stored to again after writeback, and an append
// that starts in a page the last Sync wrote back goes through pwrite() (below), so the window is
// the tail page between writebacks the kernel started on its own. The process then dies as on a
// crash: recovery replays the log up to its last intact record.
//
// Logs synced every few records take two detours (docs/design/durability.md, "Sync-heavy logs"):
//   - An append that starts in the page written back by the last Sync goes through pwrite():
//     writeback write-protected that page's mapping, and storing through it again would cost a
//     write fault and a TLB shootdown on every other CPU running our threads.
//   - A Sync that follows less than kZeroAheadBytes of appends first writes real zeros over the
//     next kZeroAheadBytes of the reservation. ext4 records every first write into a fallocated
//     (unwritten) extent with a journal commit inside the fdatasync; writing zeros ahead in one
//     step pays that once per kZeroAheadBytes instead of once per page.
#ifndef ZIGGYDB_ENV_POSIX_MAPPED_FILE_H_
#define ZIGGYDB_ENV_POSIX_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/env.h"

namespace ziggydb::posix {

// Owns fd (opened read-write) once Open succeeded. Used by one thread at a time.
//
// Invariants:
//   1. [0, reserved_bytes_) of the file is reserved and zero-filled beyond file_offset_, and
//      map_ maps exactly that range (map_ is null only after Close).
//   2. Bytes [0, file_offset_) are the appended data, already in the page cache.
//   3. [PageEnd(file_offset_), zeroed_end_) holds zeros written by ZeroAhead (page-aligned).
//   4. Once sticky_error_ is set (a failed reservation, unmap or fdatasync) every later Append,
//      Flush and Sync returns it (see PosixWritableFile's invariant 2).
class PosixMappedWritableFile final : public WritableFile {
 public:
  // Maps the first `reserved_bytes` of fd's file, which the caller reserved and zero-filled.
  // Takes fd only on success; on failure (the mmap's error) or a throw fd stays the caller's,
  // and no mapping is left.
  static Status Open(std::string path, int fd, uint64_t reserved_bytes,
                     std::unique_ptr<WritableFile>* result);
  ~PosixMappedWritableFile() override;

  Status Append(std::string_view data) override;
  // The data is in the page cache already. Starts no writeback: a log is usually deleted, once
  // its memtable is flushed, before the kernel would write it, and then its pages never reach
  // the disk (docs/design/durability.md). Only unmaps written whole pages (UnmapWrittenPages).
  Status Flush() override;
  Status Sync() override;
  // Unmaps, trims the file to the bytes appended and closes it.
  Status Close() override;
  Status Preallocate(uint64_t bytes) override;

 private:
  PosixMappedWritableFile(std::string path, int fd, uint64_t reserved_bytes, char* map);

  // Grows the reservation (and the mapping) to at least end_offset.
  Status EnsureReserved(uint64_t end_offset);
  // Every kUnmapStepBytes, unmaps the whole pages written since the last call: they are never
  // stored to again, and a page still mapped writable when writeback (a Sync, or the kernel)
  // reaches it costs a write-protect fault and a TLB shootdown. Their dirty state stays in the
  // page cache. Advisory: a failure only loses that optimisation.
  void UnmapWrittenPages();
  // Writes zeros over the kZeroAheadBytes of the reservation after the page holding
  // file_offset_, unless the page after it holds written zeros already.
  Status ZeroAhead();
  Status Fail(Status error);

  const std::string path_;
  int fd_;  // -1 once closed
  const uint64_t reserve_step_bytes_;
  uint64_t reserved_bytes_;
  char* map_;
  uint64_t file_offset_ = 0;
  uint64_t unmapped_end_ = 0;     // [0, unmapped_end_) was unmapped by UnmapWrittenPages
  uint64_t synced_offset_ = 0;    // file_offset_ at the last successful Sync
  uint64_t synced_page_end_ = 0;  // end of the page holding synced_offset_ (0: none synced)
  uint64_t zeroed_end_ = 0;       // see invariant 3
  Status sticky_error_;
};

}  // namespace ziggydb::posix

#endif  // ZIGGYDB_ENV_POSIX_MAPPED_FILE_H_
