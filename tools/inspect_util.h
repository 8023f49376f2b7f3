// Helpers of the inspection commands (dump-wal, dump-sst, verify) over the internal formats:
// reading a log's records with damage reports, and opening a table file with the comparator the
// DB writes tables with.
#ifndef ZIGGYDB_TOOLS_INSPECT_UTIL_H_
#define ZIGGYDB_TOOLS_INSPECT_UTIL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "db/version_edit.h"
#include "table/table_reader.h"
#include "ziggydb/status.h"

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
// record that follows it. Returns a read error, or OK (damage is not an error here).
Status ReadLog(const std::string& path, uint64_t log_number,
               const std::function<void(uint64_t, std::string_view)>& on_record,
               const std::function<void(const LogDamage&)>& on_damage);

// The number in a DB file name ("000012.log" -> 12, "MANIFEST-000003" -> 3), from the last path
// component. False if the name is not one the DB writes.
bool FileNumberFromPath(std::string_view path, uint64_t* number, bool* is_manifest);

// Replays the MANIFEST that dbname's CURRENT names, calling on_edit for each decoded edit in order.
// *manifest_path is set to its path. A torn last record is dropped with a printed note, as recovery
// does; a record that does not decode, or damage before the end, is Corruption with the offset.
Status ReplayManifest(const std::string& dbname, std::string* manifest_path,
                      const std::function<void(const VersionEdit&)>& on_edit);

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
