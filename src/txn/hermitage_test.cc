// The Hermitage suite (Kleppmann's test of isolation levels) transcribed to transactions over
// keys: the start state is k1 = 10 and k2 = 20, and each anomaly's interleaving is replayed under
// both levels. Snapshot isolation must prevent all but G2-item and G2; serializable must prevent
// all. Being optimistic, ZiggyDB prevents by refusing a commit (Busy) where a locking database
// would block or abort earlier: docs/design/transactions.md tabulates the outcomes.
// A "predicate read" (SELECT ... WHERE) is a scan of every key with an iterator.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/db_test_util.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

class HermitageTest : public DBTest, public ::testing::WithParamInterface<IsolationLevel> {
 protected:
  void SetUp() override {
    Open();
    ASSERT_TRUE(Put("k1", "10").ok());
    ASSERT_TRUE(Put("k2", "20").ok());
  }
  bool Serializable() const { return GetParam() == IsolationLevel::kSerializable; }
  std::unique_ptr<Transaction> Begin() {
    TransactionOptions options;
    options.isolation = GetParam();
    return db_->BeginTransaction(WriteOptions(), options);
  }
  static std::string Read(Transaction* txn, const std::string& key) {
    std::string value;
    Status s = txn->Get(ReadOptions(), key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }
  static void Write(Transaction* txn, const std::string& key, const std::string& value) {
    ASSERT_TRUE(txn->Put(key, value).ok());
  }
  // SELECT * WHERE pred(value): a scan of every key.
  static Rows Select(Transaction* txn, const std::function<bool(int)>& pred) {
    Rows rows;
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (pred(std::stoi(std::string(it->value())))) {
        rows.emplace_back(std::string(it->key()), std::string(it->value()));
      }
    }
    EXPECT_TRUE(it->status().ok());
    return rows;
  }
};

// G0, write cycles: two transactions writing both keys in opposite interleaving. Prevented: the
// second committer fails, so the keys never mix the two.
TEST_P(HermitageTest, G0WriteCycles) {
  auto t1 = Begin();
  auto t2 = Begin();
  Write(t1.get(), "k1", "11");
  Write(t2.get(), "k1", "12");
  Write(t1.get(), "k2", "21");
  ASSERT_TRUE(t1->Commit().ok());
  Write(t2.get(), "k2", "22");
  EXPECT_TRUE(t2->Commit().IsBusy());
  EXPECT_EQ(Get("k1"), "11");
  EXPECT_EQ(Get("k2"), "21");
}

// G1a, aborted reads: a rolled-back write is never seen.
TEST_P(HermitageTest, G1aAbortedReads) {
  auto t1 = Begin();
  auto t2 = Begin();
  Write(t1.get(), "k1", "101");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  ASSERT_TRUE(t1->Rollback().ok());
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  EXPECT_TRUE(t2->Commit().ok());
}

// G1b, intermediate reads: a value a transaction overwrote before committing is never seen.
TEST_P(HermitageTest, G1bIntermediateReads) {
  auto t1 = Begin();
  auto t2 = Begin();
  Write(t1.get(), "k1", "101");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  Write(t1.get(), "k1", "11");
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  EXPECT_TRUE(t2->Commit().ok());
}

// G1c, circular information flow: neither transaction sees the other's uncommitted write. Each
// also read what the other wrote (a read-write cycle): serializable refuses the second commit.
TEST_P(HermitageTest, G1cCircularInformationFlow) {
  auto t1 = Begin();
  auto t2 = Begin();
  Write(t1.get(), "k1", "11");
  Write(t2.get(), "k2", "22");
  EXPECT_EQ(Read(t1.get(), "k2"), "20");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  ASSERT_TRUE(t1->Commit().ok());
  Status s = t2->Commit();
  if (Serializable()) {
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    EXPECT_EQ(Get("k2"), "20");
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Get("k2"), "22");
  }
}

// OTV, observed transaction vanishes: T3 never sees T2's write to one key mixed with T1's to the
// other, and T2, overwriting T1's keys, cannot commit.
TEST_P(HermitageTest, OtvObservedTransactionVanishes) {
  auto t1 = Begin();
  auto t2 = Begin();
  auto t3 = Begin();
  Write(t1.get(), "k1", "11");
  Write(t1.get(), "k2", "19");
  Write(t2.get(), "k1", "12");
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_EQ(Read(t3.get(), "k1"), "10");
  Write(t2.get(), "k2", "18");
  EXPECT_EQ(Read(t3.get(), "k2"), "20");
  EXPECT_TRUE(t2->Commit().IsBusy());
  EXPECT_EQ(Read(t3.get(), "k2"), "20");
  EXPECT_EQ(Read(t3.get(), "k1"), "10");
  EXPECT_TRUE(t3->Commit().ok());
  // A transaction begun now sees T1 whole.
  auto t4 = Begin();
  EXPECT_EQ(Read(t4.get(), "k1"), "11");
  EXPECT_EQ(Read(t4.get(), "k2"), "19");
}

// PMP, predicate-many-preceders: a predicate read repeated after another transaction inserted a
// matching row returns the same (empty) result.
TEST_P(HermitageTest, PmpPredicateManyPreceders) {
  auto t1 = Begin();
  auto t2 = Begin();
  EXPECT_TRUE(Select(t1.get(), [](int v) { return v == 30; }).empty());
  Write(t2.get(), "k3", "30");
  ASSERT_TRUE(t2->Commit().ok());
  EXPECT_TRUE(Select(t1.get(), [](int v) { return v % 3 == 0; }).empty());
  EXPECT_TRUE(t1->Commit().ok());  // read only: serialized at its snapshot
}

