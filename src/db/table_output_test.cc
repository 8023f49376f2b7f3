// TableOutput and PendingOutputs: a new table is written, synced and verified whole, or leaves no
// file; a pending number stays registered exactly as long as its guard lives.
#include "db/table_output.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "db/db_impl.h"
#include "db/db_test_util.h"
#include "db/filename.h"
#include "env/fault_env.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace ziggydb {
namespace {

constexpr const char* kDbName = "/db";

std::string IKey(const std::string& user_key, uint64_t sequence,
                 ValueType type = ValueType::kValue) {
  std::string key;
  AppendInternalKey(&key, user_key, SequenceNumber{sequence}, type);
  return key;
}

class TableOutputTest : public ::testing::Test {
 protected:
  TableOutputTest() : icmp_(BytewiseComparator()) {
    EXPECT_TRUE(env_.CreateDir(kDbName).ok());
    EXPECT_TRUE(env_.SyncDir("/").ok());  // the directory survives a power loss
    table_options_.comparator = &icmp_;
    table_options_.keys_end_in_fixed64 = true;
    table_cache_ = std::make_unique<TableCache>(kDbName, &env_, &table_options_, 10, false);
    context_.env = &env_;
    context_.dbname = kDbName;
    context_.table_options = &table_options_;
    context_.table_cache = table_cache_.get();
    context_.verify = true;
  }

  // Writes keys a..c (sequences 7, 5, 9) to table `number`.
  Status WriteTable(FileNumber number, FileMetaData* meta) {
    std::unique_ptr<TableOutput> output;
    Status s = TableOutput::Create(context_, number, &output);
    if (!s.ok()) return s;
    output->Add(IKey("a", 7), "va", SequenceNumber{7});
    output->Add(IKey("b", 5), "vb", SequenceNumber{5});
    output->Add(IKey("c", 9), "vc", SequenceNumber{9});
    return output->Finish(meta);
  }

  bool TableExists(FileNumber number) { return env_.FileExists(TableFileName(kDbName, number)); }

  FaultInjectionEnv env_;
  InternalKeyComparator icmp_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  TableOutputContext context_;
};

TEST_F(TableOutputTest, FinishedTableIsDurableAndDescribedByItsMeta) {
  FileMetaData meta;
  ASSERT_TRUE(WriteTable(FileNumber{7}, &meta).ok());
  EXPECT_EQ(raw(meta.number), 7u);
  EXPECT_EQ(meta.smallest, IKey("a", 7));
  EXPECT_EQ(meta.largest, IKey("c", 9));
  EXPECT_EQ(raw(meta.smallest_sequence), 5u);
  EXPECT_EQ(raw(meta.largest_sequence), 9u);
  EXPECT_EQ(meta.num_entries, 3u);
  EXPECT_EQ(meta.reclaimable_entries, 0u);
  uint64_t file_bytes = 0;
  ASSERT_TRUE(env_.GetFileSize(TableFileName(kDbName, meta.number), &file_bytes).ok());
  EXPECT_EQ(meta.file_bytes, file_bytes);
  // Synced: survives a power loss once the directory is synced (the caller's step).
  ASSERT_TRUE(env_.SyncDir(kDbName).ok());
  env_.DropUnsyncedData();
  table_cache_->Evict(meta.number);
  std::shared_ptr<const TableReader> table;
  ASSERT_TRUE(table_cache_->FindTable(meta.number, meta.file_bytes, &table).ok());
  std::unique_ptr<Iterator> iter = table->NewIterator(ReadOptions());
  int entries = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next())
    ++entries;
  EXPECT_EQ(entries, 3);
}

// Reclaimable (version_edit.h): tombstones, and the versions of a key after its newest one.
TEST_F(TableOutputTest, MetaCountsTheTombstonesAndOlderVersions) {
  std::unique_ptr<TableOutput> output;
  ASSERT_TRUE(TableOutput::Create(context_, FileNumber{7}, &output).ok());
  output->Add(IKey("a", 9), "a9", SequenceNumber{9});
  output->Add(IKey("a", 4), "a4", SequenceNumber{4});                       // older version
  output->Add(IKey("ab", 8, ValueType::kDeletion), "", SequenceNumber{8});  // tombstone
  output->Add(IKey("ab", 3), "ab3", SequenceNumber{3});                     // older version
  output->Add(IKey("b", 2), "b2", SequenceNumber{2});
  FileMetaData meta;
  ASSERT_TRUE(output->Finish(&meta).ok());
  EXPECT_EQ(meta.num_entries, 5u);
  EXPECT_EQ(meta.reclaimable_entries, 3u);
}

