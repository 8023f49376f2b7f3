// The enumerator's model on hand-built logs (crashstate/crash_states.h): which states it
// produces, and which it must never produce.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "crashstate/crash_states.h"
#include "env/mem_env.h"

namespace ziggydb::test {
namespace {

using Files = std::map<std::string, std::string>;

// The distinct file sets (directories aside) over all crash points.
std::set<Files> AllStates(const std::vector<FsOp>& log) {
  std::set<Files> states;
  EnumerateCrashStates(log, CrashStateOptions(),
                       [&](uint64_t, const DiskState& state) { states.insert(state.files); });
  return states;
}

FsOp Create(uint64_t inode, std::string path) {
  return {.kind = FsOp::Kind::kCreate, .inode = inode, .path = std::move(path)};
}
FsOp Write(uint64_t inode, uint64_t offset, std::string data) {
  return {.kind = FsOp::Kind::kWrite, .inode = inode, .offset = offset, .data = std::move(data)};
}
FsOp Sync(uint64_t inode) {
  return {.kind = FsOp::Kind::kSync, .inode = inode};
}
FsOp SyncDir(std::string dir) {
  return {.kind = FsOp::Kind::kSyncDir, .path = std::move(dir)};
}
FsOp Mkdir(std::string dir) {
  return {.kind = FsOp::Kind::kMkdir, .path = std::move(dir)};
}

TEST(CrashStatesTest, UnsyncedAppendIsKeptInPagePiecesFrontToBack) {
  const std::string data(6000, 'x');
  const std::set<Files> states =
      AllStates({Mkdir("/d"), Create(1, "/d/f"), Write(1, 0, data), SyncDir("/d"), Sync(1)});
  const std::set<Files> expected = {
      {}, {{"/d/f", ""}}, {{"/d/f", data.substr(0, 4096)}}, {{"/d/f", data}}};
  EXPECT_EQ(states, expected);
}

TEST(CrashStatesTest, WriteBoundariesAndPagesCombine) {
  // Two appends within one page: kept as none, the first, or both; never the second alone.
  const std::set<Files> states = AllStates(
      {Mkdir("/d"), Create(1, "/d/f"), SyncDir("/d"), Write(1, 0, "ab"), Write(1, 2, "cd")});
  const std::set<Files> expected = {{}, {{"/d/f", ""}}, {{"/d/f", "ab"}}, {{"/d/f", "abcd"}}};
  EXPECT_EQ(states, expected);
}

TEST(CrashStatesTest, RenameWithoutDirectorySyncLeavesOldOrNewName) {
  const std::vector<FsOp> log = {Mkdir("/d"),
                                 Create(1, "/d/a"),
                                 Write(1, 0, "v1"),
                                 Sync(1),
                                 SyncDir("/d"),
                                 Create(2, "/d/tmp"),
                                 Write(2, 0, "v2"),
                                 Sync(2),
                                 {.kind = FsOp::Kind::kRename, .path = "/d/tmp", .path2 = "/d/a"}};
  std::vector<std::set<Files>> per_point(log.size() + 1);
  EnumerateCrashStates(log, CrashStateOptions(), [&](uint64_t k, const DiskState& state) {
    per_point[k].insert(state.files);
  });
  // Once /d/a is durable with v1, a crash leaves v1 or (after the rename) v2 under /d/a, and a
  // tmp name only before the rename is applied: never /d/a missing.
  for (const std::set<Files>& states : per_point) {
    for (const Files& files : states) {
      if (!files.empty() && files.count("/d/a") == 0) ADD_FAILURE() << "state without /d/a";
    }
  }
  // After the whole log, the rename not yet durable (the old names, the tmp file maybe without
  // its name) as well as applied: states before the rename do not count here.
  const std::set<Files>& last = per_point[log.size()];
  EXPECT_TRUE(last.count({{"/d/a", "v1"}, {"/d/tmp", "v2"}}));
  EXPECT_TRUE(last.count({{"/d/a", "v2"}}));
  EXPECT_TRUE(last.count({{"/d/a", "v1"}}));
}

TEST(CrashStatesTest, UnlinkedNameReturnsUntilTheDirectoryIsSynced) {
  const std::vector<FsOp> log = {Mkdir("/d"),      Create(1, "/d/f"),
                                 Write(1, 0, "x"), Sync(1),
                                 SyncDir("/d"),    {.kind = FsOp::Kind::kUnlink, .path = "/d/f"},
                                 SyncDir("/d")};
  std::vector<std::set<Files>> per_point(log.size() + 1);
  EnumerateCrashStates(log, CrashStateOptions(), [&](uint64_t k, const DiskState& state) {
    per_point[k].insert(state.files);
  });
  EXPECT_EQ(per_point[6], (std::set<Files>{{}, {{"/d/f", "x"}}}));
  EXPECT_EQ(per_point[7], (std::set<Files>{{}}));
}

// A directory is a name in its parent: until the parent is synced a crash may leave it out, and
// with it every file in it, synced or not; a subdirectory needs its own parent's sync too.
TEST(CrashStatesTest, ADirectoryIsDurableOnlyOnceItsParentIsSynced) {
  const std::vector<FsOp> log = {Mkdir("/d"),      Mkdir("/d/e"), Create(1, "/d/e/f"),
                                 Write(1, 0, "x"), Sync(1),       SyncDir("/d/e"),
                                 SyncDir("/d"),    SyncDir("/")};
  std::vector<std::set<std::set<std::string>>> dirs(log.size() + 1);
  std::vector<std::set<Files>> files(log.size() + 1);
  EnumerateCrashStates(log, CrashStateOptions(), [&](uint64_t k, const DiskState& state) {
    dirs[k].insert(state.dirs);
    files[k].insert(state.files);
    for (const auto& [path, bytes] : state.files)
      EXPECT_TRUE(state.dirs.contains("/d/e")) << path << " without its directory";
  });
  // Before any directory sync: /d alone, /d and /d/e, or neither (never /d/e without /d).
  using Dirs = std::set<std::string>;
  EXPECT_EQ(dirs[6], (std::set<Dirs>{{}, {"/d"}, {"/d", "/d/e"}}));
  // /d/e durable in /d, but /d not in /: still all or nothing of /d.
  EXPECT_EQ(dirs[7], (std::set<Dirs>{{}, {"/d", "/d/e"}}));
  EXPECT_TRUE(files[7].contains(Files{}));
  // Every parent synced: the file stays.
  EXPECT_EQ(dirs[8], (std::set<Dirs>{{"/d", "/d/e"}}));
  EXPECT_EQ(files[8], (std::set<Files>{{{"/d/e/f", "x"}}}));
  // A directory the log never made predates it: durable, with what is made durable in it.
  std::set<Files> predating;
  EnumerateCrashStates({Create(1, "/old/f"), Write(1, 0, "y"), Sync(1), SyncDir("/old")},
                       CrashStateOptions(), [&](uint64_t k, const DiskState& state) {
                         if (k == 4) predating.insert(state.files);
                       });
  EXPECT_EQ(predating, (std::set<Files>{{{"/old/f", "y"}}}));
}

TEST(CrashStatesTest, OverwriteHolesLeaveOnePageOfAPreallocatedFileBehind) {
  // A preallocated file: 3 pages of zeros, durable; then unsynced writes over pages 0 and 1.
  const std::string zeros(3 * 4096, '\0');
  const std::string a(4096, 'a');
  const std::string b(100, 'b');
  const std::vector<FsOp> log = {
      Mkdir("/d"),
      SyncDir("/"),
      Create(1, "/d/wal"),
      {.kind = FsOp::Kind::kTruncate, .inode = 1, .offset = zeros.size()},
      Sync(1),
      SyncDir("/d"),
      Write(1, 0, a),
      Write(1, 4096, b)};
  std::string both = zeros;
  both.replace(0, a.size(), a);
  both.replace(4096, b.size(), b);
  std::string only_first = zeros;
  only_first.replace(0, a.size(), a);
  std::string only_second = zeros;
  only_second.replace(4096, b.size(), b);
  std::set<std::string> last_point;
  CrashStateOptions options;
  options.overwrite_holes = true;
  EnumerateCrashStates(log, options, [&](uint64_t k, const DiskState& state) {
    if (k == log.size()) last_point.insert(state.files.at("/d/wal"));
  });
  // A prefix (none, page 0, both), or page 0 alone missing; page 1 missing alone is the prefix.
  EXPECT_EQ(last_point, (std::set<std::string>{zeros, only_first, both, only_second}));
  std::set<std::string> without;
  EnumerateCrashStates(log, CrashStateOptions(), [&](uint64_t k, const DiskState& state) {
    if (k == log.size()) without.insert(state.files.at("/d/wal"));
  });
  EXPECT_EQ(without.count(only_second), 0u);
}

TEST(CrashStatesTest, MaterializeWritesDurableFiles) {
  DiskState state;
  state.dirs = {"/d"};
  state.files = {{"/d/f", "bytes"}};
  MemEnv env;
  ASSERT_TRUE(state.Materialize(&env).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env.GetFileSize("/d/f", &size).ok());
  EXPECT_EQ(size, 5u);
  DiskState other = state;
  other.files["/d/f"] = "bytez";
  EXPECT_NE(state.Hash(), other.Hash());
}

}  // namespace
}  // namespace ziggydb::test
