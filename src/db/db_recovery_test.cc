// DB recovery tests: WAL damage under each WalRecoveryMode, missing or damaged files that Open must
// refuse without touching anything, power loss, I/O failures, and group commit's fsync count.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
#include "db/filename.h"
#include "db/version_edit.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "wal/log_writer.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

std::string Value(int i) {
  return "value-" + std::to_string(i) + std::string(200, 'x');
}

class DBRecoveryTest : public DBTest {
 protected:
  // Large enough that the records of one test stay in one WAL.
  DBRecoveryTest() { options_.memtable_bytes = size_t{4} << 20; }

  // Writes records 0..n-1 (one synced WAL record each), closes, and returns the newest log's
  // path. kRecords records span several 32 KiB WAL blocks, so damage early in the log is
  // followed by intact records (mid-log damage).
  std::string WriteRecordsAndClose(int n) {
    Open();
    for (int i = 0; i < n; ++i)
      EXPECT_TRUE(Put("k" + std::to_string(i), Value(i), /*sync=*/true).ok());
    Close();
    auto logs = FilesOfType(FileType::kLogFile);
    EXPECT_FALSE(logs.empty());
    return logs.back();
  }
  int CountPresent(int n) {
    int present = 0;
    for (int i = 0; i < n; ++i)
      present += Get("k" + std::to_string(i)) == Value(i) ? 1 : 0;
    return present;
  }
  uint64_t FileSize(const std::string& path) {
    uint64_t size = 0;
    EXPECT_TRUE(env_.GetFileSize(path, &size).ok());
    return size;
  }
  static constexpr int kRecords = 400;
  // Where the first WAL record starts in a log written by WriteRecordsAndClose: after the log's
  // head (11-byte header, 16-byte payload), its synced-bytes marker (11 + 8 bytes) and the
  // earlier-logs-synced marker of its first sync write (11 bytes).
  static constexpr uint64_t kFirstRecordOffset = 11 + 16 + 11 + 8 + 11;
  // Every later record follows a sync, so a synced-bytes marker precedes it.
  static constexpr uint64_t kSyncedBytesMarkerBytes = 11 + 8;
  // A payload byte of the first WAL record (after its 11-byte header and the batch header).
  static constexpr uint64_t kFirstRecordPayloadOffset = kFirstRecordOffset + 11 + 14;

  void ExpectOpenFailsUntouched(Status::Code code, const std::string& message_part) {
    const auto before = DirContents();
    Status s = TryOpen();
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.ToString().find(message_part), std::string::npos) << s.ToString();
    EXPECT_EQ(DirContents(), before);
  }
};

TEST_F(DBRecoveryTest, TornTailIsDroppedByDefault) {
  const std::string log = WriteRecordsAndClose(10);
  ASSERT_TRUE(env_.Truncate(log, FileSize(log) - 5).ok());
  Open();
  EXPECT_EQ(CountPresent(10), 9);
  EXPECT_EQ(Get("k9"), "NOT_FOUND");
  EXPECT_EQ(DbStats().wal_tail_records_dropped, 1u);
}

TEST_F(DBRecoveryTest, TornTailFailsAbsoluteConsistency) {
  const std::string log = WriteRecordsAndClose(10);
  ASSERT_TRUE(env_.Truncate(log, FileSize(log) - 5).ok());
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  Open();  // the failed attempt changed nothing that matters
  EXPECT_EQ(CountPresent(10), 9);
}

TEST_F(DBRecoveryTest, MidLogDamageFailsByDefaultNamingFileAndOffset) {
  const std::string log = WriteRecordsAndClose(kRecords);
  ASSERT_TRUE(env_.FlipByte(log, kFirstRecordPayloadOffset).ok());
  Status s = TryOpen();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(log), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("offset " + std::to_string(kFirstRecordOffset)), std::string::npos)
      << s.ToString();
}

TEST_F(DBRecoveryTest, MidLogDamageStopsPointInTimeRecovery) {
  const std::string log = WriteRecordsAndClose(kRecords);
  // Damage the fourth record (all records have the same size): the first three survive,
  // nothing after.
  const uint64_t record_bytes = 11 + 12 + 1 + 1 + 2 + 1 + 2 + Value(0).size();
  ASSERT_TRUE(env_.FlipByte(log, kFirstRecordOffset + 3 * (kSyncedBytesMarkerBytes + record_bytes) +
                                     kSyncedBytesMarkerBytes + 20)
                  .ok());
  options_.wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
  Open();
  EXPECT_EQ(Get("k2"), Value(2));
  EXPECT_EQ(Get("k3"), "NOT_FOUND");
  EXPECT_EQ(CountPresent(kRecords), 3);
  // The state is committed: a later default-mode open sees the same DB.
  options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  Reopen();
  EXPECT_EQ(CountPresent(kRecords), 3);
  ASSERT_TRUE(Put("k3", Value(3)).ok());
  EXPECT_EQ(Get("k3"), Value(3));
}

