#include "tools/byte_codec.h"

#include "util/escape.h"

namespace ziggydb::tools {
namespace {

// The value of one hex digit, or -1.
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status BadInput(std::string_view what, size_t offset) {
  return Status::InvalidArgument(std::string(what) + " at offset " + std::to_string(offset));
}

// The byte written as two hex digits at text[at], or -1.
int HexByte(std::string_view text, size_t at) {
  if (at + 2 > text.size()) return -1;
  const int high = HexDigit(text[at]);
  const int low = HexDigit(text[at + 1]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

Status DecodeHex(std::string_view text, std::string* bytes) {
  if (text.size() % 2 != 0) {
    return Status::InvalidArgument("hex needs two digits per byte; the length is odd (" +
                                   std::to_string(text.size()) + ")");
  }
  bytes->clear();
  bytes->reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int byte = HexByte(text, i);
    if (byte < 0) return BadInput("not a hex digit", HexDigit(text[i]) < 0 ? i : i + 1);
    bytes->push_back(static_cast<char>(byte));
  }
  return Status::OK();
}

Status DecodeEscaped(std::string_view text, std::string* bytes) {
  bytes->clear();
  bytes->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      bytes->push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      bytes->push_back('\\');
      ++i;
    } else if (i + 1 < text.size() && text[i + 1] == 'x' && HexByte(text, i + 2) >= 0) {
      bytes->push_back(static_cast<char>(HexByte(text, i + 2)));
      i += 3;
    } else {
      return BadInput("a backslash must start \\xHH or \\\\", i);
    }
  }
  return Status::OK();
}

}  // namespace

Status DecodeBytes(ByteFormat format, std::string_view text, std::string* bytes) {
  switch (format) {
    case ByteFormat::kRaw:
      bytes->assign(text);
      return Status::OK();
    case ByteFormat::kEscaped:
      return DecodeEscaped(text, bytes);
    case ByteFormat::kHex:
      return DecodeHex(text, bytes);
  }
  return Status::InvalidArgument("unknown byte format");
}

std::string EncodeBytes(ByteFormat format, std::string_view bytes) {
  switch (format) {
    case ByteFormat::kRaw:
      return std::string(bytes);
    case ByteFormat::kEscaped:
      return EscapeBytes(bytes);
    case ByteFormat::kHex:
      break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace ziggydb::tools
