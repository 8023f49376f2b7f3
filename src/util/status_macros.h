// Error propagation helpers for code returning Status.
#ifndef ZIGGYDB_UTIL_STATUS_MACROS_H_
#define ZIGGYDB_UTIL_STATUS_MACROS_H_

#include "ziggydb/status.h"

// Evaluates expr (a Status) and returns it from the enclosing function unless it is ok.
#define ZIGGY_RETURN_IF_ERROR(expr)           \
  do {                                        \
    ::ziggydb::Status _ziggy_status = (expr); \
    if (!_ziggy_status.ok()) [[unlikely]] {   \
      return _ziggy_status;                   \
    }                                         \
  } while (false)

#endif  // ZIGGYDB_UTIL_STATUS_MACROS_H_
