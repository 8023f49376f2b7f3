// SSTable building blocks shared by the builder and the reader: block handles, the block trailer,
// the footer, and reading one block back from a file. The byte layout is specified in
// docs/format/sstable.md (format versions 1 and 2); keep the two in step.
//
// Thread safety: everything here is either a value type or a free function without state.
#ifndef ZIGGYDB_TABLE_FORMAT_H_
#define ZIGGYDB_TABLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ziggydb/env.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

// The newest format version this code reads and writes. Version 1 stores every key whole;
// version 2 (written when TableOptions::keys_end_in_fixed64) stores the last 8 bytes of each
// data-block key, a little-endian fixed64, as a varint64 (docs/format/sstable.md, "Block").
inline constexpr uint32_t kTableFormatVersion = 2;
inline constexpr uint32_t kTableFormatVarintSuffix = 2;

// How a block stores its keys. Not stored in the block: the table's format version says which
// encoding its data blocks use; index and meta blocks always use kWhole.
enum class BlockKeyEncoding : uint8_t {
  kWhole,         // each key prefix-compressed against the previous one, whole
  kVarintSuffix,  // each key's last 8 bytes (a fixed64) stored apart as a varint64; the prefix
                  // compression covers the rest
};
// The bytes of the fixed64 suffix kVarintSuffix splits off.
inline constexpr size_t kKeySuffixBytes = 8;
// Largest key a table stores: the API's largest key (kMaxKeyBytes) plus the kKeySuffixBytes the
// DB appends to every user key (its internal-key trailer). The DB checks at compile time that its
// trailer is that size (db/write_batch.cc), so a key the API accepts always fits a table.
inline constexpr size_t kMaxTableKeyBytes = kMaxKeyBytes + kKeySuffixBytes;
// Last 8 bytes of every table: "ZIGGYSST" in file order.
inline constexpr uint64_t kTableMagicNumber = 0x545353594747495AULL;

// 1 byte compression type + fixed32 masked crc32c of (block contents + type byte).
inline constexpr size_t kBlockTrailerBytes = 5;

// Page alignment of data blocks (TableOptions::align_data_blocks): the page they are aligned to,
// and the most zero padding written before one block to keep it from crossing a page boundary.
inline constexpr uint64_t kPageBytes = 4096;
inline constexpr uint64_t kMaxAlignPaddingBytes = 512;

// Largest block contents (after decompression) a reader accepts. A block holds at least one entry
// and is cut once it reaches block_size (at most 4 MiB), so a legal block never exceeds this.
inline constexpr size_t kMaxBlockBytes = size_t{512} << 20;
static_assert(kMaxTableKeyBytes + kMaxValueBytes + (size_t{8} << 20) < kMaxBlockBytes);
static_assert(kMaxBlockBytes < (uint64_t{1} << 32), "block offsets are 32-bit");

// Where a block sits in the file: `size` counts the contents only, not the trailer after them.
struct BlockHandle {
  // Two varint64s.
  static constexpr size_t kMaxEncodedBytes = 20;

  uint64_t offset = 0;
  uint64_t size = 0;

  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; false (input unchanged) on bad bytes.
  [[nodiscard]] bool DecodeFrom(std::string_view* input);
  // Offset one past the block's trailer; false if that overflows.
  [[nodiscard]] bool End(uint64_t* end) const;
};

// Fixed-size record at the very end of a table.
//   [metaindex handle][index handle][zero padding to 40 bytes]
//   [fixed32 masked crc32c of bytes 0..40 and 44..56][fixed32 format version][fixed64 magic]
struct Footer {
  static constexpr size_t kHandlesBytes = 2 * BlockHandle::kMaxEncodedBytes;
  static constexpr size_t kEncodedBytes = kHandlesBytes + 4 + 4 + 8;

  BlockHandle metaindex_handle;
  BlockHandle index_handle;
  uint32_t format_version = kTableFormatVersion;

  // Appends exactly kEncodedBytes.
  void EncodeTo(std::string* dst) const;
  // input: the last kEncodedBytes of a file of file_size bytes. Checks magic, then version, then
  // checksum; each failure is Corruption naming the file size.
  [[nodiscard]] Status DecodeFrom(std::string_view input, uint64_t file_size);
};

// Appends the trailer for `contents` stored with `type`.
void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst);

// Given the bytes of one block followed by its trailer (`stored`, located at `offset` in the
// file), checks the trailer (crc only if verify_checksum) and puts the uncompressed contents in
// *contents. Corruption names the offset.
[[nodiscard]] Status DecodeStoredBlock(std::string_view stored, uint64_t offset,
                                       bool verify_checksum, std::string* contents);

// Reads the block at handle (one Read call) and decodes it as above.
[[nodiscard]] Status ReadBlock(const RandomAccessFile& file, const BlockHandle& handle,
                               bool verify_checksum, std::string* contents);

// Reads the block at handle from a mapped file (env/mapped_file.h: Read returns a view and never
// touches scratch) and checks its trailer as DecodeStoredBlock does, without decoding: *stored is
// the view of the block and its trailer, *type the block's compression. Corruption names the
// offset.
[[nodiscard]] Status ReadBlockView(const RandomAccessFile& file, const BlockHandle& handle,
                                   bool verify_checksum, std::string_view* stored,
                                   CompressionType* type);

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_FORMAT_H_
