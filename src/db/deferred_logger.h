// DeferredLogger: an info Logger that holds lines in memory until it is given a target.
//
// Open logs while it recovers, but must not create or rotate the LOG file of a directory it may
// still reject (recovery failures touch no file). Lines are held, up to kMaxHeldLines, until
// SetTarget; after that they go straight to the target.
//
// Thread safety: every method may be called concurrently.
#ifndef ZIGGYDB_DB_DEFERRED_LOGGER_H_
#define ZIGGYDB_DB_DEFERRED_LOGGER_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/mutex.h"
#include "ziggydb/env.h"

namespace ziggydb {

class DeferredLogger final : public Logger {
 public:
  static constexpr size_t kMaxHeldLines = 1000;

  void Log(std::string_view line) override {
    MutexLock lock(&mu_);
    if (target_ != nullptr) {
      target_->Log(line);
    } else if (!discard_ && held_.size() < kMaxHeldLines) {
      held_.emplace_back(line);
    }
  }

  // Replays the held lines into target and forwards every later line to it. A null target
  // discards everything from now on.
  void SetTarget(std::shared_ptr<Logger> target) {
    MutexLock lock(&mu_);
    target_ = std::move(target);
    discard_ = target_ == nullptr;
    if (target_ != nullptr) {
      for (const std::string& line : held_)
        target_->Log(line);
    }
    held_.clear();
  }

 private:
  Mutex mu_;
  std::shared_ptr<Logger> target_ GUARDED_BY(mu_);
  bool discard_ GUARDED_BY(mu_) = false;
  std::vector<std::string> held_ GUARDED_BY(mu_);
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DEFERRED_LOGGER_H_
