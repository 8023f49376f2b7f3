// `ziggy stress --power-loss`: simulated power losses, in-process, over the in-memory
// FaultInjectionEnv (env/fault_env.h). Each round opens the DB with the options of its seed,
// checks what the previous power loss left, runs a random sequence of writes (puts, deletes,
// batches; sync per the round's sync mode), flushes and compactions from one writer, freezes the
// disk, drops every unsynced byte and, per directory at random, all or none of the name changes
// since its last sync (DropUnsyncedDataKeeping), and starts the next round.
//
// The check (prefix property, power_loss_check.h): the recovered DB must equal the state after
// some prefix of the round's acknowledged writes, in their commit order (the write trace), and
// that prefix must hold every write acknowledged with sync (and so everything before it) and
// every write acknowledged before a Flush or CompactRange that returned OK. Batches count as one
// trace entry: a torn batch matches no prefix.
#ifndef ZIGGYDB_TOOLS_STRESS_POWER_LOSS_H_
#define ZIGGYDB_TOOLS_STRESS_POWER_LOSS_H_

#include <cstdint>

namespace ziggydb::tools::stress {

struct PowerLossParams {
  uint64_t seed = 0;
  uint32_t keys = 1000;
  uint64_t rounds = 1000;
  double budget_seconds = 0;  // stop starting rounds after this long; 0: no limit
};

// Returns the process exit code: kOk when every round passed.
int RunPowerLossRounds(const PowerLossParams& params);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_POWER_LOSS_H_
