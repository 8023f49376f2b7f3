// The dump stream codec (dump_format.h). Layout: docs/format/dump.md.
#include "db/dump_format.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

constexpr size_t kMagicBytes = 8;
constexpr size_t kTrailerPayloadBytes = 20;  // records, chunks, CRC of the chunk CRCs
// The records ParseRecords reserves room for at most: a writer's chunk of 16-byte records. A
// chunk's count is only a claim until its records decode (up to kDumpChunkTargetBytes / 2, which
// would reserve 16 MiB of views); past this the vector grows with the records that do decode.
constexpr size_t kReservedRecordsMax = kDumpChunkTargetBytes / 16;

uint32_t ChunkCrc(std::string_view head, std::string_view payload) {
  return crc32c::Mask(
      crc32c::Extend(crc32c::Value(head.data(), head.size()), payload.data(), payload.size()));
}

std::string ChunkHead(uint32_t records, size_t payload_bytes) {
  std::string head;
  PutFixed32(&head, records);
  PutFixed32(&head, static_cast<uint32_t>(payload_bytes));
  return head;
}

uint32_t ExtendChunkCrcs(uint32_t crcs, uint32_t stored_crc) {
  char buf[4];
  EncodeFixed32(buf, stored_crc);
  return crc32c::Extend(crcs, buf, sizeof(buf));
}

}  // namespace

DumpWriter::DumpWriter(Sink sink, size_t chunk_target_bytes)
    : sink_(std::move(sink)),
      chunk_target_bytes_(std::clamp<size_t>(chunk_target_bytes, 1, kDumpChunkTargetBytes)) {}

Status DumpWriter::Emit(std::string_view bytes) {
  bytes_written_ += bytes.size();
  return sink_(bytes);
}

Status DumpWriter::Begin() {
  std::string header(kDumpMagic, kMagicBytes);
  PutFixed32(&header, kDumpVersion);
  PutFixed32(&header, crc32c::Mask(crc32c::Value(header.data(), header.size())));
  return Emit(header);
}

Status DumpWriter::Add(std::string_view key, std::string_view value) {
  if (key.size() > kMaxKeyBytes || value.size() > kMaxValueBytes) {
    return Status::InvalidArgument("dump: a key or value over the size limit");
  }
  if (has_last_key_ && key <= std::string_view(last_key_)) {
    return Status::InvalidArgument("dump: keys must be strictly ascending");
  }
  last_key_.assign(key);
  has_last_key_ = true;
  PutLengthPrefixed(&payload_, key);
  PutLengthPrefixed(&payload_, value);
  ++chunk_records_;
  ++records_;
  if (payload_.size() >= chunk_target_bytes_) return FlushChunk();
  return Status::OK();
}

Status DumpWriter::FlushChunk() {
  if (chunk_records_ == 0) return Status::OK();
  const std::string head = ChunkHead(chunk_records_, payload_.size());
  const uint32_t crc = ChunkCrc(head, payload_);
  std::string tail;
  PutFixed32(&tail, crc);
  chunk_crcs_ = ExtendChunkCrcs(chunk_crcs_, crc);
  ++chunks_;
  Status s = Emit(head);
  if (s.ok()) s = Emit(payload_);
  if (s.ok()) s = Emit(tail);
  payload_.clear();
  chunk_records_ = 0;
  return s;
}

Status DumpWriter::Finish() {
  if (Status s = FlushChunk(); !s.ok()) return s;
  std::string payload;
  PutFixed64(&payload, records_);
  PutFixed64(&payload, chunks_);
  PutFixed32(&payload, crc32c::Mask(chunk_crcs_));
  const std::string head = ChunkHead(0, payload.size());
  std::string trailer = head + payload;
  PutFixed32(&trailer, ChunkCrc(head, payload));
  return Emit(trailer);
}

Status StringDumpSource::Read(size_t n, std::string* out) {
  const size_t take = std::min(n, bytes_.size());
  out->append(bytes_.data(), take);
  bytes_.remove_prefix(take);
  return Status::OK();
}

Status DumpReader::Bad(std::string_view what, uint64_t at) const {
  return Status::Corruption("dump: " + std::string(what), "at offset " + std::to_string(at));
}

Status DumpReader::ReadExactly(size_t n, std::string_view what, std::string* out) {
  out->clear();
  while (out->size() < n) {
    const size_t before = out->size();
    const size_t want = std::min(n - before, kDumpChunkTargetBytes);
    if (Status s = source_->Read(want, out); !s.ok()) return s;
    if (out->size() - before < want) {
      offset_ += out->size();
      return Bad("the stream ends inside " + std::string(what) + " (truncated?)", offset_);
    }
  }
  offset_ += n;
  return Status::OK();
}

Status DumpReader::ReadHeader() {
  if (Status s = ReadExactly(kDumpHeaderBytes, "the header", &head_); !s.ok()) {
    failed_ = true;
    return s;
  }
  failed_ = true;
  if (std::memcmp(head_.data(), kDumpMagic, kMagicBytes) != 0) {
    return Bad("not a ZiggyDB dump (no magic)", 0);
  }
  if (crc32c::Unmask(DecodeFixed32(head_.data() + 12)) != crc32c::Value(head_.data(), 12)) {
    return Bad("header checksum mismatch", 0);
  }
  const uint32_t version = DecodeFixed32(head_.data() + kMagicBytes);
  if (version != kDumpVersion) {
    return Status::NotSupported("dump: format version " + std::to_string(version) +
                                " (this build reads version " + std::to_string(kDumpVersion) + ")");
  }
  failed_ = false;
  return Status::OK();
}

