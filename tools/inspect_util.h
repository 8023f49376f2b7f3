// Helpers of the inspection commands (stats, inspect, verify, dump-wal, dump-sst) over the internal
// formats: the read-only recovery of a DB, reading a log's records with damage reports, and opening
// a table file with the comparator the DB writes tables with.
#ifndef ZIGGYDB_TOOLS_INSPECT_UTIL_H_
#define ZIGGYDB_TOOLS_INSPECT_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "db/recovery.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "table/table_reader.h"
#include "ziggydb/status.h"

namespace ziggydb {
class DbReadLock;
}  // namespace ziggydb

namespace ziggydb::tools {

// Damage found in a log (see wal::Reader::Reporter).
struct LogDamage {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string reason;
  bool at_tail = false;
};

// Reads every intact record of the log (WAL or MANIFEST) at `path`, numbered `log_number`.
// on_record(offset, record) sees each record in order; on_damage each damaged range, before the
// record that follows it. *intact_end_bytes (if not null) is where the log's intact data ends
// (wal::Reader::intact_end_offset: 0 when it holds no intact fragment at all). Returns a read
// error, or OK (damage is not an error here).
Status ReadLog(const std::string& path, uint64_t log_number,
               const std::function<void(uint64_t, std::string_view)>& on_record,
               const std::function<void(const LogDamage&)>& on_damage,
               uint64_t* intact_end_bytes = nullptr);

// True if the file at `path` holds a byte other than zero (an unused preallocated log does not).
Status HasNonZeroByte(const std::string& path, bool* non_zero);

// The number in a DB file name ("000012.log" -> 12, "MANIFEST-000003" -> 3), from the last path
// component. False if the name is not one the DB writes.
bool FileNumberFromPath(std::string_view path, uint64_t* number, bool* is_manifest);

// A DB as Open would recover it, recovered without writing anything: the engine's MANIFEST replay
// (VersionSet::Recover), live-table checks and WAL replay (db/recovery.h) with a table writer that
// only counts the recovered memtables' entries, and no MANIFEST edit. Not movable: *versions
// points at icmp. While it lives it holds the reader's lock RecoverReadOnly took, so the files it
// describes (the live tables a command goes on to read) stay as they are.
struct ReadOnlyRecovery {
  ReadOnlyRecovery();
  ~ReadOnlyRecovery();
  ReadOnlyRecovery(const ReadOnlyRecovery&) = delete;
  ReadOnlyRecovery& operator=(const ReadOnlyRecovery&) = delete;

  std::unique_ptr<DbReadLock> lock;  // null: not recovered, or a DB without a LOCK file

  InternalKeyComparator icmp;
  std::unique_ptr<VersionSet> versions;  // last sequence: the recovered one
  std::string manifest_name;             // e.g. "MANIFEST-000005"
  uint64_t manifest_bytes = 0;
  WalReplayResult wal;
  uint64_t wal_entries = 0;         // entries of the recovered memtables (WAL data not in tables)
  uint64_t wal_memtable_bytes = 0;  // their memory
};

// Runs the recovery above on the DB at dbname, under a reader's shared lock on its LOCK
// (DbReadLock, kept in db->lock until *db is destroyed: a writer gets Busy meanwhile, so a
// compaction cannot delete a table the caller then reads), with the given recovery mode. Writes
// nothing, so it works on a read-only mount, and alongside other readers. A directory without
// CURRENT is NotFound; a DB a writer holds is Busy ("the DB is open for writing by another
// opener"); otherwise exactly what Open would refuse.
Status RecoverReadOnly(const std::string& dbname, WalRecoveryMode mode, ReadOnlyRecovery* db);

// The CLI spelling of each WalRecoveryMode (WalRecoveryModeName), for a --wal-recovery-mode option.
std::map<std::string, WalRecoveryMode> WalRecoveryModesByName();

// A table opened for inspection. Tables written by the DB order internal keys; a table written
// with a plain bytewise comparator (e.g. by tests) is opened with that instead.
struct OpenedTable {
  std::unique_ptr<InternalKeyComparator> internal_comparator;
  TableOptions options;
  std::unique_ptr<TableReader> reader;
  uint64_t file_bytes = 0;
  bool internal_keys = true;
};
Status OpenTableFile(const std::string& path, OpenedTable* table);

// "'user key' @ seq 12 put" for an internal key; the escaped bytes if it does not parse.
std::string DescribeInternalKey(std::string_view ikey);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_INSPECT_UTIL_H_
