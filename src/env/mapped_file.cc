#include "env/mapped_file.h"

#include "util/assert.h"

namespace ziggydb {

Status NewMappedRandomAccessFile(Env* env, const std::string& path,
                                 std::unique_ptr<RandomAccessFile>* result, bool* mapped) {
  ZIGGY_ASSERT(env != nullptr && mapped != nullptr);
  *mapped = false;
  if (auto* mapping = dynamic_cast<MappingEnv*>(env); mapping != nullptr) {
    Status s = mapping->NewMappedRandomAccessFile(path, result);
    if (s.ok()) *mapped = true;
    if (!s.IsNotSupported()) return s;
  }
  return env->NewRandomAccessFile(path, result);
}

}  // namespace ziggydb
