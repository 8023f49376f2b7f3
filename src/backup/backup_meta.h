// A backup's metadata file (docs/format/backup.md): what the backup holds and the checksum of
// every file, as versioned text ending in a checksum line of its own.
#ifndef ZIGGYDB_BACKUP_BACKUP_META_H_
#define ZIGGYDB_BACKUP_BACKUP_META_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb {

// Version 2 added db_identity; version 1 files are read as backups of no identity. A newer
// version is refused with NotSupported.
inline constexpr uint32_t kBackupMetaFormatVersion = 2;

struct BackupFile {
  std::string path;     // relative to the backup directory, e.g. "shared/000012_4096_<hex>.sst"
  std::string db_name;  // its name in the DB directory, e.g. "000012.sst"
  uint64_t size = 0;
  std::string checksum;  // XXH3-128, 32 hex digits
};

struct BackupMeta {
  uint32_t id = 0;
  int64_t timestamp_seconds = 0;
  uint64_t sequence = 0;         // the state is the DB's right after this sequence
  uint64_t log_number = 0;       // the source's logs from this number on hold later writes
  uint64_t manifest_number = 0;  // the MANIFEST's number; a restore writes CURRENT naming it
  std::string wal_archive_dir;   // the source's log archive; empty if none
  std::string db_identity;       // the source's IDENTITY (db/db_identity.h); empty if none
  std::vector<BackupFile> files;
};

std::string EncodeBackupMeta(const BackupMeta& meta);
// Corruption (naming `path`) for anything but a whole, intact file of a known version.
[[nodiscard]] Status DecodeBackupMeta(std::string_view data, const std::string& path,
                                      BackupMeta* meta);

}  // namespace ziggydb

#endif  // ZIGGYDB_BACKUP_BACKUP_META_H_
