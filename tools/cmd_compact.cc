// compact: DB::CompactRange over [--from, --to] (both inclusive, either open), which rewrites the
// range's tables down to the last level and drops the versions no snapshot needs.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "ziggydb/db.h"

namespace ziggydb::tools {
namespace {

struct CompactArgs {
  std::string db;
  std::string from;
  std::string to;
};

uint64_t NumericProperty(DB* db, const std::string& name) {
  std::string value;
  if (!db->GetProperty(name, &value)) return 0;
  return std::stoull(value);
}

ExitCode RunCompact(const CompactArgs& args) {
  std::unique_ptr<DB> db;
  Status s = OpenDb("compact", args.db, /*create=*/false, &db);
  if (!s.ok()) return ExitCode::kError;
  std::optional<std::string_view> from;
  std::optional<std::string_view> to;
  if (!args.from.empty()) from = args.from;
  if (!args.to.empty()) to = args.to;
  const uint64_t before = NumericProperty(db.get(), "ziggydb.estimate-live-data-size");
  s = db->CompactRange(from, to);
  if (!s.ok()) return ReportError("compact", args.db, s);
  std::string files;
  for (int level = 0; level < 7; ++level) {
    files += fmt::format(
        " L{}={}", level,
        NumericProperty(db.get(), "ziggydb.num-files-at-level" + std::to_string(level)));
  }
  fmt::print("compacted {}: table bytes {} -> {}; files{}\n", args.db, WithCommas(before),
             WithCommas(NumericProperty(db.get(), "ziggydb.estimate-live-data-size")), files);
  s = db->Close();
  if (!s.ok()) return ReportError("compact", "close failed", s);
  return ExitCode::kOk;
}

}  // namespace

void RegisterCompactCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<CompactArgs>();
  CLI::App* cmd = app->add_subcommand(
      "compact", "Compact a key range (default: everything) down to the last level");
  AddDbOption(cmd, &args->db);
  cmd->add_option("--from", args->from, "First key of the range (default: the first key)");
  cmd->add_option("--to", args->to, "Last key of the range, inclusive (default: the last key)");
  cmd->callback([args, exit_code] { *exit_code = ToInt(RunCompact(*args)); });
}

}  // namespace ziggydb::tools
