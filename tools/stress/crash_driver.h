// `ziggy stress --crash`: rounds of (start a child `ziggy stress` run -> SIGKILL it at a random
// moment), each child first verifying what the previous kill left against the expected state.
// After the last round a `--verify-only` child checks the last kill. A round fails on a child
// that exits by itself (a mismatch, an error), on a child killed by another signal, and on any
// sanitizer report in its stderr. With `whitebox`, each child is armed (ZIGGY_KILL_POINT, see
// env/kill_point.h) to SIGKILL itself at the n-th pass of a random kill point; a child that does
// not reach it within kill_max_ms is killed then.
#ifndef ZIGGYDB_TOOLS_STRESS_CRASH_DRIVER_H_
#define ZIGGYDB_TOOLS_STRESS_CRASH_DRIVER_H_

#include <cstdint>

#include "tools/stress/stress_run.h"

namespace ziggydb::tools::stress {

struct CrashParams {
  RunParams run;                // dir, seed (of the whole driver), threads, keys
  uint64_t rounds = 100;        // kills
  double budget_seconds = 0;    // stop starting rounds after this long; 0: no limit
  uint64_t kill_max_ms = 1500;  // 3 kills in 4 land within the first tenth of it
  bool whitebox = false;        // needs a build with kill points (KillPointsCompiledIn)
};

// Returns the process exit code: kOk when every round and the final verify passed.
int RunCrashRounds(const CrashParams& params);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_CRASH_DRIVER_H_
