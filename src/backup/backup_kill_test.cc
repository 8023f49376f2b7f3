// Real-process crash test for checkpoints, backups and restores: a child process opens a DB
// on the POSIX Env and, in a loop, writes a few keys and then takes a checkpoint, a backup or a
// restore of the newest backup (overwriting its last restore); the parent SIGKILLs it after a
// random 0..150 ms after its Open and checks that
//   1. every backup listed verifies, and the newest and one other restore to a valid state;
//      the backups made before the round are still listed (no backup lost, none half-listed);
//   2. the live DB opens and holds a valid state;
//   3. every checkpoint directory either opens to a valid state or is refused by DB::Open;
//   4. the restore target either opens to a valid state or is refused, and a new restore into it
//      works.
// A valid state: the base keys with their values, and for each round r a prefix 0..n of the keys
// the child of round r writes ("c<r>_<n>" = "val-<r>-<n>").
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

constexpr int kBaseKeys = 3000;
constexpr int kKeysPerStep = 150;
constexpr uint64_t kKillDelayMicrosMax = 150000;

std::string BaseKey(int i) {
  return "base" + std::to_string(i);
}
std::string BaseValue(int i) {
  return "base-value-" + std::to_string(i) + std::string(100, 'b');
}
std::string ChildKey(int round, int n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "c%03d_%06d", round, n);
  return buf;
}
std::string ChildValue(int round, int n) {
  return "val-" + std::to_string(round) + "-" + std::to_string(n) + std::string(60, 'c');
}

Options DbOptions() {
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // tables come quickly
  return options;
}

// Runs in the child until killed.
// Writes one byte to ready_fd once the DB and the engine are open.
[[noreturn]] void RunChild(const std::string& root, int round, int ready_fd) {
  std::unique_ptr<DB> db;
  if (!DB::Open(DbOptions(), root + "/db", &db).ok()) _exit(2);
  std::unique_ptr<BackupEngine> engine;
  if (!BackupEngine::Open(root + "/backup", BackupEngineOptions(), &engine).ok()) _exit(3);
  if (write(ready_fd, "r", 1) != 1) _exit(6);
  int written = 0;
  for (int step = 0;; ++step) {
    for (int i = 0; i < kKeysPerStep; ++i, ++written) {
      if (!db->Put(WriteOptions(), ChildKey(round, written), ChildValue(round, written)).ok()) {
        _exit(4);
      }
    }
    Status s;
    uint32_t id = 0;
    switch (step % 3) {
      case 0:
        s = db->CreateCheckpoint(root + "/cp-" + std::to_string(round) + "-" +
                                 std::to_string(step));
        break;
      case 1:
        s = engine->CreateNewBackup(db.get(), /*flush_first=*/true, &id);
        break;
      default: {
        RestoreOptions options;
        options.overwrite = true;
        s = engine->RestoreDBFromBackup(engine->GetBackupInfo().back().id, root + "/restore",
                                        options);
      }
    }
    if (!s.ok()) {
      std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
      _exit(5);
    }
  }
}

// Checks that the DB at dir (when it opens) holds a valid state; returns the open status.
Status CheckDbAt(const std::string& dir, const std::string& what) {
  Options options;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, dir, &db);
  if (!s.ok()) return s;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  int base = 0;
  std::map<int, int> next_of_round;  // round -> the next child key expected
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key(it->key());
    const std::string value(it->value());
    if (key.starts_with("base")) {
      const int i = std::stoi(key.substr(4));
      EXPECT_EQ(value, BaseValue(i)) << what << " " << key;
      ++base;
      continue;
    }
    int round = -1, n = -1;
    if (std::sscanf(key.c_str(), "c%d_%d", &round, &n) != 2) {
      ADD_FAILURE() << what << ": unexpected key " << key;
      continue;
    }
    EXPECT_EQ(value, ChildValue(round, n)) << what << " " << key;
    EXPECT_EQ(n, next_of_round[round]) << what << ": round " << round << " keys not a prefix";
    next_of_round[round] = n + 1;
  }
  EXPECT_TRUE(it->status().ok()) << what;
  EXPECT_EQ(base, kBaseKeys) << what;
  it.reset();
  EXPECT_TRUE(db->Close().ok()) << what;
  return Status::OK();
}

// Makes the DB with the base keys and backup 1 of it.
void MakeBaseDbAndBackup(const std::string& root) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(DbOptions(), root + "/db", &db).ok());
  for (int i = 0; i < kBaseKeys; ++i)
    ASSERT_TRUE(db->Put(WriteOptions(), BaseKey(i), BaseValue(i)).ok());
  std::unique_ptr<BackupEngine> engine;
  ASSERT_TRUE(BackupEngine::Open(root + "/backup", BackupEngineOptions(), &engine).ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine->CreateNewBackup(db.get(), true, &id).ok());
  ASSERT_TRUE(db->Close().ok());
}

