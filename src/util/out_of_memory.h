// Turning an allocation failure into a Status at the boundaries that must not throw: DB::Open
// (errors are values at the API) and the steps of DB::Close (which the destructor runs, and whose
// later steps — stopping the background threads, releasing the LOCK — must run whatever an
// earlier one met).
#ifndef ZIGGYDB_UTIL_OUT_OF_MEMORY_H_
#define ZIGGYDB_UTIL_OUT_OF_MEMORY_H_

#include <new>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb {

// Returns step(), or IOError "out of memory" naming `what` if it threw std::bad_alloc. The
// step's partial effects stay: callers use it only where the following steps tolerate them.
// Building that Status allocates too; should that fail as well (memory still exhausted after the
// step's unwinding freed what it held), std::bad_alloc propagates.
template <typename Step>
[[nodiscard]] Status CatchOutOfMemory(std::string_view what, Step&& step) {
  try {
    return step();
  } catch (const std::bad_alloc&) {
  }
  return Status::IOError("out of memory", what);
}

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_OUT_OF_MEMORY_H_