Status DumpReader::NextChunk(std::vector<Record>* records, bool* end) {
  records->clear();
  *end = false;
  if (failed_) return Status::InvalidArgument("dump: the reader failed earlier");
  failed_ = true;  // until this chunk is through
  const uint64_t chunk_offset = offset_;
  if (Status s = ReadExactly(kDumpChunkHeadBytes, "a chunk head (no trailer)", &head_); !s.ok()) {
    return s;
  }
  const uint32_t count = DecodeFixed32(head_.data());
  const uint32_t payload_bytes = DecodeFixed32(head_.data() + 4);
  if (payload_bytes > kMaxDumpChunkBytes) {
    return Bad("a chunk declares " + std::to_string(payload_bytes) + " bytes, over the limit",
               chunk_offset);
  }
  if (count == 0 && payload_bytes != kTrailerPayloadBytes) {
    return Bad("a trailer of the wrong size", chunk_offset);
  }
  // A record takes at least 2 bytes (two empty length prefixes), and the writer starts every
  // record within a chunk's first kDumpChunkTargetBytes (ParseRecords checks that), so a chunk
  // holds at most min(length, 1 MiB) / 2 records: refused before its payload is read.
  if (count > std::min<size_t>(payload_bytes, kDumpChunkTargetBytes) / 2) {
    return Bad("a chunk declares " + std::to_string(count) + " records, more than its " +
                   std::to_string(payload_bytes) + " bytes can hold",
               chunk_offset);
  }
  const uint64_t payload_offset = offset_;
  if (Status s = ReadExactly(payload_bytes, "a chunk", &payload_); !s.ok()) return s;
  std::string crc_bytes;
  if (Status s = ReadExactly(4, "a chunk checksum", &crc_bytes); !s.ok()) return s;
  const uint32_t stored_crc = DecodeFixed32(crc_bytes.data());
  if (stored_crc != ChunkCrc(head_, payload_)) return Bad("chunk checksum mismatch", chunk_offset);
  if (count == 0) {
    ZIGGY_RETURN_IF_ERROR(CheckTrailer(chunk_offset));
    *end = true;  // failed_ stays set: nothing may follow the trailer
    return Status::OK();
  }
  chunk_crcs_ = ExtendChunkCrcs(chunk_crcs_, stored_crc);
  ++chunks_;
  if (Status s = ParseRecords(count, payload_offset, records); !s.ok()) {
    records->clear();
    return s;
  }
  failed_ = false;
  return Status::OK();
}

Status DumpReader::ParseRecords(uint32_t count, uint64_t payload_offset,
                                std::vector<Record>* records) {
  std::string_view input(payload_);
  records->reserve(std::min<size_t>(count, kReservedRecordsMax));
  for (uint32_t i = 0; i < count; ++i) {
    const size_t start = payload_.size() - input.size();
    const uint64_t at = payload_offset + start;
    // The writer closes a chunk once its payload reaches kDumpChunkTargetBytes: no record of its
    // starts past that. This bounds a chunk's records (and *records) whatever its length.
    if (start >= kDumpChunkTargetBytes) {
      return Bad("a chunk goes on past the writer's limit (a record starts " +
                     std::to_string(start) + " bytes into it, at most " +
                     std::to_string(kDumpChunkTargetBytes - 1) + " allowed)",
                 at);
    }
    std::string_view key, value;
    if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
      return Bad("a record runs past its chunk", at);
    }
    if (key.size() > kMaxKeyBytes || value.size() > kMaxValueBytes) {
      return Bad("a key or value over the size limit", at);
    }
    if (has_last_key_ && key <= std::string_view(last_key_)) {
      return Bad("keys out of order", at);
    }
    last_key_.assign(key);
    has_last_key_ = true;
    records->emplace_back(key, value);
  }
  if (!input.empty()) return Bad("bytes after a chunk's last record", payload_offset);
  records_ += count;
  return Status::OK();
}

Status DumpReader::CheckTrailer(uint64_t chunk_offset) {
  const uint64_t records = DecodeFixed64(payload_.data());
  const uint64_t chunks = DecodeFixed64(payload_.data() + 8);
  const uint32_t crcs = crc32c::Unmask(DecodeFixed32(payload_.data() + 16));
  if (records != records_ || chunks != chunks_) {
    return Bad("the trailer counts " + std::to_string(records) + " records in " +
                   std::to_string(chunks) + " chunks, the stream held " + std::to_string(records_) +
                   " in " + std::to_string(chunks_),
               chunk_offset);
  }
  if (crcs != chunk_crcs_) return Bad("the trailer's checksum of the chunks differs", chunk_offset);
  std::string extra;
  if (Status s = source_->Read(1, &extra); !s.ok()) return s;
  if (!extra.empty()) return Bad("bytes after the trailer", offset_);
  return Status::OK();
}

}  // namespace ziggydb
