#include "env/mem_env.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

#include "env/mem_path.h"
#include "util/assert.h"
#include "util/mutex.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

using mem_path::NormalizeDir;
using mem_path::ParentDir;

std::string BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Status NoSuchFile(std::string_view op, const std::string& path) {
  return Status::IOError(std::string(op) + " " + path, "No such file or directory");
}

Status StickyError(const std::string& path, const Status& cause) {
  return Status::IOError(path,
                         "earlier write or sync failed, data since the last successful Sync "
                         "may be lost: " +
                             cause.ToString());
}

}  // namespace

// One file's bytes. All members are guarded by the owning MemEnv's mu_: the file objects reach
// an Inode through a pointer PT_GUARDED_BY it (checked), MemEnv's methods through files_ under it.
// Invariant: data and synced agree outside [dirty_begin, dirty_end) within both sizes, and
// data.size() > synced.size() only when the growth lies inside the dirty range.
struct MemEnv::Inode {
  std::string data;    // what reads see
  std::string synced;  // the bytes as of the last successful Sync: what survives power loss
  uint64_t dirty_begin = std::numeric_limits<uint64_t>::max();
  uint64_t dirty_end = 0;

  void MarkDirty(uint64_t begin, uint64_t end) {
    dirty_begin = std::min(dirty_begin, begin);
    dirty_end = std::max(dirty_end, end);
  }
  // Precondition: offset <= data.size().
  void Write(uint64_t offset, std::string_view bytes) {
    ZIGGY_ASSERT(offset <= data.size());
    if (offset + bytes.size() > data.size()) data.resize(offset + bytes.size());
    data.replace(offset, bytes.size(), bytes);
    MarkDirty(offset, offset + bytes.size());
  }
  void Resize(uint64_t size) {
    if (size > data.size()) MarkDirty(data.size(), size);
    data.resize(size, '\0');
    dirty_end = std::min<uint64_t>(dirty_end, size);
  }
  void Sync() {
    synced.resize(data.size(), '\0');
    if (dirty_begin < dirty_end) {
      synced.replace(dirty_begin, dirty_end - dirty_begin, data, dirty_begin,
                     dirty_end - dirty_begin);
    }
    // Comparing the contents would make every Sync O(file size); the invariant above makes them
    // equal once the sizes are.
    ZIGGY_DASSERT(synced.size() == data.size());
    dirty_begin = std::numeric_limits<uint64_t>::max();
    dirty_end = 0;
  }
  uint64_t unsynced_bytes() const { return dirty_begin < dirty_end ? dirty_end - dirty_begin : 0; }
  // The first `bytes` unsynced bytes become durable, as if written back before a power loss.
  void KeepUnsynced(uint64_t bytes) {
    if (bytes == 0 || dirty_begin >= dirty_end) return;
    const uint64_t end = std::min(dirty_end, dirty_begin + bytes);
    if (synced.size() < end) synced.resize(end, '\0');
    synced.replace(dirty_begin, end - dirty_begin, data, dirty_begin, end - dirty_begin);
  }
  void Revert() {
    data = synced;
    dirty_begin = std::numeric_limits<uint64_t>::max();
    dirty_end = 0;
  }
};

class MemEnv::SequentialFileImpl final : public SequentialFile {
 public:
  SequentialFileImpl(MemEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env),
        path_(std::move(path)),
        inode_owner_(std::move(inode)),
        inode_(inode_owner_.get()) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    *result = std::string_view();
    ZIGGY_RETURN_IF_ERROR(env_->InjectedFault(FaultOp::kRead, path_, {}));
    MutexLock guard(&env_->mu_);
    const uint64_t size = inode_->data.size();
    const size_t count = pos_ >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, size - pos_));
    if (count > 0) std::memcpy(scratch, inode_->data.data() + pos_, count);
    pos_ += count;
    *result = std::string_view(scratch, count);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    pos_ += n;
    return Status::OK();
  }

 private:
  MemEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_owner_;  // keeps inode_ alive; use inode_
  Inode* const inode_ PT_GUARDED_BY(env_->mu_);
  uint64_t pos_ = 0;
};

