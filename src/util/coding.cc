#include "util/coding.h"

namespace ziggydb {

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

char* EncodeVarint64(char* dst, uint64_t value) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (value >= 0x80) {
    *p++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<unsigned char>(value);
  return reinterpret_cast<char*>(p);
}

char* EncodeVarint32(char* dst, uint32_t value) {
  return EncodeVarint64(dst, value);
}

void PutVarint32(std::string* dst, uint32_t value) {
  char buf[kMaxVarint32Bytes];
  char* end = EncodeVarint32(buf, value);
  dst->append(buf, static_cast<size_t>(end - buf));
}

void PutVarint64(std::string* dst, uint64_t value) {
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, value);
  dst->append(buf, static_cast<size_t>(end - buf));
}

namespace {
// Shared decoder: at most max_bytes bytes; the last allowed byte may only carry the bits that
// still fit in value_bits (e.g. 4 bits in the 5th byte of a varint32).
template <typename T, int max_bytes, int value_bits>
const char* DecodeVarint(const char* p, const char* limit, T* value) {
  T result = 0;
  for (int i = 0; i < max_bytes && p < limit; ++i) {
    const auto byte = static_cast<unsigned char>(*p++);
    const int shift = 7 * i;
    if (i == max_bytes - 1) {
      const int bits_left = value_bits - shift;      // bits the last byte may carry
      if ((byte >> bits_left) != 0) return nullptr;  // continuation bit or overflow
    }
    result |= static_cast<T>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return p;
    }
  }
  return nullptr;  // truncated
}
}  // namespace

const char* DecodeVarint32(const char* p, const char* limit, uint32_t* value) {
  return DecodeVarint<uint32_t, kMaxVarint32Bytes, 32>(p, limit, value);
}

const char* DecodeVarint64(const char* p, const char* limit, uint64_t* value) {
  return DecodeVarint<uint64_t, kMaxVarint64Bytes, 64>(p, limit, value);
}

void PutLengthPrefixed(std::string* dst, std::string_view bytes) {
  PutVarint32(dst, static_cast<uint32_t>(bytes.size()));
  dst->append(bytes);
}

bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

bool GetVarint32(std::string_view* input, uint32_t* value) {
  const char* begin = input->data();
  const char* end = DecodeVarint32(begin, begin + input->size(), value);
  if (end == nullptr) return false;
  input->remove_prefix(static_cast<size_t>(end - begin));
  return true;
}

bool GetVarint64(std::string_view* input, uint64_t* value) {
  const char* begin = input->data();
  const char* end = DecodeVarint64(begin, begin + input->size(), value);
  if (end == nullptr) return false;
  input->remove_prefix(static_cast<size_t>(end - begin));
  return true;
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* result) {
  std::string_view rest = *input;
  uint32_t length = 0;
  if (!GetVarint32(&rest, &length) || rest.size() < length) return false;
  *result = rest.substr(0, length);
  rest.remove_prefix(length);
  *input = rest;
  return true;
}

}  // namespace ziggydb