TEST_F(DBRecoveryTest, MidLogDamageIsSkippedBySkipAny) {
  const std::string log = WriteRecordsAndClose(kRecords);
  ASSERT_TRUE(env_.FlipByte(log, kFirstRecordPayloadOffset).ok());
  options_.wal_recovery_mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  Open();
  // The reader drops the rest of the damaged 32 KiB block and resumes at the next one.
  EXPECT_EQ(Get("k0"), "NOT_FOUND");
  EXPECT_EQ(Get("k" + std::to_string(kRecords - 1)), Value(kRecords - 1));
  const int present = CountPresent(kRecords);
  EXPECT_GT(present, kRecords / 2);
  EXPECT_LT(present, kRecords);
}

TEST_F(DBRecoveryTest, RecoveryIsRepeatableAfterAFailedCommit) {
  WriteRecordsAndClose(10);
  // The MANIFEST commit of the recovered tables fails: nothing may be lost or doubled.
  env_.InjectError(FaultOp::kSync, "MANIFEST");
  Status s = TryOpen();
  EXPECT_FALSE(s.ok());
  env_.ClearErrors();
  Open();
  EXPECT_EQ(CountPresent(10), 10);
  Reopen();
  EXPECT_EQ(CountPresent(10), 10);
  EXPECT_EQ(FilesAtLevel(0), 1);
}

TEST_F(DBRecoveryTest, CrashDuringRecoveryLeavesARecoverableDB) {
  const std::string log = WriteRecordsAndClose(10);
  ASSERT_TRUE(env_.Truncate(log, FileSize(log) - 5).ok());  // a torn tail in the old log
  env_.InjectError(FaultOp::kSync, "MANIFEST");
  EXPECT_FALSE(TryOpen().ok());  // new WAL created, commit failed
  env_.ClearErrors();
  env_.DropUnsyncedData();
  // The old log with its torn tail is no longer the newest log; the empty newer one follows it.
  Open();
  EXPECT_EQ(CountPresent(10), 9);
}

TEST_F(DBRecoveryTest, MissingTableIsCorruption) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  const auto tables = FilesOfType(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_TRUE(env_.RemoveFile(tables[0]).ok());
  ExpectOpenFailsUntouched(Status::Code::kCorruption, tables[0]);
}

TEST_F(DBRecoveryTest, TruncatedTableIsCorruption) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  const std::string table = FilesOfType(FileType::kTableFile).at(0);
  ASSERT_TRUE(env_.Truncate(table, FileSize(table) - 1).ok());
  ExpectOpenFailsUntouched(Status::Code::kCorruption, "size");
}

TEST_F(DBRecoveryTest, MissingManifestIsCorruption) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Close();
  const std::string manifest = FilesOfType(FileType::kManifestFile).at(0);
  ASSERT_TRUE(env_.RemoveFile(manifest).ok());
  ExpectOpenFailsUntouched(Status::Code::kCorruption, manifest);
}

TEST_F(DBRecoveryTest, GarbageOrEmptyCurrentIsCorruption) {
  Open();
  Close();
  WriteWhole(CurrentFileName(kDbName), "not a manifest\n");
  ExpectOpenFailsUntouched(Status::Code::kCorruption, "CURRENT");
  WriteWhole(CurrentFileName(kDbName), "");
  ExpectOpenFailsUntouched(Status::Code::kCorruption, "CURRENT");
  WriteWhole(CurrentFileName(kDbName), "MANIFEST-000001");  // no newline: torn
  ExpectOpenFailsUntouched(Status::Code::kCorruption, "CURRENT");
}

TEST_F(DBRecoveryTest, MissingNeededWalIsCorruption) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Close();
  const std::string log = FilesOfType(FileType::kLogFile).at(0);
  ASSERT_TRUE(env_.RemoveFile(log).ok());
  ExpectOpenFailsUntouched(Status::Code::kCorruption, log);
}

TEST_F(DBRecoveryTest, DbFilesWithoutCurrentAreCorruptionNotAnEmptyDB) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Close();
  ASSERT_TRUE(env_.RemoveFile(CurrentFileName(kDbName)).ok());
  ExpectOpenFailsUntouched(Status::Code::kCorruption, "no CURRENT");
}

TEST_F(DBRecoveryTest, NewerManifestFormatIsRefused) {
  Open();
  Close();
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion + 1);
  edit.SetComparatorName("ziggydb.BytewiseComparator");
  std::string record;
  edit.EncodeTo(&record);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(ManifestFileName(kDbName, FileNumber{100}), &file).ok());
  wal::Writer writer(std::move(file), 100, 0);
  ASSERT_TRUE(writer.AddRecord(record).ok());
  ASSERT_TRUE(writer.Sync().ok());
  ASSERT_TRUE(writer.Close().ok());
  ASSERT_TRUE(SetCurrentFile(&env_, kDbName, FileNumber{100}).ok());
  ExpectOpenFailsUntouched(Status::Code::kNotSupported, "newer");
}

