// inspect: a read-only summary of a DB's shape — the MANIFEST that CURRENT names (its size, the
// last sequence, next file number and log number) and, per level, the live tables with their sizes
// and key ranges, plus the WAL data not yet in tables. The DB is recovered the way Open does it,
// in its read-only form (RecoverReadOnly), so inspect writes nothing and refuses what Open
// refuses.
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "tools/json_output.h"

namespace ziggydb::tools {
namespace {

void PrintSummary(const ReadOnlyRecovery& db) {
  const VersionSet& versions = *db.versions;
  fmt::print("manifest: {} ({} bytes, {} edits{})\n", db.manifest_name,
             WithCommas(db.manifest_bytes), versions.manifest_edits_replayed(),
             versions.manifest_tail_dropped() ? ", a torn last edit dropped" : "");
  fmt::print("  last sequence: {}\n  next file number: {}\n  log number: {}\n",
             raw(versions.LastSequence()), raw(versions.next_file_number()),
             raw(versions.LogNumber()));
  fmt::print("wal: {} logs, {} records, {} entries not yet in tables\n", db.wal.logs.size(),
             WithCommas(db.wal.records_replayed), WithCommas(db.wal_entries));
  const Version& version = *versions.current();
  uint64_t total_files = 0, total_bytes = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    const Version::FileList& files = version.files(level);
    const uint64_t bytes = version.LevelBytes(level);
    total_files += files.size();
    total_bytes += bytes;
    fmt::print("level {}: {} files, {} bytes\n", level, files.size(), WithCommas(bytes));
    for (const auto& file : files) {
      fmt::print("  {:06}.sst {} bytes [{} .. {}]\n", raw(file->number),
                 WithCommas(file->file_bytes), DescribeInternalKey(file->smallest),
                 DescribeInternalKey(file->largest));
    }
  }
  fmt::print("total: {} files, {} bytes\n", total_files, WithCommas(total_bytes));
}

// A table bound: the user key in the escaped form (lossless ASCII), its sequence and kind; the
// escaped bytes alone if they do not parse as an internal key.
nlohmann::json KeyJson(std::string_view ikey) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(ikey, &parsed)) return {{"internal_key", Escape(ikey)}};
  return {{"key", Escape(parsed.user_key)},
          {"sequence", raw(parsed.sequence)},
          {"type", parsed.type == ValueType::kValue ? "put" : "del"}};
}

// The summary as one object (docs/cli.md, "inspect").
void PrintSummaryJson(const ReadOnlyRecovery& db) {
  const VersionSet& versions = *db.versions;
  const Version& version = *versions.current();
  nlohmann::json levels = nlohmann::json::array();
  uint64_t total_files = 0, total_bytes = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& file : version.files(level)) {
      tables.push_back({{"number", raw(file->number)},
                        {"bytes", file->file_bytes},
                        {"smallest", KeyJson(file->smallest)},
                        {"largest", KeyJson(file->largest)}});
    }
    total_files += version.files(level).size();
    total_bytes += version.LevelBytes(level);
    levels.push_back({{"level", level},
                      {"files", version.NumFiles(level)},
                      {"bytes", version.LevelBytes(level)},
                      {"tables", std::move(tables)}});
  }
  PrintJson({{"manifest",
              {{"name", db.manifest_name},
               {"bytes", db.manifest_bytes},
               {"edits", versions.manifest_edits_replayed()},
               {"torn_tail_dropped", versions.manifest_tail_dropped()}}},
             {"last_sequence", raw(versions.LastSequence())},
             {"next_file_number", raw(versions.next_file_number())},
             {"log_number", raw(versions.LogNumber())},
             {"wal",
              {{"logs", db.wal.logs.size()},
               {"records", db.wal.records_replayed},
               {"entries_not_in_tables", db.wal_entries}}},
             {"levels", std::move(levels)},
             {"total", {{"files", total_files}, {"bytes", total_bytes}}}});
}

ExitCode RunInspect(const std::string& dbname, bool json) {
  ReadOnlyRecovery db;
  Status s = RecoverReadOnly(dbname, Options().wal_recovery_mode, &db);
  if (!s.ok()) return ReportError("inspect", dbname, s);
  if (json) {
    PrintSummaryJson(db);
  } else {
    PrintSummary(db);
  }
  return ExitCode::kOk;
}

}  // namespace

void RegisterInspectDbCommand(CLI::App* app, int* exit_code) {
  struct Args {
    std::string db;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* inspect = app->add_subcommand(
      "inspect", "Summarize the MANIFEST and list each level's tables, without modifying the DB");
  AddDbOption(inspect, &args->db);
  inspect->add_flag("--json", args->json, "Print one JSON object (docs/cli.md)");
  inspect->callback([args, exit_code] { *exit_code = ToInt(RunInspect(args->db, args->json)); });
}

}  // namespace ziggydb::tools
