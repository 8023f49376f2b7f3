// Fuzz target for the backup metadata parser (DecodeBackupMeta, src/backup/backup_meta.cc): the
// text file `ziggy backup` writes next to each backup and `restore`/`verify` read back
// (docs/format/backup.md).
//
// Input: one mode byte, then the file. Mode bit 0 set: the rest is the file's body and the target
// appends the "end <checksum>" line that seals it, so mutations reach the line parser instead of
// stopping at the checksum; clear: the rest is the whole file as is (checksum and trailer cases).
//
// Whatever the bytes, decoding must stay in bounds, end in OK, Corruption or NotSupported, and an
// accepted file keeps the decoder's promises (id non-zero, plain file names, 32-hex-digit
// checksums) and re-encodes (EncodeBackupMeta) to a file that decodes to the same metadata and
// re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backup/backup_meta.h"
#include "backup/file_checksum.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

bool SameMeta(const BackupMeta& a, const BackupMeta& b) {
  if (a.id != b.id || a.timestamp_seconds != b.timestamp_seconds || a.sequence != b.sequence ||
      a.log_number != b.log_number || a.manifest_number != b.manifest_number ||
      a.wal_archive_dir != b.wal_archive_dir || a.files.size() != b.files.size()) {
    return false;
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    const BackupFile& x = a.files[i];
    const BackupFile& y = b.files[i];
    if (x.path != y.path || x.db_name != y.db_name || x.size != y.size || x.checksum != y.checksum)
      return false;
  }
  return true;
}

void CheckPromises(const BackupMeta& meta) {
  ZIGGY_ASSERT(meta.id != 0);
  ZIGGY_ASSERT(meta.timestamp_seconds >= 0);
  ZIGGY_ASSERT(meta.wal_archive_dir.find('\n') == std::string::npos);
  for (const BackupFile& file : meta.files) {
    ZIGGY_ASSERT(!file.path.empty() && file.path.front() != '/');
    ZIGGY_ASSERT(file.path.find_first_of(" \n") == std::string::npos);
    ZIGGY_ASSERT(file.path.find("..") == std::string::npos);
    ZIGGY_ASSERT(!file.db_name.empty());
    ZIGGY_ASSERT(file.db_name.find_first_of(" \n/") == std::string::npos);
    ZIGGY_ASSERT(file.db_name.find("..") == std::string::npos);
    ZIGGY_ASSERT(file.checksum.size() == 32);
    ZIGGY_ASSERT(file.checksum.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

void Fuzz(std::string_view file) {
  BackupMeta meta;
  const Status s = DecodeBackupMeta(file, "fuzz", &meta);
  ZIGGY_ASSERT(s.ok() || s.IsCorruption() || s.IsNotSupported());
  if (!s.ok()) return;
  CheckPromises(meta);
  const std::string encoded = EncodeBackupMeta(meta);
  BackupMeta again;
  ZIGGY_ASSERT(DecodeBackupMeta(encoded, "fuzz", &again).ok());
  ZIGGY_ASSERT(SameMeta(meta, again));
  ZIGGY_ASSERT(EncodeBackupMeta(again) == encoded);
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool seal = (data[0] & 1) != 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (seal) file += "end " + ziggydb::ChecksumHex(file) + "\n";
  ziggydb::Fuzz(file);
  return 0;
}
