// WriteCheckpoint and the file helpers it shares with the backup engine (checkpoint.h).
#include "db/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "db/db_identity.h"
#include "db/filename.h"
#include "env/file_lock_guard.h"
#include "env/posix_file.h"
#include "util/status_macros.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

// Large enough that a copy runs at disk speed, small enough to be a stack-sized concern.
constexpr size_t kCopyBlockBytes = size_t{1} << 20;
// The local file system's copy (PosixCopy) moves this much per read, write and writeback start.
constexpr size_t kPosixCopyBlockBytes = size_t{8} << 20;

// The checkpoint's files, removed unless Keep() was called: those it was told about, newest first
// (CURRENT before the MANIFEST it names), then the LOCK, then the directory (only if empty).
// Exception-safe by construction: it is built from strings made beforehand (moves only), and a
// file is added BEFORE the step that may create it, so that no allocation stands between a
// file's creation and its record; removing a file that was never made is harmless.
class CreatedFiles {
 public:
  CreatedFiles(Env* env, std::string dir, std::string lock_path) noexcept
      : env_(env), dir_(std::move(dir)), lock_path_(std::move(lock_path)) {}
  CreatedFiles(const CreatedFiles&) = delete;
  CreatedFiles& operator=(const CreatedFiles&) = delete;
  ~CreatedFiles() {
    if (keep_) return;
    // Each removal on its own: a failed one (an error Status allocates its message, and this may
    // run while an allocation failure unwinds) must not stop the others or leave the destructor.
    auto quietly = [](auto&& remove) {
      try {
        remove().PermitUncheckedError();
      } catch (...) {
      }
    };
    for (auto it = paths_.rbegin(); it != paths_.rend(); ++it)
      quietly([&] { return env_->RemoveFile(*it); });
    quietly([&] { return env_->RemoveFile(lock_path_); });
    quietly([&] { return env_->RemoveDir(dir_); });
  }
  void Add(std::string path) { paths_.push_back(std::move(path)); }
  void Keep() { keep_ = true; }

 private:
  Env* const env_;
  const std::string dir_;
  const std::string lock_path_;
  std::vector<std::string> paths_;
  bool keep_ = false;
};