TEST_F(DBRecoveryTest, CorruptTableBlockSurfacesFromGet) {
  Open();
  ASSERT_TRUE(Put("a", std::string(100, 'a')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  const std::string table = FilesOfType(FileType::kTableFile).at(0);
  ASSERT_TRUE(env_.FlipByte(table, 10).ok());  // inside the first data block
  Open();  // Open checks footers and meta blocks, not data blocks
  std::string value;
  Status s = db_->Get(ReadOptions(), "a", &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DBRecoveryTest, PowerLossKeepsEverySyncedWrite) {
  Open();
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(Put("k" + std::to_string(i), Value(i), /*sync=*/i % 2 == 0).ok());
  ASSERT_TRUE(Put("last", "synced", /*sync=*/true).ok());
  ASSERT_TRUE(Put("after", "unsynced").ok());
  // The machine dies. (Closing first: file objects must not outlive a simulated power loss.
  // Close syncs nothing, so what DropUnsyncedData discards is the same.)
  Close();
  env_.DropUnsyncedData();
  Open();
  EXPECT_EQ(CountPresent(200), 200);  // all written before the last sync
  EXPECT_EQ(Get("last"), "synced");
  EXPECT_EQ(Get("after"), "NOT_FOUND");
}

TEST_F(DBRecoveryTest, EmptySyncBatchMakesEarlierWritesDurable) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  WriteBatch empty;
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->Write(sync, empty).ok());
  ASSERT_TRUE(Put("b", "2").ok());  // not synced
  Close();
  env_.DropUnsyncedData();
  Open();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

TEST_F(DBRecoveryTest, FailedWalSyncIsSticky) {
  Open();
  ASSERT_TRUE(Put("before", "1", /*sync=*/true).ok());
  env_.InjectError(FaultOp::kSync, ".log");
  Status s = Put("failed", "2", /*sync=*/true);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  // No pretend success afterwards, with or without sync, even once the fault is gone.
  env_.ClearErrors();
  EXPECT_TRUE(Put("later", "3").IsIOError());
  EXPECT_TRUE(Put("later", "3", /*sync=*/true).IsIOError());
  EXPECT_TRUE(db_->Flush().IsIOError());
  EXPECT_EQ(Get("before"), "1");  // reads go on
  Reopen();
  EXPECT_EQ(Get("before"), "1");
  EXPECT_EQ(Get("later"), "NOT_FOUND");
  ASSERT_TRUE(Put("later", "3").ok());
}

TEST_F(DBRecoveryTest, FailedWalAppendIsSticky) {
  Open();
  env_.InjectError(FaultOp::kAppend, ".log");
  EXPECT_TRUE(Put("a", "1").IsIOError());
  env_.ClearErrors();
  EXPECT_TRUE(Put("b", "2").IsIOError());
}

TEST_F(DBRecoveryTest, FailedFlushStopsWritesAndLosesNothing) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  env_.InjectError(FaultOp::kSync, ".sst");
  EXPECT_FALSE(db_->Flush().ok());
  EXPECT_FALSE(Put("b", "2").ok());
  EXPECT_EQ(Get("a"), "1");
  env_.ClearErrors();
  Reopen();
  EXPECT_EQ(Get("a"), "1");
}

// A MemEnv whose syncs of files ending in `suffix` take `delay`, like a real disk: writers pile up
// behind the leader's fsync, which is what group commit must exploit; slow table syncs make
// flushes slow enough for writers to stall.
class SlowSyncEnv final : public MemEnv {
 public:
  SlowSyncEnv(std::string suffix, std::chrono::microseconds delay)
      : suffix_(std::move(suffix)), delay_(delay) {}

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other) override {
    if (op == FaultOp::kSync && path.ends_with(suffix_)) std::this_thread::sleep_for(delay_);
    return MemEnv::InjectedFault(op, path, other);
  }

 private:
  const std::string suffix_;
  const std::chrono::microseconds delay_;
};

// Collects info LOG lines.
class CapturingLogger final : public Logger {
 public:
  void Log(std::string_view line) override {
    MutexLock lock(&mu_);
    text_.append(line);
    text_.push_back('\n');
  }
  std::string text() const {
    MutexLock lock(&mu_);
    return text_;
  }

 private:
  mutable Mutex mu_;
  std::string text_ GUARDED_BY(mu_);
};

