// Errors across the C boundary: the messages stored in errptr, their codes, and the library-wide
// utility functions of include/ziggydb/c.h.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "c/c_handles.h"
#include "ziggydb/version.h"

namespace ziggydb::c_api {
namespace {

constexpr std::string_view kOutOfMemory = "Out of memory";
constexpr std::string_view kInternal = "Internal error";
// What *errptr holds when malloc could not copy an error's own text.
constexpr std::string_view kLostText = "Out of memory: an error's message could not be allocated";

char* CopyWith(MessageAllocator allocate, std::string_view bytes) noexcept {
  auto* copy = static_cast<char*>(allocate(bytes.size() + 1));
  if (copy == nullptr) return nullptr;
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  copy[bytes.size()] = '\0';
  return copy;
}

// A failed call must never leave *errptr NULL: that reads as success (or, after ziggydb_get, as
// an absent key). So one kLostText message is allocated ahead of need: the first failure that
// cannot allocate its own message takes it, and the next SetError that can allocate makes a new
// one. A caller that already holds an earlier message long enough gets it overwritten instead.
std::atomic<char*> lost_message_reserve{CopyWith(std::malloc, kLostText)};

void RefillReserve(MessageAllocator allocate) noexcept {
  if (lost_message_reserve.load(std::memory_order_relaxed) != nullptr) return;
  char* message = CopyWith(allocate, kLostText);
  char* expected = nullptr;
  if (message != nullptr && !lost_message_reserve.compare_exchange_strong(expected, message))
    std::free(message);
}

// *errptr when no message could be allocated: the reserve, else the old message overwritten in
// place (if it has room for a parseable "Out of memory: " prefix), else the old message as it is.
void SetLostMessage(char** errptr) noexcept {
  if (char* reserve = lost_message_reserve.exchange(nullptr)) {
    std::free(*errptr);
    *errptr = reserve;
    return;
  }
  if (*errptr == nullptr) return;  // nothing left to report with (docs: include/ziggydb/c.h)
  const size_t room = std::strlen(*errptr);
  if (room <= kOutOfMemory.size() + 1) return;
  const size_t n = std::min(room, kLostText.size());
  std::memcpy(*errptr, kLostText.data(), n);
  (*errptr)[n] = '\0';
}

// The names Status::ToString puts before ": ", with the C codes they stand for; then the two
// names only this layer produces.
struct CodeName {
  std::string_view name;
  ziggydb_code_t code;
};
constexpr CodeName kCodeNames[] = {
    {"NotFound", ZIGGYDB_NOT_FOUND},          {"Corruption", ZIGGYDB_CORRUPTION},
    {"Not supported", ZIGGYDB_NOT_SUPPORTED}, {"Invalid argument", ZIGGYDB_INVALID_ARGUMENT},
    {"IO error", ZIGGYDB_IO_ERROR},           {"Busy", ZIGGYDB_BUSY},
    {kOutOfMemory, ZIGGYDB_OUT_OF_MEMORY},    {kInternal, ZIGGYDB_INTERNAL},
};

}  // namespace

char* CopyToMalloc(std::string_view bytes) noexcept {
  return CopyWith(std::malloc, bytes);
}

void SetError(char** errptr, std::string_view text) noexcept {
  SetError(errptr, text, std::malloc);
}

void SetError(char** errptr, std::string_view text, MessageAllocator allocate) noexcept {
  if (errptr == nullptr) return;
  char* message = CopyWith(allocate, text);
  if (message == nullptr) {
    SetLostMessage(errptr);
    return;
  }
  std::free(*errptr);
  *errptr = message;
  RefillReserve(allocate);
}

bool SaveError(char** errptr, const Status& s) noexcept {
  if (s.ok()) return true;
  try {
    SetError(errptr, s.ToString());
  } catch (...) {
    SaveCurrentException(errptr);
  }
  return false;
}

void SaveCurrentException(char** errptr) noexcept {
  // Composed on the stack: the message must not need the allocator that may just have failed.
  char text[kExceptionTextBytes];
  DescribeCurrentException(text);
  SetError(errptr, text);
}

void DescribeCurrentException(char* text) noexcept {
  std::string_view name = kInternal;
  const char* what = "unknown exception";
  try {
    throw;
  } catch (const std::bad_alloc& e) {
    name = kOutOfMemory;
    what = e.what();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::snprintf(text, kExceptionTextBytes, "%.*s: %s", static_cast<int>(name.size()), name.data(),
                what);
}

ziggydb_code_t CodeOf(const Status& s) noexcept {
  switch (s.code()) {
    case Status::Code::kOk:
      return ZIGGYDB_OK;
    case Status::Code::kNotFound:
      return ZIGGYDB_NOT_FOUND;
    case Status::Code::kCorruption:
      return ZIGGYDB_CORRUPTION;
    case Status::Code::kNotSupported:
      return ZIGGYDB_NOT_SUPPORTED;
    case Status::Code::kInvalidArgument:
      return ZIGGYDB_INVALID_ARGUMENT;
    case Status::Code::kIOError:
      return ZIGGYDB_IO_ERROR;
    case Status::Code::kBusy:
      return ZIGGYDB_BUSY;
  }
  return ZIGGYDB_INTERNAL;
}

ziggydb_code_t CurrentExceptionCode() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return ZIGGYDB_OUT_OF_MEMORY;
  } catch (...) {
    return ZIGGYDB_INTERNAL;
  }
}

}  // namespace ziggydb::c_api

using ziggydb::c_api::kCodeNames;

extern "C" {

ziggydb_code_t ziggydb_error_code(const char* errmsg) {
  if (errmsg == nullptr) return ZIGGYDB_OK;
  std::string_view text(errmsg);
  for (const auto& [name, code] : kCodeNames) {
    if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == ':') {
      return code;
    }
  }
  return ZIGGYDB_INTERNAL;
}

void ziggydb_free(void* ptr) {
  std::free(ptr);
}

int ziggydb_major_version(void) {
  return ZIGGYDB_VERSION_MAJOR;
}
int ziggydb_minor_version(void) {
  return ZIGGYDB_VERSION_MINOR;
}

}  // extern "C"