// PMP-write: T1 raises every value by 10; T2, from the old snapshot, deletes the row whose value
// is 20. Prevented: T2 deletes a key T1 wrote after T2's snapshot, so it cannot commit.
TEST_P(HermitageTest, PmpWritePredicateManyPrecedersWrite) {
  auto t1 = Begin();
  auto t2 = Begin();
  for (const auto& [key, value] : Select(t1.get(), [](int) { return true; }))
    Write(t1.get(), key, std::to_string(std::stoi(value) + 10));
  const Rows twenty = Select(t2.get(), [](int v) { return v == 20; });
  ASSERT_EQ(twenty, (Rows{{"k2", "20"}}));
  ASSERT_TRUE(t2->Delete("k2").ok());
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_TRUE(t2->Commit().IsBusy());
  EXPECT_EQ(Get("k1"), "20");
  EXPECT_EQ(Get("k2"), "30");
}

// P4, lost update: two read-modify-writes of one key; the second commit fails.
TEST_P(HermitageTest, P4LostUpdate) {
  auto t1 = Begin();
  auto t2 = Begin();
  EXPECT_EQ(Read(t1.get(), "k1"), "10");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  Write(t1.get(), "k1", "11");
  Write(t2.get(), "k1", "11");
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_TRUE(t2->Commit().IsBusy());
}

// G-single, read skew: T1 reads k1 before and k2 after T2 changed both; it sees both old values.
TEST_P(HermitageTest, GSingleReadSkew) {
  auto t1 = Begin();
  auto t2 = Begin();
  EXPECT_EQ(Read(t1.get(), "k1"), "10");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  EXPECT_EQ(Read(t2.get(), "k2"), "20");
  Write(t2.get(), "k1", "12");
  Write(t2.get(), "k2", "18");
  ASSERT_TRUE(t2->Commit().ok());
  EXPECT_EQ(Read(t1.get(), "k2"), "20");
  EXPECT_TRUE(t1->Commit().ok());
}

// G-single-write: as G-single, but T1 then writes a key T2 changed, based on its stale read: it
// cannot commit.
TEST_P(HermitageTest, GSingleWriteReadSkewOnWrite) {
  auto t1 = Begin();
  auto t2 = Begin();
  EXPECT_EQ(Read(t1.get(), "k1"), "10");
  EXPECT_EQ(Read(t2.get(), "k1"), "10");
  EXPECT_EQ(Read(t2.get(), "k2"), "20");
  Write(t2.get(), "k1", "12");
  Write(t2.get(), "k2", "18");
  ASSERT_TRUE(t2->Commit().ok());
  EXPECT_EQ(Read(t1.get(), "k2"), "20");
  ASSERT_TRUE(t1->Delete("k2").ok());  // DELETE WHERE value = 20, from the snapshot
  EXPECT_TRUE(t1->Commit().IsBusy());
  EXPECT_EQ(Get("k2"), "18");
}

// G2-item, write skew: both read both keys and each writes a different one. Snapshot isolation
// lets both commit (the anomaly); serializable refuses the second.
TEST_P(HermitageTest, G2ItemWriteSkew) {
  auto t1 = Begin();
  auto t2 = Begin();
  for (Transaction* t : {t1.get(), t2.get()}) {
    EXPECT_EQ(Read(t, "k1"), "10");
    EXPECT_EQ(Read(t, "k2"), "20");
  }
  Write(t1.get(), "k1", "11");
  Write(t2.get(), "k2", "21");
  ASSERT_TRUE(t1->Commit().ok());
  Status s = t2->Commit();
  if (Serializable()) {
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    EXPECT_EQ(Get("k2"), "20");
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Get("k2"), "21");
  }
}

// G2, anti-dependency cycles through a predicate: both scan for a row with value % 3 == 0, find
// none, and each inserts one (a phantom for the other). Snapshot isolation lets both commit;
// serializable refuses the second (the inserted key lies in the range it scanned).
TEST_P(HermitageTest, G2PhantomAntiDependencyCycle) {
  auto t1 = Begin();
  auto t2 = Begin();
  EXPECT_TRUE(Select(t1.get(), [](int v) { return v % 3 == 0; }).empty());
  EXPECT_TRUE(Select(t2.get(), [](int v) { return v % 3 == 0; }).empty());
  Write(t1.get(), "k3", "30");
  Write(t2.get(), "k4", "42");
  ASSERT_TRUE(t1->Commit().ok());
  Status s = t2->Commit();
  if (Serializable()) {
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    EXPECT_EQ(Get("k4"), "NOT_FOUND");
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Get("k4"), "42");
  }
}

INSTANTIATE_TEST_SUITE_P(BothLevels, HermitageTest,
                         ::testing::Values(IsolationLevel::kSnapshot,
                                           IsolationLevel::kSerializable),
                         [](const ::testing::TestParamInfo<IsolationLevel>& info) {
                           return info.param == IsolationLevel::kSnapshot ? "Snapshot"
                                                                          : "Serializable";
                         });

}  // namespace
}  // namespace ziggydb::test
