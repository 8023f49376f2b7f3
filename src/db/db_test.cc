// DB unit tests: basic operations, recovery, flush, snapshots, properties, and the failures Open
// must refuse. Recovery-mode and fault tests: db_recovery_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
#include "env/recording_env.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

TEST_F(DBTest, PutGetDeleteOverwrite) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(Put("a", "2").ok());
  EXPECT_EQ(Get("a"), "2");
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(Delete("never-there").ok());
  ASSERT_TRUE(Put(std::string("k\0ey", 4), std::string("v\0al", 4)).ok());
  EXPECT_EQ(Get(std::string("k\0ey", 4)), std::string("v\0al", 4));
  ASSERT_TRUE(Put("empty", "").ok());
  EXPECT_EQ(Get("empty"), "");
}

TEST_F(DBTest, BatchAppliesInOrder) {
  Open();
  WriteBatch batch;
  batch.Put("x", "1");
  batch.Put("y", "2");
  batch.Delete("x");
  batch.Put("y", "3");
  ASSERT_TRUE(db_->Write(WriteOptions(), batch).ok());
  EXPECT_EQ(Get("x"), "NOT_FOUND");
  EXPECT_EQ(Get("y"), "3");
  EXPECT_EQ(batch.Count(), 4u);  // the caller's batch is unchanged
}

TEST_F(DBTest, OverLimitBatchIsRejectedWhole) {
  Open();
  WriteBatch batch;
  batch.Put("fine", "1");
  batch.Put(std::string(kMaxKeyBytes + 1, 'k'), "v");
  EXPECT_TRUE(db_->Write(WriteOptions(), batch).IsInvalidArgument());
  EXPECT_EQ(Get("fine"), "NOT_FOUND");
}

TEST_F(DBTest, ReopenRecoversWalContents) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  ASSERT_TRUE(Delete("a").ok());
  Reopen();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "2");
  // Recovery wrote the log out as a table and started a fresh log.
  EXPECT_EQ(FilesAtLevel(0), 1);
  ASSERT_TRUE(Put("c", "3").ok());
  Reopen();
  Reopen();
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("c"), "3");
  EXPECT_EQ(FilesOfType(FileType::kLogFile).size(), 1u);
}

TEST_F(DBTest, SequenceNumbersSurviveReopen) {
  Open();
  ASSERT_TRUE(Put("k", "old").ok());
  Reopen();
  ASSERT_TRUE(Put("k", "new").ok());  // must order after the recovered "old"
  EXPECT_EQ(Get("k"), "new");
  ASSERT_TRUE(db_->Flush().ok());
  Reopen();
  EXPECT_EQ(Get("k"), "new");
}

TEST_F(DBTest, FlushWritesLevel0TableAndDropsOldLogs) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(FilesAtLevel(0), 1);
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(Delete("a").ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(FilesAtLevel(0), 2);
  EXPECT_EQ(Get("a"), "NOT_FOUND");  // the newer table's tombstone wins
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(FilesOfType(FileType::kLogFile).size(), 1u);
  EXPECT_EQ(FilesOfType(FileType::kManifestFile).size(), 1u);
  ASSERT_TRUE(db_->Flush().ok());  // nothing to flush
  EXPECT_EQ(FilesAtLevel(0), 2);
  Reopen();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "2");
}

TEST_F(DBTest, ManyWritesFlushInTheBackground) {
  Open();
  const std::string value(100, 'v');
  const int n = 5000;  // ~0.5 MB: several 64 KiB memtables
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(Put(Key(i), value + std::to_string(i)).ok());
  for (int i = 0; i < n; i += 7)
    ASSERT_EQ(Get(Key(i)), value + std::to_string(i));
  ASSERT_TRUE(db_->Flush().ok());
  int tables = 0;  // compactions may have merged the L0 tables into deeper levels
  for (int level = 0; level < 7; ++level)
    tables += FilesAtLevel(level);
  EXPECT_GT(tables, 0);
  Reopen();
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(Get(Key(i)), value + std::to_string(i)) << i;
}

TEST_F(DBTest, SnapshotsSeeTheirSequence) {
  Open();
  ASSERT_TRUE(Put("k", "v1").ok());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_TRUE(Put("k", "v2").ok());
  ASSERT_TRUE(Delete("gone").ok());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_TRUE(Delete("k").ok());
  EXPECT_EQ(Get("k", s1), "v1");
  EXPECT_EQ(Get("k", s2), "v2");
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  ASSERT_TRUE(db_->Flush().ok());  // the same answers from a table
  EXPECT_EQ(Get("k", s1), "v1");
  EXPECT_EQ(Get("k", s2), "v2");
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  EXPECT_LT(s1->sequence(), s2->sequence());
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
  {
    ManagedSnapshot managed(db_.get());
    ASSERT_TRUE(Put("k", "v3").ok());
    EXPECT_EQ(Get("k", managed.snapshot()), "NOT_FOUND");
  }
}