// What the kills left, over all rounds: printed, to show where they landed.
struct KillCounts {
  int backups_added = 0;
  int checkpoints_whole = 0;
  int checkpoints_refused = 0;
  int restores_whole = 0;
  int restores_refused = 0;
};

void CheckAfterKill(const std::string& root, int round, Random* rnd,
                    const std::vector<uint32_t>& ids_before, KillCounts* counts) {
  const std::string where = "round " + std::to_string(round);
  std::unique_ptr<BackupEngine> engine;
  Status s = BackupEngine::Open(root + "/backup", BackupEngineOptions(), &engine);
  ASSERT_TRUE(s.ok()) << where << ": " << s.ToString();
  std::vector<uint32_t> ids;
  for (const BackupInfo& info : engine->GetBackupInfo()) {
    ids.push_back(info.id);
    s = engine->VerifyBackup(info.id);
    EXPECT_TRUE(s.ok()) << where << " backup " << info.id << ": " << s.ToString();
  }
  for (uint32_t id : ids_before)
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << where << " lost backup " << id;
  ASSERT_FALSE(ids.empty());
  counts->backups_added += static_cast<int>(ids.size() - ids_before.size());
  for (uint32_t id : {ids.back(), ids[rnd->Uniform(ids.size())]}) {
    const std::string dir = root + "/check-restore";
    std::filesystem::remove_all(dir);
    s = engine->RestoreDBFromBackup(id, dir);
    ASSERT_TRUE(s.ok()) << where << " restore " << id << ": " << s.ToString();
    ASSERT_TRUE(CheckDbAt(dir, where + " backup " + std::to_string(id)).ok());
  }
  // The live DB.
  s = CheckDbAt(root + "/db", where + " live DB");
  EXPECT_TRUE(s.ok()) << where << " live DB: " << s.ToString();
  // Checkpoints: whole or refused; then removed, to keep the test small.
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const std::string name = entry.path().filename();
    if (!name.starts_with("cp-")) continue;
    s = CheckDbAt(entry.path(), where + " " + name);
    ++(s.ok() ? counts->checkpoints_whole : counts->checkpoints_refused);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption() || s.IsInvalidArgument()) << s.ToString();
    }
    std::filesystem::remove_all(entry.path());
  }
  // The restore target: whole or refused, and restorable again.
  if (std::filesystem::exists(root + "/restore")) {
    s = CheckDbAt(root + "/restore", where + " restore target");
    ++(s.ok() ? counts->restores_whole : counts->restores_refused);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption() || s.IsInvalidArgument()) << s.ToString();
    }
    RestoreOptions overwrite;
    overwrite.overwrite = true;
    s = engine->RestoreDBFromBackup(ids.back(), root + "/restore", overwrite);
    ASSERT_TRUE(s.ok()) << where << ": " << s.ToString();
    ASSERT_TRUE(CheckDbAt(root + "/restore", where + " restored again").ok());
  }
  // Bounded growth: keep the three newest backups.
  ASSERT_TRUE(engine->PurgeOldBackups(3).ok());
}

TEST(BackupKill, KillsDuringCheckpointBackupAndRestoreLoseNothingEarlier) {
  const uint64_t seed = TestSeed();
  Random rnd(seed);
  TempDir tmp;
  const std::string root = tmp.path();
  MakeBaseDbAndBackup(root);
  const int rounds = static_cast<int>(ScaledIterations(10));
  KillCounts counts;
  for (int round = 0; round < rounds; ++round) {
    std::vector<uint32_t> ids_before;
    {
      std::unique_ptr<BackupEngine> engine;
      ASSERT_TRUE(BackupEngine::Open(root + "/backup", BackupEngineOptions(), &engine).ok());
      for (const BackupInfo& info : engine->GetBackupInfo())
        ids_before.push_back(info.id);
    }
    const uint64_t delay_micros = rnd.Uniform(kKillDelayMicrosMax + 1);
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    std::fflush(nullptr);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(ready[0]);
      RunChild(root, round, ready[1]);
    }
    close(ready[1]);
    char byte = 0;
    const bool opened = read(ready[0], &byte, 1) == 1;  // 0: the child died before
    close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_micros));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    // Killed, not failed on its own.
    ASSERT_TRUE(opened && WIFSIGNALED(status))
        << "round " << round << ": child exited with " << WEXITSTATUS(status);
    CheckAfterKill(root, round, &rnd, ids_before, &counts);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " (kill after " << delay_micros << " us)";
      return;
    }
  }
  std::printf(
      "%d rounds: %d backups added, checkpoints %d whole %d refused, restore target %d "
      "whole %d refused\n",
      rounds, counts.backups_added, counts.checkpoints_whole, counts.checkpoints_refused,
      counts.restores_whole, counts.restores_refused);
}

}  // namespace
}  // namespace ziggydb::test
