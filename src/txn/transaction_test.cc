// Transaction API behaviour: reads at the snapshot and of its own writes, commit atomicity and
// durability, conflicts at both levels, the history bound, save points and misuse.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
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

}  // namespace
}  // namespace ziggydb::test
