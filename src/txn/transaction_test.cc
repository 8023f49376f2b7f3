// Transaction API behaviour: reads at the snapshot and of its own writes, commit atomicity and
// durability, conflicts at both levels, the history bound, save points and misuse.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/status_macros.h"
#include "ziggydb/listener.h"
#include "ziggydb/statistics.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

class TransactionTest : public DBTest {
 protected:
  TransactionTest() { options_.statistics = CreateStatistics(); }
  void SetUp() override { Open(); }

  std::unique_ptr<Transaction> Begin(IsolationLevel level = IsolationLevel::kSnapshot,
                                     bool sync = false) {
    WriteOptions write_options;
    write_options.sync = sync;
    TransactionOptions txn_options;
    txn_options.isolation = level;
    return db_->BeginTransaction(write_options, txn_options);
  }
  // The value, "NOT_FOUND" or the error.
  static std::string TxnGet(Transaction* txn, const std::string& key) {
    std::string value;
    Status s = txn->Get(ReadOptions(), key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return s.ToString();
    return value;
  }
  uint64_t Ticks(Ticker ticker) { return options_.statistics->GetTickerCount(ticker); }
};

TEST_F(TransactionTest, ReadsItsSnapshotAndItsOwnWrites) {
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  auto txn = Begin();
  ASSERT_TRUE(Put("a", "changed").ok());  // after the snapshot: invisible to txn
  EXPECT_EQ(TxnGet(txn.get(), "a"), "1");
  ASSERT_TRUE(txn->Put("b", "3").ok());
  ASSERT_TRUE(txn->Delete("c").ok());
  EXPECT_EQ(TxnGet(txn.get(), "b"), "3");
  EXPECT_EQ(Get("b"), "2");  // nothing applied before Commit
  ASSERT_TRUE(txn->Delete("b").ok());
  EXPECT_EQ(TxnGet(txn.get(), "b"), "NOT_FOUND");
}

TEST_F(TransactionTest, CommitAppliesEveryWriteAtOnce) {
  ASSERT_TRUE(Put("gone", "x").ok());
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("a", "1").ok());
  ASSERT_TRUE(txn->Put("b", "2").ok());
  ASSERT_TRUE(txn->Delete("gone").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
}

TEST_F(TransactionTest, FirstCommitterWinsUnderSnapshotIsolation) {
  auto t1 = Begin();
  auto t2 = Begin();
  ASSERT_TRUE(t1->Put("k", "t1").ok());
  ASSERT_TRUE(t2->Put("k", "t2").ok());
  ASSERT_TRUE(t1->Commit().ok());
  Status s = t2->Commit();
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(Get("k"), "t1");
  EXPECT_EQ(Ticks(Ticker::kTxnConflicts), 1u);
}

TEST_F(TransactionTest, PlainWriteAfterTheSnapshotConflicts) {
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k", "txn").ok());
  ASSERT_TRUE(Put("k", "plain").ok());
  EXPECT_TRUE(txn->Commit().IsBusy());
  EXPECT_EQ(Get("k"), "plain");
}

TEST_F(TransactionTest, DisjointWritersBothCommit) {
  auto t1 = Begin(IsolationLevel::kSerializable);
  auto t2 = Begin(IsolationLevel::kSerializable);
  ASSERT_TRUE(t1->Put("a", "1").ok());
  ASSERT_TRUE(t2->Put("b", "2").ok());
  EXPECT_TRUE(t1->Commit().ok());
  EXPECT_TRUE(t2->Commit().ok());
}

TEST_F(TransactionTest, ReadOnlyTransactionNeverAborts) {
  auto txn = Begin(IsolationLevel::kSerializable);
  EXPECT_EQ(TxnGet(txn.get(), "k"), "NOT_FOUND");
  ASSERT_TRUE(Put("k", "v").ok());
  EXPECT_TRUE(txn->Commit().ok());
}

TEST_F(TransactionTest, SerializableAbortsWhenAKeyReadChanged) {
  auto txn = Begin(IsolationLevel::kSerializable);
  EXPECT_EQ(TxnGet(txn.get(), "absent"), "NOT_FOUND");
  ASSERT_TRUE(txn->Put("other", "v").ok());
  ASSERT_TRUE(Put("absent", "now present").ok());
  EXPECT_TRUE(txn->Commit().IsBusy());
  EXPECT_EQ(Get("other"), "NOT_FOUND");
}

TEST_F(TransactionTest, SnapshotIsolationIgnoresChangedReads) {
  auto txn = Begin(IsolationLevel::kSnapshot);
  EXPECT_EQ(TxnGet(txn.get(), "absent"), "NOT_FOUND");
  ASSERT_TRUE(txn->Put("other", "v").ok());
  ASSERT_TRUE(Put("absent", "now present").ok());
  EXPECT_TRUE(txn->Commit().ok());
}

TEST_F(TransactionTest, SavePointsStack) {
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("a", "1").ok());
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Put("a", "2").ok());
  ASSERT_TRUE(txn->Put("b", "2").ok());
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Delete("a").ok());
  ASSERT_TRUE(txn->Put("c", "3").ok());
  EXPECT_EQ(TxnGet(txn.get(), "a"), "NOT_FOUND");
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());
  EXPECT_EQ(TxnGet(txn.get(), "a"), "2");
  EXPECT_EQ(TxnGet(txn.get(), "c"), "NOT_FOUND");
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());
  EXPECT_EQ(TxnGet(txn.get(), "a"), "1");
  EXPECT_EQ(TxnGet(txn.get(), "b"), "NOT_FOUND");
  EXPECT_TRUE(txn->RollbackToSavePoint().IsNotFound());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