Status CopyFileContents(Env* env, const std::string& from, WritableFile* out,
                        const std::function<Status(std::string_view)>& observe) {
  std::unique_ptr<SequentialFile> in;
  ZIGGY_RETURN_IF_ERROR(env->NewSequentialFile(from, &in));
  std::unique_ptr<char[]> scratch(new char[kCopyBlockBytes]);
  while (true) {
    std::string_view block;
    ZIGGY_RETURN_IF_ERROR(in->Read(kCopyBlockBytes, &block, scratch.get()));
    if (block.empty()) return Status::OK();
    if (observe) ZIGGY_RETURN_IF_ERROR(observe(block));
    ZIGGY_RETURN_IF_ERROR(out->Append(block));
  }
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  // close(2)'s result: on some file systems the last write error shows only here.
  int Close() {
    const int result = close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// CopyFile on the local file system, as fast as `cp` plus `sync`: the source is read with
// sequential read-ahead in large blocks, each block is observed (hashed) while in the buffer that
// is then written, and the writeback of each written block starts at once
// (sync_file_range(WRITE), which does not wait), so the disk writes while the copy goes on
// instead of after it, when fdatasync (sync) or the caller's SyncFile only waits for the last
// blocks.
Status PosixCopy(const std::string& from, const std::string& to,
                 const std::function<Status(std::string_view)>& observe, bool sync) {
  Fd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return posix::ErrnoError("open", from, errno);
  posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // advice: a failure changes nothing
  Fd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return posix::ErrnoError("open", to, errno);
  std::unique_ptr<char[]> buffer(new char[kPosixCopyBlockBytes]);
  Status s;
  uint64_t offset = 0;
  while (s.ok()) {
    size_t got = 0;
    while (got < kPosixCopyBlockBytes) {
      const ssize_t n = read(in.get(), buffer.get() + got, kPosixCopyBlockBytes - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) s = posix::ErrnoError("read", from, errno);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (!s.ok() || got == 0) break;
    if (observe) s = observe(std::string_view(buffer.get(), got));
    for (size_t done = 0; s.ok() && done < got;) {
      const ssize_t n = write(out.get(), buffer.get() + done, got - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) s = posix::ErrnoError("write", to, errno);
      if (n == 0) s = Status::IOError(to, "write wrote nothing");  // never loop on it
      if (n > 0) done += static_cast<size_t>(n);
    }
    if (s.ok()) {
      // Starts writeback; errors it meets surface at fdatasync (here or the caller's SyncFile).
      sync_file_range(out.get(), static_cast<off_t>(offset), static_cast<off_t>(got),
                      SYNC_FILE_RANGE_WRITE);
    }
    offset += got;
  }
  if (s.ok() && sync && fdatasync(out.get()) != 0) {
    s = posix::ErrnoError("fdatasync (data may be lost)", to, errno);
  }
  if (out.Close() != 0 && s.ok()) s = posix::ErrnoError("close", to, errno);
  if (!s.ok()) unlink(to.c_str());
  return s;
}

Status CopyFile(Env* env, const std::string& from, const std::string& to,
                const std::function<Status(std::string_view)>& observe, bool sync) {
  if (env == Env::Default()) return PosixCopy(from, to, observe, sync);
  std::unique_ptr<WritableFile> out;
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(to, &out));
  Status s = CopyFileContents(env, from, out.get(), observe);
  if (s.ok() && sync) s = out->Sync();
  Status closed = out->Close();
  if (s.ok()) s = closed;
  if (!s.ok()) env->RemoveFile(to).PermitUncheckedError();
  return s;
}

}  // namespace

Status CopyFileSynced(Env* env, const std::string& from, const std::string& to,
                      const std::function<Status(std::string_view)>& observe) {
  return CopyFile(env, from, to, observe, /*sync=*/true);
}

Status CopyFileUnsynced(Env* env, const std::string& from, const std::string& to,
                        const std::function<Status(std::string_view)>& observe) {
  return CopyFile(env, from, to, observe, /*sync=*/false);
}

Status SyncFile(Env* env, const std::string& path) {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewAppendableFile(path, &file));
  Status s = file->Sync();
  Status closed = file->Close();
  return s.ok() ? closed : s;
}

Status WriteManifestFile(Env* env, const std::string& dir, FileNumber number,
                         std::string_view record) {
  const std::string path = ManifestFileName(dir, number);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
  wal::Writer writer(std::move(file), raw(number), 0);
  Status s = writer.AddRecord(record);
  if (s.ok()) s = writer.Sync();
  Status closed = writer.Close();
  if (s.ok()) s = closed;
  if (!s.ok()) env->RemoveFile(path).PermitUncheckedError();
  return s;
}

