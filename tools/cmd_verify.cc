// verify: checks a DB the way Open would, without modifying it. The engine's own recovery runs in
// its read-only form (RecoverReadOnly: the MANIFEST that CURRENT names, the size of every live
// table, and the replay of every WAL Open would replay, per the recovery mode), so verify refuses
// exactly what Open refuses; then every block checksum of every live table is verified, which
// Open leaves to reads. Stops at the first problem, naming the file and offset.
#include <map>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/filename.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

struct VerifyArgs {
  std::string db;
  WalRecoveryMode mode = Options().wal_recovery_mode;
};

Status VerifyTable(const std::string& dbname, const FileMetaData& meta, uint64_t* entries) {
  const std::string path = TableFileName(dbname, meta.number);
  OpenedTable table;
  Status s = OpenTableFile(path, &table);
  if (s.ok()) s = table.reader->VerifyChecksums();
  if (!s.ok()) return Status::Corruption(path, s.message());
  *entries += table.reader->properties().num_entries;
  return Status::OK();
}

ExitCode RunVerify(const VerifyArgs& args) {
  ReadOnlyRecovery db;
  Status s = RecoverReadOnly(args.db, args.mode, &db);
  if (s.IsNotFound()) return ReportError("verify", args.db, s);
  if (!s.ok()) return ReportError("verify", "FAILED (Open would refuse this DB)", s);
  const Version& version = *db.versions->current();
  uint64_t tables = 0, total_bytes = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    tables += version.files(level).size();
    total_bytes += version.LevelBytes(level);
  }
  fmt::print("MANIFEST {}: {} edits OK{}, {} live tables, log number {}\n", db.manifest_name,
             db.versions->manifest_edits_replayed(),
             db.versions->manifest_tail_dropped() ? " (a torn last edit, dropped)" : "", tables,
             raw(db.versions->LogNumber()));
  uint64_t entries = 0, table_bytes = 0, tables_checked = 0;
  {
    const InterruptScope interrupt;
    ProgressBar progress("verify", total_bytes, StderrIsTty(), ProgressUnit::kBytes);
    for (int level = 0; level < kNumLevels && s.ok() && !InterruptRequested(); ++level) {
      for (const auto& file : version.files(level)) {
        if (InterruptRequested()) break;
        s = VerifyTable(args.db, *file, &entries);
        if (!s.ok()) break;
        ++tables_checked;
        table_bytes += file->file_bytes;
        progress.Advance(file->file_bytes);
      }
    }
  }
  if (!s.ok()) return ReportError("verify", "FAILED", s);
  if (tables_checked < tables) {
    fmt::print("tables: {} of {} OK so far ({} bytes, {} entries)\n", tables_checked, tables,
               WithCommas(table_bytes), WithCommas(entries));
    fmt::print(stderr, "ziggy verify: interrupted: {} of {} tables checked, no damage found\n",
               tables_checked, tables);
    return ExitCode::kInterrupted;
  }
  fmt::print("tables: {} OK ({} bytes, {} entries)\n", tables, WithCommas(table_bytes),
             WithCommas(entries));
  for (const std::string& where : db.wal.dropped)
    fmt::print("note: recovery drops a torn WAL tail: {}\n", where);
  for (const std::string& where : db.wal.skipped)
    fmt::print("note: recovery skips damaged WAL bytes: {}\n", where);
  if (!db.wal.stopped_at.empty())
    fmt::print("note: point-in-time recovery stops at: {}\n", db.wal.stopped_at);
  fmt::print("logs: {} OK ({} records replayed, up to sequence {})\n", db.wal.logs.size(),
             WithCommas(db.wal.records_replayed), raw(db.versions->LastSequence()));
  fmt::print("verify: OK\n");
  return ExitCode::kOk;
}

}  // namespace

void RegisterVerifyCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app->add_subcommand(
      "verify",
      "Check the DB as Open would (MANIFEST, live tables, WAL replay) plus every table checksum, "
      "without modifying it; exit 3 at the first corruption");
  AddDbOption(verify, &args->db);
  verify
      ->add_option("--wal-recovery-mode", args->mode,
                   "Judge WAL damage as Open with this Options::wal_recovery_mode would")
      ->transform(CLI::CheckedTransformer(WalRecoveryModesByName(), CLI::ignore_case));
  verify->callback([args, exit_code] { *exit_code = ToInt(RunVerify(*args)); });
}

}  // namespace ziggydb::tools