TEST_F(TransactionTest, RollingBackEveryWriteCommitsWithoutACheck) {
  auto txn = Begin();
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Put("k", "txn").ok());
  ASSERT_TRUE(Put("k", "plain").ok());
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());
  EXPECT_TRUE(txn->Commit().ok());  // wrote nothing in the end
  EXPECT_EQ(Get("k"), "plain");
}

TEST_F(TransactionTest, RollbackDiscardsTheWrites) {
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k", "v").ok());
  ASSERT_TRUE(txn->Rollback().ok());
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  auto dropped = Begin();
  ASSERT_TRUE(dropped->Put("k", "v").ok());
  dropped.reset();  // the destructor rolls back
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(TransactionTest, EveryCallAfterTheEndIsInvalidArgument) {
  for (bool commit : {true, false}) {
    auto txn = Begin();
    ASSERT_TRUE(txn->Put("k", "v").ok());
    std::unique_ptr<Iterator> before = txn->NewIterator(ReadOptions());
    before->SeekToFirst();
    ASSERT_TRUE(before->Valid());
    ASSERT_TRUE(commit ? txn->Commit().ok() : txn->Rollback().ok());
    std::string value;
    EXPECT_TRUE(txn->Get(ReadOptions(), "k", &value).IsInvalidArgument());
    EXPECT_TRUE(txn->Put("k", "v").IsInvalidArgument());
    EXPECT_TRUE(txn->Delete("k").IsInvalidArgument());
    EXPECT_TRUE(txn->Commit().IsInvalidArgument());
    EXPECT_TRUE(txn->Rollback().IsInvalidArgument());
    txn->SetSavePoint();
    EXPECT_TRUE(txn->RollbackToSavePoint().IsInvalidArgument());
    std::unique_ptr<Iterator> after = txn->NewIterator(ReadOptions());
    after->SeekToFirst();
    EXPECT_FALSE(after->Valid());
    EXPECT_TRUE(after->status().IsInvalidArgument());
    // An iterator of the ended transaction turns invalid, and stays safe to use and destroy
    // after the transaction is gone.
    EXPECT_FALSE(before->Valid());
    EXPECT_TRUE(before->status().IsInvalidArgument());
    txn.reset();
    before->SeekToLast();
    EXPECT_FALSE(before->Valid());
    EXPECT_TRUE(before->status().IsInvalidArgument());
  }
}

TEST_F(TransactionTest, ForeignSnapshotIsRefused) {
  auto txn = Begin();
  ManagedSnapshot snapshot(db_.get());
  ReadOptions options;
  options.snapshot = snapshot.snapshot();
  std::string value;
  EXPECT_TRUE(txn->Get(options, "k", &value).IsInvalidArgument());
  std::unique_ptr<Iterator> it = txn->NewIterator(options);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsInvalidArgument());
}

