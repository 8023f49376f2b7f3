// Older WALs are not synced at a memtable switch (docs/design/recovery.md, "Older logs"): a sync
// write syncs them first, a power loss that tore one ends the WAL there, and a torn log that a
// later log says was synced is corruption.
//
// A FlushGate holds the flush thread, so that the older logs stay on disk until the test makes
// the flush fail and closes the DB (power loss comes after: file objects must not outlive it).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "db/db_test_util.h"
#include "db/filename.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "wal/log_reader.h"
#include "ziggydb/db.h"
#include "ziggydb/listener.h"

namespace ziggydb::test {
namespace {

// Blocks every flush at its start until Release().
class FlushGate final : public EventListener {
 public:
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& /*info*/) override { gate_.Enter(); }
  void Release() { gate_.Release(); }

 private:
  Gate gate_;
};

class DBOlderLogsTest : public DBTest {
 protected:
  static constexpr int kLogsWanted = 3;  // the current log and two older ones

  DBOlderLogsTest() {
    options_.max_immutable_memtables = kLogsWanted + 1;  // writers never wait for the gate
    options_.listeners.push_back(gate_);
  }

  static std::string ValueOf(int i) { return "v" + std::to_string(i) + std::string(300, 'x'); }

  // Unsynced puts of Key(next_key_), ... until kLogsWanted logs exist.
  void WriteUntilThreeLogs() {
    while (FilesOfType(FileType::kLogFile).size() < kLogsWanted) {
      ASSERT_TRUE(Put(Key(next_key_), ValueOf(next_key_)).ok());
      ++next_key_;
    }
  }
  // The flush the gate holds fails, so every log stays; then the DB closes.
  void FailTheFlushAndClose() {
    env_.InjectError(FaultOp::kCreate, ".sst", 1000);
    gate_->Release();
    Close();
    env_.ClearErrors();
  }
  std::string WalSyncs() {
    std::string value;
    EXPECT_TRUE(db_->GetProperty("ziggydb.wal-syncs", &value));
    return value;
  }
  // Keys present after reopening: must be Key(0) .. Key(n-1) for some n, which is returned.
  int PresentPrefix(int written) {
    int present = 0;
    while (present < written && Get(Key(present)) == ValueOf(present))
      ++present;
    for (int i = present; i < written; ++i)
      EXPECT_EQ(Get(Key(i)), "NOT_FOUND") << "hole before key " << i;
    return present;
  }
  // The length the head of `log` says its predecessor was written to.
  uint64_t PreviousLogBytes(const std::string& log) {
    std::unique_ptr<SequentialFile> file;
    EXPECT_TRUE(env_.NewSequentialFile(log, &file).ok());
    FileNumber number{};
    FileType type{};
    EXPECT_TRUE(ParseFileName(log.substr(log.rfind('/') + 1), &number, &type));
    wal::Reader reader(std::move(file), raw(number), nullptr);
    std::string record;
    reader.ReadRecord(&record);
    EXPECT_TRUE(reader.head().has_value());
    return reader.head().has_value() ? reader.head()->previous_log_bytes : 0;
  }

