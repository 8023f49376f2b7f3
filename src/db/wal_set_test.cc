// WalSet over the in-memory and fault-injecting envs.
#include "db/wal_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "db/filename.h"
#include "env/fault_env.h"
#include "wal/log_reader.h"

namespace ziggydb {
namespace {

constexpr char kDb[] = "/db";

class WalSetTest : public testing::Test {
 protected:
  WalSetTest() : wals_(&env_, kDb, 4096, nullptr, [this](uint64_t) { ++syncs_; }) {
    EXPECT_TRUE(env_.CreateDir(kDb).ok());
    EXPECT_TRUE(env_.SyncDir("/").ok());  // the directory survives a power loss
  }

  // Creates log `number` with the head WalSet says and installs it.
  void Switch(uint64_t number) {
    std::unique_ptr<wal::Writer> log;
    ASSERT_TRUE(wals_.CreateLog(FileNumber{number}, wals_.NextHead(), &log).ok());
    wals_.Install(FileNumber{number}, std::move(log));
  }
  Status Append(const std::string& record, bool sync) {
    WalSet::Append append = wals_.BeginAppend(sync);
    uint64_t sync_micros = 0;
    Status s = append.Run(record, &sync_micros);
    EXPECT_EQ(s.ok() && sync, sync_micros > 0);
    wals_.FinishAppend(append, s);
    return s;
  }
  struct LogContents {
    std::optional<wal::LogHead> head;
    bool marked = false;
    std::vector<std::string> records;
  };
  LogContents Read(uint64_t number) {
    std::unique_ptr<SequentialFile> file;
    EXPECT_TRUE(env_.NewSequentialFile(LogFileName(kDb, FileNumber{number}), &file).ok());
    wal::Reader reader(std::move(file), number, nullptr);
    LogContents contents;
    std::string record;
    while (reader.ReadRecord(&record))
      contents.records.push_back(record);
    contents.head = reader.head();
    contents.marked = reader.earlier_logs_synced();
    return contents;
  }

