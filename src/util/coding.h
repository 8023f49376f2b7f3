// Byte encodings shared by every on-disk format: little-endian fixed-width integers, LEB128-style
// varints (7 bits a byte, low groups first, high bit = "more follows"), and length-prefixed
// byte strings (varint32 length, then the bytes).
//
// Encoders append to a std::string or write into a caller buffer of sufficient size.
// Decoders are bounded: they consume from the front of a std::string_view (or a [p, limit)
// range) and return false / nullptr on truncation, on a varint longer than its type allows
// (5 bytes for 32 bits, 10 for 64), and on a value that overflows the type. They never read
// past the end they were given, whatever the bytes.
#ifndef ZIGGYDB_UTIL_CODING_H_
#define ZIGGYDB_UTIL_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ziggydb {

inline constexpr int kMaxVarint32Bytes = 5;
inline constexpr int kMaxVarint64Bytes = 10;

// ---- Fixed width, little-endian ----
// On a little-endian host the bytes are the integer's own: one load or store. (The byte loops,
// for other hosts, are not always merged into one by the compiler: GCC 12 at -O2 left
// EncodeFixed64 as eight byte stores in the block decoder.)
inline void EncodeFixed32(char* dst, uint32_t value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &value, sizeof(value));
  } else {
    for (int i = 0; i < 4; ++i)
      dst[i] = static_cast<char>(value >> (8 * i));
  }
}
inline void EncodeFixed64(char* dst, uint64_t value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &value, sizeof(value));
  } else {
    for (int i = 0; i < 8; ++i)
      dst[i] = static_cast<char>(value >> (8 * i));
  }
}
// Precondition: 4 (resp. 8) readable bytes at src.
inline uint32_t DecodeFixed32(const char* src) {
  uint32_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, src, sizeof(value));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(src);
    for (int i = 0; i < 4; ++i)
      value |= static_cast<uint32_t>(p[i]) << (8 * i);
  }
  return value;
}
inline uint64_t DecodeFixed64(const char* src) {
  uint64_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, src, sizeof(value));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(src);
    for (int i = 0; i < 8; ++i)
      value |= static_cast<uint64_t>(p[i]) << (8 * i);
  }
  return value;
}

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);

// ---- Varints ----
// Bytes the varint encoding of value takes: 1..10.
constexpr int VarintLength(uint64_t value) {
  int length = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++length;
  }
  return length;
}

// Write into dst (room for kMaxVarint{32,64}Bytes) and return the byte past the last written.
char* EncodeVarint32(char* dst, uint32_t value);
char* EncodeVarint64(char* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);

// Decode from [p, limit); return the byte past the varint, or nullptr on failure.
const char* DecodeVarint32(const char* p, const char* limit, uint32_t* value);
const char* DecodeVarint64(const char* p, const char* limit, uint64_t* value);

// ---- Length-prefixed byte strings ----
void PutLengthPrefixed(std::string* dst, std::string_view bytes);

// ---- Consuming decoders: on success advance *input past what they read ----
// On failure *input is left unchanged.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
bool GetVarint32(std::string_view* input, uint32_t* value);
bool GetVarint64(std::string_view* input, uint64_t* value);
// *result points into the input's bytes.
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_CODING_H_
