// load: bulk-writes a generated dataset (keys GeneratedKey(0..N-1), deterministic values). Ctrl-C
// stops it between writes; what was written stays.
#include <sys/stat.h>

#include <exception>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/filename.h"
#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/dataset.h"
#include "ziggydb/env.h"
#include "ziggydb/options.h"

namespace ziggydb::tools {
namespace {

struct LoadArgs {
  std::string db;
  FillSpec fill;
  bool sequential = false;
  bool progress = false;
};

// The encoded bytes of a WriteBatch of `batch` generated keys with `value_bytes` values, at most:
// the 12-byte header, and per record a tag and two length varints (at most 5 bytes each).
uint64_t BatchBytesMax(uint64_t batch, uint64_t value_bytes) {
  return 12 + batch * (1 + 5 + kGeneratedKeyBytes + 5 + value_bytes);
}

// Removes the DB a failed load created (and its directory, unless that was there before, empty).
void RemoveCreatedDb(const std::string& path, bool dir_existed) {
  struct stat st {};
  const bool had_mode = dir_existed && stat(path.c_str(), &st) == 0;
  if (Status s = DestroyDB(path, Options()); !s.ok()) {
    ReportError("load", "cannot remove the DB it created at '" + path + "'", s);
    return;
  }
  if (had_mode && !Env::Default()->FileExists(path)) mkdir(path.c_str(), st.st_mode & 07777);
  PrintToStderr("ziggy load: removed the DB it created at '{}'\n", path);
}

ExitCode RunLoad(LoadArgs args) {
  // Checked before anything is created: a batch the DB refuses (or that no memory holds).
  if (const uint64_t bytes = BatchBytesMax(args.fill.batch, args.fill.value_bytes);
      bytes > kMaxWriteBatchBytes) {
    PrintToStderr(
        "ziggy load: --batch {} of {}-byte values makes write batches of up to {} bytes, "
        "over the largest write batch ({} bytes): lower --batch or --value-size\n",
        args.fill.batch, args.fill.value_bytes, WithCommas(bytes), WithCommas(kMaxWriteBatchBytes));
    return ExitCode::kUsage;
  }
  const InterruptScope interrupt;
  // In doubt (a path that cannot be looked at) a DB or directory is the user's: never removed.
  const bool dir_existed = !args.db.empty() && MayExist(Env::Default(), args.db);
  const bool db_existed = dir_existed && MayExist(Env::Default(), CurrentFileName(args.db));
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("load", args.db, /*create=*/true, &db); !s.ok()) {
    // What a failed Open of a new directory made there goes with it.
    if (!dir_existed && Env::Default()->FileExists(args.db)) RemoveCreatedDb(args.db, false);
    return ExitCodeFor(s);
  }
  args.fill.random_order = !args.sequential;
  args.fill.progress = args.progress || StderrIsTty();
  fmt::print("load: {} keys x {} B values, {} order, batch {}, sync {}\n",
             WithCommas(args.fill.num), args.fill.value_bytes,
             args.sequential ? "sequential" : "random", args.fill.batch,
             args.fill.sync ? "on" : "off");
  PhaseResult result;
  try {
    result = FillDataset(db.get(), args.fill);
  } catch (const std::exception& e) {  // bad_alloc: the DB this run created must still go
    result.status = Status::IOError("exception", e.what());
  }
  if (!result.status.ok()) {
    const ExitCode code =
        ReportError("load", fmt::format("write failed after {} keys", result.ops), result.status);
    db->Close().PermitUncheckedError();  // the write's error is the one reported
    db.reset();
    if (!db_existed) RemoveCreatedDb(args.db, dir_existed);
    return code;
  }
  PrintPhase(args.sequential ? "fillseq" : "fillrandom", result);
  // Interrupted: the keys written so far stay (Close keeps them as WriteOptions promised).
  if (Status closed = db->Close(); !closed.ok()) {
    const ExitCode code = ReportError("load", "close failed", closed);
    db.reset();
    if (!db_existed) RemoveCreatedDb(args.db, dir_existed);
    return code;
  }
  if (result.ops < args.fill.num) {
    PrintToStderr("ziggy load: interrupted after {} of {} keys\n", WithCommas(result.ops),
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