class MemEnv::RandomAccessFileImpl final : public RandomAccessFile {
 public:
  RandomAccessFileImpl(MemEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env),
        path_(std::move(path)),
        inode_owner_(std::move(inode)),
        inode_(inode_owner_.get()) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    *result = std::string_view();
    ZIGGY_RETURN_IF_ERROR(env_->InjectedFault(FaultOp::kRead, path_, {}));
    MutexLock guard(&env_->mu_);
    const uint64_t size = inode_->data.size();
    const size_t count =
        offset >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, size - offset));
    if (count > 0) std::memcpy(scratch, inode_->data.data() + offset, count);
    *result = std::string_view(scratch, count);
    return Status::OK();
  }

 private:
  MemEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_owner_;  // keeps inode_ alive; use inode_
  Inode* const inode_ PT_GUARDED_BY(env_->mu_);
};

// Writes straight into the inode (there is no user-space buffer to lose in a crash).
// Invariant: once sticky_error_ is set, Append, Flush and Sync all return it (as in the POSIX Env).
class MemEnv::WritableFileImpl final : public WritableFile {
 public:
  WritableFileImpl(MemEnv* env, std::string path, std::shared_ptr<Inode> inode, OpenMode mode,
                   uint64_t reserve_bytes)
      : env_(env),
        path_(std::move(path)),
        inode_owner_(std::move(inode)),
        inode_(inode_owner_.get()),
        mode_(mode),
        reserve_step_bytes_(reserve_bytes),
        reserved_bytes_(reserve_bytes) {}

  Status Append(std::string_view data) override {
    if (!sticky_error_.ok()) return sticky_error_;
    ZIGGY_ASSERT(!closed_);
    if (Status s = env_->InjectedFault(FaultOp::kAppend, path_, {}); !s.ok()) return Fail(s);
    MutexLock guard(&env_->mu_);
    if (mode_ != OpenMode::kPreallocated) {
      inode_->Write(inode_->data.size(), data);
      return Status::OK();
    }
    GrowReservation(offset_ + data.size());
    inode_->Write(offset_, data);
    offset_ += data.size();
    return Status::OK();
  }

  Status Flush() override { return sticky_error_; }

  Status Sync() override {
    if (!sticky_error_.ok()) return sticky_error_;
    ZIGGY_ASSERT(!closed_);
    if (Status s = env_->InjectedFault(FaultOp::kSync, path_, {}); !s.ok()) return Fail(s);
    MutexLock guard(&env_->mu_);
    inode_->Sync();
    env_->NoteSync();
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return sticky_error_;
    closed_ = true;
    if (mode_ == OpenMode::kPreallocated && sticky_error_.ok()) {
      MutexLock guard(&env_->mu_);
      inode_->Resize(offset_);  // drop the unused zero tail, as the POSIX Env does
    }
    return sticky_error_;
  }

  Status Preallocate(uint64_t bytes) override {
    if (!sticky_error_.ok()) return sticky_error_;
    if (mode_ == OpenMode::kPreallocated) {
      MutexLock guard(&env_->mu_);
      GrowReservation(bytes);
    }
    return Status::OK();
  }

 private:
  Status Fail(const Status& cause) {
    sticky_error_ = StickyError(path_, cause);
    return cause;
  }
  void GrowReservation(uint64_t end_offset) REQUIRES(env_->mu_) {
    if (end_offset <= reserved_bytes_) return;
    reserved_bytes_ += std::max(reserve_step_bytes_, end_offset - reserved_bytes_);
    inode_->Resize(std::max<uint64_t>(inode_->data.size(), reserved_bytes_));
  }

  MemEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_owner_;  // keeps inode_ alive; use inode_
  Inode* const inode_ PT_GUARDED_BY(env_->mu_);
  const OpenMode mode_;
  const uint64_t reserve_step_bytes_;
  uint64_t reserved_bytes_;
  uint64_t offset_ = 0;  // kPreallocated: where the next Append writes
  bool closed_ = false;
  Status sticky_error_;
};

class MemEnv::LockImpl final : public FileLock {
 public:
  LockImpl(std::string path, uint64_t generation) : path(std::move(path)), generation(generation) {}
  const std::string path;
  const uint64_t generation;  // tells this holder from a later one after a simulated power loss
};

class MemEnv::LoggerImpl final : public Logger {
 public:
  LoggerImpl(MemEnv* env, std::shared_ptr<Inode> inode)
      : env_(env), inode_owner_(std::move(inode)), inode_(inode_owner_.get()) {}
  void Log(std::string_view text) override {
    std::string line = std::to_string(env_->WallMicros());
    line.push_back(' ');
    line.append(text);
    line.push_back('\n');
    MutexLock guard(&env_->mu_);
    inode_->Write(inode_->data.size(), line);
  }