TEST_F(TransactionTest, WritesOverTheLimitsAreRefusedAndChangeNothing) {
  TransactionOptions txn_options;
  txn_options.max_write_bytes = 1000;
  auto txn = db_->BeginTransaction(WriteOptions(), txn_options);
  ASSERT_TRUE(txn->Put("a", std::string(500, 'x')).ok());
  Status s = txn->Put("b", std::string(500, 'y'));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(TxnGet(txn.get(), "b"), "NOT_FOUND");
  // Replacing a value by a smaller one fits.
  EXPECT_TRUE(txn->Put("a", "small").ok());
  EXPECT_TRUE(txn->Put("b", std::string(500, 'y')).ok());
  EXPECT_TRUE(txn->Put(std::string(kMaxKeyBytes + 1, 'k'), "v").IsInvalidArgument());
  EXPECT_TRUE(txn->Delete(std::string(kMaxKeyBytes + 1, 'k')).IsInvalidArgument());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("a"), "small");
  EXPECT_EQ(Get("b"), std::string(500, 'y'));
}

TEST_F(TransactionTest, ReadSetOverItsLimitFailsTheRead) {
  TransactionOptions txn_options;
  txn_options.isolation = IsolationLevel::kSerializable;
  txn_options.max_read_set_bytes = 100;
  auto txn = db_->BeginTransaction(WriteOptions(), txn_options);
  std::string value;
  Status s;
  int reads = 0;
  while ((s = txn->Get(ReadOptions(), "key" + std::to_string(reads), &value)).IsNotFound())
    ++reads;
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_GT(reads, 0);
}

TEST_F(TransactionTest, SyncCommitSurvivesPowerLossAndUnsyncedDoesNot) {
  auto synced = Begin(IsolationLevel::kSnapshot, /*sync=*/true);
  ASSERT_TRUE(synced->Put("synced", "1").ok());
  ASSERT_TRUE(synced->Commit().ok());
  auto unsynced = Begin(IsolationLevel::kSnapshot, /*sync=*/false);
  ASSERT_TRUE(unsynced->Put("unsynced", "2").ok());
  ASSERT_TRUE(unsynced->Commit().ok());
  Close();
  env_.DropUnsyncedData();
  Reopen();
  EXPECT_EQ(Get("synced"), "1");
  EXPECT_EQ(Get("unsynced"), "NOT_FOUND");
}

TEST_F(TransactionTest, CommitIsAllOrNothingAfterACrash) {
  constexpr int kKeys = 200;
  // Power loss with any prefix of the commit's WAL record on disk.
  for (const double kept : {0.0, 0.1, 0.5, 0.9, 0.999, 1.0}) {
    SCOPED_TRACE("kept fraction " + std::to_string(kept));
    Close();
    ASSERT_TRUE(DestroyDB(kDbName, options_).ok());
    Open();
    ASSERT_TRUE(Put("base", "b", /*sync=*/true).ok());
    auto txn = Begin();
    for (int i = 0; i < kKeys; ++i)
      ASSERT_TRUE(txn->Put(Key(i), std::string(100, 'v')).ok());
    ASSERT_TRUE(txn->Commit().ok());
    Close();
    env_.DropUnsyncedDataKeeping([kept](const std::string&, uint64_t unsynced_bytes) {
      return static_cast<uint64_t>(static_cast<double>(unsynced_bytes) * kept);
    });
    Reopen();
    EXPECT_EQ(Get("base"), "b");
    int present = 0;
    for (int i = 0; i < kKeys; ++i)
      present += Get(Key(i)) == std::string(100, 'v') ? 1 : 0;
    EXPECT_TRUE(present == 0 || present == kKeys) << present;
    if (kept == 1.0) {
      EXPECT_EQ(present, kKeys);
    }
  }
}

