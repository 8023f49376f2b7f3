// Memory-mapped random-access files: zero-copy reads of immutable files (tables).
//
// A file opened by NewMappedRandomAccessFile below with *mapped == true (a "mapped file") keeps
// this contract beyond RandomAccessFile's:
//   1. Read never writes to scratch, which may be null, and sets *result to a view of the file's
//      bytes (short at the end of the file, as any Read).
//   2. A view stays valid, and its bytes unchanged, until the file object is destroyed. Callers
//      rely on this to keep views past the Read; the files mapped (tables) are never rewritten
//      in place, so the bytes cannot change under a view.
//   3. The file's size is fixed when it is opened: a later append is not visible.
// The price on the POSIX Env: a read of a mapped page that meets a disk I/O error, or of a page
// beyond the end of a file that another process truncated, raises SIGBUS instead of returning
// IOError. Readers that must report such errors as a Status (`ziggy verify`) use
// Env::NewRandomAccessFile instead.
#ifndef ZIGGYDB_ENV_MAPPED_FILE_H_
#define ZIGGYDB_ENV_MAPPED_FILE_H_

#include <memory>
#include <string>

#include "ziggydb/env.h"

namespace ziggydb {

// Implemented by the Envs that can map files (POSIX, and CountingEnv over it). Found with
// dynamic_cast by NewMappedRandomAccessFile below. MemEnv and FaultInjectionEnv do not implement
// it: their files keep copying into scratch.
class MappingEnv {
 public:
  // Opens `path` as a mapped file. NotSupported when this Env cannot map it (the caller then
  // falls back to NewRandomAccessFile); any other error is the open's.
  [[nodiscard]] virtual Status NewMappedRandomAccessFile(
      const std::string& path, std::unique_ptr<RandomAccessFile>* result) = 0;

 protected:
  ~MappingEnv() = default;
};

// Opens `path` as a mapped file when env implements MappingEnv and can map it (*mapped = true);
// otherwise with env->NewRandomAccessFile (*mapped = false, no contract beyond Env's).
[[nodiscard]] Status NewMappedRandomAccessFile(Env* env, const std::string& path,
                                               std::unique_ptr<RandomAccessFile>* result,
                                               bool* mapped);

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_MAPPED_FILE_H_
