// RepairDB: after CURRENT is deleted, the MANIFEST truncated or deleted, the repaired DB holds
// exactly the model (every key in the tables and logs); a corrupt table goes to lost/ and is
// reported; a failed or refused repair changes nothing.
#include "db/repair.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "db/filename.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

namespace fs = std::filesystem;
using Model = std::map<std::string, std::string>;

class RepairTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ziggy-repair-test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    db_ = root_ + "/db";
    options_.create_if_missing = true;
    options_.memtable_bytes = 64 << 10;  // several tables and logs from a small model
    options_.target_file_size = 64 << 10;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<DB> Open() {
    std::unique_ptr<DB> db;
    Status s = DB::Open(options_, db_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return db;
  }

  // Random puts and deletes, some flushed and compacted, the last ones only in the WAL (Close
  // does not flush a memtable its WAL holds).
  void Fill(uint32_t seed) {
    std::mt19937 rng(seed);
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 6000; ++i) {
      const std::string key = "key" + std::to_string(rng() % 2000);
      if (rng() % 8 == 0) {
        ASSERT_TRUE(db->Delete(WriteOptions(), key).ok());
        model_.erase(key);
      } else {
        std::string value(20 + rng() % 100, static_cast<char>('a' + rng() % 26));
        value[0] = '\0';  // NULs survive
        ASSERT_TRUE(db->Put(WriteOptions(), key, value).ok());
        model_[key] = value;
      }
      if (i == 3000) {
        ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
      }
    }
    ASSERT_TRUE(db->Close().ok());
  }

  Model Contents() {
    Model out;
    std::unique_ptr<DB> db = Open();
    if (db == nullptr) return out;
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[std::string(it->key())] = std::string(it->value());
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }

  std::vector<std::string> Files(FileType wanted) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(db_)) {
      FileNumber number{};
      FileType type{};
      const std::string name = entry.path().filename().string();
      if (ParseFileName(name, &number, &type) && type == wanted) out.push_back(db_ + "/" + name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Status Repair(RepairReport* report) { return RepairDB(db_, options_, report, RepairProgress()); }

  std::string root_;
  std::string db_;
  Options options_;
  Model model_;
};

uint32_t Seed() {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  return seed;
}

TEST_F(RepairTest, DeletedCurrentIsRebuilt) {
  Fill(Seed());
  ASSERT_FALSE(Files(FileType::kLogFile).empty());
  fs::remove(CurrentFileName(db_));
  std::unique_ptr<DB> db;
  ASSERT_FALSE(DB::Open(options_, db_, &db).ok());
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.lost.empty());
  EXPECT_TRUE(report.log_damage.empty());
  EXPECT_FALSE(report.logs.empty());
  EXPECT_GT(report.tables_written, 0u);
  EXPECT_EQ(Contents(), model_);
  // The originals are kept aside, never deleted.
  ASSERT_FALSE(report.moved_dir.empty());
  EXPECT_FALSE(fs::is_empty(report.moved_dir));
}

TEST_F(RepairTest, TruncatedManifestIsRebuilt) {
  Fill(Seed());
  const std::vector<std::string> manifests = Files(FileType::kManifestFile);
  ASSERT_EQ(manifests.size(), 1u);
  fs::resize_file(manifests[0], fs::file_size(manifests[0]) / 2);
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, DeletedManifestIsRebuiltTwice) {
  Fill(Seed());
  for (const std::string& manifest : Files(FileType::kManifestFile))
    fs::remove(manifest);
  RepairReport report;
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
  // Repairing a healthy DB keeps it as it is.
  RepairReport again;
  ASSERT_TRUE(Repair(&again).ok());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, CorruptTableGoesToLostAndIsReported) {
  // Keys "a*" only in one table, keys "b*" in another; the logs hold neither after the flushes.
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "a" + std::to_string(i), "x").ok());
    ASSERT_TRUE(db->Flush().ok());
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "b" + std::to_string(i), "y").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::vector<std::string> tables = Files(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 2u);
  {
    std::FILE* f = std::fopen(tables[0].c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 10, SEEK_SET);
    std::fputs("garbage garbage garbage", f);
    std::fclose(f);
  }
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(report.lost.size(), 1u);
  const std::string name = fs::path(tables[0]).filename().string();
  EXPECT_NE(report.lost[0].find(name), std::string::npos) << report.lost[0];
  EXPECT_TRUE(fs::exists(db_ + "/lost/" + name));
  Model expected;
  for (int i = 0; i < 100; ++i)
    expected["b" + std::to_string(i)] = "y";
  EXPECT_EQ(Contents(), expected);
}

TEST_F(RepairTest, AnOpenDbIsRefusedAndUntouched) {
  Fill(Seed());
  std::unique_ptr<DB> db = Open();
  ASSERT_NE(db, nullptr);
  RepairReport report;
  Status s = Repair(&report);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(report.manifest.empty());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, AnInterruptedRepairLeavesNothingBehind) {
  Fill(Seed());
  fs::remove(CurrentFileName(db_));
  std::vector<std::string> before;
  for (const auto& entry : fs::directory_iterator(db_))
    before.push_back(entry.path().string());
  std::sort(before.begin(), before.end());
  RepairReport report;
  int calls = 0;
  Status s = RepairDB(db_, options_, &report, [&calls](uint64_t, uint64_t) { return ++calls < 3; });
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  std::vector<std::string> after;
  for (const auto& entry : fs::directory_iterator(db_))
    after.push_back(entry.path().string());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before);
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
}

// A repair SIGKILLed at a random moment (a real child process) leaves a directory that a second
// repair brings back to the model: before its commit the directory is as it was, after it the
// rebuilt DB, and moving the originals aside may stop half-way.
TEST_F(RepairTest, KilledRepairsLeaveARepairableDirectory) {
  const uint32_t seed = Seed();
  Fill(seed);
  fs::remove(CurrentFileName(db_));
  const std::string pristine = root_ + "/pristine";
  fs::copy(db_, pristine, fs::copy_options::recursive);
  // How long one repair takes here, to spread the kills over it (not asserted).
  const auto start = std::chrono::steady_clock::now();
  RepairReport report;
  ASSERT_TRUE(Repair(&report).ok());
  const auto repair_micros =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count());
  std::mt19937 rng(seed);
  const int rounds = 12;
  for (int round = 0; round < rounds; ++round) {
    fs::remove_all(db_);
    fs::copy(pristine, db_, fs::copy_options::recursive);
    const int64_t kill_after_micros = static_cast<int64_t>(rng() % (repair_micros * 5 / 4 + 1));
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      RepairReport child_report;
      _exit(RepairDB(db_, options_, &child_report, RepairProgress()).ok() ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(kill_after_micros));
    kill(child, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    if (WIFEXITED(wait_status)) {
      ASSERT_EQ(WEXITSTATUS(wait_status), 0) << "round " << round;
    }
    RepairReport again;
    Status s = Repair(&again);
    ASSERT_TRUE(s.ok()) << "round " << round << " (killed after " << kill_after_micros
                        << " us): " << s.ToString();
    // A table the killed repair was writing is unreadable: the second repair moves it to lost/
    // and reports it (never deletes it), though its contents are also in the files it came from.
    for (const std::string& line : again.lost)
      std::printf("round %d: moved to lost/: %s\n", round, line.c_str());
    ASSERT_EQ(Contents(), model_) << "round " << round << " (killed after " << kill_after_micros
                                  << " us of ~" << repair_micros << ")";
  }
}

}  // namespace
}  // namespace ziggydb
