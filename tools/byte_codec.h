// How the `ziggy` data commands take keys and values on the command line and print them: as the
// bytes given, in the escaped form `scan` prints (util/escape.h), or in hex. Both encoded forms
// are plain ASCII, so any bytes (NULs, newlines, invalid UTF-8) survive a shell.
#ifndef ZIGGYDB_TOOLS_BYTE_CODEC_H_
#define ZIGGYDB_TOOLS_BYTE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb::tools {

enum class ByteFormat : uint8_t {
  kRaw,      // the argument's bytes as they are
  kEscaped,  // printable ASCII as is, every other byte as \xHH (either case); "\\" is one '\'
  kHex,      // two hex digits (either case) per byte, nothing else
};

// Decodes `text`, written in `format`, into *bytes. InvalidArgument naming the offset of the first
// bad escape or hex digit (and an odd hex length).
[[nodiscard]] Status DecodeBytes(ByteFormat format, std::string_view text, std::string* bytes);

// The inverse: DecodeBytes(format, EncodeBytes(format, b)) yields b for every b. kEscaped writes
// '\' as \x5c (as scan always has), lower-case hex digits throughout.
std::string EncodeBytes(ByteFormat format, std::string_view bytes);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_BYTE_CODEC_H_