 private:
  MemEnv* const env_;
  const std::shared_ptr<Inode> inode_owner_;  // keeps inode_ alive; use inode_
  Inode* const inode_ PT_GUARDED_BY(env_->mu_);
};

MemEnv::MemEnv() = default;
MemEnv::~MemEnv() = default;

const char* FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kSyncDir:
      return "syncdir";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kClose:
      return "close";
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kStat:
      return "stat";
    case FaultOp::kList:
      return "list";
  }
  return "unknown";
}

Status MemEnv::InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) {
  return Status::OK();
}

bool MemEnv::DirExists(std::string_view dir) const {
  return dir.empty() || dir == "/" || dirs_.count(dir) > 0;
}

bool MemEnv::HasChildren(std::string_view dir) const {
  for (const auto& [name, inode] : files_) {
    if (ParentDir(name) == dir) return true;
  }
  for (const std::string& sub : dirs_) {
    if (ParentDir(sub) == dir) return true;
  }
  return false;
}

Status MemEnv::Lookup(const std::string& path, std::shared_ptr<Inode>* inode) {
  auto it = files_.find(path);
  if (it == files_.end()) return NoSuchFile("open", path);
  *inode = it->second;
  return Status::OK();
}

Status MemEnv::NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* result) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kOpen, path, {}));
  MutexLock guard(&mu_);
  std::shared_ptr<Inode> inode;
  ZIGGY_RETURN_IF_ERROR(Lookup(path, &inode));
  *result = std::make_unique<SequentialFileImpl>(this, path, std::move(inode));
  return Status::OK();
}

Status MemEnv::NewRandomAccessFile(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kOpen, path, {}));
  MutexLock guard(&mu_);
  std::shared_ptr<Inode> inode;
  ZIGGY_RETURN_IF_ERROR(Lookup(path, &inode));
  *result = std::make_unique<RandomAccessFileImpl>(this, path, std::move(inode));
  return Status::OK();
}

Status MemEnv::OpenWritable(const std::string& path, OpenMode mode, uint64_t reserve_bytes,
                            std::unique_ptr<WritableFile>* result) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kCreate, path, {}));
  MutexLock guard(&mu_);
  if (!DirExists(ParentDir(path))) return NoSuchFile("create", path);
  if (dirs_.count(path) > 0) return Status::IOError("create " + path, "Is a directory");
  // The new inode before the name: an allocation failure leaves no name without a file.
  auto it = files_.find(path);
  if (it == files_.end()) it = files_.emplace(path, std::make_shared<Inode>()).first;
  const std::shared_ptr<Inode>& inode = it->second;
  if (mode != OpenMode::kAppend) inode->Resize(0);
  if (mode == OpenMode::kPreallocated) {
    // The reservation is made durable before the first record, as the POSIX Env fsyncs it.
    inode->Resize(reserve_bytes);
    inode->Sync();
  }
  *result = std::make_unique<WritableFileImpl>(this, path, inode, mode, reserve_bytes);
  return Status::OK();
}

Status MemEnv::NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
  return OpenWritable(path, OpenMode::kTruncate, 0, result);
}

Status MemEnv::NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
  return OpenWritable(path, OpenMode::kAppend, 0, result);
}

Status MemEnv::NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                           std::unique_ptr<WritableFile>* result) {
  ZIGGY_ASSERT(bytes > 0);
  return OpenWritable(path, OpenMode::kPreallocated, bytes, result);
}

bool MemEnv::FileExists(const std::string& path) {
  if (!InjectedFault(FaultOp::kStat, path, {}).ok()) return false;
  MutexLock guard(&mu_);
  return files_.count(path) > 0 || DirExists(NormalizeDir(path));
}

Status MemEnv::GetChildren(const std::string& dir_arg, std::vector<std::string>* names) {
  names->clear();
  const std::string dir(NormalizeDir(dir_arg));
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kList, dir, {}));
  MutexLock guard(&mu_);
  if (!DirExists(dir)) {
    // As the POSIX Env: a regular file in the way is not "missing".
    if (files_.count(dir) > 0) return Status::IOError("opendir " + dir, "Not a directory");
    return Status::NotFound("opendir " + dir, "No such file or directory");
  }
  for (const auto& [name, inode] : files_) {
    if (ParentDir(name) == dir) names->push_back(BaseName(name));
  }
  for (const std::string& sub : dirs_) {
    if (ParentDir(sub) == dir) names->push_back(BaseName(sub));
  }
  return Status::OK();
}