  std::shared_ptr<FlushGate> gate_ = std::make_shared<FlushGate>();
  int next_key_ = 0;
};

TEST_F(DBOlderLogsTest, ASyncWriteSyncsTheOlderLogsFirst) {
  Open();
  WriteUntilThreeLogs();
  EXPECT_EQ(WalSyncs(), "0") << "a memtable switch synced the log it left";
  ASSERT_TRUE(Put("synced", "1", /*sync=*/true).ok());
  EXPECT_EQ(WalSyncs(), std::to_string(kLogsWanted));  // two older logs, then the current one
  ASSERT_TRUE(Put("synced-again", "2", /*sync=*/true).ok());
  EXPECT_EQ(WalSyncs(), std::to_string(kLogsWanted + 1));  // older logs already synced
  ASSERT_TRUE(Put("after", "3").ok());
  FailTheFlushAndClose();
  env_.DropUnsyncedData();
  Open();
  EXPECT_EQ(PresentPrefix(next_key_), next_key_);
  EXPECT_EQ(Get("synced"), "1");
  EXPECT_EQ(Get("synced-again"), "2");
  EXPECT_EQ(Get("after"), "NOT_FOUND");
}

TEST_F(DBOlderLogsTest, PowerLossWithoutWritebackKeepsAPrefix) {
  Open();
  WriteUntilThreeLogs();
  FailTheFlushAndClose();
  env_.DropUnsyncedData();  // nothing of the logs reached the disk
  Open();
  EXPECT_EQ(PresentPrefix(next_key_), 0);
}

TEST_F(DBOlderLogsTest, ATornOlderLogEndsTheWalEvenIfNewerLogsReachedTheDisk) {
  Open();
  WriteUntilThreeLogs();
  FailTheFlushAndClose();
  const std::vector<std::string> logs = FilesOfType(FileType::kLogFile);
  ASSERT_EQ(logs.size(), static_cast<size_t>(kLogsWanted));
  // Writeback reached half of the oldest log's data and all of the newer logs.
  env_.DropUnsyncedDataKeeping([&](const std::string& path, uint64_t unsynced_bytes) {
    return path == logs.front() ? unsynced_bytes / 2 : unsynced_bytes;
  });
  Open();
  const int present = PresentPrefix(next_key_);
  EXPECT_GT(present, 0);
  EXPECT_LT(present, next_key_ / 2) << "records after the torn log were replayed";
  EXPECT_EQ(DbStats().wal_tail_records_dropped, 1u);
  // The recovered state is committed: the next open agrees, and writes go on.
  Reopen();
  EXPECT_EQ(PresentPrefix(next_key_), present);
  ASSERT_TRUE(Put("new", "value", /*sync=*/true).ok());
}

TEST_F(DBOlderLogsTest, PointInTimeRecoveryAlsoStopsAtATornOlderLog) {
  Open();
  WriteUntilThreeLogs();
  FailTheFlushAndClose();
  const std::vector<std::string> logs = FilesOfType(FileType::kLogFile);
  env_.DropUnsyncedDataKeeping([&](const std::string& path, uint64_t unsynced_bytes) {
    return path == logs[1] ? unsynced_bytes / 3 : unsynced_bytes;
  });
  options_.wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
  Open();
  const int present = PresentPrefix(next_key_);
  EXPECT_GT(present, 0);
  EXPECT_LT(present, next_key_);
}

TEST_F(DBOlderLogsTest, AnOlderLogTornAfterItWasSyncedIsCorruption) {
  Open();
  WriteUntilThreeLogs();
  ASSERT_TRUE(Put("synced", "1", /*sync=*/true).ok());  // syncs the older logs, marks the newest
  FailTheFlushAndClose();
  const std::vector<std::string> logs = FilesOfType(FileType::kLogFile);
  ASSERT_EQ(logs.size(), static_cast<size_t>(kLogsWanted));
  // Damage on the medium: the oldest log loses its last bytes after they were synced.
  ASSERT_TRUE(env_.Truncate(logs[0], PreviousLogBytes(logs[1]) - 5).ok());
  const auto before = DirContents();
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("after it was synced"), std::string::npos) << s.ToString();
  EXPECT_EQ(DirContents(), before);
}

TEST_F(DBOlderLogsTest, AMissingMiddleLogIsCorruption) {
  Open();
  WriteUntilThreeLogs();
  FailTheFlushAndClose();
  const std::vector<std::string> logs = FilesOfType(FileType::kLogFile);
  ASSERT_TRUE(env_.RemoveFile(logs[1]).ok());
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("which is missing"), std::string::npos) << s.ToString();
}

