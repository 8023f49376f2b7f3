#include "table/compression.h"

#include <lz4.h>
#include <snappy.h>
#include <zstd.h>

#include "table/format.h"
#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// zstd's default level: a good ratio at several hundred MB/s.
constexpr int kZstdLevel = 3;

bool CompressPayload(CompressionType type, std::string_view raw, std::string* out) {
  const size_t header_bytes = out->size();
  switch (type) {
    case CompressionType::kZstd: {
      out->resize(header_bytes + ZSTD_compressBound(raw.size()));
      const size_t n = ZSTD_compress(out->data() + header_bytes, out->size() - header_bytes,
                                     raw.data(), raw.size(), kZstdLevel);
      if (ZSTD_isError(n)) return false;
      out->resize(header_bytes + n);
      return true;
    }
    case CompressionType::kLz4: {
      if (raw.size() > LZ4_MAX_INPUT_SIZE) return false;
      const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
      out->resize(header_bytes + static_cast<size_t>(bound));
      const int n = LZ4_compress_default(raw.data(), out->data() + header_bytes,
                                         static_cast<int>(raw.size()), bound);
      if (n <= 0) return false;
      out->resize(header_bytes + static_cast<size_t>(n));
      return true;
    }
    case CompressionType::kSnappy: {
      std::string payload;
      snappy::Compress(raw.data(), raw.size(), &payload);
      out->append(payload);
      return true;
    }
    case CompressionType::kNone:
      break;
  }
  return false;
}

// True if `payload` can decompress to `raw_bytes` bytes, read from what it says of itself (or,
// for LZ4, which says nothing, from its size: LZ4 expands at most 255 times). Checked before the
// output is allocated, so that damaged bytes cannot make a reader allocate up to kMaxBlockBytes.
bool PayloadCanHold(CompressionType type, std::string_view payload, uint32_t raw_bytes) {
  switch (type) {
    case CompressionType::kZstd:
      // CompressPayload's frames record their content size.
      return ZSTD_getFrameContentSize(payload.data(), payload.size()) == raw_bytes;
    case CompressionType::kLz4:
      return raw_bytes / 255 <= payload.size();
    case CompressionType::kSnappy: {
      size_t length = 0;
      return snappy::GetUncompressedLength(payload.data(), payload.size(), &length) &&
             length == raw_bytes;
    }
    case CompressionType::kNone:
      break;
  }
  return false;
}

}  // namespace

bool IsKnownCompressionType(uint8_t type) {
  return type <= static_cast<uint8_t>(CompressionType::kLz4);
}

bool CompressBlock(CompressionType type, std::string_view raw, std::string* out) {
  ZIGGY_ASSERT(type != CompressionType::kNone);
  ZIGGY_ASSERT(raw.size() <= kMaxBlockBytes);
  out->clear();
  PutVarint32(out, static_cast<uint32_t>(raw.size()));
  if (!CompressPayload(type, raw, out)) return false;
  if constexpr (kZiggyDebugChecks) {
    // Decode what we just encoded.
    std::string check;
    ZIGGY_ASSERT(UncompressBlock(type, *out, &check).ok() && check == raw);
  }
  return true;
}

Status UncompressBlock(CompressionType type, std::string_view compressed, std::string* out) {
  uint32_t raw_bytes = 0;
  if (!GetVarint32(&compressed, &raw_bytes) || raw_bytes > kMaxBlockBytes ||
      !PayloadCanHold(type, compressed, raw_bytes)) {
    return Status::Corruption("bad uncompressed size in compressed block");
  }
  out->resize(raw_bytes);
  bool ok = false;
  switch (type) {
    case CompressionType::kZstd: {
      const size_t n =
          ZSTD_decompress(out->data(), raw_bytes, compressed.data(), compressed.size());
      ok = !ZSTD_isError(n) && n == raw_bytes;
      break;
    }
    case CompressionType::kLz4: {
      if (compressed.size() > LZ4_MAX_INPUT_SIZE || raw_bytes > LZ4_MAX_INPUT_SIZE) break;
      const int n =
          LZ4_decompress_safe(compressed.data(), out->data(), static_cast<int>(compressed.size()),
                              static_cast<int>(raw_bytes));
      ok = n >= 0 && static_cast<uint32_t>(n) == raw_bytes;
      break;
    }
    case CompressionType::kSnappy:
      ok = snappy::RawUncompress(compressed.data(), compressed.size(), out->data());
      break;
    case CompressionType::kNone:
      break;
  }
  if (!ok) {
    out->clear();
    return Status::Corruption("compressed block does not decompress");
  }
  return Status::OK();
}

}  // namespace ziggydb
