// InaccessibleFileEnv: files named `hidden` (a name in any directory) are listed by their
// directory, but access(2) and open fail on them, as the POSIX Env reports a file it may not read
// (EACCES) or cannot (EIO). Everything else goes to the target Env.
#ifndef ZIGGYDB_TESTUTIL_INACCESSIBLE_FILE_ENV_H_
#define ZIGGYDB_TESTUTIL_INACCESSIBLE_FILE_ENV_H_

#include <memory>
#include <string>

#include "env/env_wrapper.h"

namespace ziggydb::test {

class InaccessibleFileEnv final : public EnvWrapper {
 public:
  explicit InaccessibleFileEnv(Env* target) : EnvWrapper(target) {}

  bool FileExists(const std::string& path) override {
    return !IsHidden(path) && EnvWrapper::FileExists(path);
  }
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    if (IsHidden(path)) return Status::IOError("open " + path, "Permission denied");
    return EnvWrapper::NewSequentialFile(path, result);
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    if (IsHidden(path)) return Status::IOError("open " + path, "Permission denied");
    return EnvWrapper::NewRandomAccessFile(path, result);
  }

  // Empty: nothing is hidden.
  std::string hidden;

 private:
  bool IsHidden(const std::string& path) const {
    return !hidden.empty() && path.ends_with("/" + hidden);
  }
};

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTUTIL_INACCESSIBLE_FILE_ENV_H_
