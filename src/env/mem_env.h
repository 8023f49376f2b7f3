// MemEnv: a thread-safe in-memory file system, for tests and for DBs that need no persistence.
//
// It also keeps, for every file, the bytes as of its last successful Sync and, for every
// directory, the names as of its last SyncDir, so that FaultInjectionEnv (env/fault_env.h) can
// simulate a power loss on top of it. A plain MemEnv never loses anything.
//
// Model (what each operation does):
//   1. Paths are strings split at '/'; "a//b" and "a/b/" are not normalized beyond dropping a
//      trailing '/' from directory arguments. "/" and "" (the relative root) always exist.
//   2. Directories are explicit: a file can be created only in an existing directory (IOError
//      otherwise), like POSIX. CreateDir creates missing parents too (mkdir -p); RemoveDir requires
//      an empty directory. A directory's name is a name in its parent like a file's (rule 4):
//      durable once the parent is synced; a power loss takes a directory whose name (or an
//      ancestor's) was not, with everything in it.
//   3. A file is an inode shared by its name and every open handle: renaming or removing a name
//      does not disturb open handles. NewWritableFile on an existing name truncates that inode.
//   4. Appended data is visible to readers at once (there is no user-space buffer to lose); it is
//      durable once the file is synced. A name change is durable once its directory is synced.
//   5. LockFile behaves like the POSIX Env: a second LockFile of a locked path fails with Busy
//      until UnlockFile; the lock file is created if absent.
// Thread safety: every method may be called concurrently; one mutex guards the whole file system.
// Every file object must be destroyed before the MemEnv that created it.
#ifndef ZIGGYDB_ENV_MEM_ENV_H_
#define ZIGGYDB_ENV_MEM_ENV_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "env/preallocated_file.h"
#include "util/mutex.h"
#include "ziggydb/env.h"

namespace ziggydb {

// File-system operations at which a subclass may inject a failure (see FaultInjectionEnv).
// In memory only; not persisted.
enum class FaultOp : uint8_t {
  kAppend,   // WritableFile::Append
  kSync,     // WritableFile::Sync
  kRead,     // SequentialFile::Read, RandomAccessFile::Read
  kRename,   // RenameFile (matched against source and target)
  kSyncDir,  // SyncDir
  kRemove,   // RemoveFile, RemoveDir
  kCreate,   // NewWritableFile, NewAppendableFile, NewPreallocatedWritableFile, CreateDir
  kClose,    // WritableFile::Close (injected by FaultInjectionEnv only; never by a crash point)
  // Looking at files without changing them (EACCES, EIO on a file the directory still lists):
  kOpen,  // NewSequentialFile, NewRandomAccessFile
  kStat,  // GetFileSize; FileExists, which reports a failure as "absent", as access(2) does
  kList,  // GetChildren
};

// Short name of an operation for messages and statistics ("syncdir" as the kill points name it).
const char* FaultOpName(FaultOp op);

class MemEnv : public Env, public PreallocatingEnv {
 public:
  MemEnv();
  MemEnv(const MemEnv&) = delete;
  MemEnv& operator=(const MemEnv&) = delete;
  ~MemEnv() override;

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  // Zero-filled, written in place (env/preallocated_file.h); the zeros count as synced.
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override;

  bool FileExists(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  Status UnlockFile(std::unique_ptr<FileLock> lock) override;

  // Lines go to an in-memory file at path (each "<micros> <text>"), readable like any other.
  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override;

  // Real clocks: durations measured on a MemEnv are still meaningful.
  uint64_t NowMicros() override;
  uint64_t WallMicros() override;

  // Successful WritableFile::Sync calls so far.
  uint64_t sync_count() const { return sync_count_.load(std::memory_order_relaxed); }

 protected:
  // Consulted before each operation of kind `op` on `path` (and `other_path`, the rename target);
  // a non-OK result fails the operation before it changes anything. Called without the file
  // system mutex held. The default never fails.
  virtual Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path)
      EXCLUDES(mu_);

  // Power loss: every file reverts to its last synced bytes and every directory to its names as
  // of its last SyncDir; all locks are released (their holders are gone).
  void RevertToDurableState() EXCLUDES(mu_);
  // Power loss after writeback had reached part of the unsynced data: of each file's unsynced
  // bytes, the first keep_bytes(path, unsynced_bytes) (counted from its first unsynced byte)
  // survive, as if synced; and, when keep_names is given, every name change since its last sync
  // of each directory for which keep_names(dir) is true (a journal commit that took them all);
  // then as RevertToDurableState. Called with the file system mutex held: the callbacks must not
  // call back into this Env.
  void RevertToDurableStateKeeping(
      const std::function<uint64_t(const std::string& path, uint64_t unsynced_bytes)>& keep_bytes,
      const std::function<bool(const std::string& dir)>& keep_names = {}) EXCLUDES(mu_);
  // Damage that is already on the medium: changes the current and the synced bytes alike.
  Status CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask) EXCLUDES(mu_);
  Status TruncateDurably(const std::string& path, uint64_t size) EXCLUDES(mu_);

 private:
  struct Inode;
  class SequentialFileImpl;
  class RandomAccessFileImpl;
  class WritableFileImpl;
  class LockImpl;
  class LoggerImpl;
  using InodeMap = std::map<std::string, std::shared_ptr<Inode>>;

  enum class OpenMode : uint8_t { kTruncate, kAppend, kPreallocated };
  Status OpenWritable(const std::string& path, OpenMode mode, uint64_t reserve_bytes,
                      std::unique_ptr<WritableFile>* result);
  Status Lookup(const std::string& path, std::shared_ptr<Inode>* inode) REQUIRES(mu_);
  bool DirExists(std::string_view dir) const REQUIRES(mu_);
  bool HasChildren(std::string_view dir) const REQUIRES(mu_);
  // SyncDir's effect: the names in dir (files and subdirectories) become its durable names.
  void CommitNames(std::string_view dir) REQUIRES(mu_);
  void NoteSync() { sync_count_.fetch_add(1, std::memory_order_relaxed); }

  // Guards the names and, through the file objects (PT_GUARDED_BY), every Inode's bytes.
  mutable Mutex mu_;
  InodeMap files_ GUARDED_BY(mu_);          // the names a reader sees now
  InodeMap durable_files_ GUARDED_BY(mu_);  // the names as of each directory's last SyncDir
  std::set<std::string, std::less<>> dirs_ GUARDED_BY(mu_);
  // The directories as of each parent's last SyncDir (a power loss keeps those whose ancestors
  // are all in it).
  std::set<std::string, std::less<>> durable_dirs_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> locks_ GUARDED_BY(mu_);  // path -> lock generation
  uint64_t next_lock_generation_ GUARDED_BY(mu_) = 1;
  std::atomic<uint64_t> sync_count_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_MEM_ENV_H_