  FaultInjectionEnv env_;
  int syncs_ = 0;
  WalSet wals_;
};

TEST_F(WalSetTest, EachLogHeadNamesThePreviousLogAndItsEnd) {
  EXPECT_FALSE(wals_.has_live());
  Switch(3);
  ASSERT_TRUE(Append("one", false).ok());
  const wal::LogHead head = wals_.NextHead();
  EXPECT_EQ(head.previous_log_number, 3u);
  EXPECT_GT(head.previous_log_bytes, 0u);
  Switch(5);
  EXPECT_EQ(raw(wals_.live_number()), 5u);
  EXPECT_EQ(wals_.earlier_count(), 1u);
  ASSERT_TRUE(Append("two", false).ok());

  const LogContents first = Read(3);
  ASSERT_TRUE(first.head.has_value());
  EXPECT_EQ(first.head->previous_log_number, 0u);  // the first log of an open names none
  EXPECT_EQ(first.records, std::vector<std::string>{"one"});
  const LogContents second = Read(5);
  ASSERT_TRUE(second.head.has_value());
  EXPECT_EQ(second.head->previous_log_number, 3u);
  EXPECT_EQ(second.head->previous_log_bytes, head.previous_log_bytes);
  EXPECT_EQ(second.records, std::vector<std::string>{"two"});
}

TEST_F(WalSetTest, SyncWriteSyncsEarlierLogsFirstAndMarksTheLiveLogOnce) {
  Switch(3);
  ASSERT_TRUE(Append("old", false).ok());
  Switch(4);
  ASSERT_TRUE(Append("unsynced", false).ok());
  EXPECT_FALSE(wals_.live_marked());
  syncs_ = 0;
  ASSERT_TRUE(Append("synced", true).ok());
  EXPECT_EQ(syncs_, 2);  // log 3, then log 4
  EXPECT_TRUE(wals_.live_marked());
  // A power loss now keeps everything: both logs were synced, log 4 carries the marker.
  env_.DropUnsyncedData();
  EXPECT_EQ(Read(3).records, std::vector<std::string>{"old"});
  const LogContents live = Read(4);
  EXPECT_TRUE(live.marked);
  EXPECT_EQ(live.records, (std::vector<std::string>{"unsynced", "synced"}));

  syncs_ = 0;
  ASSERT_TRUE(Append("again", true).ok());
  EXPECT_EQ(syncs_, 1);  // log 3 holds nothing unsynced any more
  // The next log starts unmarked.
  Switch(6);
  EXPECT_FALSE(wals_.live_marked());
}

TEST_F(WalSetTest, EmptySyncWriteSyncsWithoutARecord) {
  Switch(3);
  ASSERT_TRUE(Append("", true).ok());
  EXPECT_TRUE(Read(3).records.empty());
  EXPECT_TRUE(Read(3).marked);
}

TEST_F(WalSetTest, FailedEarlierSyncLeavesTheLiveLogUnmarked) {
  Switch(3);
  ASSERT_TRUE(Append("old", false).ok());
  Switch(4);
  env_.InjectError(FaultOp::kSync, "000003");
  EXPECT_FALSE(Append("new", true).ok());
  EXPECT_FALSE(wals_.live_marked());
  EXPECT_TRUE(Read(4).records.empty());  // nothing of the failed write reached log 4
}

TEST_F(WalSetTest, RetireHandsBackTheLogsBelowANumber) {
  Switch(3);
  Switch(4);
  Switch(7);
  Switch(9);
  std::vector<std::shared_ptr<wal::Writer>> retired;
  wals_.Retire(FileNumber{7}, &retired);
  ASSERT_EQ(retired.size(), 2u);
  EXPECT_EQ(retired[0]->log_number(), 3u);
  EXPECT_EQ(retired[1]->log_number(), 4u);
  EXPECT_EQ(wals_.earlier_count(), 1u);  // log 7; log 9 is live
  // The live log is never retired.
  retired.clear();
  wals_.Retire(FileNumber{100}, &retired);
  EXPECT_EQ(retired.size(), 1u);
  EXPECT_EQ(raw(wals_.live_number()), 9u);
  EXPECT_TRUE(Append("still", false).ok());
}

TEST_F(WalSetTest, FailedCreationLeavesNoFile) {
  env_.InjectError(FaultOp::kSyncDir, kDb);
  std::unique_ptr<wal::Writer> log;
  EXPECT_FALSE(wals_.CreateLog(FileNumber{3}, wals_.NextHead(), &log).ok());
  EXPECT_EQ(log, nullptr);
  EXPECT_FALSE(env_.FileExists(LogFileName(kDb, FileNumber{3})));
  EXPECT_FALSE(wals_.has_live());
}

// An Env whose preallocated creation fails after making the file (a third-party Env need not
// undo it): WalSet removes the file all the same.
class LeavesFileEnv final : public FaultInjectionEnv {
 public:
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override {
    Status s = FaultInjectionEnv::NewPreallocatedWritableFile(path, bytes, result);
    if (s.ok()) result->reset();
    return Status::IOError("reserve", path);
  }
};

TEST(WalSetCreate, AFailedCreationTheEnvLeftBehindIsRemoved) {
  LeavesFileEnv env;
  ASSERT_TRUE(env.CreateDir(kDb).ok());
  WalSet wals(&env, kDb, 4096, nullptr, nullptr);
  std::unique_ptr<wal::Writer> log;
  EXPECT_FALSE(wals.CreateLog(FileNumber{3}, wals.NextHead(), &log).ok());
  EXPECT_EQ(log, nullptr);
  EXPECT_FALSE(env.FileExists(LogFileName(kDb, FileNumber{3})));
  EXPECT_EQ(env.open_file_count(), 0u);
}

TEST_F(WalSetTest, CloseTrimsTheLivePreallocation) {
  Switch(3);
  ASSERT_TRUE(Append("x", false).ok());
  const uint64_t written = wals_.NextHead().previous_log_bytes;
  uint64_t size = 0;
  ASSERT_TRUE(env_.GetFileSize(LogFileName(kDb, FileNumber{3}), &size).ok());
  EXPECT_GT(size, written);  // preallocated
  ASSERT_TRUE(wals_.Close().ok());
  ASSERT_TRUE(env_.GetFileSize(LogFileName(kDb, FileNumber{3}), &size).ok());
  EXPECT_EQ(size, written);
  EXPECT_FALSE(wals_.has_live());
}

}  // namespace
}  // namespace ziggydb