TEST_F(TableOutputTest, FailedSyncLeavesNoFile) {
  env_.InjectError(FaultOp::kSync, "000007.sst");
  FileMetaData meta;
  EXPECT_TRUE(WriteTable(FileNumber{7}, &meta).IsIOError());
  EXPECT_FALSE(TableExists(FileNumber{7}));
  EXPECT_EQ(meta.file_bytes, 0u);  // *meta untouched
}

TEST_F(TableOutputTest, FailedWriteLeavesNoFile) {
  env_.InjectError(FaultOp::kAppend, "000007.sst");
  FileMetaData meta;
  EXPECT_FALSE(WriteTable(FileNumber{7}, &meta).ok());
  EXPECT_FALSE(TableExists(FileNumber{7}));
}

TEST_F(TableOutputTest, FailedCreateLeavesNoFile) {
  env_.InjectError(FaultOp::kCreate, "000007.sst");
  FileMetaData meta;
  EXPECT_TRUE(WriteTable(FileNumber{7}, &meta).IsIOError());
  EXPECT_FALSE(TableExists(FileNumber{7}));
}

TEST_F(TableOutputTest, FailedVerificationLeavesNoFile) {
  // Verification re-opens the table: a failed read of it fails the output.
  env_.InjectError(FaultOp::kRead, "000007.sst");
  FileMetaData meta;
  EXPECT_TRUE(WriteTable(FileNumber{7}, &meta).IsIOError());
  EXPECT_FALSE(TableExists(FileNumber{7}));
}

// What a flush or compaction writes goes through TableOutput: keys out of order (the same user
// key with a higher sequence after a lower one sorts before it) fail the output with Corruption
// and leave no file.
TEST_F(TableOutputTest, KeysOutOfOrderFailWithCorruptionAndLeaveNoFile) {
  std::unique_ptr<TableOutput> output;
  ASSERT_TRUE(TableOutput::Create(context_, FileNumber{7}, &output).ok());
  output->Add(IKey("a", 7), "va", SequenceNumber{7});
  output->Add(IKey("b", 5), "vb", SequenceNumber{5});
  output->Add(IKey("b", 6), "vb6", SequenceNumber{6});
  FileMetaData meta;
  EXPECT_TRUE(output->Finish(&meta).IsCorruption());
  EXPECT_FALSE(TableExists(FileNumber{7}));
}

TEST_F(TableOutputTest, WithoutVerificationTheTableIsNotReadBack) {
  context_.verify = false;
  env_.InjectError(FaultOp::kRead, "000007.sst");
  FileMetaData meta;
  EXPECT_TRUE(WriteTable(FileNumber{7}, &meta).ok());
  EXPECT_TRUE(TableExists(FileNumber{7}));
  EXPECT_EQ(env_.injected_error_count(), 0u);
}

TEST_F(TableOutputTest, UnfinishedOutputIsRemovedWhenDropped) {
  std::unique_ptr<TableOutput> output;
  ASSERT_TRUE(TableOutput::Create(context_, FileNumber{8}, &output).ok());
  output->Add(IKey("a", 1), "v", SequenceNumber{1});
  EXPECT_TRUE(TableExists(FileNumber{8}));
  output.reset();
  EXPECT_FALSE(TableExists(FileNumber{8}));
}

TEST_F(TableOutputTest, RemoveTableDeletesAFinishedTable) {
  FileMetaData meta;
  ASSERT_TRUE(WriteTable(FileNumber{9}, &meta).ok());
  RemoveTable(context_, meta.number);
  EXPECT_FALSE(TableExists(FileNumber{9}));
  std::shared_ptr<const TableReader> table;
  EXPECT_FALSE(table_cache_->FindTable(meta.number, meta.file_bytes, &table).ok());
}

TEST(PendingOutputs, GuardKeepsTheNumberRegisteredForItsLifetime) {
  PendingOutputs pending;
  {
    PendingOutput guard = pending.Register(FileNumber{5});
    EXPECT_EQ(raw(guard.number()), 5u);
    EXPECT_TRUE(pending.Contains(FileNumber{5}));
    std::set<FileNumber> numbers{FileNumber{1}};
    pending.AddTo(&numbers);
    EXPECT_EQ(numbers, (std::set<FileNumber>{FileNumber{1}, FileNumber{5}}));
  }
  EXPECT_FALSE(pending.Contains(FileNumber{5}));
}

TEST(PendingOutputs, MovedGuardHandsOverTheRegistration) {
  PendingOutputs pending;
  PendingOutput outer;
  {
    PendingOutput inner = pending.Register(FileNumber{6});
    outer = std::move(inner);
  }
  EXPECT_TRUE(pending.Contains(FileNumber{6}));
  PendingOutput other = pending.Register(FileNumber{7});
  outer = std::move(other);  // releases 6, takes over 7
  EXPECT_FALSE(pending.Contains(FileNumber{6}));
  EXPECT_TRUE(pending.Contains(FileNumber{7}));
  outer = PendingOutput();
  EXPECT_FALSE(pending.Contains(FileNumber{7}));
}

