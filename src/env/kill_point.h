// Whitebox kill points: named steps at which a test build can SIGKILL its own process, so that a
// crash test lands exactly between two steps (`ziggy stress --crash --whitebox`). Two families:
// - file-system steps of the POSIX Env (a file created, a write reaching the kernel, an
//   fdatasync, a rename, an unlink, a directory fsync): ZIGGY_KILL_POINT(op, path), named
//   "<op>:<kind>", kind from the file's name: current, manifest, wal, table, temp (CURRENT's temp
//   file), other; "dir" for syncdir;
// - steps of the DB's own protocols (MANIFEST and CURRENT switch, flush and compaction install,
//   obsolete-file deletion, WAL switch): ZIGGY_DB_KILL_POINT(name), named "db:<step>".
//
// Both compile to nothing unless the CMake option ZIGGY_KILL_POINTS is on (the asan preset, a test
// build; off by default, so never in a release library). Even then they do nothing unless the
// environment variable ZIGGY_KILL_POINT, read once, arms one point:
//   ZIGGY_KILL_POINT=<name>[@<n>]   SIGKILL at the n-th time (default 1, counted across threads)
// the process passes point <name>. kKillPointNames lists them (docs/design/testing.md too).
// A value that does not parse arms nothing (and says so on stderr once).
#ifndef ZIGGYDB_ENV_KILL_POINT_H_
#define ZIGGYDB_ENV_KILL_POINT_H_

#include <string_view>

namespace ziggydb {

// The points the Env and the DB pass, each right after its step succeeded.
inline constexpr std::string_view kKillPointNames[] = {
    // POSIX Env.
    "create:wal", "write:wal", "sync:wal", "create:manifest", "write:manifest", "sync:manifest",
    "create:temp", "write:temp", "sync:temp", "rename:current", "create:table", "write:table",
    "sync:table", "syncdir:dir", "unlink:wal", "unlink:table", "unlink:manifest",
    // DB steps.
    "db:manifest-written",      // a new MANIFEST holds its snapshot and first edit, synced
    "db:current-temp-written",  // CURRENT's temp file written and synced, not yet renamed
    "db:current-renamed",       // CURRENT names the new MANIFEST, directory synced
    "db:flush-installed",       // a flush's edit is durable and its Version installed
    "db:compaction-installed",  // a compaction's edit is durable and its Version installed
    "db:obsolete-deleted",      // one obsolete file removed (or archived), directory not yet synced
    "db:wal-created",           // a memtable switch's (or Open's) new WAL ready, head written
};

// True when this build has the kill points (ZIGGY_KILL_POINTS).
bool KillPointsCompiledIn();

// The kind of file `path` names, as used in point names.
std::string_view KillPointFileKind(std::string_view path);

// Kills the process with SIGKILL if point "<op>:<kind of path>" is armed and this is its n-th pass.
void PassKillPoint(std::string_view op, std::string_view path);

// Kills the process with SIGKILL if point `name` (a "db:" point) is armed and this is its n-th
// pass.
void PassNamedKillPoint(std::string_view name);

}  // namespace ziggydb

#ifdef ZIGGY_KILL_POINTS
#define ZIGGY_KILL_POINT(op, path) ::ziggydb::PassKillPoint(op, path)
#define ZIGGY_DB_KILL_POINT(name) ::ziggydb::PassNamedKillPoint(name)
#else
#define ZIGGY_KILL_POINT(op, path) ((void)0)
#define ZIGGY_DB_KILL_POINT(name) ((void)0)
#endif

#endif  // ZIGGYDB_ENV_KILL_POINT_H_
