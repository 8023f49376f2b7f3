#include "wal/log_writer.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace ziggydb::wal {

namespace {

// A reused encode buffer above this size is released after the record, so one huge record
// does not pin its memory for the life of the log.
constexpr size_t kRetainedBufferBytesMax = 1 << 20;

// Debug tier: decodes what EncodeRecord produced and checks it reassembles to payload.
bool EncodedRecordMatches(std::string_view encoded, size_t block_offset, uint32_t stored_log_number,
                          std::string_view payload) {
  std::string reassembled;
  while (!encoded.empty()) {
    const size_t left_in_block = kBlockBytes - block_offset;
    if (left_in_block < kHeaderBytes) {
      if (encoded.size() < left_in_block ||
          encoded.substr(0, left_in_block).find_first_not_of('\0') != std::string_view::npos) {
        return false;
      }
      encoded.remove_prefix(left_in_block);
      block_offset = 0;
      continue;
    }
    const FragmentHeader header = DecodeFragmentHeader(encoded.data());
    if (encoded.size() < kHeaderBytes + header.length) return false;
    const std::string_view fragment = encoded.substr(kHeaderBytes, header.length);
    const auto type = static_cast<RecordType>(header.type);
    if (crc32c::Unmask(header.masked_crc) != FragmentCrc(type, stored_log_number, fragment))
      return false;
    reassembled.append(fragment);
    encoded.remove_prefix(kHeaderBytes + header.length);
    block_offset = (block_offset + kHeaderBytes + header.length) % kBlockBytes;
  }
  return reassembled == payload;
}

}  // namespace

Writer::Writer(std::unique_ptr<WritableFile> file, uint64_t log_number, uint64_t preallocate_bytes)
    : file_(std::move(file)), log_number_(log_number) {
  ZIGGY_ASSERT(file_ != nullptr);
  if (preallocate_bytes > 0) {
    // A hint only (see the header): an error here would resurface on the first Append anyway.
    file_->Preallocate(preallocate_bytes).PermitUncheckedError();
  }
}

Writer::~Writer() = default;

void Writer::EncodeRecord(std::string_view payload, RecordType whole, size_t* block_offset) {
  const uint32_t stored_log_number = StoredLogNumber(log_number_);
  bool first = true;
  // INVARIANT: *block_offset < kBlockBytes. An empty payload still emits one (kFull) fragment.
  do {
    const size_t left_in_block = kBlockBytes - *block_offset;
    if (left_in_block < kHeaderBytes) {
      buffer_.append(left_in_block, '\0');
      *block_offset = 0;
      continue;
    }
    const size_t fragment_bytes = std::min(payload.size(), left_in_block - kHeaderBytes);
    const bool last = fragment_bytes == payload.size();
    RecordType type = RecordType::kMiddle;
    if (first && last) {
      type = whole;
    } else if (first) {
      type = RecordType::kFirst;
    } else if (last) {
      type = RecordType::kLast;
    }
    const std::string_view fragment = payload.substr(0, fragment_bytes);
    char header[kHeaderBytes];
    EncodeFragmentHeader(header, type, stored_log_number, fragment);
    buffer_.append(header, kHeaderBytes);
    buffer_.append(fragment);
    payload.remove_prefix(fragment_bytes);
    *block_offset = (*block_offset + kHeaderBytes + fragment_bytes) % kBlockBytes;
    first = false;
    if (last) break;
  } while (true);
}

void Writer::EncodeSyncedBytesMarker(size_t* block_offset) {
  char marker[kSyncedBytesPayloadBytes];
  EncodeFixed64(marker, synced_bytes_);
  EncodeRecord({marker, sizeof(marker)}, RecordType::kSyncedBytes, block_offset);
}

Status Writer::AddHead(const LogHead& head) {
  ZIGGY_ASSERT(file_bytes_ == 0);
  char payload[kLogHeadBytes];
  EncodeLogHead(head, payload);
  ZIGGY_RETURN_IF_ERROR(Append({payload, sizeof(payload)}, RecordType::kHead));
  // Durable at once, so the log's first page, whatever a crash does to the later unsynced
  // ones, still shows the head and a synced-bytes marker (docs/format/wal.md, "Control
  // fragments").
  ZIGGY_RETURN_IF_ERROR(Sync());
  // Readers count the head and its marker as synced: no record needs to say so again.
  declared_synced_bytes_ = synced_bytes_;
  return Status::OK();
}

Status Writer::AddRecord(std::string_view payload) {
  ZIGGY_ASSERT(!closed_);
  if (!status_.ok()) return status_;
  if (payload.size() > kRecordBytesMax) return Status::InvalidArgument("log record too large");
  return Append(payload, RecordType::kFull);
}

Status Writer::AddEarlierLogsSyncedMarker() {
  return Append({}, RecordType::kEarlierLogsSynced);
}

Status Writer::Append(std::string_view payload, RecordType whole) {
  ZIGGY_ASSERT(!closed_);
  if (!status_.ok()) return status_;
  buffer_.clear();
  size_t block_offset = block_offset_;
  // INVARIANT 5: the marker rides in the record's Append, costing no extra write. It is never
  // split: when the block's rest cannot hold it, the next record carries it. Only a log with a
  // head has markers (declared_synced_bytes_ is set): a headless one (the MANIFEST) keeps the
  // version-1 layout.
  const bool declare_synced = whole == RecordType::kFull && declared_synced_bytes_.has_value() &&
                              synced_bytes_ > *declared_synced_bytes_ &&
                              kBlockBytes - block_offset >= kHeaderBytes + kSyncedBytesPayloadBytes;
  if (declare_synced) EncodeSyncedBytesMarker(&block_offset);
  const size_t marker_bytes = buffer_.size();
  const size_t record_block_offset = block_offset;
  EncodeRecord(payload, whole, &block_offset);
  // The head's marker (declaring 0) follows it, so a log's first bytes say it is version 3.
  if (whole == RecordType::kHead) EncodeSyncedBytesMarker(&block_offset);
  // INVARIANT 4: a control fragment is small enough never to be split.
  ZIGGY_ASSERT(whole == RecordType::kFull || buffer_.size() <= kBlockBytes);
  ZIGGY_ASSERT(marker_bytes <= kBlockBytes);
  ZIGGY_DASSERT(whole == RecordType::kHead ||
                EncodedRecordMatches(std::string_view(buffer_).substr(marker_bytes),
                                     record_block_offset, StoredLogNumber(log_number_), payload));
  ZIGGY_ASSERT((block_offset_ + buffer_.size()) % kBlockBytes == block_offset);

  status_ = file_->Append(buffer_);
  if (status_.ok()) status_ = file_->Flush();
  if (status_.ok()) {
    block_offset_ = block_offset;
    file_bytes_ += buffer_.size();
    if (declare_synced || whole == RecordType::kHead) declared_synced_bytes_ = synced_bytes_;
  }
  if (buffer_.capacity() > kRetainedBufferBytesMax) {
    std::string().swap(buffer_);
  }
  return status_;
}

Status Writer::Sync() {
  ZIGGY_ASSERT(!closed_);
  if (!status_.ok()) return status_;
  status_ = file_->Sync();
  if (status_.ok()) synced_bytes_ = file_bytes_;
  return status_;
}

Status Writer::Close() {
  ZIGGY_ASSERT(!closed_);
  closed_ = true;
  Status close_status = file_->Close();
  if (!status_.ok()) return status_;
  status_ = std::move(close_status);
  return status_;
}

}  // namespace ziggydb::wal
