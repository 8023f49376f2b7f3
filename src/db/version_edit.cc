// Field grammar (docs/format/manifest.md):
//   edit  := field*
//   field := tag:varint32 payload
// Tags are persisted — never renumber.
#include "db/version_edit.h"

#include <cinttypes>
#include <cstdio>

#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

enum class Tag : uint32_t {
  kFormatVersion = 1,        // varint32
  kComparator = 2,           // length-prefixed name
  kLogNumber = 3,            // varint64
  kNextFileNumber = 4,       // varint64
  kLastSequence = 5,         // varint64
  kRemovedFile = 6,          // level:varint32 number:varint64
  kAddedFile = 7,            // level:varint32 number:varint64 bytes:varint64 smallest:lp largest:lp
                             // smallest_sequence:varint64 largest_sequence:varint64
  kCompactPointer = 8,       // level:varint32 key:lp (an internal key); format version >= 2
  kAddedFileWithCounts = 9,  // kAddedFile's payload, then num_entries:varint64 (> 0)
                             // reclaimable_entries:varint64 (<= num_entries); version >= 3
};

void PutTag(std::string* dst, Tag tag) {
  PutVarint32(dst, static_cast<uint32_t>(tag));
}

bool GetLevel(std::string_view* input, int* level) {
  uint32_t value = 0;
  if (!GetVarint32(input, &value) || value >= static_cast<uint32_t>(kNumLevels)) return false;
  *level = static_cast<int>(value);
  return true;
}

bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view bytes;
  ParsedInternalKey parsed;
  if (!GetLengthPrefixed(input, &bytes) || !ParseInternalKey(bytes, &parsed)) return false;
  key->assign(bytes.data(), bytes.size());
  return true;
}

bool GetSequence(std::string_view* input, SequenceNumber* sequence) {
  uint64_t value = 0;
  if (!GetVarint64(input, &value) || value > kMaxSequenceNumber) return false;
  *sequence = SequenceNumber{value};
  return true;
}

bool GetFileNumber(std::string_view* input, FileNumber* number) {
  uint64_t value = 0;
  if (!GetVarint64(input, &value) || value > kMaxFileNumber) return false;
  *number = FileNumber{value};
  return true;
}

bool GetAddedFile(std::string_view* input, int* level, FileMetaData* file) {
  return GetLevel(input, level) && GetFileNumber(input, &file->number) &&
         GetVarint64(input, &file->file_bytes) && GetInternalKey(input, &file->smallest) &&
         GetInternalKey(input, &file->largest) && GetSequence(input, &file->smallest_sequence) &&
         GetSequence(input, &file->largest_sequence) &&
         raw(file->smallest_sequence) <= raw(file->largest_sequence);
}

bool GetEntryCounts(std::string_view* input, FileMetaData* file) {
  return GetVarint64(input, &file->num_entries) && GetVarint64(input, &file->reclaimable_entries) &&
         file->num_entries > 0 && file->reclaimable_entries <= file->num_entries;
}

}  // namespace

void VersionEdit::AddFile(int level, FileMetaData file) {
  ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  ZIGGY_ASSERT(raw(file.smallest_sequence) <= raw(file.largest_sequence));
  ZIGGY_ASSERT(file.reclaimable_entries <= file.num_entries);
  added_files_.emplace_back(level, std::move(file));
}

void VersionEdit::RemoveFile(int level, FileNumber number) {
  ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  removed_files_.emplace(level, number);
}

void VersionEdit::SetCompactPointer(int level, std::string_view internal_key) {
  ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  ParsedInternalKey parsed;
  ZIGGY_ASSERT(ParseInternalKey(internal_key, &parsed));
  compact_pointers_[level] = std::string(internal_key);
}

void VersionEdit::EncodeTo(std::string* dst) const {
  if (format_version_) {
    PutTag(dst, Tag::kFormatVersion);
    PutVarint32(dst, *format_version_);
  }
  if (comparator_name_) {
    PutTag(dst, Tag::kComparator);
    PutLengthPrefixed(dst, *comparator_name_);
  }
  if (log_number_) {
    PutTag(dst, Tag::kLogNumber);
    PutVarint64(dst, raw(*log_number_));
  }
  if (next_file_number_) {
    PutTag(dst, Tag::kNextFileNumber);
    PutVarint64(dst, raw(*next_file_number_));
  }
  if (last_sequence_) {
    PutTag(dst, Tag::kLastSequence);
    PutVarint64(dst, raw(*last_sequence_));
  }
  for (const auto& [level, number] : removed_files_) {
    PutTag(dst, Tag::kRemovedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, raw(number));
  }
  for (const auto& [level, file] : added_files_) {
    // Counts only when known: an edit that names no counts stays readable as version 1 or 2
    // (a backup's MANIFEST, rewritten by restore, keeps its version).
    const bool counts = file.num_entries > 0;
    PutTag(dst, counts ? Tag::kAddedFileWithCounts : Tag::kAddedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, raw(file.number));
    PutVarint64(dst, file.file_bytes);
    PutLengthPrefixed(dst, file.smallest);
    PutLengthPrefixed(dst, file.largest);
    PutVarint64(dst, raw(file.smallest_sequence));
    PutVarint64(dst, raw(file.largest_sequence));
    if (counts) {
      PutVarint64(dst, file.num_entries);
      PutVarint64(dst, file.reclaimable_entries);
    }
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutTag(dst, Tag::kCompactPointer);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutLengthPrefixed(dst, key);
  }
}

