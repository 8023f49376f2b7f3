#include "env/recording_env.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "env/mem_path.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

// Mirrors the target file's writes into the log. A preallocated file keeps the same offset and
// reservation arithmetic as MemEnv's, so the logged sizes match the target's.
class RecordingEnv::RecordingFile final : public WritableFile {
 public:
  RecordingFile(RecordingEnv* env, std::unique_ptr<WritableFile> file, uint64_t inode, Mode mode,
                uint64_t reserve_bytes)
      : env_(env),
        file_(std::move(file)),
        inode_(inode),
        mode_(mode),
        reserve_step_bytes_(reserve_bytes),
        reserved_bytes_(reserve_bytes) {}

  Status Append(std::string_view data) override {
    MutexLock guard(&env_->mu_);
    ZIGGY_RETURN_IF_ERROR(file_->Append(data));
    if (mode_ != Mode::kPreallocated) {
      env_->Append({.kind = FsOp::Kind::kWrite,
                    .inode = inode_,
                    .offset = env_->sizes_[inode_],
                    .data = std::string(data)});
      return Status::OK();
    }
    GrowReservation(offset_ + data.size());
    env_->Append({.kind = FsOp::Kind::kWrite,
                  .inode = inode_,
                  .offset = offset_,
                  .data = std::string(data)});
    offset_ += data.size();
    return Status::OK();
  }

  Status Flush() override { return file_->Flush(); }

  Status Sync() override {
    MutexLock guard(&env_->mu_);
    ZIGGY_RETURN_IF_ERROR(file_->Sync());
    env_->Append({.kind = FsOp::Kind::kSync, .inode = inode_});
    return Status::OK();
  }

  Status Close() override {
    MutexLock guard(&env_->mu_);
    const bool was_closed = closed_;
    closed_ = true;
    ZIGGY_RETURN_IF_ERROR(file_->Close());
    if (mode_ == Mode::kPreallocated && !was_closed) {
      env_->Append({.kind = FsOp::Kind::kTruncate, .inode = inode_, .offset = offset_});
    }
    return Status::OK();
  }

  Status Preallocate(uint64_t bytes) override {
    MutexLock guard(&env_->mu_);
    ZIGGY_RETURN_IF_ERROR(file_->Preallocate(bytes));
    if (mode_ == Mode::kPreallocated) GrowReservation(bytes);
    return Status::OK();
  }

 private:
  void GrowReservation(uint64_t end_offset) REQUIRES(env_->mu_) {
    if (end_offset <= reserved_bytes_) return;
    reserved_bytes_ += std::max(reserve_step_bytes_, end_offset - reserved_bytes_);
    const uint64_t size = std::max(env_->sizes_[inode_], reserved_bytes_);
    env_->Append({.kind = FsOp::Kind::kTruncate, .inode = inode_, .offset = size});
  }

  RecordingEnv* const env_;
  const std::unique_ptr<WritableFile> file_;
  const uint64_t inode_;
  const Mode mode_;
  const uint64_t reserve_step_bytes_;
  uint64_t reserved_bytes_;
  uint64_t offset_ = 0;  // kPreallocated: where the next Append writes
  bool closed_ = false;
};

RecordingEnv::RecordingEnv(Env* target) : EnvWrapper(target) {
  ZIGGY_ASSERT(target != nullptr);
}

RecordingEnv::~RecordingEnv() = default;

uint64_t RecordingEnv::Mark() const {
  MutexLock guard(&mu_);
  return log_.size();
}

std::vector<FsOp> RecordingEnv::Log() const {
  MutexLock guard(&mu_);
  return log_;
}

void RecordingEnv::Append(FsOp op) {
  switch (op.kind) {
    case FsOp::Kind::kCreate:
      names_[op.path] = op.inode;
      sizes_[op.inode] = 0;
      break;
    case FsOp::Kind::kWrite:
      sizes_[op.inode] = std::max(sizes_[op.inode], op.offset + op.data.size());
      break;
    case FsOp::Kind::kTruncate:
      sizes_[op.inode] = op.offset;
      break;
    case FsOp::Kind::kRename: {
      const uint64_t inode = names_[op.path];
      names_.erase(op.path);
      names_[op.path2] = inode;
      break;
    }
    case FsOp::Kind::kUnlink:
      names_.erase(op.path);
      break;
    case FsOp::Kind::kLink:
      names_[op.path2] = names_[op.path];
      break;
    case FsOp::Kind::kSync:
    case FsOp::Kind::kMkdir:
    case FsOp::Kind::kSyncDir:
      break;
  }
  log_.push_back(std::move(op));
}

