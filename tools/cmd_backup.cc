// backup create|list|verify|delete|purge and restore: the BackupEngine (ziggydb/backup.h) from
// the command line. Copying and checking show a progress bar on a terminal; Ctrl-C stops them at
// a clean point (exit 130), leaving the backups listed before as they were.
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "db/filename.h"
#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

constexpr uint64_t kUint32Max = std::numeric_limits<uint32_t>::max();

struct BackupArgs {
  std::string db;
  std::string backup_dir;
  std::optional<uint32_t> id;
  uint32_t keep = 0;
  bool no_flush = false;
  bool json = false;
  std::optional<uint64_t> to_sequence;
  std::string to;
  bool overwrite = false;
};

// Draws the engine's progress: a new bar whenever a call starts over from 0.
class EngineProgress {
 public:
  explicit EngineProgress(std::string label) : label_(std::move(label)) {}
  void Update(uint64_t done, uint64_t total) {
    if (bar_ == nullptr || done < last_) {
      bar_.reset();
      bar_ = std::make_unique<ProgressBar>(label_, total, StderrIsTty(), ProgressUnit::kBytes);
      last_ = 0;
    }
    bar_->Advance(done - last_);
    last_ = done;
  }
  void Finish() { bar_.reset(); }

 private:
  const std::string label_;
  std::unique_ptr<ProgressBar> bar_;
  uint64_t last_ = 0;
};

// Every backup's id, ascending: the listed ones and those whose metadata is unreadable.
std::vector<uint32_t> AllIds(const BackupEngine& engine) {
  std::vector<uint32_t> ids = engine.GetCorruptedBackups();
  for (const BackupInfo& info : engine.GetBackupInfo())
    ids.push_back(info.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Names on stderr each backup whose metadata is unreadable: exit 3 if there is one.
ExitCode ReportCorrupted(const std::string& command, const BackupEngine& engine) {
  const std::vector<uint32_t> corrupted = engine.GetCorruptedBackups();
  for (uint32_t id : corrupted) {
    PrintToStderr(
        "{}: backup {} has unreadable metadata (`ziggy backup verify --id {}` names it, "
        "`ziggy backup delete --id {}` removes the backup)\n",
        command, id, id, id);
  }
  return corrupted.empty() ? ExitCode::kOk : ExitCode::kCorruption;
}

// How a command opens the backup directory: create makes it if missing; list, verify and
// restore only read it (a shared LOCK, nothing written, so read permission suffices).
enum class EngineMode : uint8_t { kCreate, kWrite, kReadOnly };

// Opens the engine with a progress bar and Ctrl-C polling. Commands other than create refuse a
// backup directory that does not exist (rather than making an empty one).
Status OpenEngine(const std::string& command, const BackupArgs& args, EngineMode mode,
                  EngineProgress* progress, std::unique_ptr<BackupEngine>* engine) {
  const bool create = mode == EngineMode::kCreate;
  Status s;
  if (args.backup_dir.empty()) {
    s = Status::InvalidArgument("--backup-dir is empty");
  } else if (!create && !Env::Default()->FileExists(args.backup_dir + "/meta")) {
    s = Status::NotFound("no backup directory", args.backup_dir);
  } else {
    BackupEngineOptions options;
    options.progress = [progress](uint64_t done, uint64_t total) { progress->Update(done, total); };
    options.stop_requested = [] { return InterruptRequested(); };
    options.read_only = mode == EngineMode::kReadOnly;
    s = BackupEngine::Open(args.backup_dir, options, engine);
  }
  if (!s.ok()) ReportError(command, "cannot open the backup directory", s);
  return s;
}

// The exit code of a failed engine call: kInterrupted after Ctrl-C, else by status.
ExitCode Failed(const std::string& command, const std::string& what, const Status& s) {
  if (InterruptRequested()) {
    PrintToStderr("ziggy {}: interrupted: {}\n", command, what);
    return ExitCode::kInterrupted;
  }
  return ReportError(command, what, s);
}

std::string UtcTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Removes a backup directory this command created, once its engine is closed: a failed first
// backup leaves no directory behind.
void RemoveCreatedBackupDir(const std::string& dir, std::unique_ptr<BackupEngine>* engine) {
  engine->reset();  // releases its LOCK
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  if (error) {
    PrintToStderr("ziggy backup create: cannot remove the backup directory {} it created: {}\n",
                  dir, error.message());
  }
}

ExitCode RunCreate(const BackupArgs& args) {
  // Before anything is opened: a Ctrl-C meanwhile stops the command once it is (docs/cli.md).
  const InterruptScope interrupt;
  // The target first: a backup directory the engine refuses stops the command before the DB is
  // opened for writing (which writes a new MANIFEST and log).
  // In doubt (it cannot be looked at) the directory is the user's: never removed.
  const bool dir_existed = !args.backup_dir.empty() && MayExist(Env::Default(), args.backup_dir);
  EngineProgress progress("backup");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("backup create", args, EngineMode::kCreate, &progress, &engine);
      !s.ok()) {
    return ExitCodeFor(s);
  }
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("backup create", args.db, /*create=*/false, &db); !s.ok()) {
    if (!dir_existed) RemoveCreatedBackupDir(args.backup_dir, &engine);
    return ExitCodeFor(s);
  }
  uint32_t id = 0;
  Status s = engine->CreateNewBackup(db.get(), !args.no_flush, &id);
  progress.Finish();
  if (!s.ok()) {
    const ExitCode code = Failed("backup create", "no backup made", s);
    if (!dir_existed) RemoveCreatedBackupDir(args.backup_dir, &engine);
    return code;
  }
  s = db->Close();
  if (!s.ok()) return ReportError("backup create", "close failed", s);
  for (const BackupInfo& info : engine->GetBackupInfo()) {
    if (info.id != id) continue;
    fmt::print("backup {}: sequence {}, {} files, {} bytes\n", id, info.sequence, info.file_count,
               WithCommas(info.size_bytes));
  }
  return ExitCode::kOk;
}

