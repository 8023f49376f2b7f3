#include "wal/log_reader.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace ziggydb::wal {

namespace {

// Whether every byte is zero: the first is, and each equals its successor. One memcmp (vectorised)
// runs ~7x faster than find_first_not_of over a preallocated log's zero tail (a 64 MiB log: 2.6
// against 18.7 ms).
bool AllZero(std::string_view bytes) {
  return bytes.empty() ||
         (bytes[0] == '\0' && std::memcmp(bytes.data(), bytes.data() + 1, bytes.size() - 1) == 0);
}

}  // namespace

Reader::Reader(std::unique_ptr<SequentialFile> file, uint64_t log_number, Reporter* reporter)
    : file_(std::move(file)),
      stored_log_number_(StoredLogNumber(log_number)),
      reporter_(reporter),
      block_(std::make_unique_for_overwrite<char[]>(kBlockBytes)) {
  ZIGGY_ASSERT(file_ != nullptr);
}

Reader::~Reader() = default;

bool Reader::ReadBlock() {
  ZIGGY_ASSERT(buffer_.empty() && !eof_);
  Status status = file_->Read(kBlockBytes, &buffer_, block_.get());
  if (!status.ok()) {
    io_status_ = std::move(status);
    buffer_ = {};
    eof_ = true;
    return false;
  }
  if (buffer_.size() > kBlockBytes) {
    // A SequentialFile returning more than it was asked for (a user-supplied Env breaking its
    // contract): an error, never a read past the block buffer.
    io_status_ = Status::IOError("WAL read returned " + std::to_string(buffer_.size()) +
                                 " bytes for a read of " + std::to_string(kBlockBytes));
    buffer_ = {};
    eof_ = true;
    return false;
  }
  end_of_buffer_offset_ += buffer_.size();
  // A short read means the file ended; block boundaries stay at multiples of kBlockBytes.
  eof_ = buffer_.size() < kBlockBytes;
  return true;
}

Reader::Fragment Reader::SkipRestOfBlock(FragmentKind kind, const char* reason) {
  Fragment fragment{kind, RecordType::kZero, {}, buffer_offset(), end_of_buffer_offset_, reason};
  buffer_ = {};
  return fragment;
}

Reader::Fragment Reader::ReadFragment() {
  // INVARIANT: buffer_ starts at a fragment boundary, or at a block's trailing padding.
  while (true) {
    if (buffer_.size() >= kHeaderBytes || (eof_ && !buffer_.empty())) {
      return ParseFragment();
    }
    if (eof_) {
      return Fragment{FragmentKind::kEndOfFile, RecordType::kZero,     {},
                      end_of_buffer_offset_,    end_of_buffer_offset_, nullptr};
    }
    if (!buffer_.empty()) {  // a full block's trailer: too short for a header, written as zeros
      if (!AllZero(buffer_)) return SkipRestOfBlock(FragmentKind::kBad, "nonzero block padding");
      buffer_ = {};
    }
    if (!ReadBlock()) {
      return Fragment{FragmentKind::kReadError, RecordType::kZero,     {},
                      end_of_buffer_offset_,    end_of_buffer_offset_, nullptr};
    }
  }
}

Reader::Fragment Reader::ParseFragment() {
  ZIGGY_ASSERT(!buffer_.empty());
  if (buffer_.size() < kHeaderBytes) {  // only at the end of the file
    ZIGGY_ASSERT(eof_);
    if (AllZero(buffer_)) return SkipRestOfBlock(FragmentKind::kEndMarker, "zero-filled tail");
    return SkipRestOfBlock(FragmentKind::kBad, "truncated fragment header");
  }
  if (AllZero(buffer_.substr(0, kHeaderBytes))) {
    // Unused space. Clean only if the rest of the block is unused too.
    if (AllZero(buffer_)) return SkipRestOfBlock(FragmentKind::kEndMarker, "zero-filled space");
    return SkipRestOfBlock(FragmentKind::kBad, "data after a zero header");
  }
  const FragmentHeader header = DecodeFragmentHeader(buffer_.data());
  if (kHeaderBytes + header.length > buffer_.size()) {
    // The length is unchecked yet, so nothing past this header can be trusted in this block.
    return SkipRestOfBlock(FragmentKind::kBad, eof_ && end_of_buffer_offset_ % kBlockBytes != 0
                                                   ? "truncated fragment"
                                                   : "fragment length exceeds its block");
  }
  const std::string_view payload = buffer_.substr(kHeaderBytes, header.length);
  const auto type = static_cast<RecordType>(header.type);
  if (crc32c::Unmask(header.masked_crc) != FragmentCrc(type, header.stored_log_number, payload)) {
    return SkipRestOfBlock(FragmentKind::kBad, "fragment checksum mismatch");
  }
  if (header.type == 0 || header.type > kRecordTypeMax) {
    // An intact fragment of a type this version does not know: written by a newer format.
    return SkipRestOfBlock(FragmentKind::kBad, "unknown fragment type (newer format version?)");
  }
  const uint64_t offset = buffer_offset();
  buffer_.remove_prefix(kHeaderBytes + header.length);
  const uint64_t end = offset + kHeaderBytes + header.length;
  if (header.stored_log_number != stored_log_number_) {
    return Fragment{FragmentKind::kEndMarker, type, {}, offset, end, "fragment of another log"};
  }
  return Fragment{FragmentKind::kIntact, type, payload, offset, end, nullptr};
}

