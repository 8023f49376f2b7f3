// DB::Close: what it writes and reports, the LOCK it releases, and what a closed DB answers. Also
// the call forms of the 0.1 API that replaced pointers (Write of a const batch, CompactRange
// bounds).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/db_test_util.h"
#include "db/write_batch_internal.h"
#include "ziggydb/db.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

// nullptr bounds (the earlier pointer form) would convert to std::string_view and be dereferenced:
// they must not compile, on the interface and on the implementation.
template <typename D>
concept TakesNullBounds = requires(D& db) {
  db.CompactRange(nullptr, nullptr);
};
template <typename D>
concept TakesNullBegin = requires(D& db) {
  db.CompactRange(nullptr, "b");
};
template <typename D>
concept TakesNullEnd = requires(D& db) {
  db.CompactRange(std::nullopt, nullptr);
};
template <typename D>
concept TakesOptionalBounds = requires(D& db, std::string_view key) {
  db.CompactRange(std::nullopt, std::nullopt);
  db.CompactRange(key, std::nullopt);
  db.CompactRange("a", "b");
};
static_assert(!TakesNullBounds<DB> && !TakesNullBounds<DBImpl>);
static_assert(!TakesNullBegin<DB> && !TakesNullBegin<DBImpl>);
static_assert(!TakesNullEnd<DB> && !TakesNullEnd<DBImpl>);
static_assert(TakesOptionalBounds<DB> && TakesOptionalBounds<DBImpl>);

class DBCloseTest : public DBTest {
 protected:
  uint64_t FileBytes(const std::string& path) {
    uint64_t bytes = 0;
    EXPECT_TRUE(env_.GetFileSize(path, &bytes).ok()) << path;
    return bytes;
  }
};

TEST_F(DBCloseTest, CloseKeepsLoggedAndUnloggedWritesAndTrimsTheWal) {
  Open();
  ASSERT_TRUE(Put("logged", "1").ok());
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "unlogged", "2").ok());
  const std::vector<std::string> logs = FilesOfType(FileType::kLogFile);
  ASSERT_EQ(logs.size(), 1u);
  // The live log is preallocated (one memtable's worth, the fixture's 64 KiB) until closed.
  EXPECT_GE(FileBytes(logs[0]), options_.memtable_bytes);
  const size_t tables_before = FilesOfType(FileType::kTableFile).size();

  Status s = db_->Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The unlogged write went to a table; the logs left hold only their records.
  EXPECT_EQ(FilesOfType(FileType::kTableFile).size(), tables_before + 1);
  for (const std::string& log : FilesOfType(FileType::kLogFile))
    EXPECT_LT(FileBytes(log), 1024u) << log;
  EXPECT_TRUE(db_->Close().ok());  // a second Close returns the first one's status

  // Nothing relies on the destructor: lose everything not durable, then reopen.
  env_.DropUnsyncedData();
  Reopen();
  EXPECT_EQ(Get("logged"), "1");
  EXPECT_EQ(Get("unlogged"), "2");
}

TEST_F(DBCloseTest, CloseReportsAFailedFlushOfUnloggedWrites) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "unlogged", "1").ok());
  env_.InjectError(FaultOp::kCreate, ".sst", 1000);
  // The destructor could only log this failure: the write is lost, and Close says so.
  const Status s = db_->Close();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env_.ClearErrors();
  const Status again = db_->Close();
  EXPECT_TRUE(again.IsIOError()) << again.ToString();
  EXPECT_EQ(again.ToString(), s.ToString());
  EXPECT_TRUE(db_->Put(WriteOptions(), "k", "v").IsInvalidArgument());
}

TEST_F(DBCloseTest, CloseReportsTheBackgroundErrorThatStoppedWrites) {
  Open();
  ASSERT_TRUE(Put("before", "1", /*sync=*/true).ok());
  env_.InjectError(FaultOp::kAppend, ".log", 1);
  ASSERT_TRUE(Put("failed", "2").IsIOError());
  const Status s = db_->Close();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  Reopen();
  EXPECT_EQ(Get("before"), "1");
}

TEST_F(DBCloseTest, EveryCallAfterCloseFailsCleanly) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  const Snapshot* held = db_->GetSnapshot();
  ASSERT_NE(held, nullptr);
  std::unique_ptr<Iterator> open_iter = db_->NewIterator(ReadOptions());
  ASSERT_TRUE(db_->Close().ok());

  auto closed = [](const Status& s) {
    return s.IsInvalidArgument() && s.ToString().find("the DB is closed") != std::string::npos;
  };
  EXPECT_TRUE(closed(db_->Put(WriteOptions(), "b", "2")));
  EXPECT_TRUE(closed(db_->Delete(WriteOptions(), "a")));
  WriteBatch batch;
  batch.Put("c", "3");
  EXPECT_TRUE(closed(db_->Write(WriteOptions(), batch)));
  std::string value = "untouched";
  EXPECT_TRUE(closed(db_->Get(ReadOptions(), "a", &value)));
  EXPECT_EQ(value, "untouched");
  std::unique_ptr<Iterator> iter = db_->NewIterator(ReadOptions());
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(closed(iter->status()));
  EXPECT_EQ(db_->GetSnapshot(), nullptr);
  db_->ReleaseSnapshot(nullptr);
  { ManagedSnapshot managed(db_.get()); }
  EXPECT_TRUE(closed(db_->Flush()));
  EXPECT_TRUE(closed(db_->CompactRange(std::nullopt, std::nullopt)));
  EXPECT_TRUE(closed(db_->WaitForBackgroundWork()));
  EXPECT_FALSE(db_->GetProperty("ziggydb.stats", &value));
  EXPECT_TRUE(value.empty());

  // What was taken before Close stays usable until released.
  open_iter->SeekToFirst();
  ASSERT_TRUE(open_iter->Valid());
  EXPECT_EQ(open_iter->key(), "a");
  open_iter.reset();
  db_->ReleaseSnapshot(held);
  EXPECT_TRUE(db_->Close().ok());
}

TEST_F(DBCloseTest, CloseReleasesTheLockWhileTheObjectLives) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Close().ok());
  std::unique_ptr<DB> second;
  Status s = DB::Open(options_, kDbName, &second);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string value;
  ASSERT_TRUE(second->Get(ReadOptions(), "a", &value).ok());
  EXPECT_EQ(value, "1");
  ASSERT_TRUE(second->Put(WriteOptions(), "b", "2").ok());
  // Destroying the closed object touches neither the files nor the second opener's LOCK.
  db_.reset();
  ASSERT_TRUE(second->Put(WriteOptions(), "c", "3").ok());
  std::unique_ptr<DB> third;
  EXPECT_TRUE(DB::Open(options_, kDbName, &third).IsBusy());
  ASSERT_TRUE(second->Close().ok());
  second.reset();
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("c"), "3");
}

TEST_F(DBCloseTest, WriteLeavesTheCallersBatchUnchanged) {
  Open();
  WriteBatch batch;
  batch.Put("k", "v1");
  const WriteBatch& updates = batch;
  const std::string before(WriteBatchInternal::Contents(updates));
  ASSERT_TRUE(db_->Write(WriteOptions(), updates).ok());
  ASSERT_TRUE(Put("k", "v2").ok());
  // Written again, the same batch gets new sequence numbers: it is the latest write.
  ASSERT_TRUE(db_->Write(WriteOptions(), updates).ok());
  EXPECT_EQ(WriteBatchInternal::Contents(updates), before);
  EXPECT_EQ(Get("k"), "v1");
}

}  // namespace
}  // namespace ziggydb::test
