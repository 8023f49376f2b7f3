// demo: the main job (`make run`). Writes a generated dataset in random order, flushes it to a
// table, reopens the DB (recovery), reads every key back in another random order checking each
// value, probes absent keys, and prints throughput, latency percentiles and the DB's stats.
#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

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
  bool progress = false;
};

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
  if (!args.keep) {
    Status s = DestroyDB(args.db, Options());
    if (!s.ok()) return ReportError("demo", "cannot remove the previous demo DB", s);
  }
  fmt::print("ZiggyDB demo: {} keys x {} B values in {}\n", WithCommas(args.num), args.value_bytes,
             args.db);
  std::unique_ptr<DB> db;
  if (!OpenDb("demo", args.db, /*create=*/true, &db).ok()) return ExitCode::kError;

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
  if (!OpenDb("demo", args.db, /*create=*/false, &db).ok()) return ExitCode::kError;
  fmt::print("  {:<12} closed and reopened in {:.3f} s\n", "reopen", SecondsSince(start));

  const bool good = ReadBack(db.get(), args, progress);
  if (db->GetProperty("ziggydb.stats", &stats)) {
    fmt::print("\nziggydb.stats after the reads (caches):\n");
    std::istringstream lines(stats);
    for (std::string line; std::getline(lines, line);)
      if (line.find("cache") != std::string::npos) fmt::print("{}\n", line);
  }
  if (!good) {
    fmt::print(stderr, "ziggy demo: FAILED: the data read back differs from what was written\n");
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
  demo->add_option("--db", args->db, "DB directory (its previous demo DB is removed first)")
      ->capture_default_str();
  demo->add_option("--num", args->num, "Keys")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  demo->add_option("--value-size", args->value_bytes, "Bytes per value")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  demo->add_option("--seed", args->seed, "Seed of key order and values")->capture_default_str();
  demo->add_flag("--keep", args->keep, "Keep the DB already in --db instead of starting afresh");
  demo->add_flag("--progress", args->progress, "Progress bars even when stderr is not a tty");
  demo->callback([args, exit_code] { *exit_code = ToInt(RunDemo(*args)); });
}

}  // namespace ziggydb::tools
