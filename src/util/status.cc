#include "ziggydb/status.h"

#include <cstdio>
#include <cstdlib>

#include "util/assert.h"

namespace ziggydb {

Status::Status(Code code, std::string_view msg, std::string_view detail) {
  ZIGGY_ASSERT(code != Code::kOk);
  state_ = std::make_unique<State>();
  state_->code = code;
  state_->message.reserve(msg.size() + (detail.empty() ? 0 : detail.size() + 2));
  state_->message.append(msg);
  if (!detail.empty()) {
    state_->message.append(": ");
    state_->message.append(detail);
  }
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  }
  return *this;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  const char* name = "Unknown";
  switch (state_->code) {
    case Code::kOk:
      name = "OK";
      break;
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kNotSupported:
      name = "Not supported";
      break;
    case Code::kInvalidArgument:
      name = "Invalid argument";
      break;
    case Code::kIOError:
      name = "IO error";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
  }
  std::string result(name);
  result.append(": ");
  result.append(state_->message);
  return result;
}

namespace detail {
void AssertionFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "ziggydb: assertion failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

}  // namespace ziggydb
