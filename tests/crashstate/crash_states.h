// Every on-disk state a power loss could leave, given the log of a workload's file-system
// operations (env/recording_env.h), under the model of docs/design/testing.md ("Every crash
// state"): Linux ext4 with data=ordered, relaxed to the durability contract of ziggydb/env.h.
//
// In short, for a crash right after operation k of the log (k = 0 .. log size):
//   - Each file's bytes are its bytes as of its last sync plus a prefix of what was written to
//     it since, counted in pieces: every write is cut at 4 KiB page boundaries (of the file's
//     offsets) and a size change is one piece. So unsynced data is dropped, kept, or kept up to
//     a page boundary or a write boundary (writeback goes front to back; a page holds the bytes
//     of the last write that reached it before writeback).
//   - Each directory's names are its names as of its last directory sync plus a prefix of the
//     creates, renames, unlinks and links made in it since (one journal, committed in order). A
//     rename across two directories counts as a link in the target's and an unlink in the
//     source's directory, each on its own.
//   - A directory made is a name in its parent, varied like any other; a directory whose name
//     (or an ancestor's) did not survive is gone with everything in it (as in MemEnv).
//   - Optionally (overwrite_holes), a page of in-place overwrites missing alone.
//   - Files and directories vary independently. When the combinations at one crash point exceed
//     max_combinations, only these are produced: everything at its newest, everything at its
//     oldest, and each file or directory alone through all its choices with every other one at
//     its newest, then at its oldest.
#ifndef ZIGGYDB_TESTS_CRASHSTATE_CRASH_STATES_H_
#define ZIGGYDB_TESTS_CRASHSTATE_CRASH_STATES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "env/recording_env.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb::test {

// What a crash left: the directories and every durable name with its bytes.
struct DiskState {
  std::set<std::string> dirs;
  std::map<std::string, std::string> files;  // path -> bytes

  uint64_t Hash() const;
  // Writes the state into env, which must be empty: directories, files (synced), names (synced).
  [[nodiscard]] Status Materialize(Env* env) const;
};

struct CrashStateOptions {
  uint64_t page_bytes = 4096;
  // Choice vectors allowed at one crash point before the cap (see above) applies.
  uint64_t max_combinations = 256;
  // Also: when all of a file's unsynced changes overwrite bytes within its durable size (a
  // preallocated file), each page they touch may alone be missing while the rest were written
  // back (the size is durable, so no journal commit orders those pages). One page at a time,
  // never two together nor with a cut tail. Off by default (the enumerator's own tests);
  // crash_state_test turns it on (docs/design/testing.md, "Holes in overwrites").
  bool overwrite_holes = false;
};

// Calls visit(k, state) for every state a crash right after the first k operations of log may
// leave, k from 0 to log.size(). A state may be visited more than once (at one crash point or
// at several). Returns how many crash points hit the combination cap.
uint64_t EnumerateCrashStates(const std::vector<FsOp>& log, const CrashStateOptions& options,
                              const std::function<void(uint64_t k, const DiskState&)>& visit);

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_CRASHSTATE_CRASH_STATES_H_
