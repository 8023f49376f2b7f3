// wal::Writer appends records to a write-ahead log file (format: wal/log_format.h,
// docs/format/wal.md).
//
// Thread safety: none; the DB serialises writers (one thread at a time).
// Invariants:
//   1. Each AddRecord hands the whole encoded record to the file in one Append, then Flush()es,
//      so after it returns OK the record survives a process crash (not a power loss: Sync()).
//   2. The first failure of Append, Flush, Sync or Close is sticky: every later call returns it
//      and writes nothing. A log whose sync failed may have lost acknowledged data; the DB must
//      refuse writes until it is reopened.
//   3. block_offset_ < kBlockBytes is the writer's position inside the current block; every
//      block's unused last bytes (fewer than a header) are written as zeros.
//   4. A control fragment (head, marker) is one fragment, never split; the head comes first.
//   5. In a log with a head: the head is followed by a synced-bytes marker (declaring 0), and
//      both are synced; the first record after each successful Sync is preceded, in the same
//      Append, by a marker declaring synced_bytes_ (or, if the block's rest cannot hold it, the
//      next record is). A marker never declares more than was durable when it was written. A
//      log without a head (the MANIFEST) has no markers.
#ifndef ZIGGYDB_WAL_LOG_WRITER_H_
#define ZIGGYDB_WAL_LOG_WRITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wal/log_format.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb::wal {

class Writer {
 public:
  // Writes a new log numbered log_number (stored as its low 32 bits) to `file`, which must be
  // empty or hold only bytes a reader treats as the end (zeros, or an older log's fragments).
  // When preallocate_bytes > 0, first asks the file to reserve that much space (a hint: a
  // failure is ignored, a real lack of space surfaces on the appends).
  Writer(std::unique_ptr<WritableFile> file, uint64_t log_number, uint64_t preallocate_bytes);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

  // Writes the log's head (LogHead) and a synced-bytes marker, and syncs them. Precondition:
  // nothing written yet, not closed.
  [[nodiscard]] Status AddHead(const LogHead& head);
  // Appends `payload` as one record and flushes it to the OS. InvalidArgument (not sticky,
  // nothing written) if payload exceeds kRecordBytesMax. Precondition: not closed.
  [[nodiscard]] Status AddRecord(std::string_view payload);
  // Appends the marker saying every earlier log is complete on disk; the caller must have made
  // them durable first. Precondition: not closed.
  [[nodiscard]] Status AddEarlierLogsSyncedMarker();
  // Makes every added record durable. Precondition: not closed.
  [[nodiscard]] Status Sync();
  // Closes the file (without syncing it). Returns the sticky error if there is one.
  // Precondition: not closed.
  [[nodiscard]] Status Close();

  // Bytes written so far, padding included: the offset where the next record starts.
  uint64_t file_bytes() const { return file_bytes_; }
  // True if every byte written so far was synced.
  bool all_synced() const { return synced_bytes_ == file_bytes_; }
  uint64_t log_number() const { return log_number_; }

 private:
  // Appends the fragments of payload (and any block padding before them) to buffer_, starting
  // at block offset *block_offset, which it advances. A payload that fits in one fragment gets
  // type `whole`.
  void EncodeRecord(std::string_view payload, RecordType whole, size_t* block_offset);
  // Appends a synced-bytes marker declaring synced_bytes_ to buffer_. Precondition: it fits in
  // the block's rest.
  void EncodeSyncedBytesMarker(size_t* block_offset);
  // Encodes payload (a record, or a control fragment of type `whole`), appends and flushes it;
  // a record is preceded by a synced-bytes marker when invariant 5 asks for one.
  [[nodiscard]] Status Append(std::string_view payload, RecordType whole);

  std::unique_ptr<WritableFile> file_;
  const uint64_t log_number_;
  size_t block_offset_ = 0;
  uint64_t file_bytes_ = 0;
  uint64_t synced_bytes_ = 0;  // file_bytes_ as of the last successful Sync
  // The synced_bytes_ the last written marker declared; nullopt before the first (invariant 5).
  std::optional<uint64_t> declared_synced_bytes_;
  Status status_;  // the first I/O failure; see invariant 2
  bool closed_ = false;
  std::string buffer_;  // the encoded record; reused across calls to avoid reallocating
};

}  // namespace ziggydb::wal

#endif  // ZIGGYDB_WAL_LOG_WRITER_H_
