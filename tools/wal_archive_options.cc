// The log-archive options of the writing commands (wal_archive_options.h).
#include "tools/wal_archive_options.h"

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/cli_checks.h"
#include "ziggydb/options.h"

namespace ziggydb::tools {
namespace {

struct WalArchiveArgs {
  std::string dir;
  uint64_t max_mib = 0;
  uint64_t max_age_seconds = 0;
};

WalArchiveArgs& Given() {
  static WalArchiveArgs args;
  return args;
}

void AddTo(CLI::App* cmd) {
  WalArchiveArgs& args = Given();
  CLI::Option* dir = cmd->add_option(
      "--wal-archive-dir", args.dir,
      "Archive flushed write-ahead logs in DIR instead of deleting them (for `ziggy restore "
      "--to-sequence`); give it to every command that writes the DB");
  cmd->add_option("--wal-archive-max-mib", args.max_mib,
                  "Delete the oldest archived logs beyond this many MiB (0: no limit)")
      ->needs(dir)
      ->transform(IntegerRange(0, uint64_t{1} << 40));
  cmd->add_option("--wal-archive-max-age-seconds", args.max_age_seconds,
                  "Delete archived logs last written longer ago than this (0: no limit)")
      ->needs(dir)
      ->transform(IntegerRange(0, uint64_t{1} << 40));
}

}  // namespace

void AddWalArchiveOptions(CLI::App* app) {
  for (const char* name : {"put", "del", "load", "compact", "restore-dump", "checkpoint"})
    AddTo(app->get_subcommand(name));
  AddTo(app->get_subcommand("backup")->get_subcommand("create"));
}

void ApplyWalArchiveOptions(Options* options) {
  const WalArchiveArgs& args = Given();
  if (args.dir.empty()) return;
  options->wal_archive_dir = args.dir;
  options->wal_archive_max_bytes = args.max_mib << 20;
  options->wal_archive_max_age_seconds = args.max_age_seconds;
}

}  // namespace ziggydb::tools
