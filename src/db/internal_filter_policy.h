// InternalFilterPolicy: adapts a user-key filter policy (e.g. bloom) to tables whose keys are
// internal keys. Filters are built over, and probed with, the user-key part only, so one filter
// entry covers every version of a key and a point lookup at any sequence can consult it.
//
// Thread safety: immutable; share freely. The wrapped policy must outlive the wrapper.
#ifndef ZIGGYDB_DB_INTERNAL_FILTER_POLICY_H_
#define ZIGGYDB_DB_INTERNAL_FILTER_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "table/filter_policy.h"
#include "util/assert.h"

namespace ziggydb {

class InternalFilterPolicy final : public FilterPolicy {
 public:
  explicit InternalFilterPolicy(const FilterPolicy* user_policy) : user_policy_(user_policy) {
    ZIGGY_ASSERT(user_policy != nullptr);
  }

  // The encoding is the wrapped policy's; only the keys fed to it differ.
  const char* Name() const override { return user_policy_->Name(); }

  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const override {
    std::vector<std::string_view> user_keys;
    user_keys.reserve(keys.size());
    for (std::string_view key : keys)
      user_keys.push_back(StripTrailer(key));
    user_policy_->CreateFilter(user_keys, dst);
  }

  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    return user_policy_->KeyMayMatch(StripTrailer(key), filter);
  }

 private:
  // Keys here come from our own tables and lookups; a key too short to carry the trailer is
  // passed through whole rather than trusted (a miss then costs a data block read, never a key).
  static std::string_view StripTrailer(std::string_view key) {
    return key.size() >= kInternalKeyTrailerBytes ? ExtractUserKey(key) : key;
  }

  const FilterPolicy* const user_policy_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_INTERNAL_FILTER_POLICY_H_