ExitCode RunList(const BackupArgs& args) {
  EngineProgress progress("list");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("backup list", args, EngineMode::kReadOnly, &progress, &engine);
      !s.ok()) {
    return ExitCodeFor(s);
  }
  const std::vector<BackupInfo> infos = engine->GetBackupInfo();
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const BackupInfo& info : infos) {
      list.push_back({{"id", info.id},
                      {"timestamp", info.timestamp_seconds},
                      {"time", UtcTime(info.timestamp_seconds)},
                      {"sequence", info.sequence},
                      {"size_bytes", info.size_bytes},
                      {"file_count", info.file_count}});
    }
    fmt::print("{}\n", list.dump(2));
  } else {
    fmt::print("{:>5}  {:<20}  {:>14}  {:>16}  {:>6}\n", "id", "time (UTC)", "sequence", "bytes",
               "files");
    for (const BackupInfo& info : infos) {
      fmt::print("{:>5}  {:<20}  {:>14}  {:>16}  {:>6}\n", info.id, UtcTime(info.timestamp_seconds),
                 info.sequence, WithCommas(info.size_bytes), info.file_count);
    }
  }
  return ReportCorrupted("backup list", *engine);
}

ExitCode RunVerify(const BackupArgs& args) {
  const InterruptScope interrupt;
  EngineProgress progress("verify");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("backup verify", args, EngineMode::kReadOnly, &progress, &engine);
      !s.ok()) {
    return ExitCodeFor(s);
  }
  std::vector<uint32_t> ids;
  if (args.id) {
    ids.push_back(*args.id);
  } else {
    ids = AllIds(*engine);
  }
  // Every backup is checked; the exit code is the worst failure's.
  ExitCode result = ExitCode::kOk;
  for (uint32_t id : ids) {
    Status s = engine->VerifyBackup(id);
    progress.Finish();
    if (s.ok()) {
      fmt::print("backup {}: OK\n", id);
      continue;
    }
    const ExitCode code = Failed("backup verify", "backup " + std::to_string(id), s);
    if (code == ExitCode::kInterrupted) return code;
    if (result == ExitCode::kOk || code == ExitCode::kCorruption) result = code;
  }
  if (ids.empty()) fmt::print("no backups\n");
  return result;
}

ExitCode RunDelete(const BackupArgs& args) {
  EngineProgress progress("delete");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("backup delete", args, EngineMode::kWrite, &progress, &engine);
      !s.ok()) {
    return ExitCodeFor(s);
  }
  Status s = engine->DeleteBackup(*args.id);
  if (!s.ok()) return ReportError("backup delete", "backup " + std::to_string(*args.id), s);
  fmt::print("deleted backup {}\n", *args.id);
  return ExitCode::kOk;
}

ExitCode RunPurge(const BackupArgs& args) {
  EngineProgress progress("purge");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("backup purge", args, EngineMode::kWrite, &progress, &engine);
      !s.ok()) {
    return ExitCodeFor(s);
  }
  const size_t before = engine->GetBackupInfo().size();
  Status s = engine->PurgeOldBackups(args.keep);
  if (!s.ok()) return ReportError("backup purge", args.backup_dir, s);
  fmt::print("deleted {} backup(s), {} kept\n", before - engine->GetBackupInfo().size(),
             engine->GetBackupInfo().size());
  return ExitCode::kOk;
}