// A snapshot never released (API misuse) is freed with the DB rather than aborting the program
// from the destructor; the DB reopens with its data.
TEST_F(DBTest, ASnapshotNeverReleasedGoesWithTheDb) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_NE(db_->GetSnapshot(), nullptr);
  db_.reset();
  Open();
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DBTest, DisableWalWritesAreVisibleAndFlushable) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "a", "1").ok());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(NumericProperty("ziggydb.wal-writes"), 0u);
  ASSERT_TRUE(db_->Flush().ok());
  Reopen();
  EXPECT_EQ(Get("a"), "1");
}

TEST_F(DBTest, SyncWithoutTheWalIsRefused) {
  Open();
  WriteOptions options;
  options.sync = true;
  options.disable_wal = true;
  EXPECT_TRUE(db_->Put(options, "a", "1").IsInvalidArgument());
  EXPECT_TRUE(db_->Write(options, WriteBatch()).IsInvalidArgument());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
}

TEST_F(DBTest, PropertiesReportCounters) {
  Open();
  ASSERT_TRUE(Put("a", "1", /*sync=*/true).ok());
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_EQ(NumericProperty("ziggydb.wal-writes"), 2u);
  EXPECT_GE(NumericProperty("ziggydb.wal-syncs"), 1u);
  EXPECT_EQ(NumericProperty("ziggydb.stall-micros"), 0u);
  EXPECT_EQ(FilesAtLevel(0), 0);
  EXPECT_EQ(FilesAtLevel(6), 0);
  std::string value;
  EXPECT_FALSE(db_->GetProperty("ziggydb.num-files-at-level7", &value));
  EXPECT_FALSE(db_->GetProperty("ziggydb.nope", &value));
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &value));
  EXPECT_NE(value.find("wal syncs"), std::string::npos);
}

TEST_F(DBTest, SecondOpenerGetsBusy) {
  Open();
  std::unique_ptr<DB> second;
  Status s = DB::Open(options_, kDbName, &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(second, nullptr);
  EXPECT_TRUE(DestroyDB(kDbName, options_).IsBusy());
  Close();
  std::unique_ptr<DB> third;
  EXPECT_TRUE(DB::Open(options_, kDbName, &third).ok());
}

TEST_F(DBTest, MissingDirectoryWithoutCreateIfMissing) {
  options_.create_if_missing = false;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_FALSE(env_.FileExists(kDbName));
}

TEST_F(DBTest, ErrorIfExists) {
  Open();
  Close();
  options_.error_if_exists = true;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
}

TEST_F(DBTest, InvalidOptionsAreRejected) {
  options_.memtable_bytes = 1024;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  EXPECT_FALSE(env_.FileExists(kDbName));
  Options options;
  EXPECT_TRUE(options.Validate().ok());
  options.max_open_files = 3;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = Options();
  options.bloom_bits_per_key = 33;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = Options();
  options.max_immutable_memtables = 0;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
}

TEST_F(DBTest, ForeignDirectoryIsRefusedUntouched) {
  ASSERT_TRUE(env_.CreateDir(kDbName).ok());
  WriteWhole(std::string(kDbName) + "/notes.txt", "mine");
  const auto before = DirContents();
  Status s = TryOpen();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(DirContents(), before);
}

TEST_F(DBTest, DestroyDBRemovesEverything) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  ASSERT_TRUE(DestroyDB(kDbName, options_).ok());
  EXPECT_FALSE(env_.FileExists(kDbName));
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
}

// Records whether LOCK was removed while its lock was still held.
class LockOrderEnv final : public FaultInjectionEnv {
 public:
  Status RemoveFile(const std::string& path) override {
    if (path.ends_with("/LOCK")) removed_while_held = held;
    return FaultInjectionEnv::RemoveFile(path);
  }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    Status s = FaultInjectionEnv::LockFile(path, lock);
    held = held || s.ok();
    return s;
  }
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    held = false;
    return FaultInjectionEnv::UnlockFile(std::move(lock));
  }
  bool held = false;
  bool removed_while_held = false;
};

// DestroyDB removes LOCK before releasing it: released first, another opener could lock the file
// that is then unlinked, and a third one create and lock a new LOCK beside it.
TEST(DBDestroy, RemovesLockBeforeReleasingIt) {
  LockOrderEnv env;
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  }
  ASSERT_TRUE(DestroyDB("/db", options).ok());
  EXPECT_TRUE(env.removed_while_held);
  EXPECT_FALSE(env.FileExists("/db"));
}

