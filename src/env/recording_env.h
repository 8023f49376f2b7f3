// RecordingEnv: forwards everything to another Env (an in-memory one, for tests) and logs, in the
// order they took effect, the operations that change what a crash can leave on disk: file
// creation, writes (offset and bytes), size changes, file syncs, renames, removals, hard links,
// directory creation and directory syncs. The crash-state enumerator (tests/crashstate) replays
// the log to build every state a power loss could leave (docs/design/testing.md).
//
// Model of the log:
//   1. A file is an inode, numbered from 1 in order of creation. Creating a name that does not
//      exist makes a new, empty inode (kCreate); NewWritableFile on an existing name truncates
//      that name's inode (kTruncate to 0), as POSIX O_TRUNC does.
//   2. Appends become kWrite at the file's end; a preallocated file (env/preallocated_file.h)
//      is a kCreate, a kTruncate to the reservation and a kSync, then kWrite in place from
//      offset 0; growing the reservation is a kTruncate up, Close a kTruncate down to the bytes
//      written. So replaying the log gives exactly the bytes the target holds.
//   3. Only operations that succeeded are logged. Reads, locks and the info log (NewLogger) are
//      not: they change nothing recovery depends on.
// Thread safety: every method may be called concurrently; one mutex orders the log, held across
// the forwarded call so that the log order is the order the target saw.
#ifndef ZIGGYDB_ENV_RECORDING_ENV_H_
#define ZIGGYDB_ENV_RECORDING_ENV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "env/env_wrapper.h"
#include "env/preallocated_file.h"
#include "util/mutex.h"
#include "ziggydb/env.h"

namespace ziggydb {

struct FsOp {
  enum class Kind : uint8_t {
    kCreate,    // path names the new, empty inode
    kWrite,     // inode: bytes `data` at `offset` (offset <= the file's size)
    kTruncate,  // inode: size set to `offset` (zero-filled when growing)
    kSync,      // inode: fsync/fdatasync succeeded
    kRename,    // path -> path2 (replacing path2)
    kUnlink,    // path
    kLink,      // path2 becomes a second name of path's inode
    kMkdir,     // path, made by this operation (a mkdir -p logs each directory it made)
    kSyncDir,   // path: the directory's entries are durable
  };
  Kind kind;
  uint64_t inode = 0;
  std::string path;
  std::string path2;
  uint64_t offset = 0;
  std::string data;
};

class RecordingEnv : public EnvWrapper, public PreallocatingEnv {
 public:
  // target must outlive this Env and every file it opened. It must start empty (apart from
  // directories), so that the log describes every file.
  explicit RecordingEnv(Env* target);
  ~RecordingEnv() override;

  // Operations logged so far: a position in the log, for tests to note when a call began or
  // was acknowledged.
  uint64_t Mark() const EXCLUDES(mu_);
  // A copy of the log.
  std::vector<FsOp> Log() const EXCLUDES(mu_);

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status LinkFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;

 private:
  class RecordingFile;
  enum class Mode : uint8_t { kTruncate, kAppend, kPreallocated };

  Status OpenFile(const std::string& path, Mode mode, uint64_t reserve_bytes,
                  std::unique_ptr<WritableFile>* result) EXCLUDES(mu_);
  void Append(FsOp op) REQUIRES(mu_);

  mutable Mutex mu_;
  std::vector<FsOp> log_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> names_ GUARDED_BY(mu_);  // path -> inode, as the target has it
  std::map<uint64_t, uint64_t> sizes_ GUARDED_BY(mu_);     // inode -> bytes
  uint64_t next_inode_ GUARDED_BY(mu_) = 1;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_RECORDING_ENV_H_