Status MemEnv::GetFileSize(const std::string& path, uint64_t* size) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kStat, path, {}));
  MutexLock guard(&mu_);
  std::shared_ptr<Inode> inode;
  ZIGGY_RETURN_IF_ERROR(Lookup(path, &inode));
  *size = inode->data.size();
  return Status::OK();
}

Status MemEnv::RemoveFile(const std::string& path) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kRemove, path, {}));
  MutexLock guard(&mu_);
  if (files_.erase(path) == 0) return NoSuchFile("unlink", path);
  return Status::OK();
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kRename, from, to));
  MutexLock guard(&mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return NoSuchFile("rename to " + to, from);
  if (!DirExists(ParentDir(to))) return NoSuchFile("rename to", to);
  if (dirs_.count(to) > 0) return Status::IOError("rename to " + to, "Is a directory");
  std::shared_ptr<Inode> inode = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(inode);  // replaces any file at `to` in one step
  return Status::OK();
}

Status MemEnv::CreateDir(const std::string& dir_arg) {
  const std::string dir(NormalizeDir(dir_arg));
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kCreate, dir, {}));
  MutexLock guard(&mu_);
  // Every prefix ending before a '/' (then dir itself) must be, or become, a directory.
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = slash == std::string::npos ? dir : dir.substr(0, slash);
    if (files_.count(prefix) > 0) return Status::IOError("mkdir " + prefix, "File exists");
    if (!prefix.empty()) dirs_.insert(prefix);
    if (slash == std::string::npos) break;
  }
  return Status::OK();
}

Status MemEnv::RemoveDir(const std::string& dir_arg) {
  const std::string dir(NormalizeDir(dir_arg));
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kRemove, dir, {}));
  MutexLock guard(&mu_);
  if (dirs_.count(dir) == 0) return NoSuchFile("rmdir", dir);
  if (HasChildren(dir)) return Status::IOError("rmdir " + dir, "Directory not empty");
  dirs_.erase(dir);
  return Status::OK();
}

Status MemEnv::SyncDir(const std::string& dir_arg) {
  const std::string dir(NormalizeDir(dir_arg));
  ZIGGY_RETURN_IF_ERROR(InjectedFault(FaultOp::kSyncDir, dir, {}));
  MutexLock guard(&mu_);
  if (!DirExists(dir)) return NoSuchFile("open directory", dir);
  CommitNames(dir);
  return Status::OK();
}

void MemEnv::CommitNames(std::string_view dir) {
  // The directory's durable names become its names now: the gone ones dropped, the rest
  // (re)pointed at their inodes. Unchanged names keep their map nodes.
  for (auto it = durable_files_.begin(); it != durable_files_.end();) {
    const bool gone = ParentDir(it->first) == dir && files_.count(it->first) == 0;
    it = gone ? durable_files_.erase(it) : std::next(it);
  }
  for (const auto& [name, inode] : files_) {
    if (ParentDir(name) == dir) durable_files_.insert_or_assign(name, inode);
  }
  // Likewise its subdirectories' names. A subdirectory whose removal is now durable takes its
  // durable contents with it (a directory made again under its name starts empty).
  for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
    if (ParentDir(*it) != dir || dirs_.count(*it) != 0) {
      ++it;
      continue;
    }
    const std::string prefix = *it + "/";
    it = durable_dirs_.erase(it);
    while (it != durable_dirs_.end() && it->starts_with(prefix))
      it = durable_dirs_.erase(it);
    for (auto f = durable_files_.lower_bound(prefix);
         f != durable_files_.end() && f->first.starts_with(prefix);)
      f = durable_files_.erase(f);
  }
  for (const std::string& sub : dirs_) {
    if (ParentDir(sub) == dir) durable_dirs_.insert(sub);
  }
}

Status MemEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  MutexLock guard(&mu_);
  if (locks_.count(path) > 0) {
    return Status::Busy("lock " + path, "held by another process/opener");
  }
  if (!DirExists(ParentDir(path))) return NoSuchFile("open lock file", path);
  const uint64_t generation = next_lock_generation_++;
  // Every allocation before anything changes: if one fails, there is no file and no lock.
  auto handle = std::make_unique<LockImpl>(path, generation);
  auto inode = std::make_shared<Inode>();
  auto locked = locks_.emplace(path, generation).first;
  try {
    files_.emplace(path, std::move(inode));  // keeps an existing file
  } catch (...) {
    locks_.erase(locked);
    throw;
  }
  *lock = std::move(handle);
  return Status::OK();
}

