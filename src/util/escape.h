// Byte strings made readable for messages, logs and the CLI.
#ifndef ZIGGYDB_UTIL_ESCAPE_H_
#define ZIGGYDB_UTIL_ESCAPE_H_

#include <string>
#include <string_view>

namespace ziggydb {

// `bytes` with printable ASCII kept and every other byte (and '\') written as \xHH, so the
// result is one line of ASCII from which the bytes can be read back exactly.
std::string EscapeBytes(std::string_view bytes);

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_ESCAPE_H_