Status RecordingEnv::OpenFile(const std::string& path, Mode mode, uint64_t reserve_bytes,
                              std::unique_ptr<WritableFile>* result) {
  MutexLock guard(&mu_);
  std::unique_ptr<WritableFile> file;
  switch (mode) {
    case Mode::kTruncate:
      ZIGGY_RETURN_IF_ERROR(target()->NewWritableFile(path, &file));
      break;
    case Mode::kAppend:
      ZIGGY_RETURN_IF_ERROR(target()->NewAppendableFile(path, &file));
      break;
    case Mode::kPreallocated:
      ZIGGY_RETURN_IF_ERROR(
          ziggydb::NewPreallocatedWritableFile(target(), path, reserve_bytes, &file));
      break;
  }
  uint64_t inode;
  if (auto it = names_.find(path); it != names_.end()) {
    inode = it->second;
    if (mode != Mode::kAppend) Append({.kind = FsOp::Kind::kTruncate, .inode = inode, .offset = 0});
  } else {
    inode = next_inode_++;
    Append({.kind = FsOp::Kind::kCreate, .inode = inode, .path = path});
  }
  if (mode == Mode::kPreallocated) {
    Append({.kind = FsOp::Kind::kTruncate, .inode = inode, .offset = reserve_bytes});
    Append({.kind = FsOp::Kind::kSync, .inode = inode});
  }
  *result = std::make_unique<RecordingFile>(this, std::move(file), inode, mode, reserve_bytes);
  return Status::OK();
}

Status RecordingEnv::NewWritableFile(const std::string& path,
                                     std::unique_ptr<WritableFile>* result) {
  return OpenFile(path, Mode::kTruncate, 0, result);
}

Status RecordingEnv::NewAppendableFile(const std::string& path,
                                       std::unique_ptr<WritableFile>* result) {
  return OpenFile(path, Mode::kAppend, 0, result);
}

Status RecordingEnv::NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                                 std::unique_ptr<WritableFile>* result) {
  // Without a preallocating target the fallback is an ordinary appending file: log it as one.
  const bool preallocating = dynamic_cast<PreallocatingEnv*>(target()) != nullptr;
  return OpenFile(path, preallocating ? Mode::kPreallocated : Mode::kTruncate, bytes, result);
}

Status RecordingEnv::RemoveFile(const std::string& path) {
  MutexLock guard(&mu_);
  ZIGGY_RETURN_IF_ERROR(target()->RemoveFile(path));
  Append({.kind = FsOp::Kind::kUnlink, .path = path});
  return Status::OK();
}

Status RecordingEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock guard(&mu_);
  ZIGGY_RETURN_IF_ERROR(target()->RenameFile(from, to));
  Append({.kind = FsOp::Kind::kRename, .path = from, .path2 = to});
  return Status::OK();
}

Status RecordingEnv::LinkFile(const std::string& from, const std::string& to) {
  MutexLock guard(&mu_);
  ZIGGY_RETURN_IF_ERROR(target()->LinkFile(from, to));
  Append({.kind = FsOp::Kind::kLink, .path = from, .path2 = to});
  return Status::OK();
}

Status RecordingEnv::CreateDir(const std::string& dir) {
  MutexLock guard(&mu_);
  // One entry per directory this call makes, parents first; none for one that exists (it may
  // predate the recording: durable, as the log's start is).
  std::vector<std::string> missing;
  for (std::string_view path = mem_path::NormalizeDir(dir); !path.empty() && path != "/";
       path = mem_path::NormalizeDir(mem_path::ParentDir(path))) {
    if (target()->FileExists(std::string(path))) break;
    missing.emplace_back(path);
  }
  ZIGGY_RETURN_IF_ERROR(target()->CreateDir(dir));
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    Append({.kind = FsOp::Kind::kMkdir, .path = *it});
  return Status::OK();
}

Status RecordingEnv::SyncDir(const std::string& dir) {
  MutexLock guard(&mu_);
  ZIGGY_RETURN_IF_ERROR(target()->SyncDir(dir));
  Append({.kind = FsOp::Kind::kSyncDir, .path = dir});
  return Status::OK();
}

}  // namespace ziggydb
