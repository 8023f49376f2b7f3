// stress: randomized multi-threaded operations checked against an expected state that survives
// SIGKILL (stress_run.h), the kill-and-verify driver (--crash, crash_driver.h) and simulated power
// losses over the in-memory fault-injecting Env (--power-loss, power_loss.h). docs/cli.md.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/stress/crash_driver.h"
#include "tools/stress/power_loss.h"
#include "tools/stress/stress_run.h"

namespace ziggydb::tools {
namespace {

// --kill-max-ms at most a day: the driver adds it to a steady_clock time point in nanoseconds
// (int64), which 2^64-1 ms (what "-1" once became) overflowed.
constexpr uint64_t kKillMaxMsMax = uint64_t{24} * 3600 * 1000;
// --seconds at most ~115 days, likewise far from overflowing a steady_clock deadline.
constexpr double kSecondsMax = 1e7;

struct StressArgs {
  std::string dir;
  uint64_t seed = 0;
  bool seed_given = false;
  int threads = 4;
  uint32_t keys = 0;
  std::optional<double> seconds;
  bool verify_only = false;
  bool crash = false;
  bool power_loss = false;
  uint64_t rounds = 100;
  uint64_t kill_max_ms = 1500;
  bool whitebox = false;
  uint32_t txn_permille = 40;
  uint32_t checkpoint_permille = 2;
  uint32_t backup_permille = 1;
};

int RunStressCommand(StressArgs args) {
  if (!args.seed_given) args.seed = std::random_device{}() >> 1;
  if (args.power_loss) {
    stress::PowerLossParams p;
    p.seed = args.seed;
    p.keys = args.keys == 0 ? 1000 : args.keys;
    p.rounds = args.rounds;
    p.budget_seconds = args.seconds.value_or(0);
    return stress::RunPowerLossRounds(p);
  }
  if (args.dir.empty()) {
    PrintToStderr("ziggy stress: --dir is required (except with --power-loss)\n");
    return ToInt(ExitCode::kUsage);
  }
  stress::RunParams run;
  run.dir = args.dir;
  run.seed = args.seed;
  run.keys = args.keys == 0 ? 10000 : args.keys;
  // Each thread writes only keys of its own (stress_run.cc): no more threads than keys.
  run.threads = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(args.threads), run.keys));
  run.seconds = args.seconds.value_or(10);
  run.verify_only = args.verify_only;
  run.txn_permille = args.txn_permille;
  run.checkpoint_permille = args.checkpoint_permille;
  run.backup_permille = args.backup_permille;
  if (!args.crash) return stress::RunStress(run);
  stress::CrashParams crash;
  crash.run = run;
  crash.rounds = args.rounds;
  crash.budget_seconds = args.seconds.value_or(0);
  crash.kill_max_ms = args.kill_max_ms;
  crash.whitebox = args.whitebox;
  return stress::RunCrashRounds(crash);
}

}  // namespace

void RegisterStressCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<StressArgs>();
  CLI::App* cmd = app->add_subcommand(
      "stress", "Random multi-threaded operations checked against a kill-proof expected state");
  cmd->add_option("--dir", args->dir,
                  "Run directory: the DB (DIR/db) and the expected state (DIR/expected_state)");
  cmd->add_option("--seed", args->seed, "Seed of the options and operations (default: random)")
      ->transform(NonNegativeInteger())
      ->each([args](const std::string&) { args->seed_given = true; });
  cmd->add_option("--threads", args->threads, "Worker threads (default 4)")
      ->transform(IntegerRange(1, 64));
  cmd->add_option("--keys", args->keys,
                  "Size of the key space (default 10000; 1000 with --power-loss); fixed for a "
                  "run directory")
      ->transform(IntegerRange(1, 100'000'000));
  cmd->add_option("--seconds", args->seconds,
                  "Run length (0: until killed); with --crash or --power-loss the time after "
                  "which no new round starts. Default: 10, no limit for rounds")
      ->transform(FiniteRange(0, kSecondsMax));
  cmd->add_flag("--verify-only", args->verify_only,
                "Only check the DB against the expected state, then exit");
  cmd->add_flag("--crash", args->crash,
                "Rounds of: run a child stress process, SIGKILL it at a random moment; each "
                "next child verifies first");
  cmd->add_flag("--power-loss", args->power_loss,
                "Rounds of simulated power loss in the in-memory fault-injecting Env, each "
                "recovery checked for the prefix property");
  cmd->add_option("--rounds", args->rounds, "Kills or power losses (default 100)")
      ->transform(IntegerRange(1, std::numeric_limits<uint64_t>::max()));
  cmd->add_option(
         "--kill-max-ms", args->kill_max_ms,
         "--crash: the kill lands 0..this many ms after the child starts, 3 in 4 within the "
         "first tenth (default 1500)")
      ->transform(IntegerRange(1, kKillMaxMsMax));
  cmd->add_flag("--whitebox", args->whitebox,
                "--crash: each child kills itself at the n-th pass of a random named kill point "
                "(create, write, sync, rename, unlink, directory sync; MANIFEST and CURRENT "
                "switch, flush and compaction install, obsolete-file deletion, WAL switch: "
                "docs/design/testing.md); needs a build with ZIGGY_KILL_POINTS");
  cmd->add_option("--txn-permille", args->txn_permille,
                  "Thousandths of the operations that are transactions (default 40; 0: none)")
      ->transform(IntegerRange(0, 1000));
  cmd->add_option("--checkpoint-permille", args->checkpoint_permille,
                  "Thousandths of the operations that are checkpoints (default 2; 0: none)")
      ->transform(IntegerRange(0, 1000));
  cmd->add_option("--backup-permille", args->backup_permille,
                  "Thousandths of the operations that are incremental backups into DIR/backups "
                  "(default 1; 0: none)")
      ->transform(IntegerRange(0, 1000));
  cmd->callback([args, exit_code] { *exit_code = RunStressCommand(*args); });
}

}  // namespace ziggydb::tools
