// demo: the main job (`make run`). Writes a generated dataset in random order, flushes it to a
// table, reopens the DB (recovery), reads every key back in another random order checking each
// value, probes absent keys, and prints throughput, latency percentiles and the DB's stats.
//
// The demo replaces only a DB it made itself: right after creating its DB, before writing any
// data, it writes a marker file (kMarkerName, holding kMarkerText) into the DB directory, and it
// later replaces the DB in a directory only when that exact marker is there, the directory is
// missing or empty, or --force is given. The marker goes in as soon as the DB exists (DB::Open
// refuses a non-empty directory without a DB), so an interrupted demo still leaves a directory
// the next one recognises; no other command writes it, so a DB made by `put` or `load` (or any
// program) is never taken for the demo's.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/dataset.h"

namespace ziggydb::tools {
namespace {

struct DemoArgs {
  std::string db = "./ziggy-data";
  uint64_t num = 500'000;
  size_t value_bytes = 100;
  uint64_t seed = 1;
  bool keep = false;
  bool force = false;
  bool progress = false;
};

constexpr std::string_view kMarkerName = "ZIGGY-DEMO";
constexpr std::string_view kMarkerText =
    "This DB was made by `ziggy demo`; the next demo replaces it.\n";

enum class DirState : uint8_t {
  kMissingOrEmpty,
  kDemo,     // holds the demo's marker
  kForeign,  // anything else: someone else's data
};

std::string MarkerPath(const std::string& dir) {
  std::string path = dir;
  path += '/';
  path += kMarkerName;
  return path;
}

bool HasDemoMarker(const std::string& dir) {
  std::ifstream in(MarkerPath(dir), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text == kMarkerText;
}

Status ClassifyDir(const std::string& dir, DirState* state) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    *state = DirState::kMissingOrEmpty;
    return Status::OK();
  }
  if (ec) return Status::IOError(dir, ec.message());
  if (status.type() != fs::file_type::directory) {
    return Status::InvalidArgument(dir, "exists and is not a directory");
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return Status::IOError(dir, ec.message());
  *state = empty ? DirState::kMissingOrEmpty
                 : (HasDemoMarker(dir) ? DirState::kDemo : DirState::kForeign);
  return Status::OK();
}

Status WriteMarker(const std::string& dir) {
  std::ofstream out(MarkerPath(dir), std::ios::binary | std::ios::trunc);
  out << kMarkerText;
  out.close();
  if (!out) return Status::IOError("cannot write", MarkerPath(dir));
  return Status::OK();
}

// Decides whether the demo may use --db and, unless --keep, removes the DB in it and the marker
// (DB::Open creates a DB only in an empty directory); kOk, or the exit code after printing why not.
ExitCode PrepareDir(const DemoArgs& args) {
  DirState state{};
  Status s = ClassifyDir(args.db, &state);
  if (!s.ok()) return ReportError("demo", "cannot use --db", s);
  if (state == DirState::kForeign && !args.force) {
    PrintToStderr(
        "ziggy demo: '{}' is not empty and was not made by the demo (no {} marker of a "
        "demo in it); refusing to replace what it holds. Pass another --db, or --force "
        "to replace the DB in it.\n",
        args.db, kMarkerName);
    return ExitCode::kUsage;
  }
  if (args.keep) return ExitCode::kOk;
  s = DestroyDB(args.db, Options());
  if (!s.ok()) return ReportError("demo", "cannot remove the previous demo DB", s);
  if (!HasDemoMarker(args.db)) return ExitCode::kOk;  // a file of that name but not ours stays
  std::error_code ec;
  std::filesystem::remove(MarkerPath(args.db), ec);
  if (ec) {
    return ReportError("demo", "cannot remove the previous demo DB", Status::IOError(ec.message()));
  }
  return ExitCode::kOk;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Reads back everything and a sample of absent keys; false (after printing why) on any failure.
bool ReadBack(DB* db, const DemoArgs& args, bool progress) {
  ReadSpec read{args.num, args.value_bytes, args.seed, /*missing=*/false, progress};
  const PhaseResult found = ReadDataset(db, read);
  if (!found.status.ok()) {
    ReportError("demo", "read failed", found.status);
    return false;
  }
  PrintPhase("readrandom", found);
  read.num = std::max<uint64_t>(1, args.num / 4);
  read.missing = true;
  const PhaseResult missing = ReadDataset(db, read);
  if (!missing.status.ok()) {
    ReportError("demo", "read failed", missing.status);
    return false;
  }
  PrintPhase("readmissing", missing);
  fmt::print("  check: {} of {} keys found, {} wrong values; {} of {} absent keys found\n",
             WithCommas(found.found), WithCommas(args.num), found.wrong_values, missing.found,
             WithCommas(read.num));
  return found.found == args.num && found.wrong_values == 0 && missing.found == 0;
}

ExitCode RunDemo(const DemoArgs& args) {
  const bool progress = args.progress || StderrIsTty();
  if (const ExitCode prepared = PrepareDir(args); prepared != ExitCode::kOk) return prepared;
  fmt::print("ZiggyDB demo: {} keys x {} B values in {}\n", WithCommas(args.num), args.value_bytes,
             args.db);
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("demo", args.db, /*create=*/true, &db); !s.ok()) return ExitCodeFor(s);
  Status marked = WriteMarker(args.db);
  if (!marked.ok()) return ReportError("demo", "cannot mark the DB as the demo's", marked);

  FillSpec fill{args.num,  args.value_bytes, /*random_order=*/true, /*sync=*/false, 1,
                args.seed, progress};
  const PhaseResult written = FillDataset(db.get(), fill);
  if (!written.status.ok()) return ReportError("demo", "write failed", written.status);
  PrintPhase("fillrandom", written);

  auto start = std::chrono::steady_clock::now();
  Status s = db->Flush();
  if (!s.ok()) return ReportError("demo", "flush failed", s);
  fmt::print("  {:<12} memtable written to a table in {:.2f} s\n", "flush", SecondsSince(start));
  std::string stats;
  if (db->GetProperty("ziggydb.stats", &stats)) {
    fmt::print("\nziggydb.stats after the writes:\n{}\n", stats);
  }
  db.reset();
  start = std::chrono::steady_clock::now();
  if (Status s = OpenDb("demo", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  fmt::print("  {:<12} closed and reopened in {:.3f} s\n", "reopen", SecondsSince(start));

  const bool good = ReadBack(db.get(), args, progress);
  if (db->GetProperty("ziggydb.stats", &stats)) {
    fmt::print("\nziggydb.stats after the reads (caches):\n");
    std::istringstream lines(stats);
    for (std::string line; std::getline(lines, line);)
      if (line.find("cache") != std::string::npos) fmt::print("{}\n", line);
  }
  if (!good) {
    PrintToStderr("ziggy demo: FAILED: the data read back differs from what was written\n");
    return ExitCode::kCorruption;
  }
  fmt::print("\ndemo: OK (data kept in {}; inspect it with `ziggy stats --db {}`)\n", args.db,
             args.db);
  return ExitCode::kOk;
}

}  // namespace

void RegisterDemoCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app->add_subcommand(
      "demo", "Load a dataset, read it back, print throughput, latency and stats");
  demo->add_option("--db", args->db,
                   "DB directory: missing, empty, or the demo's own (its DB is replaced)")
      ->capture_default_str();
  demo->add_option("--num", args->num, "Keys")
      ->capture_default_str()
      ->transform(IntegerRange(1, 1'000'000'000));
  demo->add_option("--value-size", args->value_bytes, "Bytes per value")
      ->capture_default_str()
      ->transform(IntegerRange(0, uint64_t{1} << 20));
  demo->add_option("--seed", args->seed, "Seed of key order and values")
      ->capture_default_str()
      ->transform(NonNegativeInteger());
  demo->add_flag("--keep", args->keep, "Keep the DB already in --db instead of starting afresh");
  demo->add_flag("--force", args->force,
                 "Use --db even when the demo did not make it (its DB is replaced)");
  demo->add_flag("--progress", args->progress, "Progress bars even when stderr is not a tty");
  demo->callback([args, exit_code] { *exit_code = ToInt(RunDemo(*args)); });
}

}  // namespace ziggydb::tools
