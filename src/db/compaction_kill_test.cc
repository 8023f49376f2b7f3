// Real kills during compaction: a child process writes keys 0, 1, 2, ... on the POSIX file system
// with tiny memtables and tables (so flushes and compactions run all the time, and it also calls
// CompactRange), and is SIGKILLed at a random moment. Every write was handed to the OS before it
// was acknowledged, so the reopened DB must hold exactly keys 0..M-1 for some M, with their
// values, and no table file that its Version does not list.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/filename.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb::test {
namespace {

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%010llu", static_cast<unsigned long long>(i));
  return buf;
}

std::string Value(uint64_t i) {
  return std::string(100 + i % 50, static_cast<char>('a' + i % 26)) + std::to_string(i);
}

Options SmallOptions() {
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  options.target_file_size = uint64_t{64} << 10;
  options.max_bytes_for_level_base = uint64_t{64} << 10;
  options.level_size_multiplier = 4;
  options.l0_compaction_trigger = 2;
  return options;
}

// The child: writes until killed. Never returns.
[[noreturn]] void WriteForever(const std::string& path, uint64_t first_key) {
  std::unique_ptr<DB> db;
  if (!DB::Open(SmallOptions(), path, &db).ok()) _exit(2);
  for (uint64_t i = first_key;; ++i) {
    if (!db->Put(WriteOptions(), Key(i), Value(i)).ok()) _exit(3);
    if ((i - first_key) % 20000 == 19999 && !db->CompactRange(std::nullopt, std::nullopt).ok())
      _exit(4);
  }
}

// Opens the DB and returns M, failing the test unless it holds exactly keys 0..M-1.
uint64_t CheckPrefix(const std::string& path) {
  std::unique_ptr<DB> db;
  const Status s = DB::Open(SmallOptions(), path, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return 0;
  auto iter = db->NewIterator(ReadOptions());
  uint64_t count = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++count) {
    EXPECT_EQ(iter->key(), Key(count));
    EXPECT_EQ(iter->value(), Value(count));
    if (iter->key() != Key(count)) break;
  }
  EXPECT_TRUE(iter->status().ok()) << iter->status().ToString();
  iter.reset();
  // Open deleted whatever an interrupted compaction left: every table is live. (Open may start a
  // compaction, whose output and inputs are both on disk till it ends: it is waited for.)
  EXPECT_TRUE(db->WaitForBackgroundWork().ok());
  int live_tables = 0;
  for (int level = 0; level < 7; ++level) {
    std::string value;
    EXPECT_TRUE(db->GetProperty("ziggydb.num-files-at-level" + std::to_string(level), &value));
    live_tables += std::stoi(value);
  }
  std::vector<std::string> names;
  EXPECT_TRUE(Env::Default()->GetChildren(path, &names).ok());
  int table_files = 0;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(name, &number, &type) && type == FileType::kTableFile) ++table_files;
  }
  EXPECT_EQ(table_files, live_tables);
  return count;
}

TEST(CompactionKillTest, KilledWriterLeavesAConsistentPrefix) {
  TempDir dir;
  const std::string path = dir.Join("db");
  Random rnd(TestSeed());
  uint64_t keys = 0;
  const uint64_t rounds = ScaledIterations(6);
  for (uint64_t round = 0; round < rounds; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) WriteForever(path, keys);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rnd.Uniform(600)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    const uint64_t found = CheckPrefix(path);
    ASSERT_FALSE(::testing::Test::HasFailure()) << "round " << round;
    EXPECT_GE(found, keys);  // nothing acknowledged earlier is lost
    keys = found;
  }
  std::printf("%llu keys after %llu kills\n", static_cast<unsigned long long>(keys),
              static_cast<unsigned long long>(rounds));
  EXPECT_GT(keys, 0u);
}

}  // namespace
}  // namespace ziggydb::test
