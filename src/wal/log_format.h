// The write-ahead log format, version 3 (specified in docs/format/wal.md).
//
// A log is a sequence of 32 KiB blocks. A record is stored as one or more fragments, each a
// header followed by its payload, never crossing a block boundary:
//
//   fragment := masked_crc32c (fixed32) | length (fixed16) | type (1 byte) | log_number (fixed32)
//               | payload (length bytes)
//
// The checksum covers type, log_number and payload, which are contiguous on disk. log_number is
// the low 32 bits of the log's file number: a fragment left over from an older use of the same
// file (recycled or preallocated) has an intact checksum but the wrong number, so readers see it
// as the end of the log. A block's last bytes that cannot hold a header are zero padding. A header
// of eleven zero bytes (type kZero) marks unused space: the end of the data written so far.
//
// Besides the fragments of records, a version-2 log holds two control fragments, each a single
// fragment that is not a record: a head at offset 0 naming the previous log and its length (so
// recovery sees when an older, unsynced log lost its tail), and a marker saying every earlier log
// was complete on disk when it was written (so recovery can tell such a loss from corruption).
// Version 3 adds a third: a synced-bytes marker, the first fragment written after each sync (and
// before a log's first record), declaring how many bytes of this log were durable then, so
// recovery can tell a page lost from the unsynced region from damage to synced data.
#ifndef ZIGGYDB_WAL_LOG_FORMAT_H_
#define ZIGGYDB_WAL_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ziggydb::wal {

// The format these files implement. Not stored in the log: a future version must use fragment
// types this version does not know, which older readers report as damage. Version 2 added the
// head and earlier-logs-synced marker, version 3 the synced-bytes marker; version-1 and
// version-2 logs still read.
inline constexpr uint32_t kFormatVersion = 3;

inline constexpr size_t kBlockBytes = 32 * 1024;
inline constexpr size_t kHeaderBytes = 4 + 2 + 1 + 4;
// The payload of one fragment: its length field is 16 bits, and a fragment fills at most a block.
inline constexpr size_t kFragmentPayloadBytesMax = kBlockBytes - kHeaderBytes;
// The largest record a writer accepts and a reader reassembles.
inline constexpr uint64_t kRecordBytesMax = uint64_t{1} << 32;

static_assert(kFragmentPayloadBytesMax <= 0xffff, "fragment length must fit its 16-bit field");
static_assert(kBlockBytes > 2 * kHeaderBytes);

// persisted — never renumber.
enum class RecordType : uint8_t {
  kZero = 0,    // unused space (never written by a writer; zero-filled or preallocated bytes)
  kFull = 1,    // a whole record in one fragment
  kFirst = 2,   // first fragment of a record spanning blocks
  kMiddle = 3,  // neither first nor last
  kLast = 4,    // last fragment of a record spanning blocks
  // Version 2 control fragments (not records):
  kHead = 5,               // at offset 0: the previous log's number and length (LogHead)
  kEarlierLogsSynced = 6,  // empty: every earlier log was complete on disk when this was written
  // Version 3 control fragment:
  kSyncedBytes = 7,  // fixed64: this log's first N bytes were durable when this was written
};
inline constexpr uint8_t kRecordTypeMax = 7;
inline constexpr size_t kSyncedBytesPayloadBytes = 8;

// The head of a version-2 log: which log came before it, and how many bytes the writer had
// written to that log when it left it (wal::Writer::file_bytes()). previous_log_number 0: none
// (the log was started by recovery, when no earlier log remains to be replayed).
struct LogHead {
  uint64_t previous_log_number = 0;
  uint64_t previous_log_bytes = 0;
};
inline constexpr size_t kLogHeadBytes =
    16;  // previous_log_number:fixed64 previous_log_bytes:fixed64
void EncodeLogHead(const LogHead& head, char* dst);  // writes kLogHeadBytes
// False unless payload is exactly kLogHeadBytes.
bool DecodeLogHead(std::string_view payload, LogHead* head);

// Offsets of the header fields.
inline constexpr size_t kCrcOffset = 0;
inline constexpr size_t kLengthOffset = 4;
inline constexpr size_t kTypeOffset = 6;
inline constexpr size_t kLogNumberOffset = 7;

// The low 32 bits of a log number, as stored in fragment headers.
constexpr uint32_t StoredLogNumber(uint64_t log_number) {
  return static_cast<uint32_t>(log_number);
}

// The (unmasked) checksum of a fragment: CRC-32C over type, stored log number, then payload.
uint32_t FragmentCrc(RecordType type, uint32_t stored_log_number, std::string_view payload);

// Writes a complete header for a fragment carrying `payload` into dst[0, kHeaderBytes).
// Precondition: payload.size() <= kFragmentPayloadBytesMax.
void EncodeFragmentHeader(char* dst, RecordType type, uint32_t stored_log_number,
                          std::string_view payload);

struct FragmentHeader {
  uint32_t masked_crc;
  uint16_t length;
  uint8_t type;  // raw: may be any byte value when read from disk
  uint32_t stored_log_number;
};

// Precondition: kHeaderBytes readable bytes at src.
FragmentHeader DecodeFragmentHeader(const char* src);

}  // namespace ziggydb::wal

#endif  // ZIGGYDB_WAL_LOG_FORMAT_H_
