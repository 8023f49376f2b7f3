// CountingEnv: forwards everything to another Env and counts RandomAccessFile reads (calls and
// bytes returned) per path — for tests that assert how many blocks a lookup touched. Mapped files
// (env/mapped_file.h) are counted too: it maps where its target can.
// Thread safety: as the wrapped Env; the counters are atomics.
#ifndef ZIGGYDB_ENV_COUNTING_ENV_H_
#define ZIGGYDB_ENV_COUNTING_ENV_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "env/env_wrapper.h"
#include "env/mapped_file.h"
#include "env/preallocated_file.h"
#include "util/mutex.h"
#include "ziggydb/env.h"

namespace ziggydb {

class CountingEnv : public EnvWrapper, public PreallocatingEnv, public MappingEnv {
 public:
  // target must outlive this Env and every file it opened.
  explicit CountingEnv(Env* target);
  ~CountingEnv() override;

  // RandomAccessFile::Read calls (that returned OK) on files opened at path since the last reset.
  uint64_t reads(const std::string& path) const;
  // Bytes those reads returned.
  uint64_t bytes_read(const std::string& path) const;
  // Sums over every path.
  uint64_t total_reads() const;
  void ResetCounts();

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  // NotSupported unless the target is a MappingEnv.
  Status NewMappedRandomAccessFile(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result) override;
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override {
    return ziggydb::NewPreallocatedWritableFile(target(), path, bytes, result);
  }

 private:
  struct Counters {
    std::atomic<uint64_t> reads{0};  // relaxed: plain tallies, read only after the fact
    std::atomic<uint64_t> bytes{0};
  };
  class CountingFile;

  std::shared_ptr<Counters> CountersFor(const std::string& path) EXCLUDES(mu_);

  mutable Mutex mu_;
  // Entries are never removed, so files keep valid counters across resets.
  std::map<std::string, std::shared_ptr<Counters>> counters_ GUARDED_BY(mu_);
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ENV_COUNTING_ENV_H_
