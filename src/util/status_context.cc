#include "util/status_context.h"

#include <cassert>

namespace ziggydb {

Status WithMessage(const Status& s, std::string_view message, std::string_view detail) {
  assert(!s.ok());
  switch (s.code()) {
    case Status::Code::kOk:  // not an error: kept as the I/O error a release build would make
    case Status::Code::kIOError:
      return Status::IOError(message, detail);
    case Status::Code::kNotFound:
      return Status::NotFound(message, detail);
    case Status::Code::kCorruption:
      return Status::Corruption(message, detail);
    case Status::Code::kNotSupported:
      return Status::NotSupported(message, detail);
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(message, detail);
    case Status::Code::kBusy:
      return Status::Busy(message, detail);
  }
  return Status::IOError(message, detail);
}

}  // namespace ziggydb
