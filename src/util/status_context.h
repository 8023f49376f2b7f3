// Adding context to an error Status while keeping its code: the code decides what a caller does
// (the CLI's exit code, whether a retry can help), so a message gains a path or a note without
// turning, say, an I/O error into a corruption.
#ifndef ZIGGYDB_UTIL_STATUS_CONTEXT_H_
#define ZIGGYDB_UTIL_STATUS_CONTEXT_H_

#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb {

// A Status of `s`'s code whose message is `message`, and ": detail" when `detail` is not empty
// (the layout of Status's own factories). Precondition: `s` is not ok.
Status WithMessage(const Status& s, std::string_view message, std::string_view detail = {});

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_STATUS_CONTEXT_H_
