// DBImpl::GetApproximateSizes over the current Version (approximate_sizes.h).
#include <memory>

#include "db/approximate_sizes.h"
#include "db/db_impl.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&mu_);
    version = versions_->current();
  }
  return ApproximateSizes(*version, reads_.table_cache(), icmp_.user_comparator(), ranges, n,
                          sizes);
}

}  // namespace ziggydb
