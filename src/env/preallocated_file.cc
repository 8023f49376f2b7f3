#include "env/preallocated_file.h"

#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

Status NewPreallocatedWritableFile(Env* env, const std::string& path, uint64_t bytes,
                                   std::unique_ptr<WritableFile>* result) {
  ZIGGY_ASSERT(env != nullptr);
  ZIGGY_ASSERT(bytes > 0);
  if (auto* preallocating = dynamic_cast<PreallocatingEnv*>(env); preallocating != nullptr) {
    return preallocating->NewPreallocatedWritableFile(path, bytes, result);
  }
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(path, result));
  // A hint only: without the space the file still works, growing as it is written.
  (*result)->Preallocate(bytes).PermitUncheckedError();
  return Status::OK();
}

}  // namespace ziggydb