TEST_F(TransactionTest, CommitsSurviveAReopen) {
  auto txn = Begin(IsolationLevel::kSerializable);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(txn->Put(Key(i), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(txn->Commit().ok());
  Reopen();
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(Get(Key(i)), "v" + std::to_string(i));
}

TEST_F(TransactionTest, HistoryNoLongerKeptIsBusyAndCounted) {
  auto old = Begin();
  ASSERT_TRUE(old->Put("k", "old").ok());
  ASSERT_TRUE(Put("unrelated", "x").ok());  // after the snapshot, then flushed away
  ASSERT_TRUE(db_->Flush().ok());
  Status s = old->Commit();
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.ToString().find("no longer kept"), std::string::npos) << s.ToString();
  EXPECT_EQ(Ticks(Ticker::kTxnHistoryAborts), 1u);
  EXPECT_EQ(Ticks(Ticker::kTxnConflicts), 0u);
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(TransactionTest, FlushWithoutNewerWritesKeepsTheTransactionCheckable) {
  ASSERT_TRUE(Put("k", "before").ok());
  auto txn = Begin(IsolationLevel::kSerializable);
  EXPECT_EQ(TxnGet(txn.get(), "k"), "before");
  ASSERT_TRUE(db_->Flush().ok());  // nothing was written after the snapshot
  ASSERT_TRUE(txn->Put("k", "txn").ok());
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("k"), "txn");
}

TEST_F(TransactionTest, ConflictInAnImmutableMemtableIsFound) {
  options_.max_immutable_memtables = 2;
  Reopen();
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k", "txn").ok());
  ASSERT_TRUE(Put("k", "plain").ok());
  // Fill the memtable so that "k" moves to an immutable one (its flush may or may not have run:
  // either the conflict or the lost history is reported, never a silent pass).
  for (int i = 0; i < 2000; ++i)
    ASSERT_TRUE(Put(Key(i), std::string(100, 'x')).ok());
  Status s = txn->Commit();
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(Get("k"), "plain");
}

TEST_F(TransactionTest, CloseEndsOpenTransactions) {
  ASSERT_TRUE(Put("a", "1").ok());
  auto txn = Begin(IsolationLevel::kSerializable);
  ASSERT_TRUE(txn->Put("b", "2").ok());
  std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsInvalidArgument());
  std::string value;
  Status s = txn->Get(ReadOptions(), "a", &value);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("closed"), std::string::npos) << s.ToString();
  EXPECT_TRUE(txn->Commit().IsInvalidArgument());
  // Begun after Close: refuses every call.
  auto late = Begin();
  EXPECT_TRUE(late->Put("c", "3").IsInvalidArgument());
  EXPECT_TRUE(late->Commit().IsInvalidArgument());
  // The DB object goes first; the transaction and its iterator outlive it safely.
  db_.reset();
  it->Next();
  EXPECT_FALSE(it->Valid());
  it.reset();
  txn.reset();
  Reopen();
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

// Close ends the open transactions before its last flush; a transaction begun meanwhile (here by
// a listener callback of that flush) starts ended too, or it would keep a pointer to the DB.
class BeginsATransactionOnFlush : public EventListener {
 public:
  void OnFlushBegin(DB* db, const FlushJobInfo&) override {
    if (txn == nullptr) txn = db->BeginTransaction(WriteOptions(), TransactionOptions());
  }
  std::unique_ptr<Transaction> txn;
};

TEST_F(TransactionTest, ATransactionBegunDuringCloseStartsEnded) {
  auto listener = std::make_shared<BeginsATransactionOnFlush>();
  options_.listeners.push_back(listener);
  Reopen();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "a", "1").ok());  // Close flushes it
  ASSERT_TRUE(db_->Close().ok());
  ASSERT_NE(listener->txn, nullptr);
  db_.reset();
  std::string value;
  const Status s = listener->txn->Get(ReadOptions(), "a", &value);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("closed"), std::string::npos) << s.ToString();
  listener->txn.reset();  // unregisters nothing: the DB is gone
}

