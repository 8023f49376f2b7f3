// The log archive (Options::wal_archive_dir): where flushed write-ahead logs go instead of being
// deleted, for point-in-time restore. Files keep their DB names (<number:06>.log); log numbers
// grow, so the archive's order by number is the order of the writes.
#ifndef ZIGGYDB_DB_WAL_ARCHIVE_H_
#define ZIGGYDB_DB_WAL_ARCHIVE_H_

#include <cstdint>
#include <string>

#include "base/dbformat.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Env;

// Moves log `number` of DB `dbname` into `archive_dir`: synced (an older log was never synced
// whole: its writes were in the memtable, now in a table), then renamed, or (across file
// systems) copied under a temporary name (<number:06>.dbtmp), synced, renamed into place, and the
// DB's log deleted. The archive directory is synced; the caller syncs the DB
// directory. A log the archive already holds under that number is never replaced: the DB's log
// is deleted and *already_held set (another DB writes to the archive, e.g. a copy restored from
// a backup of this one, whose logs take the same numbers; or an earlier copy to the archive
// whose deletion a crash undid). On failure the log stays in the DB directory.
[[nodiscard]] Status ArchiveLog(Env* env, const std::string& dbname, FileNumber number,
                                const std::string& archive_dir, bool* already_held);

// Deletes the oldest archived logs (lowest numbers first, so what is left is a gapless run of
// the newest logs) while the archive holds more than max_bytes or the oldest log was last
// modified more than max_age_seconds ago by env->WallMicros() (0: no limit, for either).
[[nodiscard]] Status PruneLogArchive(Env* env, const std::string& archive_dir, uint64_t max_bytes,
                                     uint64_t max_age_seconds);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_WAL_ARCHIVE_H_
