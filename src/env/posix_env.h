// Internal entry points of the POSIX Env (Env::Default()) that the public interface has no room
// for. Linux only: uses fallocate, fdatasync and flock.
#ifndef ZIGGYDB_ENV_POSIX_ENV_H_
#define ZIGGYDB_ENV_POSIX_ENV_H_

#include <cstdint>
#include <memory>
#include <string>

#include "ziggydb/env.h"

namespace ziggydb {

// The info log rotates (to <path>.old) once it would grow past this.
inline constexpr uint64_t kInfoLogRotateBytes = uint64_t{16} << 20;

// A zero-filled preallocated file on the local file system, written in place; semantics in
// env/preallocated_file.h. Env::Default() serves PreallocatingEnv with this. A file that cannot
// be mapped (mmap fails) is an ordinary appending one instead. A failure (or a throw) closes the
// file and removes it if this call created it.
[[nodiscard]] Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                                 std::unique_ptr<WritableFile>* result);

// Env::NewLogger with an explicit rotation threshold (tests use a small one). Renames an existing
// file at path to <path>.old first. Each line reads
//   "YYYY/MM/DD-HH:MM:SS.uuuuuu <thread-id> <text>"  (UTC; thread id as the kernel's tid)
[[nodiscard]] Status NewPosixLogger(const std::string& path, uint64_t rotate_bytes,
                                    std::shared_ptr<Logger>* result);

// Whether the open file `fd` is still the file `path` names (the same device and inode; false if
// either cannot be stat'ed). An flock on fd is a lock on the path only while this holds: the
// lock's previous holder may have unlinked the file (DestroyDB, a failed Open's rollback) and
// released it before our flock, and the next opener created and locked a new file under the path.
// Both lock takers, PosixEnv::LockFile and DbReadLock::Acquire (DB::OpenReadOnly), check it once
// they hold the lock and start over with the file then there if it fails.
[[nodiscard]] bool PathStillNamesFile(int fd, const std::string& path);

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_POSIX_ENV_H_
