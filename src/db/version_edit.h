// VersionEdit: one change to the set of live files and the DB's counters, as recorded in a
// MANIFEST record (docs/format/manifest.md, version 2).
//
// Encoding: a sequence of fields, each a varint32 tag followed by its payload. An unknown tag is
// Corruption (a newer writer signals incompatible changes through the format version instead).
// Thread safety: a value type; synchronise externally.
#ifndef ZIGGYDB_DB_VERSION_EDIT_H_
#define ZIGGYDB_DB_VERSION_EDIT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/dbformat.h"
#include "ziggydb/status.h"

namespace ziggydb {

// Levels 0..kNumLevels-1. L0 tables may overlap each other; from L1 on a level's tables hold
// disjoint key ranges.
inline constexpr int kNumLevels = 7;
// The MANIFEST format this code writes; a MANIFEST whose first edit names a newer one is refused.
// Version 2 added the compaction pointer field, version 3 the added file with entry counts; a
// MANIFEST of an older version must not hold them.
inline constexpr uint32_t kManifestFormatVersion = 3;
// The first format version whose edits may carry compaction pointers.
inline constexpr uint32_t kCompactPointerFormatVersion = 2;
// The first format version whose edits may carry a table's entry counts.
inline constexpr uint32_t kEntryCountsFormatVersion = 3;

// A live table. Immutable once it is part of a Version.
struct FileMetaData {
  FileNumber number{};
  uint64_t file_bytes = 0;
  std::string smallest;  // internal keys, both inclusive
  std::string largest;
  SequenceNumber smallest_sequence{};
  SequenceNumber largest_sequence{};
  // Entries in the table; 0 when not known (a table named by a version 1 or 2 MANIFEST, or
  // salvaged as it was by RepairDB).
  uint64_t num_entries = 0;
  // Of those, the tombstones and the versions of a key that follow a newer one (byte-equal user
  // key): what a rewrite drops once no snapshot is older than the table's entries and no table
  // below overlaps it (compaction.h, reclaim compactions). <= num_entries.
  uint64_t reclaimable_entries = 0;
};

class VersionEdit {
 public:
  void Clear() { *this = VersionEdit(); }

  void SetFormatVersion(uint32_t version) { format_version_ = version; }
  void SetComparatorName(std::string_view name) { comparator_name_ = std::string(name); }
  // Logs numbered below this hold nothing that the live tables lack.
  void SetLogNumber(FileNumber number) { log_number_ = number; }
  void SetNextFileNumber(FileNumber number) { next_file_number_ = number; }
  void SetLastSequence(SequenceNumber sequence) { last_sequence_ = sequence; }
  // Precondition: 0 <= level < kNumLevels; file.smallest <= file.largest.
  void AddFile(int level, FileMetaData file);
  void RemoveFile(int level, FileNumber number);
  // Where the next automatic compaction of `level` starts: the first table whose largest key is
  // above `internal_key` (round-robin). A later call for the same level replaces the key.
  // Precondition: 0 <= level < kNumLevels; internal_key parses as an internal key.
  void SetCompactPointer(int level, std::string_view internal_key);

  const std::optional<uint32_t>& format_version() const { return format_version_; }
  const std::optional<std::string>& comparator_name() const { return comparator_name_; }
  const std::optional<FileNumber>& log_number() const { return log_number_; }
  const std::optional<FileNumber>& next_file_number() const { return next_file_number_; }
  const std::optional<SequenceNumber>& last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, FileMetaData>>& added_files() const { return added_files_; }
  const std::set<std::pair<int, FileNumber>>& removed_files() const { return removed_files_; }
  const std::map<int, std::string>& compact_pointers() const { return compact_pointers_; }

  void EncodeTo(std::string* dst) const;
  // Replaces this edit with the decoded one. Corruption (naming the field) on any damage:
  // truncation, unknown tag, level out of range, a bad internal key, smallest > largest sequence.
  // Repeated compaction pointers for one level keep the last.
  [[nodiscard]] Status DecodeFrom(std::string_view input);

  // One line per field, for the info LOG and dump tools.
  std::string DebugString() const;

 private:
  std::optional<uint32_t> format_version_;
  std::optional<std::string> comparator_name_;
  std::optional<FileNumber> log_number_;
  std::optional<FileNumber> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> added_files_;
  std::set<std::pair<int, FileNumber>> removed_files_;
  std::map<int, std::string> compact_pointers_;  // level -> internal key
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_VERSION_EDIT_H_
