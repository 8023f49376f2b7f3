// compact: DB::CompactRange over [--from, --to] (both inclusive, either open), which rewrites the
// range's tables down to the last level and drops the versions no snapshot needs.
//
// The range is compacted in slices, cut at the largest keys of the deepest level's tables (read
// from the MANIFEST before the DB is opened), each slice one CompactRange: the slices cover the
// range whatever the cut, so a stale cut costs balance, never correctness. Between slices the
// progress bar advances by the slice's bytes and Ctrl-C is honoured: what was compacted stays
// compacted, the rest is as it was.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/version_set.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "util/comparator.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

// A bar of more slices than this moves no smoother; each slice costs a CompactRange round.
constexpr uint64_t kSlicesMax = 64;

struct CompactArgs {
  std::string db;
  std::string from;
  std::string to;
};

struct Slice {
  std::optional<std::string> end;  // inclusive; nullopt: up to the range's end
  uint64_t bytes = 0;              // deepest-level table bytes in the slice (progress weight)
};

uint64_t NumericProperty(DB* db, const std::string& name) {
  std::string value;
  if (!db->GetProperty(name, &value)) return 0;
  return std::stoull(value);
}

// Cuts (from, to) at the largest user keys of the deepest non-empty level >= 1, into at most
// about kSlicesMax slices of similar bytes. One slice when the MANIFEST cannot be read (Open will
// say why) or only L0 holds tables.
std::vector<Slice> PlanSlices(const CompactArgs& args) {
  const InternalKeyComparator icmp(BytewiseComparator());
  VersionSet versions(args.db, Env::Default(), &icmp, nullptr);
  std::vector<Slice> slices;
  uint64_t pending = 0;  // bytes since the last cut
  if (versions.Recover().ok()) {
    const Version& version = *versions.current();
    int level = kNumLevels - 1;
    while (level > 0 && version.NumFiles(level) == 0)
      --level;
    const uint64_t slice_bytes_min = version.LevelBytes(level) / kSlicesMax + 1;
    // L0 tables overlap: no cut there.
    const Version::FileList none;
    for (const auto& file : level > 0 ? version.files(level) : none) {
      ParsedInternalKey largest;
      if (!ParseInternalKey(file->largest, &largest)) continue;
      const std::string_view key = largest.user_key;
      if (!args.from.empty() && key < args.from) continue;
      pending += file->file_bytes;
      if (!args.to.empty() && key >= args.to) break;
      if (pending < slice_bytes_min) continue;
      slices.push_back({std::string(key), pending});
      pending = 0;
    }
  }
  slices.push_back({std::nullopt, pending});
  return slices;
}

ExitCode RunCompact(const CompactArgs& args) {
  const InterruptScope interrupt;
  const std::vector<Slice> slices = PlanSlices(args);
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("compact", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  const uint64_t before = NumericProperty(db.get(), "ziggydb.estimate-live-data-size");
  uint64_t total_bytes = 0;
  for (const Slice& slice : slices)
    total_bytes += slice.bytes;
  size_t done = 0;
  Status s;
  {
    ProgressBar progress("compact", total_bytes, StderrIsTty(), ProgressUnit::kBytes);
    std::optional<std::string_view> from;
    if (!args.from.empty()) from = args.from;
    for (; done < slices.size() && !InterruptRequested(); ++done) {
      std::optional<std::string_view> to = slices[done].end;
      if (!to.has_value() && !args.to.empty()) to = args.to;
      s = db->CompactRange(from, to);
      if (!s.ok()) break;
      progress.Advance(slices[done].bytes);
      from = to;
    }
  }
  if (!s.ok()) return ReportError("compact", args.db, s);
  std::string files;
  for (int level = 0; level < kNumLevels; ++level) {
    files += fmt::format(
        " L{}={}", level,
        NumericProperty(db.get(), "ziggydb.num-files-at-level" + std::to_string(level)));
  }
  fmt::print("compacted {}: table bytes {} -> {}; files{}\n", args.db, WithCommas(before),
             WithCommas(NumericProperty(db.get(), "ziggydb.estimate-live-data-size")), files);
  s = db->Close();
  if (!s.ok()) return ReportError("compact", "close failed", s);
  if (done < slices.size()) {
    PrintToStderr("ziggy compact: interrupted after {} of {} slices{}\n", done, slices.size(),
                  done > 0 && slices[done - 1].end.has_value()
                      ? " (compacted up to '" + Escape(*slices[done - 1].end) + "')"
                      : "");
    return ExitCode::kInterrupted;
  }
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
