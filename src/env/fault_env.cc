#include "env/fault_env.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

// The wrappers below count themselves in open_files_ while they live and otherwise forward to
// the MemEnv file they own; only Close adds a fault check of its own.
class FaultInjectionEnv::CountedSequentialFile final : public SequentialFile {
 public:
  CountedSequentialFile(std::atomic<uint64_t>* open_files, std::unique_ptr<SequentialFile> file)
      : open_files_(open_files), file_(std::move(file)) {
    open_files_->fetch_add(1, std::memory_order_relaxed);
  }
  ~CountedSequentialFile() override { open_files_->fetch_sub(1, std::memory_order_relaxed); }
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    return file_->Read(n, result, scratch);
  }
  Status Skip(uint64_t n) override { return file_->Skip(n); }

 private:
  std::atomic<uint64_t>* const open_files_;
  const std::unique_ptr<SequentialFile> file_;
};

class FaultInjectionEnv::CountedRandomAccessFile final : public RandomAccessFile {
 public:
  CountedRandomAccessFile(std::atomic<uint64_t>* open_files, std::unique_ptr<RandomAccessFile> file)
      : open_files_(open_files), file_(std::move(file)) {
    open_files_->fetch_add(1, std::memory_order_relaxed);
  }
  ~CountedRandomAccessFile() override { open_files_->fetch_sub(1, std::memory_order_relaxed); }
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    return file_->Read(offset, n, result, scratch);
  }

 private:
  std::atomic<uint64_t>* const open_files_;
  const std::unique_ptr<RandomAccessFile> file_;
};

class FaultInjectionEnv::CountedWritableFile final : public WritableFile {
 public:
  CountedWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> file)
      : env_(env), path_(std::move(path)), file_(std::move(file)) {
    env_->open_files_.fetch_add(1, std::memory_order_relaxed);
  }
  ~CountedWritableFile() override { env_->open_files_.fetch_sub(1, std::memory_order_relaxed); }
  Status Append(std::string_view data) override { return file_->Append(data); }
  Status Flush() override { return file_->Flush(); }
  Status Sync() override { return file_->Sync(); }
  // As close(2): the file is closed even when the call reports an error.
  Status Close() override {
    Status s = file_->Close();
    if (s.ok()) s = env_->MatchRule(FaultOp::kClose, path_, {});
    return s;
  }
  Status Preallocate(uint64_t bytes) override { return file_->Preallocate(bytes); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> file_;
};

Status FaultInjectionEnv::NewSequentialFile(const std::string& path,
                                            std::unique_ptr<SequentialFile>* result) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(MemEnv::NewSequentialFile(path, &file));
  *result = std::make_unique<CountedSequentialFile>(&open_files_, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& path,
                                              std::unique_ptr<RandomAccessFile>* result) {
  std::unique_ptr<RandomAccessFile> file;
  ZIGGY_RETURN_IF_ERROR(MemEnv::NewRandomAccessFile(path, &file));
  *result = std::make_unique<CountedRandomAccessFile>(&open_files_, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewWritableFile(const std::string& path,
                                          std::unique_ptr<WritableFile>* result) {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(MemEnv::NewWritableFile(path, &file));
  *result = std::make_unique<CountedWritableFile>(this, path, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewAppendableFile(const std::string& path,
                                            std::unique_ptr<WritableFile>* result) {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(MemEnv::NewAppendableFile(path, &file));
  *result = std::make_unique<CountedWritableFile>(this, path, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                                      std::unique_ptr<WritableFile>* result) {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(MemEnv::NewPreallocatedWritableFile(path, bytes, &file));
  *result = std::make_unique<CountedWritableFile>(this, path, std::move(file));
  return Status::OK();
}

void FaultInjectionEnv::InjectErrorAfter(int skip, FaultOp op, std::string path_substring,
                                         int count, FaultError error) {
  ZIGGY_ASSERT(skip >= 0);
  ZIGGY_ASSERT(count > 0 || count == kPersistent);
  MutexLock guard(&rules_mu_);
  rules_.push_back(Rule{op, std::move(path_substring), skip, count, error});
}

void FaultInjectionEnv::ClearErrors() {
  MutexLock guard(&rules_mu_);
  rules_.clear();
}

uint64_t FaultInjectionEnv::injected_error_count() const {
  MutexLock guard(&rules_mu_);
  return injected_error_count_;
}

Status FaultInjectionEnv::InjectedFault(FaultOp op, std::string_view path,
                                        std::string_view other_path) {
  return MatchRule(op, path, other_path);
}

Status FaultInjectionEnv::MatchRule(FaultOp op, std::string_view path,
                                    std::string_view other_path) {
  MutexLock guard(&rules_mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    const bool matches =
        it->op == op &&
        (path.find(it->path_substring) != std::string_view::npos ||
         (!other_path.empty() && other_path.find(it->path_substring) != std::string_view::npos));
    if (!matches) continue;
    if (it->skip > 0) {
      --it->skip;
      continue;
    }
    const FaultError error = it->error;
    if (it->remaining != kPersistent) {
      ZIGGY_ASSERT(it->remaining > 0);
      if (--it->remaining == 0) rules_.erase(it);
    }
    ++injected_error_count_;
    const std::string what = std::string("injected ") + FaultOpName(op) + " fault";
    if (error == FaultError::kNoSpace) {
      return Status::IOError(what, std::string(path) + ": No space left on device");
    }
    return Status::IOError(what, std::string(path));
  }
  return Status::OK();
}

}  // namespace ziggydb
