// Whitebox kill points: named steps of the POSIX Env (a write reaching the kernel, an fdatasync,
// a rename, a directory fsync) at which a test build can SIGKILL its own process, so that a crash
// test lands exactly between two file-system steps (`ziggy stress --crash --whitebox`).
//
// ZIGGY_KILL_POINT(op, path) compiles to nothing unless the CMake option ZIGGY_KILL_POINTS is on
// (the asan preset, a test build; off by default, so never in a release library). Even then it
// does nothing unless the environment variable ZIGGY_KILL_POINT, read once, arms one point:
//   ZIGGY_KILL_POINT=<name>[@<n>]   SIGKILL at the n-th time (default 1, counted across threads)
// the process passes point <name> = "<op>:<kind>", kind from the file's name: current, manifest,
// wal, table, temp (CURRENT's temp file), other; "dir" for syncdir. kKillPointNames lists them.
// A value that does not parse arms nothing (and says so on stderr once).
#ifndef ZIGGYDB_ENV_KILL_POINT_H_
#define ZIGGYDB_ENV_KILL_POINT_H_

#include <string_view>

namespace ziggydb {

// The points the Env passes, each right after its step succeeded.
inline constexpr std::string_view kKillPointNames[] = {
    "write:wal", "sync:wal",       "write:manifest", "sync:manifest", "write:temp",
    "sync:temp", "rename:current", "write:table",    "sync:table",    "syncdir:dir",
};

// True when this build has the kill points (ZIGGY_KILL_POINTS).
bool KillPointsCompiledIn();

// The kind of file `path` names, as used in point names.
std::string_view KillPointFileKind(std::string_view path);

// Kills the process with SIGKILL if point "<op>:<kind of path>" is armed and this is its n-th pass.
void PassKillPoint(std::string_view op, std::string_view path);

}  // namespace ziggydb

#ifdef ZIGGY_KILL_POINTS
#define ZIGGY_KILL_POINT(op, path) ::ziggydb::PassKillPoint(op, path)
#else
#define ZIGGY_KILL_POINT(op, path) ((void)0)
#endif

#endif  // ZIGGYDB_ENV_KILL_POINT_H_
