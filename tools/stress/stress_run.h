// One `ziggy stress` run on the POSIX Env: verify the DB in <dir>/db against the expected state
// in <dir>/expected_state (left by a previous run, possibly killed), then several threads run
// random operations, in epochs separated by a close + reopen + full verify, until the time is up
// or the process is killed. Checkpoints are made in <dir>/checkpoints (emptied at start), backups
// in <dir>/backups (kept: each run first restores the latest into <dir>/restore and checks it).
// The crash driver (crash_driver.h) runs this as its child.
#ifndef ZIGGYDB_TOOLS_STRESS_STRESS_RUN_H_
#define ZIGGYDB_TOOLS_STRESS_STRESS_RUN_H_

#include <cstdint>
#include <string>

namespace ziggydb::tools::stress {

struct RunParams {
  std::string dir;
  uint64_t seed = 0;
  int threads = 4;
  uint32_t keys = 10000;
  // Length of the run; 0 runs until killed.
  double seconds = 10;
  // Only the verification at start (the crash driver's last step).
  bool verify_only = false;
  // Share of the operations, in thousandths, that are transactions, checkpoints and backups (0
  // disables one); the other operations keep their relative weights.
  uint32_t txn_permille = 40;
  uint32_t checkpoint_permille = 2;
  uint32_t backup_permille = 1;
};

// The command line that repeats this run.
std::string RunCommandLine(const RunParams& params);

// Returns the process exit code (tools::ExitCode): kOk, kCorruption on any mismatch with the
// expected state (printed to stderr with the key, the allowed values, what was found and the
// seed), kError on an unexpected Status.
int RunStress(const RunParams& params);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_STRESS_RUN_H_
