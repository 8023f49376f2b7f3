// checkpoint: DB::CreateCheckpoint into a new directory (docs/design/checkpoint.md): the DB's
// state at one sequence number, its tables hard-linked (copied across file systems).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

struct CheckpointArgs {
  std::string db;
  std::string to;
};

ExitCode RunCheckpoint(const CheckpointArgs& args) {
  if (args.to.empty()) return ReportError("checkpoint", "--to", Status::InvalidArgument("empty"));
  // Before the DB is opened for writing (a new MANIFEST and log): a target that exists is refused
  // as CreateCheckpoint would refuse it, with the DB untouched.
  if (Env::Default()->FileExists(args.to)) {
    return ReportError("checkpoint", "cannot make a checkpoint in '" + args.to + "'",
                       Status::InvalidArgument("it already exists"));
  }
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("checkpoint", args.db, /*create=*/false, &db); !s.ok()) {
    return ExitCodeFor(s);
  }
  const auto start = std::chrono::steady_clock::now();
  Status s = db->CreateCheckpoint(args.to);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) return ReportError("checkpoint", "cannot make a checkpoint in '" + args.to + "'", s);
  s = db->Close();
  if (!s.ok()) return ReportError("checkpoint", "close failed", s);
  std::vector<std::string> names;
  uint64_t bytes = 0;
  if (Env::Default()->GetChildren(args.to, &names).ok()) {
    for (const std::string& name : names) {
      uint64_t size = 0;
      if (Env::Default()->GetFileSize(args.to + "/" + name, &size).ok()) bytes += size;
    }
  }
  fmt::print("checkpoint {}: {} files, {} bytes, {:.3f} s\n", args.to, names.size(),
             WithCommas(bytes), seconds);
  return ExitCode::kOk;
}

}  // namespace

void RegisterCheckpointCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<CheckpointArgs>();
  CLI::App* cmd = app->add_subcommand(
      "checkpoint",
      "Make --to (a new directory) a DB holding this DB's state at one sequence number: tables "
      "hard-linked (copied across file systems), a fresh MANIFEST, CURRENT last");
  AddDbOption(cmd, &args->db);
  cmd->add_option("--to", args->to, "The checkpoint directory (must not exist)")->required();
  cmd->callback([args, exit_code] { *exit_code = ToInt(RunCheckpoint(*args)); });
}

}  // namespace ziggydb::tools