// DestroyDB removes CURRENT and syncs that before removing anything else (a power loss must not
// keep a CURRENT whose MANIFEST or tables are gone), and syncs the other removals at the end.
TEST(DBDestroy, RemovesCurrentDurablyFirstAndSyncsTheRest) {
  FaultInjectionEnv base;
  ASSERT_TRUE(base.CreateDir("/db").ok());
  RecordingEnv env(&base);
  const Options options = CreatingOptions(&env);
  MakeDbWithOneTable(options, "/db");
  const uint64_t start = env.Mark();
  ASSERT_TRUE(DestroyDB("/db", options).ok());
  const std::vector<FsOp> log = env.Log();
  std::vector<std::string> unlinked;
  size_t current_synced = 0;  // index of the first directory sync after CURRENT's removal
  size_t last_unlink = 0;
  for (size_t i = start; i < log.size(); ++i) {
    if (log[i].kind == FsOp::Kind::kUnlink) {
      unlinked.push_back(log[i].path);
      last_unlink = i;
      if (unlinked.size() > 1) {
        EXPECT_NE(current_synced, 0u) << log[i].path;
      }
    } else if (log[i].kind == FsOp::Kind::kSyncDir && log[i].path == "/db" && current_synced == 0 &&
               !unlinked.empty()) {
      current_synced = i;
    }
  }
  ASSERT_GT(unlinked.size(), 2u);
  EXPECT_EQ(unlinked.front(), "/db/CURRENT");
  bool synced_after_last = false;
  for (size_t i = last_unlink + 1; i < log.size(); ++i) {
    synced_after_last = synced_after_last || log[i].kind == FsOp::Kind::kSyncDir;
  }
  EXPECT_TRUE(synced_after_last);
}

// When CURRENT cannot be removed, DestroyDB removes nothing else: the DB stays openable.
TEST(DBDestroy, AFailureToRemoveCurrentLeavesTheDbWhole) {
  FaultInjectionEnv env;
  const Options options = CreatingOptions(&env);
  MakeDbWithOneTable(options, "/db");
  env.InjectError(FaultOp::kRemove, "CURRENT");
  EXPECT_FALSE(DestroyDB("/db", options).ok());
  env.ClearErrors();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "a", &value).ok());
  EXPECT_EQ(value, "1");
}

// A directory that cannot be listed (EACCES, EIO) is not an empty one: DestroyDB fails and the DB
// stays (it returned OK having destroyed nothing); a missing directory is still OK.
TEST(DBDestroy, AnUnlistableDirectoryFailsAndADbInItStays) {
  FaultInjectionEnv env;
  const Options options = CreatingOptions(&env);
  MakeDbWithOneTable(options, "/db");
  env.InjectError(FaultOp::kList, "/db", FaultInjectionEnv::kPersistent);
  EXPECT_TRUE(DestroyDB("/db", options).IsIOError());
  env.ClearErrors();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "a", &value).ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_TRUE(DestroyDB("/db", options).ok());
  EXPECT_TRUE(DestroyDB("/never-made", options).ok());
}

TEST_F(DBTest, ConcurrentWritersAndReaders) {
  Open();
  constexpr int kThreads = 4;
  const int per_thread = static_cast<int>(ScaledIterations(1500));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + Key(i);
        ASSERT_TRUE(Put(key, std::string(50, 'a' + t)).ok());
        ASSERT_EQ(Get(key), std::string(50, 'a' + t));
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(NumericProperty("ziggydb.wal-writes"), uint64_t{kThreads} * per_thread);
  Reopen();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < per_thread; i += 13)
      ASSERT_EQ(Get("t" + std::to_string(t) + "-" + Key(i)), std::string(50, 'a' + t));
  }
}

TEST_F(DBTest, RandomOpsMatchAModelAcrossReopens) {
  const uint64_t seed = TestSeed();
  Random rnd(seed);
  Open();
  std::map<std::string, std::string> model;
  const uint64_t steps = ScaledIterations(4000);
  for (uint64_t step = 0; step < steps; ++step) {
    const std::string key = Key(static_cast<int>(rnd.Uniform(300)));
    const uint64_t op = rnd.Uniform(100);
    if (op < 55) {
      const std::string value = rnd.Bytes(rnd.Skewed(10));
      ASSERT_TRUE(Put(key, value).ok());
      model[key] = value;
    } else if (op < 75) {
      ASSERT_TRUE(Delete(key).ok());
      model.erase(key);
    } else if (op < 97) {
      auto it = model.find(key);
      ASSERT_EQ(Get(key), it == model.end() ? "NOT_FOUND" : it->second) << "step " << step;
    } else if (op < 99) {
      ASSERT_TRUE(db_->Flush().ok());
    } else {
      Reopen();
    }
  }
  Reopen();
  for (const auto& [key, value] : model)
    ASSERT_EQ(Get(key), value);
}

TEST(DBPosix, RoundTripOnTheRealFileSystem) {
  TempDir dir;
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  const std::string path = dir.Join("db");
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, path, &db).ok());
    WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < 2000; ++i)
      ASSERT_TRUE(db->Put(sync, Key(i), std::string(100, 'p')).ok());
    std::unique_ptr<DB> second;
    EXPECT_TRUE(DB::Open(options, path, &second).IsBusy());
    ASSERT_TRUE(db->Flush().ok());
  }
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, path, &db).ok());
  std::string value;
  for (int i = 0; i < 2000; i += 37) {
    ASSERT_TRUE(db->Get(ReadOptions(), Key(i), &value).ok());
    EXPECT_EQ(value, std::string(100, 'p'));
  }
  EXPECT_TRUE(db->Get(ReadOptions(), "missing", &value).IsNotFound());
  db.reset();
  EXPECT_TRUE(DestroyDB(path, options).ok());
}

}  // namespace
}  // namespace ziggydb::test
