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
#include "tools/json_output.h"
#include "util/status_context.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

struct VerifyArgs {
  std::string db;
  WalRecoveryMode mode = Options().wal_recovery_mode;
  bool json = false;
};

Status VerifyTable(const std::string& dbname, const FileMetaData& meta, uint64_t* entries) {
  const std::string path = TableFileName(dbname, meta.number);
  OpenedTable table;
  Status s = OpenTableFile(path, &table);
  if (s.ok()) s = table.reader->VerifyChecksums();
  // The code kept: only damaged bytes are Corruption (exit 3); a table that cannot be read
  // (EIO, EACCES) is an I/O error (exit 4).
  if (!s.ok()) return WithMessage(s, path, s.message());
  *entries += table.reader->properties().num_entries;
  return Status::OK();
}

// What verify found: printed as text or, with --json, as one object.
struct VerifyReport {
  Status status;  // the first problem (then `stage` says where)
  std::string stage;
  uint64_t tables = 0;  // live tables
  uint64_t tables_checked = 0;
  uint64_t table_bytes = 0;  // of the tables checked
  uint64_t entries = 0;      // of the tables checked
  bool interrupted = false;
};

// Checks every live table's blocks, stopping at the first damage or at Ctrl-C (the caller holds
// the InterruptScope).
void VerifyTables(const std::string& dbname, const Version& version, VerifyReport* report) {
  uint64_t total_bytes = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    report->tables += version.files(level).size();
    total_bytes += version.LevelBytes(level);
  }
  ProgressBar progress("verify", total_bytes, StderrIsTty(), ProgressUnit::kBytes);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version.files(level)) {
      if (InterruptRequested()) {
        report->interrupted = true;
        return;
      }
      report->status = VerifyTable(dbname, *file, &report->entries);
      if (!report->status.ok()) {
        report->stage = "tables";
        return;
      }
      ++report->tables_checked;
      report->table_bytes += file->file_bytes;
      progress.Advance(file->file_bytes);
    }
  }
}

ExitCode PrintText(const ReadOnlyRecovery& db, const VerifyReport& report) {
  fmt::print("MANIFEST {}: {} edits OK{}, {} live tables, log number {}\n", db.manifest_name,
             db.versions->manifest_edits_replayed(),
             db.versions->manifest_tail_dropped() ? " (a torn last edit, dropped)" : "",
             report.tables, raw(db.versions->LogNumber()));
  if (!report.status.ok()) return ReportError("verify", "FAILED", report.status);
  if (report.interrupted) {
    fmt::print("tables: {} of {} OK so far ({} bytes, {} entries)\n", report.tables_checked,
               report.tables, WithCommas(report.table_bytes), WithCommas(report.entries));
    PrintToStderr("ziggy verify: interrupted: {} of {} tables checked, no damage found\n",
                  report.tables_checked, report.tables);
    return ExitCode::kInterrupted;
  }
  fmt::print("tables: {} OK ({} bytes, {} entries)\n", report.tables,
             WithCommas(report.table_bytes), WithCommas(report.entries));
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

// One object: {"ok", "result", "error", "stage", "manifest", "tables", "logs", "notes"}; the
// parts recovery did not reach are absent.
ExitCode PrintJsonReport(const ReadOnlyRecovery* db, const VerifyReport& report) {
  nlohmann::json out;
  const bool ok = report.status.ok() && !report.interrupted;
  out["ok"] = ok;
  out["result"] = ok ? "ok" : report.interrupted ? "interrupted" : "failed";
  if (!report.status.ok()) {
    out["error"] = report.status.ToString();
    out["stage"] = report.stage;
  }
  if (db != nullptr) {
    out["manifest"] = {{"name", db->manifest_name},
                       {"edits", db->versions->manifest_edits_replayed()},
                       {"torn_tail_dropped", db->versions->manifest_tail_dropped()},
                       {"log_number", raw(db->versions->LogNumber())}};
    out["tables"] = {{"live", report.tables},
                     {"checked", report.tables_checked},
                     {"bytes", report.table_bytes},
                     {"entries", report.entries}};
    out["logs"] = {{"count", db->wal.logs.size()},
                   {"records_replayed", db->wal.records_replayed},
                   {"last_sequence", raw(db->versions->LastSequence())}};
    out["notes"] = {{"torn_tails_dropped", db->wal.dropped},
                    {"damage_skipped", db->wal.skipped},
                    {"point_in_time_stop", db->wal.stopped_at}};
  }
  PrintJson(out);
  if (report.interrupted) return ExitCode::kInterrupted;
  return ExitCodeFor(report.status);
}

ExitCode RunVerify(const VerifyArgs& args) {
  // From the start: a Ctrl-C during recovery stops verify before the first table.
  const InterruptScope interrupt;
  ReadOnlyRecovery db;
  VerifyReport report;
  report.status = RecoverReadOnly(args.db, args.mode, &db);
  if (!report.status.ok()) {
    // A DB that is not there, or that a writer holds, was not judged: no verdict.
    if (report.status.IsNotFound() || report.status.IsBusy())
      return ReportError("verify", args.db, report.status);
    const ExitCode code =
        ReportError("verify", "FAILED (Open would refuse this DB)", report.status);
    if (!args.json) return code;
    report.stage = "recovery";
    return PrintJsonReport(nullptr, report);
  }
  VerifyTables(args.db, *db.versions->current(), &report);
  if (!args.json) return PrintText(db, report);
  if (!report.status.ok()) ReportError("verify", "FAILED", report.status);
  return PrintJsonReport(&db, report);
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
  verify->add_flag("--json", args->json, "Print the verdict as one JSON object (docs/cli.md)");
  verify->callback([args, exit_code] { *exit_code = ToInt(RunVerify(*args)); });
}

}  // namespace ziggydb::tools
