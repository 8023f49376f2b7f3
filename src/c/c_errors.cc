// Errors across the C boundary: the messages stored in errptr, their codes, and the library-wide
// utility functions of include/ziggydb/c.h.
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
  auto* copy = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (copy == nullptr) return nullptr;
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  copy[bytes.size()] = '\0';
  return copy;
}

void SetError(char** errptr, std::string_view text) noexcept {
  if (errptr == nullptr) return;
  char* message = CopyToMalloc(text);
  if (message == nullptr) return;
  std::free(*errptr);
  *errptr = message;
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
