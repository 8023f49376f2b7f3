#include "wal/log_format.h"

#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace ziggydb::wal {

uint32_t FragmentCrc(RecordType type, uint32_t stored_log_number, std::string_view payload) {
  // Same byte order as the header, so the covered header bytes could be checksummed in place.
  char prefix[1 + 4];
  prefix[0] = static_cast<char>(type);
  EncodeFixed32(prefix + 1, stored_log_number);
  const uint32_t crc = crc32c::Value(prefix, sizeof(prefix));
  return crc32c::Extend(crc, payload.data(), payload.size());
}

void EncodeFragmentHeader(char* dst, RecordType type, uint32_t stored_log_number,
                          std::string_view payload) {
  ZIGGY_ASSERT(payload.size() <= kFragmentPayloadBytesMax);
  ZIGGY_ASSERT(type != RecordType::kZero);
  EncodeFixed32(dst + kCrcOffset, crc32c::Mask(FragmentCrc(type, stored_log_number, payload)));
  dst[kLengthOffset] = static_cast<char>(payload.size() & 0xff);
  dst[kLengthOffset + 1] = static_cast<char>(payload.size() >> 8);
  dst[kTypeOffset] = static_cast<char>(type);
  EncodeFixed32(dst + kLogNumberOffset, stored_log_number);
}

FragmentHeader DecodeFragmentHeader(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  FragmentHeader header;
  header.masked_crc = DecodeFixed32(src + kCrcOffset);
  header.length = static_cast<uint16_t>(p[kLengthOffset] | (p[kLengthOffset + 1] << 8));
  header.type = p[kTypeOffset];
  header.stored_log_number = DecodeFixed32(src + kLogNumberOffset);
  return header;
}

void EncodeLogHead(const LogHead& head, char* dst) {
  EncodeFixed64(dst, head.previous_log_number);
  EncodeFixed64(dst + 8, head.previous_log_bytes);
}

bool DecodeLogHead(std::string_view payload, LogHead* head) {
  if (payload.size() != kLogHeadBytes) return false;
  head->previous_log_number = DecodeFixed64(payload.data());
  head->previous_log_bytes = DecodeFixed64(payload.data() + 8);
  return true;
}

}  // namespace ziggydb::wal
