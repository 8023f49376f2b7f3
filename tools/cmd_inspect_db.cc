// inspect: a read-only summary of a DB's shape — the MANIFEST that CURRENT names (its size, last
// sequence, next file number, log number) and, per level, the live tables with their sizes and
// key ranges. Like verify it replays the MANIFEST's edits itself under the DB's LOCK instead of
// opening the DB, so it writes nothing (an open would replay the WALs and may flush).
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/filename.h"
#include "db/version_edit.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "util/status_macros.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

// The state the MANIFEST's edits add up to.
struct ManifestSummary {
  std::string name;  // e.g. "MANIFEST-000005"
  uint64_t file_bytes = 0;
  uint64_t edits = 0;
  std::optional<uint64_t> last_sequence;
  std::optional<uint64_t> next_file_number;
  std::optional<uint64_t> log_number;
  // Live tables of each level, by file number.
  std::array<std::map<uint64_t, FileMetaData>, kNumLevels> levels;
};

void ApplyEdit(const VersionEdit& edit, ManifestSummary* summary) {
  ++summary->edits;
  if (edit.last_sequence()) summary->last_sequence = raw(*edit.last_sequence());
  if (edit.next_file_number()) summary->next_file_number = raw(*edit.next_file_number());
  if (edit.log_number()) summary->log_number = raw(*edit.log_number());
  for (const auto& [level, file] : edit.removed_files())
    summary->levels[level].erase(raw(file));
  for (const auto& [level, file] : edit.added_files())
    summary->levels[level][raw(file.number)] = file;
}

// Replays the MANIFEST that CURRENT names. A torn last edit is dropped (with a note), as recovery
// does; any other damage, or edits that leave a field recovery needs unset, is Corruption.
Status ReadManifestSummary(const std::string& dbname, ManifestSummary* summary) {
  std::string path;
  ZIGGY_RETURN_IF_ERROR(ReplayManifest(
      dbname, &path, [summary](const VersionEdit& edit) { ApplyEdit(edit, summary); }));
  summary->name = path.substr(dbname.size() + 1);
  ZIGGY_RETURN_IF_ERROR(Env::Default()->GetFileSize(path, &summary->file_bytes));
  // What recovery would refuse even when every record read back intact.
  if (!summary->last_sequence || !summary->next_file_number || !summary->log_number) {
    return Status::Corruption(
        "MANIFEST lacks the log number, next file number or last sequence (recovery would fail)",
        path);
  }
  return Status::OK();
}

// Precondition: ReadManifestSummary returned OK for `summary` (so every optional field is set).
void PrintSummary(const ManifestSummary& summary) {
  fmt::print("manifest: {} ({} bytes, {} edits)\n", summary.name, WithCommas(summary.file_bytes),
             summary.edits);
  fmt::print("  last sequence: {}\n  next file number: {}\n  log number: {}\n",
             *summary.last_sequence, *summary.next_file_number, *summary.log_number);
  uint64_t total_files = 0, total_bytes = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    const auto& files = summary.levels[level];
    uint64_t bytes = 0;
    for (const auto& [number, file] : files)
      bytes += file.file_bytes;
    total_files += files.size();
    total_bytes += bytes;
    fmt::print("level {}: {} files, {} bytes\n", level, files.size(), WithCommas(bytes));
    for (const auto& [number, file] : files) {
      fmt::print("  {:06}.sst {} bytes [{} .. {}]\n", number, WithCommas(file.file_bytes),
                 DescribeInternalKey(file.smallest), DescribeInternalKey(file.largest));
    }
  }
  fmt::print("total: {} files, {} bytes\n", total_files, WithCommas(total_bytes));
}

ExitCode RunInspect(const std::string& dbname) {
  Env* env = Env::Default();
  if (!env->FileExists(CurrentFileName(dbname))) {
    return ReportError("inspect", dbname,
                       Status::InvalidArgument("not a ZiggyDB directory (no CURRENT file)"));
  }
  // Holding the lock keeps a writer from rewriting the MANIFEST under us.
  std::unique_ptr<FileLock> lock;
  Status s = env->LockFile(LockFileName(dbname), &lock);
  if (!s.ok()) return ReportError("inspect", s.IsBusy() ? "the DB is in use" : dbname, s);
  ManifestSummary summary;
  s = ReadManifestSummary(dbname, &summary);
  env->UnlockFile(std::move(lock)).PermitUncheckedError();
  if (!s.ok()) return ReportError("inspect", dbname, s);
  PrintSummary(summary);
  return ExitCode::kOk;
}

}  // namespace

void RegisterInspectDbCommand(CLI::App* app, int* exit_code) {
  auto db = std::make_shared<std::string>();
  CLI::App* inspect = app->add_subcommand(
      "inspect", "Summarize the MANIFEST and list each level's tables, without modifying the DB");
  AddDbOption(inspect, db.get());
  inspect->callback([db, exit_code] { *exit_code = ToInt(RunInspect(*db)); });
}

}  // namespace ziggydb::tools