// Write options no commit could honour are refused when the transaction begins, not at Commit
// after its work: every call returns the error.
TEST_F(TransactionTest, SyncWithoutTheWalIsRefusedAtTheStart) {
  WriteOptions bad;
  bad.sync = true;
  bad.disable_wal = true;
  auto txn = db_->BeginTransaction(bad, TransactionOptions());
  ASSERT_NE(txn, nullptr);
  for (const Status& s : {txn->Put("k", "v"), txn->Delete("k"), txn->Commit()}) {
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find("disable_wal"), std::string::npos) << s.ToString();
  }
  std::string value;
  EXPECT_TRUE(txn->Get(ReadOptions(), "k", &value).IsInvalidArgument());
  EXPECT_TRUE(db_->Get(ReadOptions(), "k", &value).IsNotFound());
}

TEST_F(TransactionTest, DestroyingTheDbWithOpenTransactionsIsSafe) {
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k", "v").ok());
  db_.reset();  // no Close: the destructor closes, ending the transaction
  EXPECT_TRUE(txn->Commit().IsInvalidArgument());
}

TEST_F(TransactionTest, RunTransactionRetriesOnBusy) {
  int attempts = 0;
  Status s = RunTransaction(db_.get(), WriteOptions(), TransactionOptions(),
                            [&](Transaction& txn) -> Status {
                              ++attempts;
                              ZIGGY_RETURN_IF_ERROR(txn.Put("k", "txn"));
                              // Another writer wins the first attempt.
                              if (attempts == 1) return Put("k", "plain");
                              return Status::OK();
                            });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Get("k"), "txn");
}

TEST_F(TransactionTest, RunTransactionGivesUpAfterMaxAttempts) {
  int attempts = 0;
  Status s = RunTransaction(
      db_.get(), WriteOptions(), TransactionOptions(),
      [&](Transaction& txn) -> Status {
        ++attempts;
        ZIGGY_RETURN_IF_ERROR(txn.Put("k", "txn"));
        return Put("k", "plain" + std::to_string(attempts));
      },
      3);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(Get("k"), "plain3");
}

TEST_F(TransactionTest, RunTransactionRefusesANullDbOrBody) {
  EXPECT_TRUE(RunTransaction(nullptr, WriteOptions(), TransactionOptions(), [](Transaction&) {
                return Status::OK();
              }).IsInvalidArgument());
  EXPECT_TRUE(
      RunTransaction(db_.get(), WriteOptions(), TransactionOptions(), nullptr).IsInvalidArgument());
}

TEST_F(TransactionTest, RunTransactionReturnsTheBodysErrorAtOnce) {
  int attempts = 0;
  Status s = RunTransaction(db_.get(), WriteOptions(), TransactionOptions(),
                            [&](Transaction& txn) -> Status {
                              ++attempts;
                              EXPECT_TRUE(txn.Put("k", "v").ok());
                              return Status::NotSupported("no");
                            });
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

// Concurrent read-modify-write transactions lose no increment (labelled tsan). Each yields
// between its read and its write so that commits interleave; half the threads sync, so that
// transactions also meet in shared commit groups.
TEST_F(TransactionTest, ConcurrentIncrementsLoseNothing) {
  for (IsolationLevel level : {IsolationLevel::kSnapshot, IsolationLevel::kSerializable}) {
    constexpr int kThreads = 4;
    constexpr int kCounters = 2;
    const int increments = static_cast<int>(ScaledIterations(300));
    const std::string prefix = level == IsolationLevel::kSnapshot ? "si" : "ser";
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        WriteOptions write_options;
        write_options.sync = t % 2 == 0;
        TransactionOptions txn_options;
        txn_options.isolation = level;
        while (!go.load())
          std::this_thread::yield();
        for (int i = 0; i < increments; ++i) {
          const std::string key = prefix + std::to_string((t + i) % kCounters);
          Status s = RunTransaction(
              db_.get(), write_options, txn_options,
              [&](Transaction& txn) -> Status {
                std::string value;
                Status read = txn.Get(ReadOptions(), key, &value);
                if (!read.ok() && !read.IsNotFound()) return read;
                const int count = read.ok() ? std::stoi(value) : 0;
                std::this_thread::yield();
                return txn.Put(key, std::to_string(count + 1));
              },
              1000);
          ASSERT_TRUE(s.ok()) << s.ToString();
        }
      });
    }
    go.store(true);
    for (std::thread& thread : threads)
      thread.join();
    int total = 0;
    for (int c = 0; c < kCounters; ++c) {
      const std::string value = Get(prefix + std::to_string(c));
      total += value == "NOT_FOUND" ? 0 : std::stoi(value);
    }
    EXPECT_EQ(total, kThreads * increments) << prefix;
  }
}