// Holds the first table sync after Arm() until Release(), and reports when an obsolete-file pass
// (table removals, then one directory sync) has ended.
class HoldingEnv : public FaultInjectionEnv {
 public:
  void Arm() EXCLUDES(hold_mu_) {
    MutexLock lock(&hold_mu_);
    armed_ = true;
  }
  // The path of the held table, once its sync is held.
  std::string WaitForHeldSync() EXCLUDES(hold_mu_) {
    MutexLock lock(&hold_mu_);
    while (held_path_.empty())
      sync_held_.Wait(&hold_mu_);
    return held_path_;
  }
  void Release() EXCLUDES(hold_mu_) {
    MutexLock lock(&hold_mu_);
    released_ = true;
    sync_released_.NotifyAll();
  }
  void WaitForRemovalPass() EXCLUDES(hold_mu_) {
    MutexLock lock(&hold_mu_);
    while (!removal_pass_done_)
      removal_pass_ended_.Wait(&hold_mu_);
  }

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override
      EXCLUDES(hold_mu_) {
    const bool table = path.ends_with(".sst");
    {
      MutexLock lock(&hold_mu_);
      if (op == FaultOp::kSync && table && armed_) {
        armed_ = false;
        held_path_ = std::string(path);
        sync_held_.NotifyAll();
        while (!released_)
          sync_released_.Wait(&hold_mu_);
      } else if (op == FaultOp::kRemove && table) {
        table_removed_ = true;
      } else if (op == FaultOp::kSyncDir && table_removed_) {
        removal_pass_done_ = true;
        removal_pass_ended_.NotifyAll();
      }
    }
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }

 private:
  Mutex hold_mu_;
  CondVar sync_held_;           // waiter: WaitForHeldSync; notifier: InjectedFault
  CondVar sync_released_;       // waiter: the held sync (InjectedFault); notifier: Release
  CondVar removal_pass_ended_;  // waiter: WaitForRemovalPass; notifier: InjectedFault
  bool armed_ GUARDED_BY(hold_mu_) = false;
  bool released_ GUARDED_BY(hold_mu_) = false;
  std::string held_path_ GUARDED_BY(hold_mu_);
  bool table_removed_ GUARDED_BY(hold_mu_) = false;
  bool removal_pass_done_ GUARDED_BY(hold_mu_) = false;
};

// A flush's table, created but not yet synced while a compaction deletes its obsolete inputs, is
// registered as pending: the compaction's cleanup keeps it, and the flush installs it.
TEST(PendingOutputsInTheDb, TableBeingFlushedSurvivesACompactionsCleanup) {
  HoldingEnv env;
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  options.l0_compaction_trigger = 2;
  options.max_background_jobs = 2;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  Mutex mu;
  CondVar compaction_entered_cv;    // waiter: the test; notifier: the compaction hook
  bool compaction_entered = false;  // guarded by mu
  test::Gate compaction_gate;
  static_cast<DBImpl*>(db.get())->TEST_SetCompactionHook([&] {
    {
      MutexLock lock(&mu);
      compaction_entered = true;
      compaction_entered_cv.NotifyAll();
    }
    compaction_gate.Enter();
  });
  // Overlapping L0 tables: the compaction merges them (no trivial move) and deletes them.
  for (int i = 0; i < options.l0_compaction_trigger; ++i) {
    ASSERT_TRUE(db->Put(WriteOptions(), test::Key(0), "v").ok());
    ASSERT_TRUE(db->Put(WriteOptions(), test::Key(9), "v").ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  {
    MutexLock lock(&mu);
    while (!compaction_entered)
      compaction_entered_cv.Wait(&mu);
  }
  // The next flush writes its table and is held at its sync, the number drawn long before the
  // compaction's cleanup looks at the directory.
  env.Arm();
  ASSERT_TRUE(db->Put(WriteOptions(), "late", "v").ok());
  Status flushed;
  std::thread flusher([&] { flushed = db->Flush(); });
  const std::string held = env.WaitForHeldSync();
  compaction_gate.Release();
  env.WaitForRemovalPass();
  EXPECT_TRUE(env.FileExists(held));
  env.Release();
  flusher.join();
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  static_cast<DBImpl*>(db.get())->TEST_SetCompactionHook(nullptr);
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::string value;
  EXPECT_TRUE(db->Get(ReadOptions(), "late", &value).ok());
  EXPECT_TRUE(db->Get(ReadOptions(), test::Key(0), &value).ok());
  EXPECT_TRUE(db->Get(ReadOptions(), test::Key(9), &value).ok());
}

}  // namespace
}  // namespace ziggydb