std::string ParentDirectory(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

// The files of the checkpoint, into `dir` (created and locked by the caller); each one it may make
// is added to `created` first, which removes them unless the checkpoint is made whole.
Status WriteCheckpointFiles(const LiveFiles& files, const std::string& dir, CreatedFiles* created) {
  Env* env = files.env;
  bool copied_any = false;
  for (const LiveTable& table : files.tables) {
    const std::string from = TableFileName(files.dbname, table.number);
    std::string to = TableFileName(dir, table.number);
    created->Add(to);
    Status s = copied_any ? Status::NotSupported("copying") : env->LinkFile(from, to);
    if (s.IsNotSupported()) {
      // One file that cannot be linked means another file system (or Env): copy the rest too.
      copied_any = true;
      s = CopyFileSynced(env, from, to);
    }
    ZIGGY_RETURN_IF_ERROR(s);
  }
  created->Add(ManifestFileName(dir, files.manifest_number));
  ZIGGY_RETURN_IF_ERROR(WriteManifestFile(env, dir, files.manifest_number, files.manifest_record));
  // A DB of its own from here on: its new tables are numbered as its source's are. The directory
  // sync that ends WriteDbIdentity names the links and copies durably before CURRENT can refer to
  // them.
  created->Add(IdentityTempFileName(dir));  // left if an allocation throws mid-write
  created->Add(IdentityFileName(dir));
  ZIGGY_RETURN_IF_ERROR(WriteDbIdentity(env, dir, NewDbIdentity()));
  // SetCurrentFile writes a temporary file first, and CURRENT may be in place when it fails (its
  // directory sync): both removed first.
  created->Add(TempFileName(dir, files.manifest_number));
  created->Add(CurrentFileName(dir));
  return SetCurrentFile(env, dir, files.manifest_number);
}

// Whether `dir` holds nothing but its LOCK.
Status CheckOnlyLock(Env* env, const std::string& dir) {
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env->GetChildren(dir, &names));
  for (const std::string& name : names) {
    if (name != "." && name != ".." && dir + "/" + name != LockFileName(dir)) {
      return Status::InvalidArgument("checkpoint target already exists", dir);
    }
  }
  return Status::OK();
}

}  // namespace

Status WriteCheckpoint(const LiveFiles& files, const std::string& dir) {
  Env* env = files.env;
  if (dir.empty()) return Status::InvalidArgument("checkpoint directory is empty");
  std::vector<std::string> names;
  Status listed = env->GetChildren(dir, &names);
  if (listed.ok()) return Status::InvalidArgument("checkpoint target already exists", dir);
  if (!listed.IsNotFound()) return listed;
  // Another checkpoint, in this process or another, may have found the directory absent too
  // (Env::CreateDir accepts an existing one). The target's LOCK, held until the checkpoint is
  // whole, decides which one writes into it (and keeps DestroyDB, RepairDB and a read-only open
  // off a partial checkpoint); the loser removes nothing of the winner's.
  // Allocated before anything is made (CreatedFiles below takes them by moves only).
  std::string lock_path = LockFileName(dir);
  std::string dir_path = dir;
  const std::string parent = ParentDirectory(dir);
  ZIGGY_RETURN_IF_ERROR(env->CreateDir(dir));
  std::unique_ptr<FileLock> lock;
  Status locked;
  try {
    locked = env->LockFile(lock_path, &lock);  // throwing, it leaves no file it made
  } catch (...) {
    env->RemoveDir(dir).PermitUncheckedError();  // ours if empty, as below
    throw;
  }
  if (!locked.ok()) {
    // Ours if empty, unless another checkpoint or opener holds its LOCK (Busy): one that is about
    // to create the LOCK in the empty directory (PosixEnv registers a lock before it creates the
    // file) would fail with it gone.
    if (!locked.IsBusy()) env->RemoveDir(dir).PermitUncheckedError();
    if (locked.IsBusy()) {
      return Status::InvalidArgument("checkpoint target is in use (another checkpoint or a DB)",
                                     dir);
    }
    return locked;
  }
  Status s;
  {
    FileLockGuard guard(env, &lock);
    // Goes after `guard`, so its files are removed while the lock is held: on every way out but
    // the two below that keep them, the LOCK and the directory made above, then whatever the
    // checkpoint wrote (also when only the sync of its name in the parent failed). If a finished
    // checkpoint is there instead (a listing that failed cannot tell), that removes only its LOCK,
    // which whoever opens it makes again; RemoveDir fails on a directory that is not empty.
    CreatedFiles created(env, std::move(dir_path), std::move(lock_path));
    // The winner may have finished before this lock was taken: then nothing here is ours.
    s = CheckOnlyLock(env, dir);
    if (s.IsInvalidArgument()) created.Keep();
    if (s.ok()) s = WriteCheckpointFiles(files, dir, &created);
    if (s.ok()) s = env->SyncDir(parent);  // the checkpoint's own name, durable
    if (s.ok()) created.Keep();
  }
  return s;
}

}  // namespace ziggydb
