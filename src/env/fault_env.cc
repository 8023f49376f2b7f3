#include "env/fault_env.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

const char* FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kSyncDir:
      return "sync dir";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kCreate:
      return "create";
  }
  return "unknown";
}

}  // namespace

void FaultInjectionEnv::InjectError(FaultOp op, std::string path_substring, int count) {
  ZIGGY_ASSERT(count > 0);
  MutexLock guard(&rules_mu_);
  rules_.push_back(Rule{op, std::move(path_substring), count});
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
  MutexLock guard(&rules_mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    const bool matches =
        it->op == op &&
        (path.find(it->path_substring) != std::string_view::npos ||
         (!other_path.empty() && other_path.find(it->path_substring) != std::string_view::npos));
    if (!matches) continue;
    ZIGGY_ASSERT(it->remaining > 0);
    if (--it->remaining == 0) rules_.erase(it);
    ++injected_error_count_;
    return Status::IOError(std::string("injected ") + FaultOpName(op) + " fault",
                           std::string(path));
  }
  return Status::OK();
}

}  // namespace ziggydb
