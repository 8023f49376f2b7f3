// verify: checks every checksum of every live file of a DB, without modifying it — the MANIFEST
// that CURRENT names, each live table (every block), and each WAL recovery would replay (every
// record, decoded as a write batch). Stops at the first damage, naming the file and offset.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/filename.h"
#include "db/version_edit.h"
#include "db/write_batch_internal.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "util/status_macros.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

// What the MANIFEST says is live.
struct LiveSet {
  std::map<uint64_t, FileMetaData> tables;  // by file number
  uint64_t log_number = 0;                  // logs at or above it are replayed
  uint64_t edits = 0;
  // Recovery needs each of these set by some edit, and a format version in the first.
  bool has_log_number = false;
  bool has_next_file_number = false;
  bool has_last_sequence = false;
  bool first_has_format_version = false;
};

// What recovery would refuse in a MANIFEST whose records all read back intact.
Status CheckComplete(const LiveSet& live, const std::string& path) {
  if (live.edits == 0) return Status::Corruption("MANIFEST holds no intact edit", path);
  if (!live.first_has_format_version) {
    return Status::Corruption("MANIFEST's first edit lacks a format version", path);
  }
  if (!live.has_log_number || !live.has_next_file_number || !live.has_last_sequence) {
    return Status::Corruption("MANIFEST lacks the log number, next file number or last sequence",
                              path);
  }
  return Status::OK();
}

Status ReadManifest(const std::string& dbname, LiveSet* live) {
  std::string path;
  ZIGGY_RETURN_IF_ERROR(ReplayManifest(dbname, &path, [live](const VersionEdit& edit) {
    if (live->edits++ == 0) live->first_has_format_version = edit.format_version().has_value();
    live->has_next_file_number |= edit.next_file_number().has_value();
    live->has_last_sequence |= edit.last_sequence().has_value();
    if (edit.log_number()) {
      live->has_log_number = true;
      live->log_number = raw(*edit.log_number());
    }
    for (const auto& [level, file] : edit.removed_files())
      live->tables.erase(raw(file));
    for (const auto& [level, file] : edit.added_files())
      live->tables[raw(file.number)] = file;
  }));
  ZIGGY_RETURN_IF_ERROR(CheckComplete(*live, path));
  fmt::print("MANIFEST {}: {} edits OK, {} live tables, log number {}\n",
             path.substr(dbname.size() + 1), live->edits, live->tables.size(), live->log_number);
  return Status::OK();
}

Status VerifyTable(const std::string& dbname, const FileMetaData& meta, uint64_t* entries) {
  const std::string path = TableFileName(dbname, meta.number);
  uint64_t bytes = 0;
  Status s = Env::Default()->GetFileSize(path, &bytes);
  if (!s.ok()) return Status::Corruption("live table missing", path);
  if (bytes != meta.file_bytes) {
    return Status::Corruption(
        fmt::format("{} has {} bytes, the MANIFEST says {}", path, bytes, meta.file_bytes));
  }
  OpenedTable table;
  s = OpenTableFile(path, &table);
  if (s.ok()) s = table.reader->VerifyChecksums();
  if (!s.ok()) return Status::Corruption(path, s.message());
  *entries += table.reader->properties().num_entries;
  return Status::OK();
}

// Reads every record of one WAL; tail damage is tolerated only in the newest log.
Status VerifyLog(const std::string& path, uint64_t number, bool newest, uint64_t* records) {
  Status damage;
  Status s = ReadLog(
      path, number,
      [&](uint64_t offset, std::string_view record) {
        if (!damage.ok()) return;
        WriteBatch batch;
        Status d = WriteBatchInternal::SetContents(&batch, record);
        if (!d.ok())
          damage = Status::Corruption(fmt::format("{} at offset {}", path, offset), d.message());
        ++*records;
      },
      [&](const LogDamage& d) {
        if (!damage.ok()) return;
        if (d.at_tail && newest) {
          fmt::print("note: {} ends in a torn record at offset {} ({} bytes); recovery drops it\n",
                     path, d.offset, d.bytes);
          return;
        }
        damage = Status::Corruption(
            fmt::format("{} at offset {} ({} bytes)", path, d.offset, d.bytes), d.reason);
      });
  if (!s.ok()) return s;
  return damage;
}

Status VerifyLogs(const std::string& dbname, uint64_t log_number, uint64_t* logs,
                  uint64_t* records) {
  std::vector<std::string> names;
  Status s = Env::Default()->GetChildren(dbname, &names);
  if (!s.ok()) return s;
  std::vector<uint64_t> numbers;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(name, &number, &type) && type == FileType::kLogFile &&
        raw(number) >= log_number) {
      numbers.push_back(raw(number));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    s = VerifyLog(LogFileName(dbname, FileNumber{numbers[i]}), numbers[i], i + 1 == numbers.size(),
                  records);
    if (!s.ok()) return s;
    ++*logs;
  }
  return Status::OK();
}

ExitCode RunVerify(const std::string& dbname) {
  Env* env = Env::Default();
  if (!env->FileExists(CurrentFileName(dbname))) {
    return ReportError("verify", dbname,
                       Status::InvalidArgument("not a ZiggyDB directory (no CURRENT file)"));
  }
  // Holding the lock keeps a writer from changing the files under us.
  std::unique_ptr<FileLock> lock;
  Status s = env->LockFile(LockFileName(dbname), &lock);
  if (!s.ok()) return ReportError("verify", s.IsBusy() ? "the DB is in use" : dbname, s);
  LiveSet live;
  s = ReadManifest(dbname, &live);
  uint64_t entries = 0, table_bytes = 0;
  for (auto it = live.tables.begin(); s.ok() && it != live.tables.end(); ++it) {
    s = VerifyTable(dbname, it->second, &entries);
    table_bytes += it->second.file_bytes;
  }
  if (s.ok()) {
    fmt::print("tables: {} OK ({} bytes, {} entries)\n", live.tables.size(),
               WithCommas(table_bytes), WithCommas(entries));
  }
  uint64_t logs = 0, records = 0;
  if (s.ok()) s = VerifyLogs(dbname, live.log_number, &logs, &records);
  if (s.ok()) fmt::print("logs: {} OK ({} records)\n", logs, WithCommas(records));
  env->UnlockFile(std::move(lock)).PermitUncheckedError();
  if (!s.ok()) return ReportError("verify", "FAILED", s);
  fmt::print("verify: OK\n");
  return ExitCode::kOk;
}

}  // namespace

void RegisterVerifyCommand(CLI::App* app, int* exit_code) {
  auto db = std::make_shared<std::string>();
  CLI::App* verify = app->add_subcommand(
      "verify", "Check every checksum of every live file; exit 3 at the first corruption");
  AddDbOption(verify, db.get());
  verify->callback([db, exit_code] { *exit_code = ToInt(RunVerify(*db)); });
}

}  // namespace ziggydb::tools
