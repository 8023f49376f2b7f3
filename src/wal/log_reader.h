// wal::Reader reads the records of a write-ahead log written by wal::Writer, reporting damage.
//
// Thread safety: none; one thread at a time.
//
// What a reader returns and reports (docs/format/wal.md, "Reading"):
//   1. ReadRecord returns, in order, every record whose fragments are all intact, carry this
//      log's number and are consecutive. Nothing else is ever returned.
//   2. The log ends cleanly where the data stops at a record boundary: end of file, a zero header
//      followed only by zeros up to the block's end (preallocated or zero-filled space), or a
//      fragment of another log (a recycled file). A clean end is not reported.
//   3. Everything else that is not returned is damage, reported once as a byte range merged with
//      any damage next to it. Damage followed later by an intact record is reported with
//      at_tail=false during the ReadRecord call that returns that record, before it returns, so a
//      caller recovering to a point in time can stop there. Damage that nothing intact follows (a
//      torn write at the end) is reported with at_tail=true just before ReadRecord returns false.
//   4. After damage the reader resumes at the next block boundary and skips fragments of a record
//      whose beginning was lost.
//   5. Whatever the bytes, it reads no memory out of bounds and holds at most one block plus the
//      record being assembled (at most kRecordBytesMax).
//   6. Control fragments (a head at offset 0, the earlier-logs-synced and synced-bytes markers)
//      are not records: they are exposed through head(), earlier_logs_synced() and
//      declared_synced_bytes(), and count as intact data for rule 3. A head anywhere else, or a
//      malformed one (a synced-bytes marker declaring more than precedes it), is damage.
#ifndef ZIGGYDB_WAL_LOG_READER_H_
#define ZIGGYDB_WAL_LOG_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wal/log_format.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb::wal {

class Reader {
 public:
  struct Reporter {
    virtual ~Reporter() = default;
    // damage found at [offset, offset+bytes). at_tail: no intact record follows it in this file
    // (torn or zero-filled end); otherwise it is mid-log damage.
    virtual void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason,
                            bool at_tail) = 0;
  };

  // Reads the log numbered log_number (compared by its low 32 bits) from the start of `file`.
  // reporter may be null; otherwise it must outlive the reader.
  Reader(std::unique_ptr<SequentialFile> file, uint64_t log_number, Reporter* reporter);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Sets *record to the next intact record and returns true, or returns false at the end of the
  // log or on a read error (see io_status()); keeps returning false afterwards.
  bool ReadRecord(std::string* record);

  // File offset of the first fragment of the record last returned.
  uint64_t last_record_offset() const { return last_record_offset_; }
  // File offset just past the last intact record or control fragment read so far: where the
  // writer's data ended, if the log is whole (compare LogHead::previous_log_bytes).
  uint64_t intact_end_offset() const { return intact_end_offset_; }
  // The log's head, once read (the first ReadRecord call reads it); nullopt for a version-1 log
  // or one whose head was lost.
  const std::optional<LogHead>& head() const { return head_; }
  // True once an earlier-logs-synced marker was read.
  bool earlier_logs_synced() const { return earlier_logs_synced_; }
  // The largest byte count a synced-bytes marker read so far declared durable; nullopt if none
  // was read (a version-1 or -2 log, or one whose markers were all lost).
  const std::optional<uint64_t>& declared_synced_bytes() const { return declared_synced_bytes_; }
  // The error that stopped reading, or OK. Damage already found but not yet reported when the
  // error struck is not reported: whether anything intact follows it is unknown.
  Status io_status() const { return io_status_; }

 private:
  enum class FragmentKind : uint8_t {
    kIntact,     // checksum good, this log's number, a known type
    kEndMarker,  // zeros or another log's fragment: where a clean log stops
    kBad,        // anything else
    kEndOfFile,
    kReadError,
  };
  struct Fragment {
    FragmentKind kind;
    RecordType type;           // kIntact only
    std::string_view payload;  // kIntact only; valid until the next ReadFragment
    uint64_t offset;           // [offset, end) is the fragment's extent in the file
    uint64_t end;
    const char* reason;  // kEndMarker and kBad only
  };

  // Parses the next fragment from the current block, reading blocks as needed.
  Fragment ReadFragment();
  // Classifies the buffered bytes at the current position (at least one) as a fragment.
  Fragment ParseFragment();
  // Consumes the rest of the buffered block and returns it as a fragment of this kind.
  Fragment SkipRestOfBlock(FragmentKind kind, const char* reason);
  // Reads the next block into buffer_. False on a read error (recorded in io_status_).
  bool ReadBlock();
  // Adds [begin, end) to the pending damage. clean: it is only a clean-end marker (zeros or
  // another log's fragment), reported only if an intact record follows.
  void NoteDamage(uint64_t begin, uint64_t end, const char* reason, bool clean);
  void ReportPendingDamage(bool at_tail);
  // Takes in an intact control fragment; false if it is misplaced or malformed.
  bool AcceptControlFragment(const Fragment& fragment);
  uint64_t buffer_offset() const { return end_of_buffer_offset_ - buffer_.size(); }

  const std::unique_ptr<SequentialFile> file_;
  const uint32_t stored_log_number_;
  Reporter* const reporter_;
  const std::unique_ptr<char[]> block_;
  std::string_view buffer_;            // unread bytes of the current block, inside block_
  uint64_t end_of_buffer_offset_ = 0;  // file offset just past buffer_
  bool eof_ = false;                   // the current block is the file's last
  Status io_status_;
  uint64_t last_record_offset_ = 0;
  uint64_t intact_end_offset_ = 0;
  std::optional<LogHead> head_;
  bool earlier_logs_synced_ = false;
  std::optional<uint64_t> declared_synced_bytes_;

  // Damage found but not reported yet: [pending_begin_, pending_end_), first reason.
  bool pending_ = false;
  bool pending_clean_ = false;  // every piece so far is a clean-end marker
  uint64_t pending_begin_ = 0;
  uint64_t pending_end_ = 0;
  const char* pending_reason_ = nullptr;
};

}  // namespace ziggydb::wal

#endif  // ZIGGYDB_WAL_LOG_READER_H_
