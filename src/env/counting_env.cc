#include "env/counting_env.h"

#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

class CountingEnv::CountingFile final : public RandomAccessFile {
 public:
  CountingFile(std::unique_ptr<RandomAccessFile> file, std::shared_ptr<Counters> counters)
      : file_(std::move(file)), counters_(std::move(counters)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    ZIGGY_RETURN_IF_ERROR(file_->Read(offset, n, result, scratch));
    counters_->reads.fetch_add(1, std::memory_order_relaxed);
    counters_->bytes.fetch_add(result->size(), std::memory_order_relaxed);
    return Status::OK();
  }

 private:
  const std::unique_ptr<RandomAccessFile> file_;
  const std::shared_ptr<Counters> counters_;
};

CountingEnv::CountingEnv(Env* target) : EnvWrapper(target) {
  ZIGGY_ASSERT(target != nullptr);
}

CountingEnv::~CountingEnv() = default;

std::shared_ptr<CountingEnv::Counters> CountingEnv::CountersFor(const std::string& path) {
  MutexLock guard(&mu_);
  std::shared_ptr<Counters>& counters = counters_[path];
  if (counters == nullptr) counters = std::make_shared<Counters>();
  return counters;
}

Status CountingEnv::NewRandomAccessFile(const std::string& path,
                                        std::unique_ptr<RandomAccessFile>* result) {
  std::unique_ptr<RandomAccessFile> file;
  ZIGGY_RETURN_IF_ERROR(target()->NewRandomAccessFile(path, &file));
  *result = std::make_unique<CountingFile>(std::move(file), CountersFor(path));
  return Status::OK();
}

Status CountingEnv::NewMappedRandomAccessFile(const std::string& path,
                                              std::unique_ptr<RandomAccessFile>* result) {
  auto* mapping = dynamic_cast<MappingEnv*>(target());
  if (mapping == nullptr) return Status::NotSupported("mapped files", path);
  std::unique_ptr<RandomAccessFile> file;
  ZIGGY_RETURN_IF_ERROR(mapping->NewMappedRandomAccessFile(path, &file));
  // CountingFile::Read forwards scratch and result untouched: the view contract carries over.
  *result = std::make_unique<CountingFile>(std::move(file), CountersFor(path));
  return Status::OK();
}

uint64_t CountingEnv::reads(const std::string& path) const {
  MutexLock guard(&mu_);
  auto it = counters_.find(path);
  return it == counters_.end() ? 0 : it->second->reads.load(std::memory_order_relaxed);
}

uint64_t CountingEnv::bytes_read(const std::string& path) const {
  MutexLock guard(&mu_);
  auto it = counters_.find(path);
  return it == counters_.end() ? 0 : it->second->bytes.load(std::memory_order_relaxed);
}

uint64_t CountingEnv::total_reads() const {
  MutexLock guard(&mu_);
  uint64_t total = 0;
  for (const auto& [path, counters] : counters_)
    total += counters->reads.load(std::memory_order_relaxed);
  return total;
}

void CountingEnv::ResetCounts() {
  MutexLock guard(&mu_);
  for (auto& [path, counters] : counters_) {
    counters->reads.store(0, std::memory_order_relaxed);
    counters->bytes.store(0, std::memory_order_relaxed);
  }
}

}  // namespace ziggydb
