// The dump stream (`ziggy dump`, `ziggy restore-dump`): a whole DB, or a key range of it, as a
// portable, checksummed byte stream. Format, version 1: docs/format/dump.md.
//
// DumpWriter turns ascending (key, value) pairs into the stream through a sink; DumpReader parses
// a stream from a DumpSource, handing out one verified chunk of records at a time. Whatever the
// bytes, the reader returns Corruption (naming the offset) or NotSupported (a newer version),
// never reads out of bounds, and never allocates more than one chunk's declared size, which is
// bounded (kMaxDumpChunkBytes) and read in pieces, so a lying length costs at most what the
// source really holds, plus the chunk's record list, bounded by the writer's limits that the
// reader enforces (at most kDumpChunkTargetBytes / 2 records, ~16 MiB of views).
//
// Thread safety: none; one writer or reader per stream.
#ifndef ZIGGYDB_DB_DUMP_FORMAT_H_
#define ZIGGYDB_DB_DUMP_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

inline constexpr char kDumpMagic[] = "ZIGGYDMP";  // 8 bytes, no NUL in the stream
inline constexpr uint32_t kDumpVersion = 1;
inline constexpr size_t kDumpHeaderBytes = 16;    // magic, version, masked CRC
inline constexpr size_t kDumpChunkHeadBytes = 8;  // record count, payload bytes
// The writer's chunk size, and a reader rule: every record of a chunk starts within its first
// kDumpChunkTargetBytes (the writer closes a chunk once its payload reaches this), so a chunk holds
// at most kDumpChunkTargetBytes / 2 records.
inline constexpr size_t kDumpChunkTargetBytes = size_t{1} << 20;
// The largest payload a chunk may declare: one record of the largest key and value, or a target
// chunk plus the record that crossed the target.
inline constexpr size_t kMaxDumpChunkBytes =
    kDumpChunkTargetBytes + kMaxKeyBytes + kMaxValueBytes + 10;

class DumpWriter {
 public:
  // Receives the stream's bytes in order; an error stops the writer.
  using Sink = std::function<Status(std::string_view bytes)>;
  // chunk_target_bytes: a chunk is closed once its payload reaches this; clamped to
  // [1, kDumpChunkTargetBytes] (smaller is for tests), so that readers accept every chunk.
  explicit DumpWriter(Sink sink, size_t chunk_target_bytes = kDumpChunkTargetBytes);

  // Writes the header. Once, first.
  [[nodiscard]] Status Begin();
  // Appends a record. Keys must be strictly ascending (bytewise) and within kMaxKeyBytes, values
  // within kMaxValueBytes: InvalidArgument otherwise.
  [[nodiscard]] Status Add(std::string_view key, std::string_view value);
  // Writes the last chunk and the trailer. Once, last.
  [[nodiscard]] Status Finish();

  uint64_t records() const { return records_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  [[nodiscard]] Status Emit(std::string_view bytes);
  [[nodiscard]] Status FlushChunk();

  Sink sink_;
  const size_t chunk_target_bytes_;
  std::string payload_;  // records of the chunk being built
  uint32_t chunk_records_ = 0;
  std::string last_key_;
  bool has_last_key_ = false;
  uint64_t records_ = 0;
  uint64_t chunks_ = 0;
  uint32_t chunk_crcs_ = 0;  // CRC-32C over the chunks' stored (masked) CRCs, in order
  uint64_t bytes_written_ = 0;
};

class DumpSource {
 public:
  virtual ~DumpSource() = default;
  // Appends up to n bytes to *out: fewer only at the end of the input.
  [[nodiscard]] virtual Status Read(size_t n, std::string* out) = 0;
};

// A DumpSource over bytes in memory (tests, the fuzzer).
class StringDumpSource final : public DumpSource {
 public:
  explicit StringDumpSource(std::string_view bytes) : bytes_(bytes) {}
  Status Read(size_t n, std::string* out) override;

 private:
  std::string_view bytes_;
};

class DumpReader {
 public:
  using Record = std::pair<std::string_view, std::string_view>;

  explicit DumpReader(DumpSource* source) : source_(source) {}

  // Reads and checks the header. Once, first.
  [[nodiscard]] Status ReadHeader();
  // The next chunk's records, verified (checksum, encoding, ascending keys), into *records (views
  // valid until the next call); at the trailer, after checking it and that the input ends there,
  // *records is left empty and *end set. After an error the reader is unusable.
  [[nodiscard]] Status NextChunk(std::vector<Record>* records, bool* end);

  uint64_t records() const { return records_; }
  uint64_t bytes_read() const { return offset_; }

 private:
  // Exactly n bytes into *out (replacing it), read in pieces of at most a target chunk; a short
  // input is Corruption naming `what`.
  [[nodiscard]] Status ReadExactly(size_t n, std::string_view what, std::string* out);
  [[nodiscard]] Status Bad(std::string_view what, uint64_t at) const;
  [[nodiscard]] Status ParseRecords(uint32_t count, uint64_t payload_offset,
                                    std::vector<Record>* records);
  [[nodiscard]] Status CheckTrailer(uint64_t chunk_offset);

  DumpSource* const source_;
  std::string head_;
  std::string payload_;
  std::string last_key_;
  bool has_last_key_ = false;
  uint64_t offset_ = 0;  // bytes consumed
  uint64_t records_ = 0;
  uint64_t chunks_ = 0;
  uint32_t chunk_crcs_ = 0;
  bool failed_ = false;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DUMP_FORMAT_H_
