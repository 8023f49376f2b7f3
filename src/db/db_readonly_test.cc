// DB::OpenReadOnly on the real file system: it reads what a writer left (tables and WAL data),
// refuses writes, shares the DB with other readers, refuses (and is refused by) a writer, and
// leaves every byte, name and mtime of the directory as it was.
#include "db/db_readonly.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "testutil/testutil.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/statistics.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

std::string Value(int i) {
  return std::string(static_cast<size_t>(50 + i % 50), static_cast<char>('a' + i % 26)) +
         std::to_string(i);
}

bool Contains(const Status& s, const std::string& text) {
  return s.ToString().find(text) != std::string::npos;
}

// Everything a read-only open must not change in a directory: each entry's name, size,
// modification time (ns) and bytes.
struct FileState {
  uint64_t bytes = 0;
  int64_t mtime_ns = 0;
  std::string contents;
  bool operator==(const FileState&) const = default;
};
std::map<std::string, FileState> DirectoryState(const std::string& dir) {
  std::map<std::string, FileState> state;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st {};
    EXPECT_EQ(stat(entry.path().c_str(), &st), 0);
    FileState& file = state[entry.path().filename().string()];
    file.bytes = static_cast<uint64_t>(st.st_size);
    file.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    std::ifstream in(entry.path(), std::ios::binary);
    file.contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return state;
}

class DBReadOnlyTest : public ::testing::Test {
 protected:
  DBReadOnlyTest() : dbname_(dir_.Join("db")) { options_.memtable_bytes = size_t{64} << 10; }

  // Keys 0..n-1 in tables (flushed), then keys n..2n-1 only in the WAL, key 0 deleted after the
  // flush (a tombstone in the WAL shadowing a table entry), and a clean Close.
  void Fill(int n) {
    Options options = options_;
    options.create_if_missing = true;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dbname_, &db).ok());
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->WaitForBackgroundWork().ok());
    for (int i = n; i < 2 * n; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
    ASSERT_TRUE(db->Delete(WriteOptions(), Key(0)).ok());
    ASSERT_TRUE(db->Close().ok());
  }

  // Every key of Fill(n) reads back as written, through Get and an iterator.
  void ExpectFilled(DB* db, int n) {
    std::string value;
    EXPECT_TRUE(db->Get(ReadOptions(), Key(0), &value).IsNotFound());
    for (int i = 1; i < 2 * n; ++i) {
      ASSERT_TRUE(db->Get(ReadOptions(), Key(i), &value).ok()) << Key(i);
      EXPECT_EQ(value, Value(i));
    }
    EXPECT_TRUE(db->Get(ReadOptions(), Key(2 * n), &value).IsNotFound());
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    int i = 1;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
      ASSERT_EQ(it->key(), Key(i));
      ASSERT_EQ(it->value(), Value(i));
    }
    EXPECT_TRUE(it->status().ok());
    EXPECT_EQ(i, 2 * n);
  }

  TempDir dir_;
  const std::string dbname_;
  Options options_;
};

// A snapshot of another DB (API misuse): a read at a sequence past this DB's is refused (on a
// writable DB it could show a write group still being applied), and releasing it, or releasing
// one of this DB's twice, is ignored rather than fatal.
TEST_F(DBReadOnlyTest, AnotherDbsSnapshotIsRefusedAndItsReleaseIgnored) {
  Fill(50);
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> other;
  ASSERT_TRUE(DB::Open(options, dir_.Join("other"), &other).ok());
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(other->Put(WriteOptions(), Key(i), "theirs").ok());
  const Snapshot* theirs = other->GetSnapshot();
  ReadOptions read;
  read.snapshot = theirs;
  std::unique_ptr<DB> read_only;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &read_only).ok());
  std::unique_ptr<DB> small;
  ASSERT_TRUE(DB::Open(options, dir_.Join("small"), &small).ok());
  ASSERT_TRUE(small->Put(WriteOptions(), Key(1), "mine").ok());
  for (DB* db : {read_only.get(), small.get()}) {
    std::string value;
    Status s = db->Get(read, Key(1), &value);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_TRUE(db->NewIterator(read)->status().IsInvalidArgument());
  }
  small->ReleaseSnapshot(theirs);
  const Snapshot* mine = small->GetSnapshot();
  small->ReleaseSnapshot(mine);
  small->ReleaseSnapshot(mine);
  std::string value;
  ASSERT_TRUE(small->Get(ReadOptions(), Key(1), &value).ok());
  EXPECT_EQ(value, "mine");
  other->ReleaseSnapshot(theirs);
}