Status VersionEdit::DecodeFrom(std::string_view input) {
  Clear();
  while (!input.empty()) {
    uint32_t tag = 0;
    if (!GetVarint32(&input, &tag)) return Status::Corruption("version edit: bad tag");
    const char* failed_field = nullptr;
    switch (static_cast<Tag>(tag)) {
      case Tag::kFormatVersion: {
        uint32_t version = 0;
        if (GetVarint32(&input, &version)) {
          format_version_ = version;
        } else {
          failed_field = "format version";
        }
        break;
      }
      case Tag::kComparator: {
        std::string_view name;
        if (GetLengthPrefixed(&input, &name)) {
          comparator_name_ = std::string(name);
        } else {
          failed_field = "comparator name";
        }
        break;
      }
      case Tag::kLogNumber: {
        FileNumber number{};
        if (GetFileNumber(&input, &number)) {
          log_number_ = number;
        } else {
          failed_field = "log number";
        }
        break;
      }
      case Tag::kNextFileNumber: {
        FileNumber number{};
        if (GetFileNumber(&input, &number)) {
          next_file_number_ = number;
        } else {
          failed_field = "next file number";
        }
        break;
      }
      case Tag::kLastSequence: {
        SequenceNumber sequence{};
        if (GetSequence(&input, &sequence)) {
          last_sequence_ = sequence;
        } else {
          failed_field = "last sequence";
        }
        break;
      }
      case Tag::kRemovedFile: {
        int level = 0;
        FileNumber number{};
        if (GetLevel(&input, &level) && GetFileNumber(&input, &number)) {
          removed_files_.emplace(level, number);
        } else {
          failed_field = "removed file";
        }
        break;
      }
      case Tag::kAddedFile: {
        int level = 0;
        FileMetaData file;
        if (GetAddedFile(&input, &level, &file)) {
          added_files_.emplace_back(level, std::move(file));
        } else {
          failed_field = "added file";
        }
        break;
      }
      case Tag::kAddedFileWithCounts: {
        int level = 0;
        FileMetaData file;
        if (GetAddedFile(&input, &level, &file) && GetEntryCounts(&input, &file)) {
          added_files_.emplace_back(level, std::move(file));
        } else {
          failed_field = "added file with counts";
        }
        break;
      }
      case Tag::kCompactPointer: {
        int level = 0;
        std::string key;
        if (GetLevel(&input, &level) && GetInternalKey(&input, &key)) {
          compact_pointers_[level] = std::move(key);
        } else {
          failed_field = "compact pointer";
        }
        break;
      }
      default:
        return Status::Corruption("version edit: unknown tag", std::to_string(tag));
    }
    if (failed_field != nullptr) return Status::Corruption("version edit: bad field", failed_field);
  }
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string out = "VersionEdit {";
  char buf[256];
  if (format_version_) out += "\n  format_version: " + std::to_string(*format_version_);
  if (comparator_name_) out += "\n  comparator: " + *comparator_name_;
  if (log_number_) out += "\n  log_number: " + std::to_string(raw(*log_number_));
  if (next_file_number_) out += "\n  next_file_number: " + std::to_string(raw(*next_file_number_));
  if (last_sequence_) out += "\n  last_sequence: " + std::to_string(raw(*last_sequence_));
  for (const auto& [level, number] : removed_files_) {
    std::snprintf(buf, sizeof(buf), "\n  remove: L%d #%" PRIu64, level, raw(number));
    out += buf;
  }
  for (const auto& [level, file] : added_files_) {
    std::snprintf(buf, sizeof(buf),
                  "\n  add: L%d #%" PRIu64 " %" PRIu64 " bytes seq [%" PRIu64 ", %" PRIu64 "]",
                  level, raw(file.number), file.file_bytes, raw(file.smallest_sequence),
                  raw(file.largest_sequence));
    out += buf;
    if (file.num_entries > 0) {
      std::snprintf(buf, sizeof(buf), " %" PRIu64 " entries, %" PRIu64 " reclaimable",
                    file.num_entries, file.reclaimable_entries);
      out += buf;
    }
  }
  for (const auto& [level, key] : compact_pointers_) {
    ParsedInternalKey parsed;
    const bool valid = ParseInternalKey(key, &parsed);
    ZIGGY_ASSERT(valid);  // checked by SetCompactPointer and DecodeFrom
    std::snprintf(buf, sizeof(buf), "\n  compact pointer: L%d @ %" PRIu64 ", %zu-byte user key",
                  level, raw(parsed.sequence), parsed.user_key.size());
    out += buf;
  }
  out += "\n}";
  return out;
}

}  // namespace ziggydb
