// EnvWrapper: an Env that forwards every call to another Env, for Envs that watch or change a
// few operations (CountingEnv, RecordingEnv) and override only those. It forwards only Env's own
// interface: a subclass that offers the target's preallocated or mapped files
// (PreallocatingEnv, MappingEnv) implements those itself.
#ifndef ZIGGYDB_ENV_ENV_WRAPPER_H_
#define ZIGGYDB_ENV_ENV_WRAPPER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ziggydb/env.h"

namespace ziggydb {

class EnvWrapper : public Env {
 public:
  // target must outlive this Env and every file opened through it.
  explicit EnvWrapper(Env* target) : target_(target) {}

  Env* target() const { return target_; }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return target_->NewSequentialFile(path, result);
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return target_->NewRandomAccessFile(path, result);
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return target_->NewWritableFile(path, result);
  }
  Status NewAppendableFile(const std::string& path,
                           std::unique_ptr<WritableFile>* result) override {
    return target_->NewAppendableFile(path, result);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return target_->GetChildren(dir, names);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return target_->GetFileSize(path, size);
  }
  Status GetFileModificationTime(const std::string& path, uint64_t* unix_seconds) override {
    return target_->GetFileModificationTime(path, unix_seconds);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    return target_->LinkFile(from, to);
  }
  Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  Status RemoveDir(const std::string& dir) override { return target_->RemoveDir(dir); }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFile(path, lock);
  }
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    return target_->UnlockFile(std::move(lock));
  }
  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override {
    return target_->NewLogger(path, result);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  uint64_t WallMicros() override { return target_->WallMicros(); }

 private:
  Env* const target_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_ENV_WRAPPER_H_