TEST_F(DBReadOnlyTest, ReadsTablesAndWalData) {
  Fill(500);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &db).ok());
  ExpectFilled(db.get(), 500);
  std::string tables;
  ASSERT_TRUE(db->GetProperty("ziggydb.num-files-at-level0", &tables));
  EXPECT_NE(tables, "0");  // the flushed half is read from tables
  std::string sequence;
  ASSERT_TRUE(db->GetProperty("ziggydb.last-sequence", &sequence));
  EXPECT_EQ(sequence, "1001");  // 1000 puts and the delete
  const Snapshot* snapshot = db->GetSnapshot();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->sequence(), 1001u);
  db->ReleaseSnapshot(snapshot);
  // A snapshot of an earlier sequence sees the deleted key again.
  struct Earlier final : Snapshot {
    uint64_t sequence() const override { return 500; }
  } earlier;
  ReadOptions at_500;
  at_500.snapshot = &earlier;
  std::string value;
  ASSERT_TRUE(db->Get(at_500, Key(0), &value).ok());
  EXPECT_EQ(value, Value(0));
  EXPECT_TRUE(db->Get(at_500, Key(700), &value).IsNotFound());
}

// The read-only DB reads through the same ReadStack::Get and NewIterator as the writing one, so
// its reads are counted in the statistics as DBImpl's are.
TEST_F(DBReadOnlyTest, ReadsAreCountedInStatistics) {
  Fill(100);
  Options options = options_;
  options.statistics = CreateStatistics();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options, dbname_, &db).ok());
  const Statistics& stats = *options.statistics;
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), Key(5), &value).ok());  // a table
  PinnableValue pinned;
  ASSERT_TRUE(db->Get(ReadOptions(), Key(150), &pinned).ok());  // the WAL's memtable
  EXPECT_TRUE(db->Get(ReadOptions(), Key(0), &value).IsNotFound());
  EXPECT_EQ(stats.GetTickerCount(Ticker::kKeysRead), 2u);
  EXPECT_EQ(stats.GetTickerCount(Ticker::kBytesRead), Value(5).size() + Value(150).size());
  EXPECT_EQ(stats.GetHistogram(HistogramType::kGetMicros).count, 3u);
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  it->Seek(Key(7));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(stats.GetTickerCount(Ticker::kKeysRead), 3u);
  EXPECT_EQ(stats.GetHistogram(HistogramType::kSeekMicros).count, 1u);
}

// "ziggydb.stats" and "ziggydb.metrics" answer as DBImpl's do, from the one recovered state.
TEST_F(DBReadOnlyTest, StatsAndMetricsProperties) {
  Fill(500);
  for (bool with_statistics : {false, true}) {
    SCOPED_TRACE(with_statistics);
    Options options = options_;
    if (with_statistics) options.statistics = CreateStatistics();
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::OpenReadOnly(options, dbname_, &db).ok());
    std::string value;
    ASSERT_TRUE(db->Get(ReadOptions(), Key(5), &value).ok());
    const DBStats stats = static_cast<DBReadOnly*>(db.get())->GetStats();
    EXPECT_EQ(stats.last_sequence, 1001u);
    EXPECT_GT(stats.levels[0].files + stats.levels[1].files, 0);
    EXPECT_GT(stats.memtable_bytes, 0u);  // the WAL's half
    EXPECT_EQ(stats.writes, 0u);
    std::string text;
    ASSERT_TRUE(db->GetProperty("ziggydb.stats", &text));
    EXPECT_NE(text.find("last sequence: 1001\n"), std::string::npos) << text;
    EXPECT_NE(text.find("level files"), std::string::npos) << text;
    EXPECT_EQ(text.find("--- statistics ---") != std::string::npos, with_statistics) << text;
    std::string metrics;
    ASSERT_TRUE(db->GetProperty("ziggydb.metrics", &metrics));
    EXPECT_NE(metrics.find("ziggydb_last_sequence 1001\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find(with_statistics ? "ziggydb_keys_read_total 1\n"
                                           : "ziggydb_keys_read_total 0\n"),
              std::string::npos)
        << metrics;
    ASSERT_TRUE(db->Close().ok());
    EXPECT_FALSE(db->GetProperty("ziggydb.stats", &text));
    EXPECT_FALSE(db->GetProperty("ziggydb.metrics", &text));
  }
}

TEST_F(DBReadOnlyTest, WritesAreRefused) {
  Fill(10);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &db).ok());
  const Status put = db->Put(WriteOptions(), "k", "v");
  EXPECT_TRUE(put.IsNotSupported()) << put.ToString();
  EXPECT_TRUE(Contains(put, "read-only")) << put.ToString();
  EXPECT_TRUE(db->Delete(WriteOptions(), Key(1)).IsNotSupported());
  WriteBatch batch;
  batch.Put("k", "v");
  EXPECT_TRUE(db->Write(WriteOptions(), batch).IsNotSupported());
  EXPECT_TRUE(db->Flush().IsNotSupported());
  EXPECT_TRUE(db->CompactRange(std::nullopt, std::nullopt).IsNotSupported());
  EXPECT_TRUE(db->WaitForBackgroundWork().ok());
  std::string value;
  EXPECT_TRUE(db->Get(ReadOptions(), "k", &value).IsNotFound());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_TRUE(db->Get(ReadOptions(), Key(1), &value).IsInvalidArgument());
  EXPECT_EQ(db->GetSnapshot(), nullptr);
}

