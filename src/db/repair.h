// Repair: rebuilds a DB whose CURRENT or MANIFEST is lost or damaged from the tables and logs in
// its directory (RepairDB in ziggydb/db.h; `ziggy repair`). Rules: docs/design/recovery.md,
// "Repair".
//
// Thread safety: none; one repair at a time per directory (it holds the DB's LOCK).
#ifndef ZIGGYDB_DB_REPAIR_H_
#define ZIGGYDB_DB_REPAIR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

// What a repair kept, moved and dropped; each list holds one line per file, for people.
struct RepairReport {
  std::vector<std::string> tables_kept;  // readable tables whose entries were rewritten
  // Damaged tables moved to lost/, with the reason; the entries of their readable blocks are
  // merged as any table's (the note counts them and names each block skipped).
  std::vector<std::string> lost;
  // Tables a readable MANIFEST edit had retired (a compaction's inputs not deleted yet): not
  // merged, moved aside with the originals.
  std::vector<std::string> retired;
  std::vector<std::string> manifests;  // MANIFESTs read, with their edits, and damage skipped
  std::vector<std::string> logs;       // logs replayed, with their record counts
  // Logs numbered below the log number a MANIFEST recorded: their writes are in tables. Not
  // replayed; moved aside with the originals.
  std::vector<std::string> logs_obsolete;
  // Logs after the end of the WAL as Options::wal_recovery_mode judges it (point-in-time
  // recovery stopped, or an older log torn): their writes are not in the repaired DB. Moved
  // aside with the originals, before the commit.
  std::vector<std::string> logs_not_replayed;
  // Damaged log bytes dropped (a torn tail), skipped (kSkipAnyCorruptedRecords) or where replay
  // stopped (kPointInTimeRecovery).
  std::vector<std::string> log_damage;
  uint64_t entries_written = 0;  // entries of the rebuilt tables
  // Entries whose internal key another input held too (the same write in a table and a log, or
  // sequence-0 versions of one key): the highest-numbered table's entry is kept.
  uint64_t duplicates_dropped = 0;
  uint64_t tables_written = 0;
  uint64_t last_sequence = 0;
  // The new MANIFEST's file name, once CURRENT may name it: also set when RepairDB fails after
  // the rename of CURRENT (a failed directory sync), which removes nothing CURRENT may name.
  std::string manifest;
  std::string moved_dir;  // where the original tables, logs and MANIFESTs now are ("" if none)
};

// Progress of a repair: bytes processed so far of an estimated total. Returning false stops the
// repair before it commits (Status::IOError "interrupted"); nothing it wrote is left.
using RepairProgress = std::function<bool(uint64_t done_bytes, uint64_t total_bytes)>;

// RepairDB (ziggydb/db.h) with a report and progress; either may be null/empty.
[[nodiscard]] Status RepairDB(const std::string& path, const Options& options, RepairReport* report,
                              const RepairProgress& progress);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_REPAIR_H_
