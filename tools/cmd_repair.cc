// repair: rebuilds a DB whose CURRENT or MANIFEST is lost or damaged (RepairDB, src/db/repair.h)
// and reports what it kept, moved to lost/ and skipped. docs/cli.md, "repair".
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/repair.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "tools/progress.h"

namespace ziggydb::tools {
namespace {

struct RepairArgs {
  std::string db;
  bool progress = false;
  WalRecoveryMode mode = Options().wal_recovery_mode;
};

ExitCode RunRepair(const RepairArgs& args) {
  const InterruptScope interrupt_scope;
  RepairReport report;
  Status s;
  {
    ProgressBar bar("repair", 0, args.progress || StderrIsTty(), ProgressUnit::kBytes);
    Options options;
    options.wal_recovery_mode = args.mode;
    s = RepairDB(args.db, options, &report, [&bar](uint64_t done, uint64_t total) {
      (void)total;
      bar.Advance(done - bar.done());
      return !InterruptRequested();
    });
  }
  // Checked before the interruption: once CURRENT may name the new MANIFEST (a failure after its
  // rename) nothing was undone, Ctrl-C or not, and "the directory is as it was" would be false.
  if (!s.ok() && !report.manifest.empty()) {
    return ReportError("repair",
                       "FAILED after CURRENT was pointed at " + report.manifest +
                           ": the repaired DB may be in place (open it, or repair again)",
                       s);
  }
  if (!s.ok() && InterruptRequested()) {
    PrintToStderr("ziggy repair: interrupted; the directory is as it was\n");
    return ExitCode::kInterrupted;
  }
  if (!s.ok()) return ReportError("repair", "FAILED, the directory is as it was", s);
  for (const std::string& line : report.manifests)
    fmt::print("read {}\n", line);
  for (const std::string& line : report.tables_kept)
    fmt::print("kept table {}\n", line);
  for (const std::string& line : report.retired)
    fmt::print("set aside retired table {}\n", line);
  for (const std::string& line : report.logs)
    fmt::print("replayed log {}\n", line);
  for (const std::string& line : report.logs_obsolete)
    fmt::print("set aside obsolete log {}\n", line);
  for (const std::string& line : report.logs_not_replayed)
    fmt::print("NOT REPLAYED (kept aside) log {}\n", line);
  for (const std::string& line : report.lost)
    fmt::print("LOST (moved to lost/) {}\n", line);
  for (const std::string& line : report.log_damage)
    fmt::print("SKIPPED damaged log bytes {}\n", line);
  fmt::print("repair: {} entries in {} new table(s) at the last level, last sequence {}, {}\n",
             WithCommas(report.entries_written), report.tables_written, report.last_sequence,
             report.manifest);
  if (!report.moved_dir.empty()) {
    fmt::print(
        "repair: the original tables, logs and MANIFESTs are in {} (delete it once the "
        "DB verifies)\n",
        report.moved_dir);
  }
  if (!report.lost.empty() || !report.log_damage.empty() || !report.logs_not_replayed.empty()) {
    fmt::print(
        "repair: done, with losses: {} unreadable file(s), {} damaged log stretch(es), {} log(s) "
        "not replayed\n",
        report.lost.size(), report.log_damage.size(), report.logs_not_replayed.size());
    return ExitCode::kCorruption;
  }
  fmt::print("repair: OK, nothing lost\n");
  return ExitCode::kOk;
}

}  // namespace

void RegisterRepairCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<RepairArgs>();
  CLI::App* repair = app->add_subcommand(
      "repair",
      "Rebuild a DB whose CURRENT or MANIFEST is lost or damaged from its tables and logs; "
      "exit 3 if something was unreadable (moved to lost/)");
  AddDbOption(repair, &args->db);
  repair->add_flag("--progress", args->progress, "Show the progress bar even when not a tty");
  repair
      ->add_option("--wal-recovery-mode", args->mode,
                   "Judge WAL damage as Open with this Options::wal_recovery_mode would")
      ->transform(CLI::CheckedTransformer(WalRecoveryModesByName(), CLI::ignore_case));
  repair->callback([args, exit_code] { *exit_code = ToInt(RunRepair(*args)); });
}

}  // namespace ziggydb::tools
