// load: bulk-writes a generated dataset (keys GeneratedKey(0..N-1), deterministic values). Ctrl-C
// stops it between writes; what was written stays.
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/dataset.h"

namespace ziggydb::tools {
namespace {

struct LoadArgs {
  std::string db;
  FillSpec fill;
  bool sequential = false;
  bool progress = false;
};

ExitCode RunLoad(LoadArgs args) {
  const InterruptScope interrupt;
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("load", args.db, /*create=*/true, &db); !s.ok()) return ExitCodeFor(s);
  args.fill.random_order = !args.sequential;
  args.fill.progress = args.progress || StderrIsTty();
  fmt::print("load: {} keys x {} B values, {} order, batch {}, sync {}\n",
             WithCommas(args.fill.num), args.fill.value_bytes,
             args.sequential ? "sequential" : "random", args.fill.batch,
             args.fill.sync ? "on" : "off");
  const PhaseResult result = FillDataset(db.get(), args.fill);
  if (!result.status.ok()) {
    return ReportError("load", fmt::format("write failed after {} keys", result.ops),
                       result.status);
  }
  PrintPhase(args.sequential ? "fillseq" : "fillrandom", result);
  // Interrupted: the keys written so far stay (Close keeps them as WriteOptions promised).
  if (Status closed = db->Close(); !closed.ok()) return ReportError("load", "close failed", closed);
  if (result.ops < args.fill.num) {
    fmt::print(stderr, "ziggy load: interrupted after {} of {} keys\n", WithCommas(result.ops),
               WithCommas(args.fill.num));
    return ExitCode::kInterrupted;
  }
  return ExitCode::kOk;
}

}  // namespace

void RegisterLoadCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<LoadArgs>();
  CLI::App* load =
      app->add_subcommand("load", "Write N generated keys (creates the DB if missing)");
  AddDbOption(load, &args->db);
  load->add_option("--num", args->fill.num, "Number of keys")
      ->required()
      ->transform(IntegerRange(1, 1'000'000'000'000));
  load->add_option("--value-size", args->fill.value_bytes, "Bytes per value")
      ->default_val(100)
      ->transform(IntegerRange(0, uint64_t{16} << 20));
  load->add_flag("--sync", args->fill.sync, "fdatasync the WAL on every write");
  load->add_option("--batch", args->fill.batch, "Keys per WriteBatch (1: one Put per key)")
      ->default_val(1)
      ->transform(IntegerRange(1, 1'000'000));
  load->add_option("--seed", args->fill.seed, "Seed of the key order and values")
      ->default_val(1)
      ->transform(NonNegativeInteger());
  load->add_flag("--sequential", args->sequential, "Write keys in ascending order");
  load->add_flag("--progress", args->progress, "Show the progress bar even when not a tty");
  load->callback([args, exit_code] { *exit_code = ToInt(RunLoad(*args)); });
}

}  // namespace ziggydb::tools