ExitCode RunRestore(const BackupArgs& args) {
  const InterruptScope interrupt;
  EngineProgress progress("restore");
  std::unique_ptr<BackupEngine> engine;
  if (Status s = OpenEngine("restore", args, EngineMode::kReadOnly, &progress, &engine); !s.ok()) {
    return ExitCodeFor(s);
  }
  const std::vector<uint32_t> ids = AllIds(*engine);
  if (!args.id && ids.empty()) {
    return ReportError("restore", args.backup_dir, Status::NotFound("no backups"));
  }
  // Without --id, the newest backup even if its metadata is unreadable: that fails (exit 3)
  // rather than quietly restoring an older one.
  const uint32_t id = args.id ? *args.id : ids.back();
  RestoreOptions options;
  options.to_sequence = args.to_sequence;
  options.overwrite = args.overwrite;
  Status s = engine->RestoreDBFromBackup(id, args.to, options);
  progress.Finish();
  if (!s.ok())
    return Failed("restore", "backup " + std::to_string(id) + " to '" + args.to + "'", s);
  fmt::print("restored backup {} to {}{}\n", id, args.to,
             args.to_sequence ? fmt::format(" at sequence {}", *args.to_sequence) : "");
  return ExitCode::kOk;
}

void AddBackupDirOption(CLI::App* cmd, BackupArgs* args) {
  cmd->add_option("--backup-dir", args->backup_dir, "The backup directory")->required();
}

}  // namespace

void RegisterBackupCommands(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* backup = app->add_subcommand(
      "backup", "Incremental, checksummed backups of a DB (docs/format/backup.md)");
  backup->require_subcommand(1);

  CLI::App* create = backup->add_subcommand(
      "create", "Back the DB up (ids count up from 1); tables already backed up are shared");
  AddDbOption(create, &args->db);
  AddBackupDirOption(create, args.get());
  create->add_flag("--no-flush", args->no_flush,
                   "Back up what the tables hold now, without flushing the memtable first");
  create->callback([args, exit_code] { *exit_code = ToInt(RunCreate(*args)); });

  CLI::App* list = backup->add_subcommand("list", "List the backups");
  AddBackupDirOption(list, args.get());
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([args, exit_code] { *exit_code = ToInt(RunList(*args)); });

  CLI::App* verify = backup->add_subcommand(
      "verify", "Re-read every file of a backup (all of them without --id) and check its checksum");
  AddBackupDirOption(verify, args.get());
  verify->add_option("--id", args->id, "The backup to check")
      ->transform(IntegerRange(1, kUint32Max));
  verify->callback([args, exit_code] { *exit_code = ToInt(RunVerify(*args)); });

  CLI::App* del = backup->add_subcommand("delete", "Delete a backup (files others share stay)");
  AddBackupDirOption(del, args.get());
  del->add_option("--id", args->id, "The backup to delete")
      ->required()
      ->transform(IntegerRange(1, kUint32Max));
  del->callback([args, exit_code] { *exit_code = ToInt(RunDelete(*args)); });

  CLI::App* purge = backup->add_subcommand("purge", "Delete the oldest backups, keeping --keep");
  AddBackupDirOption(purge, args.get());
  purge->add_option("--keep", args->keep, "How many of the newest backups to keep")
      ->required()
      ->transform(IntegerRange(0, kUint32Max));
  purge->callback([args, exit_code] { *exit_code = ToInt(RunPurge(*args)); });

  CLI::App* restore = app->add_subcommand(
      "restore",
      "Restore a backup (the newest without --id) into --to, optionally up to a sequence number "
      "from the DB's log archive");
  AddBackupDirOption(restore, args.get());
  restore->add_option("--id", args->id, "The backup to restore")
      ->transform(IntegerRange(1, kUint32Max));
  restore
      ->add_option("--to-sequence", args->to_sequence,
                   "Point-in-time restore: the state right after this sequence number")
      ->transform(NonNegativeInteger());
  restore->add_option("--to", args->to, "The DB directory to restore into")->required();
  restore->add_flag("--overwrite", args->overwrite, "Replace a DB already in --to");
  restore->callback([args, exit_code] { *exit_code = ToInt(RunRestore(*args)); });
}

}  // namespace ziggydb::tools
