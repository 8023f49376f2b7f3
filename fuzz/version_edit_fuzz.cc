// Fuzz target for the MANIFEST version edit decoder (VersionEdit::DecodeFrom,
// src/db/version_edit.cc): the input is one edit, as a MANIFEST record holds it
// (docs/format/manifest.md).
//
// Whatever the bytes, decoding must stay in bounds and:
//   - an accepted edit keeps the decoder's promises: levels in range, added files' keys and
//     compaction pointers are internal keys, smallest_sequence <= largest_sequence <=
//     kMaxSequenceNumber;
//   - it re-encodes (EncodeTo) to bytes no longer than the input (repeated fields collapse,
//     varints become minimal), which decode to an equal edit and re-encode to the same bytes;
//   - decoding the same bytes twice gives equal edits; a rejected input leaves the edit usable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "db/version_edit.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

bool SameFile(const FileMetaData& a, const FileMetaData& b) {
  return a.number == b.number && a.file_bytes == b.file_bytes && a.smallest == b.smallest &&
         a.largest == b.largest && a.smallest_sequence == b.smallest_sequence &&
         a.largest_sequence == b.largest_sequence;
}

bool SameEdit(const VersionEdit& a, const VersionEdit& b) {
  if (a.format_version() != b.format_version() || a.comparator_name() != b.comparator_name() ||
      a.log_number() != b.log_number() || a.next_file_number() != b.next_file_number() ||
      a.last_sequence() != b.last_sequence() || a.removed_files() != b.removed_files() ||
      a.compact_pointers() != b.compact_pointers() ||
      a.added_files().size() != b.added_files().size()) {
    return false;
  }
  for (size_t i = 0; i < a.added_files().size(); ++i) {
    const auto& [level_a, file_a] = a.added_files()[i];
    const auto& [level_b, file_b] = b.added_files()[i];
    if (level_a != level_b || !SameFile(file_a, file_b)) return false;
  }
  return true;
}

void CheckPromises(const VersionEdit& edit) {
  if (edit.last_sequence()) ZIGGY_ASSERT(raw(*edit.last_sequence()) <= kMaxSequenceNumber);
  for (const auto& [level, number] : edit.removed_files()) {
    ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  }
  ParsedInternalKey parsed;
  for (const auto& [level, file] : edit.added_files()) {
    ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
    ZIGGY_ASSERT(ParseInternalKey(file.smallest, &parsed));
    ZIGGY_ASSERT(ParseInternalKey(file.largest, &parsed));
    ZIGGY_ASSERT(raw(file.smallest_sequence) <= raw(file.largest_sequence));
    ZIGGY_ASSERT(raw(file.largest_sequence) <= kMaxSequenceNumber);
  }
  for (const auto& [level, key] : edit.compact_pointers()) {
    ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
    ZIGGY_ASSERT(ParseInternalKey(key, &parsed));
  }
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ziggydb;  // NOLINT: a fuzz entry point, not a header
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  VersionEdit edit;
  edit.SetComparatorName("stale");  // DecodeFrom must replace this, accepted or not
  if (!edit.DecodeFrom(input).ok()) {
    ZIGGY_ASSERT(!edit.DebugString().empty());
    std::string partial;
    edit.EncodeTo(&partial);
    return 0;
  }
  CheckPromises(edit);
  ZIGGY_ASSERT(!edit.DebugString().empty());

  VersionEdit same;
  ZIGGY_ASSERT(same.DecodeFrom(input).ok());
  ZIGGY_ASSERT(SameEdit(edit, same));

  std::string encoded;
  edit.EncodeTo(&encoded);
  ZIGGY_ASSERT(encoded.size() <= size);
  VersionEdit decoded;
  ZIGGY_ASSERT(decoded.DecodeFrom(encoded).ok());
  ZIGGY_ASSERT(SameEdit(edit, decoded));
  std::string reencoded;
  decoded.EncodeTo(&reencoded);
  ZIGGY_ASSERT(reencoded == encoded);
  return 0;
}