TEST_F(DBOlderLogsTest, ALogFileLeftByAFailedSwitchIsPassedOver) {
  Open();
  while (FilesOfType(FileType::kLogFile).size() < 2) {
    ASSERT_TRUE(Put(Key(next_key_), ValueOf(next_key_)).ok());
    ++next_key_;
  }
  // The next switch creates its log, fails to sync the directory, and cannot remove the file.
  env_.InjectError(FaultOp::kSyncDir, "");
  env_.InjectError(FaultOp::kRemove, ".log");
  int failed = 0;
  while (failed == 0) {
    Status s = Put(Key(next_key_), ValueOf(next_key_));
    if (s.ok()) {
      ++next_key_;
    } else {
      ASSERT_TRUE(s.IsIOError()) << s.ToString();
      ++failed;
    }
  }
  const size_t logs_with_stray = FilesOfType(FileType::kLogFile).size();
  ASSERT_EQ(logs_with_stray, 3u);  // two logs, and the file of the one that failed to start
  // The writer that hit the failure got an error; the next switch works.
  while (FilesOfType(FileType::kLogFile).size() < logs_with_stray + 1) {
    ASSERT_TRUE(Put(Key(next_key_), ValueOf(next_key_)).ok());
    ++next_key_;
  }
  FailTheFlushAndClose();
  Open();
  EXPECT_EQ(PresentPrefix(next_key_), next_key_);
}

// Model test: unique keys written in order, some synced, across several logs; a power loss with
// a random amount of writeback per file. Recovery must yield exactly a prefix of the writes that
// holds every synced one.
TEST(DBOlderLogsModel, RandomPartialWritebackRecoversAPrefixWithEverySyncedWrite) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t rounds = ScaledIterations(30);
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed));
    FaultInjectionEnv env;
    auto gate = std::make_shared<FlushGate>();
    Options options;
    options.env = &env;
    options.create_if_missing = true;
    options.memtable_bytes = size_t{64} << 10;
    options.max_immutable_memtables = 5;
    options.listeners.push_back(gate);
    const std::string dbname = "/db";
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dbname, &db).ok());
    int written = 0;
    int synced_upto = 0;  // writes [0, synced_upto) were acknowledged as durable
    const auto log_count = [&] {
      std::vector<std::string> names;
      EXPECT_TRUE(env.GetChildren(dbname, &names).ok());
      size_t logs = 0;
      for (const std::string& name : names)
        logs += name.ends_with(".log") ? 1 : 0;
      return logs;
    };
    const size_t logs_wanted = 2 + rng.Uniform(4);
    while (log_count() < logs_wanted) {
      WriteOptions write_options;
      write_options.sync = rng.OneIn(25);
      const std::string value(50 + rng.Uniform(1500), static_cast<char>('a' + written % 26));
      ASSERT_TRUE(db->Put(write_options, Key(written), value).ok());
      ++written;
      if (write_options.sync) synced_upto = written;
    }
    env.InjectError(FaultOp::kCreate, ".sst", 1000);
    gate->Release();
    db.reset();
    env.ClearErrors();
    env.DropUnsyncedDataKeeping([&](const std::string& /*path*/, uint64_t unsynced_bytes) {
      switch (rng.Uniform(3)) {
        case 0:
          return uint64_t{0};
        case 1:
          return unsynced_bytes;
        default:
          return rng.Uniform(unsynced_bytes + 1);
      }
    });
    options.listeners.clear();
    Status s = DB::Open(options, dbname, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    int present = 0;
    std::string value;
    while (present < written && db->Get(ReadOptions(), Key(present), &value).ok())
      ++present;
    EXPECT_GE(present, synced_upto) << "a synced write was lost";
    for (int i = present; i < written; ++i) {
      ASSERT_TRUE(db->Get(ReadOptions(), Key(i), &value).IsNotFound()) << "hole before key " << i;
    }
    db.reset();
  }
}

}  // namespace
}  // namespace ziggydb::test
