// Recovery: what Open does between reading the MANIFEST and committing its first edit, as one
// component with explicit inputs and an explicit result, so it can run (and be tested) without a
// DB. Rules: docs/design/recovery.md.
//
// RecoverDb replays the MANIFEST (VersionSet::Recover), checks the live tables (CheckLiveTables),
// then replays the WALs the MANIFEST does not cover (ReplayWal). It writes nothing itself: the only
// writes are the write_table callback's, and committing the resulting edit is the caller's. So
// with a write_table that writes nothing it is the read-only recovery of `ziggy verify`, `inspect`
// and `stats`.
//
// Thread safety: none; one recovery at a time per input set.
#ifndef ZIGGYDB_DB_RECOVERY_H_
#define ZIGGYDB_DB_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/dbformat.h"
#include "db/version_edit.h"
#include "memtable/memtable.h"
#include "ziggydb/env.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Version;
class VersionSet;

// "tolerate-corrupted-tail-records", "absolute-consistency", "point-in-time",
// "skip-any-corrupted-records" (LOG lines, the CLI's --wal-recovery-mode).
const char* WalRecoveryModeName(WalRecoveryMode mode);

struct WalReplayInputs {
  Env* env = nullptr;
  std::string dbname;
  const InternalKeyComparator* icmp = nullptr;  // orders the recovered memtables
  WalRecoveryMode mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  // A recovered memtable reaching this many bytes is handed to write_table at once.
  uint64_t memtable_bytes = 0;
  // From the MANIFEST: every log numbered at or above log_number is replayed, and log
  // log_number itself must exist (unless 0, a new DB's).
  FileNumber log_number{};
  SequenceNumber last_sequence{};
  // Turns a recovered memtable into table meta->number (already drawn), filling *meta;
  // meta->file_bytes == 0 means no table (nothing is added to the edit).
  std::function<Status(const MemTable& mem, FileMetaData* meta)> write_table;
  // The file-number source: draws a new number; marks a number found in the directory as used so
  // that it is never drawn.
  // Fails when no number is left.
  std::function<Status(FileNumber* number)> new_file_number;
  std::function<void(FileNumber)> mark_file_number_used;
  Logger* info_log = nullptr;  // may be null
};

struct WalReplayResult {
  VersionEdit edit;               // an AddFile at level 0 per table write_table produced
  SequenceNumber max_sequence{};  // the largest sequence recovered, at least last_sequence
  std::vector<FileNumber> logs;   // the logs found to replay, ascending
  // Batches applied from logs[i], for each log whose replay began: a stop (point-in-time, or a
  // torn older log ending the WAL) before a log leaves it and every later log out.
  std::vector<uint64_t> records_per_log;
  uint64_t records_replayed = 0;   // batches applied
  uint64_t memtables_written = 0;  // calls of write_table
  // Torn tails dropped (the newest log's, or an older log's that ended the WAL), and damage
  // skipped past (kSkipAnyCorruptedRecords), each with one description per count.
  uint64_t tail_records_dropped = 0;
  uint64_t records_skipped = 0;
  std::vector<std::string> dropped;
  std::vector<std::string> skipped;
  // Point-in-time recovery stopped at damage or a torn older log: the description.
  std::string stopped_at;
};

// Replays the WALs at or above inputs.log_number in number order, per inputs.mode. Corruption
// (naming the log and offset) for damage the mode refuses and for a missing log the MANIFEST
// needs; an I/O error as is. On failure *result is partial: tables write_table already made are
// named nowhere else (Open leaves them to the next successful Open, which deletes them unlisted).
[[nodiscard]] Status ReplayWal(const WalReplayInputs& inputs, WalReplayResult* result);

// Every table `version` lists must exist with the size the MANIFEST records: one stat per table,
// none is opened or read (docs/design/recovery.md, "Bounded startup"; the footer and blocks are
// checked at a table's first use and by `ziggy verify`). Corruption naming the table otherwise.
[[nodiscard]] Status CheckLiveTables(Env* env, const std::string& dbname, const Version& version);

struct RecoveryInputs {
  // RecoverDb fills log_number, last_sequence and the file-number source from the VersionSet.
  WalReplayInputs wal;
};

// VersionSet::Recover on *versions, CheckLiveTables, then ReplayWal with the VersionSet as the
// file-number source; on success sets versions' last sequence to result->max_sequence. The edit
// in *result is not applied: the caller commits it (Open) or drops it (read-only tools).
[[nodiscard]] Status RecoverDb(RecoveryInputs inputs, VersionSet* versions,
                               WalReplayResult* result);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_RECOVERY_H_
