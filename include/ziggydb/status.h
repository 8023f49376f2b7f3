// Status: the result of every fallible ZiggyDB operation. No exceptions cross the API, with one
// exception: std::bad_alloc (ziggydb/db.h says where).
//
// An ok Status is a single null pointer: creating, copying and testing it allocates nothing.
// An error carries a code and a message. Thread safety: a Status is a value; distinct objects may
// be used from distinct threads, a shared one only for reading.
#ifndef ZIGGYDB_STATUS_H_
#define ZIGGYDB_STATUS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ziggydb {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kNotSupported = 3,
    kInvalidArgument = 4,
    kIOError = 5,
    kBusy = 6,  // retry later: the DB is open elsewhere (LOCK held), or closing
  };

  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kNotFound, msg, detail);
  }
  static Status Corruption(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kCorruption, msg, detail);
  }
  static Status NotSupported(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kNotSupported, msg, detail);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kInvalidArgument, msg, detail);
  }
  static Status IOError(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kIOError, msg, detail);
  }
  static Status Busy(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kBusy, msg, detail);
  }

  bool ok() const { return state_ == nullptr; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsNotSupported() const { return code() == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsBusy() const { return code() == Code::kBusy; }

  Code code() const { return state_ == nullptr ? Code::kOk : state_->code; }
  // The message without the code prefix; empty when ok.
  std::string_view message() const {
    return state_ == nullptr ? std::string_view() : std::string_view(state_->message);
  }
  // "OK", or "<Code>: <message>".
  std::string ToString() const;

  // Marks a Status as deliberately ignored (e.g. best-effort cleanup on an error path).
  void PermitUncheckedError() const {}

 private:
  struct State {
    Code code;
    std::string message;
  };

  Status(Code code, std::string_view msg, std::string_view detail);

  std::unique_ptr<State> state_;  // null iff ok
};

}  // namespace ziggydb

#endif  // ZIGGYDB_STATUS_H_