Status MemEnv::UnlockFile(std::unique_ptr<FileLock> lock) {
  auto* mem_lock = dynamic_cast<LockImpl*>(lock.get());
  if (mem_lock == nullptr) return Status::InvalidArgument("UnlockFile: not a lock of this Env");
  MutexLock guard(&mu_);
  auto it = locks_.find(mem_lock->path);
  // After a simulated power loss the lock may be gone, or held by a newer opener.
  if (it != locks_.end() && it->second == mem_lock->generation) locks_.erase(it);
  return Status::OK();
}

Status MemEnv::NewLogger(const std::string& path, std::shared_ptr<Logger>* result) {
  MutexLock guard(&mu_);
  if (!DirExists(ParentDir(path))) return NoSuchFile("open info log", path);
  if (auto it = files_.find(path); it != files_.end()) files_[path + ".old"] = it->second;
  auto inode = std::make_shared<Inode>();
  files_[path] = inode;
  *result = std::make_shared<LoggerImpl>(this, std::move(inode));
  return Status::OK();
}

uint64_t MemEnv::NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint64_t MemEnv::WallMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void MemEnv::RevertToDurableState() {
  MutexLock guard(&mu_);
  for (auto& [name, inode] : files_)
    inode->Revert();
  for (auto& [name, inode] : durable_files_)
    inode->Revert();
  // A directory survives if its name and each ancestor's did (sorted: parents come first); a
  // file if its directory did.
  dirs_.clear();
  for (const std::string& dir : durable_dirs_) {
    if (DirExists(ParentDir(dir))) dirs_.insert(dir);
  }
  durable_dirs_ = dirs_;
  for (auto it = durable_files_.begin(); it != durable_files_.end();)
    it = DirExists(ParentDir(it->first)) ? std::next(it) : durable_files_.erase(it);
  files_ = durable_files_;
  locks_.clear();
}

void MemEnv::RevertToDurableStateKeeping(
    const std::function<uint64_t(const std::string& path, uint64_t unsynced_bytes)>& keep_bytes,
    const std::function<bool(const std::string& dir)>& keep_names) {
  {
    MutexLock guard(&mu_);
    if (keep_names) {
      // Every directory a name lives in now or lived in at its last sync (copied: CommitNames
      // changes the maps).
      std::set<std::string> dirs(dirs_.begin(), dirs_.end());
      dirs.insert(durable_dirs_.begin(), durable_dirs_.end());
      for (const InodeMap* names : {&files_, &durable_files_}) {
        for (const auto& [name, inode] : *names)
          dirs.insert(std::string(ParentDir(name)));
      }
      dirs.insert("/");
      for (const std::string& dir : dirs) {
        if (keep_names(dir)) CommitNames(dir);
      }
    }
    std::set<const Inode*> seen;
    for (const InodeMap* names : {&files_, &durable_files_}) {
      for (const auto& [name, inode] : *names) {
        if (!seen.insert(inode.get()).second || inode->unsynced_bytes() == 0) continue;
        inode->KeepUnsynced(keep_bytes(name, inode->unsynced_bytes()));
      }
    }
  }
  RevertToDurableState();
}

Status MemEnv::CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask) {
  MutexLock guard(&mu_);
  std::shared_ptr<Inode> inode;
  ZIGGY_RETURN_IF_ERROR(Lookup(path, &inode));
  if (offset >= inode->data.size()) {
    return Status::InvalidArgument("flip byte past the end of " + path);
  }
  inode->data[offset] = static_cast<char>(inode->data[offset] ^ xor_mask);
  if (offset < inode->synced.size()) {
    inode->synced[offset] = static_cast<char>(inode->synced[offset] ^ xor_mask);
  }
  return Status::OK();
}

Status MemEnv::TruncateDurably(const std::string& path, uint64_t size) {
  MutexLock guard(&mu_);
  std::shared_ptr<Inode> inode;
  ZIGGY_RETURN_IF_ERROR(Lookup(path, &inode));
  if (size > inode->data.size()) return Status::InvalidArgument("truncate would grow " + path);
  inode->Resize(size);
  inode->synced.resize(std::min<uint64_t>(inode->synced.size(), size));
  return Status::OK();
}

}  // namespace ziggydb