// A transaction on a read-only DB reads its one state; a commit with writes is refused, one
// without writes succeeds; Close ends the transactions still open.
TEST_F(DBReadOnlyTest, TransactionsReadAndCommitNothing) {
  Fill(10);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &db).ok());
  std::string value;
  {
    std::unique_ptr<Transaction> reader = db->BeginTransaction(WriteOptions(), {});
    ASSERT_TRUE(reader->Get(ReadOptions(), Key(3), &value).ok());
    EXPECT_EQ(value, Value(3));
    std::unique_ptr<Iterator> it = reader->NewIterator(ReadOptions());
    int seen = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next())
      ++seen;
    EXPECT_TRUE(it->status().ok());
    EXPECT_EQ(seen, 19);  // Fill(10): keys 1..19
    it.reset();
    EXPECT_TRUE(reader->Commit().ok());
  }
  std::unique_ptr<Transaction> writer = db->BeginTransaction(WriteOptions(), {});
  ASSERT_TRUE(writer->Put("k", "v").ok());  // buffered: visible to the transaction only
  ASSERT_TRUE(writer->Get(ReadOptions(), "k", &value).ok());
  const Status commit = writer->Commit();
  EXPECT_TRUE(commit.IsNotSupported()) << commit.ToString();
  EXPECT_TRUE(Contains(commit, "read-only")) << commit.ToString();
  EXPECT_TRUE(db->Get(ReadOptions(), "k", &value).IsNotFound());

  std::unique_ptr<Transaction> open = db->BeginTransaction(WriteOptions(), {});
  ASSERT_TRUE(db->Close().ok());
  EXPECT_TRUE(open->Get(ReadOptions(), Key(1), &value).IsInvalidArgument());
  EXPECT_TRUE(db->BeginTransaction(WriteOptions(), {})
                  ->Get(ReadOptions(), Key(1), &value)
                  .IsInvalidArgument());
}

TEST_F(DBReadOnlyTest, ChangesNothingInTheDirectory) {
  Fill(300);
  const auto before = DirectoryState(dbname_);
  ASSERT_TRUE(before.contains("LOCK"));
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &db).ok());
    ExpectFilled(db.get(), 300);
    ASSERT_TRUE(db->Close().ok());
  }
  EXPECT_EQ(DirectoryState(dbname_), before);
}

TEST_F(DBReadOnlyTest, CreatesNoLockFileWhereThereIsNone) {
  Fill(50);
  // A copy of the DB's files without LOCK (as a copied or checkpointed DB may be).
  std::filesystem::remove(dbname_ + "/LOCK");
  const auto before = DirectoryState(dbname_);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &db).ok());
  ExpectFilled(db.get(), 50);
  db.reset();
  EXPECT_EQ(DirectoryState(dbname_), before);
  EXPECT_FALSE(std::filesystem::exists(dbname_ + "/LOCK"));
}

TEST_F(DBReadOnlyTest, TwoReadersAtOnce) {
  Fill(200);
  std::unique_ptr<DB> first;
  std::unique_ptr<DB> second;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &first).ok());
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &second).ok());
  ExpectFilled(first.get(), 200);
  ExpectFilled(second.get(), 200);
}

TEST_F(DBReadOnlyTest, RefusedWhileAWriterHoldsTheDb) {
  Fill(20);
  std::unique_ptr<DB> writer;
  ASSERT_TRUE(DB::Open(options_, dbname_, &writer).ok());
  std::unique_ptr<DB> reader;
  const Status s = DB::OpenReadOnly(options_, dbname_, &reader);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "open for writing")) << s.ToString();
  EXPECT_EQ(reader, nullptr);
  ASSERT_TRUE(writer->Close().ok());
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &reader).ok());
}

TEST_F(DBReadOnlyTest, WriterRefusedWhileReadersHoldTheDb) {
  Fill(20);
  std::unique_ptr<DB> reader;
  ASSERT_TRUE(DB::OpenReadOnly(options_, dbname_, &reader).ok());
  std::unique_ptr<DB> writer;
  EXPECT_TRUE(DB::Open(options_, dbname_, &writer).IsBusy());
  // Close releases the lock even while the object lives.
  ASSERT_TRUE(reader->Close().ok());
  ASSERT_TRUE(DB::Open(options_, dbname_, &writer).ok());
}

TEST_F(DBReadOnlyTest, MissingDbIsNotFoundAndNothingIsCreated) {
  std::unique_ptr<DB> db;
  Status s = DB::OpenReadOnly(options_, dbname_, &db);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(dbname_));
  std::filesystem::create_directory(dbname_);
  s = DB::OpenReadOnly(options_, dbname_, &db);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(std::filesystem::is_empty(dbname_));
}

TEST_F(DBReadOnlyTest, RefusesWhatOpenRefuses) {
  Fill(20);
  // The WAL the MANIFEST names is gone: Open says Corruption, and so does the read-only open.
  for (const auto& entry : std::filesystem::directory_iterator(dbname_)) {
    if (entry.path().extension() == ".log") std::filesystem::remove(entry.path());
  }
  std::unique_ptr<DB> db;
  const Status s = DB::OpenReadOnly(options_, dbname_, &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace ziggydb::test