void Reader::NoteDamage(uint64_t begin, uint64_t end, const char* reason, bool clean) {
  ZIGGY_ASSERT(begin <= end);
  if (!pending_) {
    pending_ = true;
    pending_clean_ = clean;
    pending_begin_ = begin;
    pending_end_ = end;
    pending_reason_ = reason;
    return;
  }
  ZIGGY_ASSERT(pending_begin_ <= begin);
  pending_end_ = std::max(pending_end_, end);
  if (pending_clean_ && !clean) pending_reason_ = reason;  // name the first real damage
  pending_clean_ = pending_clean_ && clean;
}

void Reader::ReportPendingDamage(bool at_tail) {
  if (!pending_) return;
  pending_ = false;
  // A clean end followed by nothing is just the end of the log.
  if (at_tail && pending_clean_) return;
  if (reporter_ != nullptr) {
    reporter_->Corruption(pending_begin_, pending_end_ - pending_begin_, pending_reason_, at_tail);
  }
}

bool Reader::AcceptControlFragment(const Fragment& fragment) {
  if (fragment.type == RecordType::kHead) {
    LogHead head;
    if (fragment.offset != 0 || !DecodeLogHead(fragment.payload, &head)) return false;
    head_ = head;
    return true;
  }
  if (fragment.type == RecordType::kSyncedBytes) {
    if (fragment.payload.size() != kSyncedBytesPayloadBytes) return false;
    const uint64_t declared = DecodeFixed64(fragment.payload.data());
    // A writer declares only bytes it had written before the marker.
    if (declared > fragment.offset) return false;
    // The marker right after a head was synced with it before anything else was written.
    const bool follows_head = head_.has_value() && fragment.offset == kHeaderBytes + kLogHeadBytes;
    declared_synced_bytes_ =
        std::max({declared_synced_bytes_.value_or(0), declared, follows_head ? fragment.end : 0});
    return true;
  }
  ZIGGY_ASSERT(fragment.type == RecordType::kEarlierLogsSynced);
  if (!fragment.payload.empty()) return false;
  earlier_logs_synced_ = true;
  return true;
}

bool Reader::ReadRecord(std::string* record) {
  record->clear();
  if (!io_status_.ok()) return false;
  bool in_record = false;  // *record holds the fragments of a record begun at record_offset
  uint64_t record_offset = 0;
  const auto abandon_record = [&](uint64_t end, const char* reason) {
    if (!in_record) return;
    NoteDamage(record_offset, end, reason, /*clean=*/false);
    in_record = false;
    record->clear();
  };
  while (true) {
    const Fragment fragment = ReadFragment();
    switch (fragment.kind) {
      case FragmentKind::kReadError:
        pending_ = false;  // whether anything intact follows the pending damage is unknown
        record->clear();
        return false;
      case FragmentKind::kEndOfFile:
        abandon_record(fragment.offset, "record cut short by the end of the file");
        ReportPendingDamage(/*at_tail=*/true);
        return false;
      case FragmentKind::kEndMarker:
      case FragmentKind::kBad:
        abandon_record(fragment.offset, "record missing its last fragment");
        NoteDamage(fragment.offset, fragment.end, fragment.reason,
                   fragment.kind == FragmentKind::kEndMarker);
        break;
      case FragmentKind::kIntact:
        if (fragment.type == RecordType::kHead || fragment.type == RecordType::kEarlierLogsSynced ||
            fragment.type == RecordType::kSyncedBytes) {
          abandon_record(fragment.offset, "record missing its last fragment");
          if (!AcceptControlFragment(fragment)) {
            NoteDamage(fragment.offset, fragment.end, "misplaced or malformed control fragment",
                       /*clean=*/false);
            break;
          }
          ReportPendingDamage(/*at_tail=*/false);
          intact_end_offset_ = fragment.end;
          break;
        }
        if (fragment.type == RecordType::kFull || fragment.type == RecordType::kFirst) {
          abandon_record(fragment.offset, "record missing its last fragment");
          in_record = true;
          record_offset = fragment.offset;
          record->assign(fragment.payload);
        } else if (!in_record) {
          NoteDamage(fragment.offset, fragment.end, "fragment of a record whose start was lost",
                     /*clean=*/false);
          break;
        } else if (record->size() + fragment.payload.size() > kRecordBytesMax) {
          abandon_record(fragment.end, "record exceeds the size limit");
          break;
        } else {
          record->append(fragment.payload);
        }
        if (fragment.type == RecordType::kFull || fragment.type == RecordType::kLast) {
          ReportPendingDamage(/*at_tail=*/false);
          last_record_offset_ = record_offset;
          intact_end_offset_ = fragment.end;
          return true;
        }
        break;
    }
  }
}

}  // namespace ziggydb::wal