TEST(DBStall, WritersWaitForASlowFlushAndTheWaitIsCounted) {
  SlowSyncEnv env(".sst", std::chrono::milliseconds(20));
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  options.max_immutable_memtables = 1;
  auto logger = std::make_shared<CapturingLogger>();
  options.info_log = logger;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  const std::string value(1000, 'v');
  for (int i = 0; i < 1000; ++i)  // ~1 MB: many memtables, each flush 20 ms
    ASSERT_TRUE(db->Put(WriteOptions(), "key" + std::to_string(i), value).ok());
  std::string stall;
  ASSERT_TRUE(db->GetProperty("ziggydb.stall-micros", &stall));
  EXPECT_GT(std::stoull(stall), 0u);
  std::string got;
  for (int i = 0; i < 1000; i += 17) {
    ASSERT_TRUE(db->Get(ReadOptions(), "key" + std::to_string(i), &got).ok());
    EXPECT_EQ(got, value);
  }
  db.reset();
  const std::string log = logger->text();
  EXPECT_NE(log.find("event=db_opened path=/db"), std::string::npos) << log;
  EXPECT_NE(log.find("event=flush_finished"), std::string::npos) << log;
  EXPECT_NE(log.find("event=stall_begin cause=memtable-stop"), std::string::npos) << log;
}

TEST(DBGroupCommit, SyncWritersShareFsyncs) {
  SlowSyncEnv env(".log", std::chrono::milliseconds(1));
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  constexpr int kThreads = 8;
  const int per_thread = static_cast<int>(ScaledIterations(200));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      WriteOptions sync;
      sync.sync = true;
      for (int i = 0; i < per_thread; ++i) {
        ASSERT_TRUE(db->Put(sync, std::to_string(t) + "/" + std::to_string(i), "v").ok());
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  std::string syncs;
  std::string writes;
  ASSERT_TRUE(db->GetProperty("ziggydb.wal-syncs", &syncs));
  ASSERT_TRUE(db->GetProperty("ziggydb.wal-writes", &writes));
  EXPECT_EQ(std::stoull(writes), uint64_t{kThreads} * per_thread);
  const double ratio = static_cast<double>(std::stoull(syncs)) / std::stoull(writes);
  std::printf("[ group commit ] %s syncs for %s writes: %.3f syncs/write\n", syncs.c_str(),
              writes.c_str(), ratio);
  EXPECT_LE(ratio, 0.25);
}

// Sync writers whose batches do not all fit in one group (so the writer completing a gathering
// may be left out of the group it commits), non-sync and WAL-less writers, and Flush requests,
// all at once: every write is acknowledged once, reads back, and survives a reopen.
TEST(DBGroupCommit, MixedWritersAndSplitGroupsLoseNothing) {
  SlowSyncEnv env(".log", std::chrono::microseconds(200));
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.max_write_group_bytes = 4 << 10;  // about three of the sync writers' batches
  options.memtable_bytes = 256 << 10;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  constexpr int kSyncThreads = 6;
  const int per_thread = static_cast<int>(ScaledIterations(150));
  const std::string big_value(1200, 'b');
  std::vector<std::thread> threads;
  for (int t = 0; t < kSyncThreads; ++t) {
    threads.emplace_back([&, t] {
      WriteOptions sync;
      sync.sync = true;
      for (int i = 0; i < per_thread; ++i) {
        ASSERT_TRUE(
            db->Put(sync, "s" + std::to_string(t) + "/" + std::to_string(i), big_value).ok());
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < per_thread; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "n/" + std::to_string(i), "v").ok());
  });
  threads.emplace_back([&] {
    WriteOptions no_wal;
    no_wal.disable_wal = true;
    for (int i = 0; i < per_thread; ++i)
      ASSERT_TRUE(db->Put(no_wal, "w/" + std::to_string(i), "v").ok());
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(db->Flush().ok());
  });
  for (auto& thread : threads)
    thread.join();
  auto check_all = [&](bool with_unlogged) {
    std::string got;
    for (int t = 0; t < kSyncThreads; ++t) {
      for (int i = 0; i < per_thread; ++i) {
        ASSERT_TRUE(
            db->Get(ReadOptions(), "s" + std::to_string(t) + "/" + std::to_string(i), &got).ok());
        ASSERT_EQ(got, big_value);
      }
    }
    for (int i = 0; i < per_thread; ++i) {
      ASSERT_TRUE(db->Get(ReadOptions(), "n/" + std::to_string(i), &got).ok());
      if (with_unlogged) {
        ASSERT_TRUE(db->Get(ReadOptions(), "w/" + std::to_string(i), &got).ok());
      }
    }
  };
  check_all(true);
  std::string writes;
  ASSERT_TRUE(db->GetProperty("ziggydb.wal-writes", &writes));
  EXPECT_EQ(std::stoull(writes), uint64_t{kSyncThreads + 1} * per_thread);
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  check_all(false);  // the WAL-less writes are durable only as far as a flush took them
}

}  // namespace
}  // namespace ziggydb::test