// Holds every WAL sync while held, so that writers queue behind the leader syncing.
class HoldingEnv : public FaultInjectionEnv {
 public:
  void Hold() {
    MutexLock lock(&mu_);
    held_ = true;
  }
  void WaitUntilASyncIsHeld() {
    MutexLock lock(&mu_);
    while (holding_ == 0)
      changed_.Wait(&mu_);
  }
  void Release() {
    MutexLock lock(&mu_);
    held_ = false;
    changed_.NotifyAll();
  }

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override {
    if (op == FaultOp::kSync && path.ends_with(".log")) {
      MutexLock lock(&mu_);
      ++holding_;
      changed_.NotifyAll();
      while (held_)
        changed_.Wait(&mu_);
      --holding_;
    }
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }

 private:
  Mutex mu_;
  CondVar changed_;  // waiters: WaitUntilASyncIsHeld, held syncs; notifiers: all
  bool held_ GUARDED_BY(mu_) = false;
  int holding_ GUARDED_BY(mu_) = 0;
};

// Conflicting transactions queued behind one leader are validated in one commit group, each
// against the batches ahead of it: exactly one of two writers of a key commits. (The outcome is
// the same whether or not they share the group; holding the leader's sync makes them share it.)
TEST(TransactionGroupTest, ConflictingTransactionsInOneGroupCommitOnce) {
  HoldingEnv env;
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.statistics = CreateStatistics();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  WriteOptions sync;
  sync.sync = true;
  std::vector<std::unique_ptr<Transaction>> txns;
  for (int i = 0; i < 4; ++i) {
    txns.push_back(db->BeginTransaction(sync, TransactionOptions()));
    // Transactions 0 and 1 write "k"; 2 and 3 write keys of their own.
    const std::string key = i < 2 ? "k" : "own" + std::to_string(i);
    ASSERT_TRUE(txns.back()->Put(key, "t" + std::to_string(i)).ok());
  }
  env.Hold();
  std::thread leader([&] { EXPECT_TRUE(db->Put(sync, "leader", "v").ok()); });
  env.WaitUntilASyncIsHeld();
  std::vector<Status> results(txns.size());
  std::vector<std::thread> committers;
  for (size_t i = 0; i < txns.size(); ++i)
    committers.emplace_back([&, i] { results[i] = txns[i]->Commit(); });
  // Give the committers time to queue behind the held leader (the outcome does not depend on it).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  env.Release();
  leader.join();
  for (std::thread& committer : committers)
    committer.join();
  ASSERT_TRUE(results[0].ok() != results[1].ok())
      << results[0].ToString() << " / " << results[1].ToString();
  const size_t winner = results[0].ok() ? 0 : 1;
  EXPECT_TRUE(results[1 - winner].IsBusy()) << results[1 - winner].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_TRUE(results[3].ok()) << results[3].ToString();
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "k", &value).ok());
  EXPECT_EQ(value, "t" + std::to_string(winner));
  ASSERT_TRUE(db->Get(ReadOptions(), "own3", &value).ok());
  EXPECT_EQ(options.statistics->GetTickerCount(Ticker::kTxnConflicts), 1u);
}

}  // namespace
}  // namespace ziggydb::test
