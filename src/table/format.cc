#include "table/format.h"

#include <limits>
#include <utility>

#include "table/compression.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

std::string OffsetText(uint64_t offset) {
  return "block at offset " + std::to_string(offset);
}

// crc32c of the footer's bytes other than its checksum field.
uint32_t FooterCrc(const char* footer) {
  constexpr size_t kCrcOffset = Footer::kHandlesBytes;
  uint32_t crc = crc32c::Value(footer, kCrcOffset);
  return crc32c::Extend(crc, footer + kCrcOffset + 4, Footer::kEncodedBytes - kCrcOffset - 4);
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  std::string_view in = *input;
  if (!GetVarint64(&in, &offset) || !GetVarint64(&in, &size)) return false;
  *input = in;
  return true;
}

bool BlockHandle::End(uint64_t* end) const {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (offset > kMax - kBlockTrailerBytes || size > kMax - kBlockTrailerBytes - offset) {
    return false;
  }
  *end = offset + size + kBlockTrailerBytes;
  return true;
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex_handle.EncodeTo(dst);
  index_handle.EncodeTo(dst);
  dst->resize(start + kHandlesBytes, '\0');
  PutFixed32(dst, 0);  // checksum, filled in below
  PutFixed32(dst, format_version);
  PutFixed64(dst, kTableMagicNumber);
  ZIGGY_ASSERT(dst->size() == start + kEncodedBytes);
  char* footer = dst->data() + start;
  EncodeFixed32(footer + kHandlesBytes, crc32c::Mask(FooterCrc(footer)));
}

Status Footer::DecodeFrom(std::string_view input, uint64_t file_size) {
  const std::string size_text = "file size " + std::to_string(file_size);
  if (input.size() != kEncodedBytes) {
    return Status::Corruption("not an sstable: truncated footer", size_text);
  }
  const char* p = input.data();
  if (DecodeFixed64(p + kEncodedBytes - 8) != kTableMagicNumber) {
    return Status::Corruption("not an sstable: bad magic number", size_text);
  }
  format_version = DecodeFixed32(p + kEncodedBytes - 12);
  if (format_version == 0 || format_version > kTableFormatVersion) {
    return Status::Corruption("unsupported format version " + std::to_string(format_version),
                              size_text);
  }
  if (crc32c::Unmask(DecodeFixed32(p + kHandlesBytes)) != FooterCrc(p)) {
    return Status::Corruption("sstable footer checksum mismatch", size_text);
  }
  std::string_view handles = input.substr(0, kHandlesBytes);
  if (!metaindex_handle.DecodeFrom(&handles) || !index_handle.DecodeFrom(&handles)) {
    return Status::Corruption("sstable footer holds bad block handles", size_text);
  }
  return Status::OK();
}

void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst) {
  const char type_byte = static_cast<char>(type);
  uint32_t crc = crc32c::Value(contents.data(), contents.size());
  crc = crc32c::Extend(crc, &type_byte, 1);
  dst->push_back(type_byte);
  PutFixed32(dst, crc32c::Mask(crc));
}

namespace {

// Checks the trailer of `stored` (block + trailer at `offset`) and returns the block's type.
Status CheckTrailer(std::string_view stored, uint64_t offset, bool verify_checksum,
                    CompressionType* type) {
  if (stored.size() < kBlockTrailerBytes) {
    return Status::Corruption("truncated block", OffsetText(offset));
  }
  const size_t n = stored.size() - kBlockTrailerBytes;
  const char* trailer = stored.data() + n;
  if (verify_checksum) {
    const uint32_t expected = crc32c::Unmask(DecodeFixed32(trailer + 1));
    const uint32_t actual = crc32c::Value(stored.data(), n + 1);  // contents + type byte
    if (actual != expected) {
      return Status::Corruption("block checksum mismatch", OffsetText(offset));
    }
  }
  const auto type_byte = static_cast<uint8_t>(trailer[0]);
  if (!IsKnownCompressionType(type_byte)) {
    return Status::Corruption("unknown compression type " + std::to_string(type_byte),
                              OffsetText(offset));
  }
  if (n > kMaxBlockBytes) return Status::Corruption("oversized block", OffsetText(offset));
  *type = static_cast<CompressionType>(type_byte);
  return Status::OK();
}

}  // namespace

Status DecodeStoredBlock(std::string_view stored, uint64_t offset, bool verify_checksum,
                         std::string* contents) {
  CompressionType type = CompressionType::kNone;
  ZIGGY_RETURN_IF_ERROR(CheckTrailer(stored, offset, verify_checksum, &type));
  const std::string_view block = stored.substr(0, stored.size() - kBlockTrailerBytes);
  if (type == CompressionType::kNone) {
    contents->assign(block);
    return Status::OK();
  }
  Status s = UncompressBlock(type, block, contents);
  if (!s.ok()) return Status::Corruption(s.message(), OffsetText(offset));
  return Status::OK();
}

namespace {

// The stored bytes (block + trailer) of the block at handle; Corruption if the handle is absurd.
Status StoredBytes(const BlockHandle& handle, size_t* n) {
  uint64_t end = 0;
  if (!handle.End(&end) || handle.size > kMaxBlockBytes) {
    return Status::Corruption("bad block handle", OffsetText(handle.offset));
  }
  *n = static_cast<size_t>(handle.size) + kBlockTrailerBytes;
  return Status::OK();
}

}  // namespace

Status ReadBlockView(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                     std::string_view* stored, CompressionType* type) {
  size_t n = 0;
  ZIGGY_RETURN_IF_ERROR(StoredBytes(handle, &n));
  ZIGGY_RETURN_IF_ERROR(file.Read(handle.offset, n, stored, /*scratch=*/nullptr));
  if (stored->size() != n) return Status::Corruption("truncated block", OffsetText(handle.offset));
  // A seek into the block reads its tail (trailer, restart array), then a restart key or two,
  // then a run of entries: a chain of dependent cache misses on a cold block. Asking for all of
  // its cache lines at once lets them load in parallel (a hint: never faults, no effect on
  // results; docs/design/table_reads.md has the measurements, and the variants that lost).
  constexpr size_t kCacheLineBytes = 64;
  for (size_t at = 0; at < n; at += kCacheLineBytes)
    __builtin_prefetch(stored->data() + at);
  return CheckTrailer(*stored, handle.offset, verify_checksum, type);
}

Status ReadBlock(const RandomAccessFile& file, const BlockHandle& handle, bool verify_checksum,
                 std::string* contents) {
  size_t n = 0;
  ZIGGY_RETURN_IF_ERROR(StoredBytes(handle, &n));
  std::string buffer(n, '\0');
  std::string_view result;
  ZIGGY_RETURN_IF_ERROR(file.Read(handle.offset, n, &result, buffer.data()));
  if (result.size() != n) return Status::Corruption("truncated block", OffsetText(handle.offset));
  CompressionType type = CompressionType::kNone;
  ZIGGY_RETURN_IF_ERROR(CheckTrailer(result, handle.offset, verify_checksum, &type));
  if (type == CompressionType::kNone && result.data() == buffer.data()) {
    // Raw block read into our buffer: hand the buffer over instead of copying it.
    buffer.resize(static_cast<size_t>(handle.size));
    *contents = std::move(buffer);
    return Status::OK();
  }
  return DecodeStoredBlock(result, handle.offset, /*verify_checksum=*/false, contents);
}

}  // namespace ziggydb
