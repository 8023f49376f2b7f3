// The log a point-in-time restore adds to the restored DB: the batches of the archived logs
// (Options::wal_archive_dir) that follow the backup, up to a chosen sequence number, in one new
// log that DB::Open replays with their original sequence numbers.
#ifndef ZIGGYDB_BACKUP_PIT_LOG_H_
#define ZIGGYDB_BACKUP_PIT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "backup/backup_meta.h"
#include "base/dbformat.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Env;

// One listing of a backup's log archive (meta.wal_archive_dir), which a restore takes once and
// uses both for the point-in-time log and for numbering the restored DB past the archive.
struct ArchiveListing {
  Status status;                 // of listing the directory; not OK: `logs` is empty
  std::vector<FileNumber> logs;  // the numbers of every log file in it, ascending
};

// Lists meta.wal_archive_dir; an empty listing (status OK) when the backup recorded no archive.
[[nodiscard]] ArchiveListing ListArchive(Env* env, const BackupMeta& meta);

// Writes <db_dir>/<number>.log holding, in order, every batch of the archived
// logs numbered meta.log_number and up whose sequences all lie in (meta.sequence, to_sequence]
// (a batch that straddles to_sequence is left out whole: batches are atomic). Nothing is
// written when to_sequence == meta.sequence. Fails with
//   InvalidArgument: to_sequence below meta.sequence, no archive recorded, or the archive ends
//                    before to_sequence (later writes are still in the DB's live logs);
//   NotFound:        the archive lacks the log the backup continues from (pruned);
//   Corruption:      damage inside an archived log, or a gap in the sequence numbers (a write
//                    made with disable_wal, or an archived log deleted);
// or archive.status, the error of listing the archive. `archive`: ListArchive(env, meta).
// `number` must be free in the restored DB (RestoredLogNumber).
[[nodiscard]] Status WritePointInTimeLog(Env* env, const BackupMeta& meta,
                                         const ArchiveListing& archive, uint64_t to_sequence,
                                         FileNumber number, const std::string& db_dir);

// The number of a restored DB's point-in-time log: the first past the backup's MANIFEST
// (meta.manifest_number + 1, which the backup keeps free) and past every log the archive holds,
// if it could be listed. Opened with the same archive the restored DB adds its logs to it, this
// one first: numbered inside the logs of the timeline the restore replaces, it would break that
// timeline's point-in-time restores (and the archive never replaces a log it holds).
FileNumber RestoredLogNumber(const BackupMeta& meta, const ArchiveListing& archive);

}  // namespace ziggydb

#endif  // ZIGGYDB_BACKUP_PIT_LOG_H_
