// Transactions under allocation failure (testutil/failing_allocator.h: the n-th allocation of the
// calling thread throws std::bad_alloc). Commit applies all of a transaction's writes or none and
// ends it whatever happens, its open iterators then stay safe to use and destroy; destroying an
// open transaction, making an iterator and closing the DB with transactions open never abort the
// process (ending a transaction allocates nothing) and leave no transaction pointing at a DB
// that is gone.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "env/mem_env.h"
#include "testutil/failing_allocator.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

constexpr const char* kDb = "/db";

class TxnOomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.env = &env_;
    options_.create_if_missing = true;
    ASSERT_TRUE(DB::Open(options_, kDb, &db_).ok());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(db_->Put(WriteOptions(), "base" + std::to_string(i), "v").ok());
  }

  std::unique_ptr<Transaction> Begin() {
    TransactionOptions options;
    options.isolation = IsolationLevel::kSerializable;
    return db_->BeginTransaction(WriteOptions(), options);
  }

  // A serializable transaction that read a key and two ranges (through iterators, returned in
  // *iterators) and wrote two keys named after `tag`.
  std::unique_ptr<Transaction> BeginBusy(const std::string& tag,
                                         std::vector<std::unique_ptr<Iterator>>* iterators) {
    std::unique_ptr<Transaction> txn = Begin();
    std::string value;
    EXPECT_TRUE(txn->Get(ReadOptions(), "base3", &value).ok());
    EXPECT_TRUE(txn->Put(tag + "a", "1").ok());
    EXPECT_TRUE(txn->Put(tag + "b", "2").ok());
    for (const char* start : {"base1", "base5"}) {
      iterators->push_back(txn->NewIterator(ReadOptions()));
      iterators->back()->Seek(start);
      EXPECT_TRUE(iterators->back()->Valid());
    }
    return txn;
  }

  std::string Get(const std::string& key) {
    std::string value;
    Status s = db_->Get(ReadOptions(), key, &value);
    return s.ok() ? value : s.ToString();
  }

  MemEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(TxnOomTest, CommitIsAllOrNothingAndEndsTheTransaction) {
  long total = 0;
  {
    std::vector<std::unique_ptr<Iterator>> iterators;
    std::unique_ptr<Transaction> txn = BeginBusy("count", &iterators);
    StartCountingAllocations();
    const Status s = txn->Commit();
    total = StopCountingAllocations();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_GT(total, 5);
  int thrown = 0;
  int failed = 0;
  for (long n = 0; n <= total; ++n) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    const std::string tag = "t" + std::to_string(n);
    std::vector<std::unique_ptr<Iterator>> iterators;
    std::unique_ptr<Transaction> txn = BeginBusy(tag, &iterators);
    Status s;
    bool escaped = false;
    ArmAllocationFailure(n);
    try {
      s = txn->Commit();
    } catch (const std::bad_alloc&) {
      escaped = true;
    }
    DisarmAllocationFailure();
    if (escaped) ++thrown;
    if (!escaped && !s.ok()) ++failed;
    // All or nothing; nothing at all when the exception left Commit.
    const bool applied = Get(tag + "a") == "1";
    EXPECT_EQ(Get(tag + "b") == "2", applied);
    EXPECT_EQ(applied, !escaped && s.ok()) << s.ToString();
    // Ended whatever happened: every call refuses, the iterators are invalid and safe.
    EXPECT_TRUE(txn->Put("x", "y").IsInvalidArgument());
    EXPECT_TRUE(txn->Commit().IsInvalidArgument());
    for (std::unique_ptr<Iterator>& it : iterators) {
      EXPECT_FALSE(it->Valid());
      it->Next();
      it->Seek("base0");
      EXPECT_FALSE(it->Valid());
      EXPECT_TRUE(it->status().IsInvalidArgument()) << it->status().ToString();
    }
    iterators.pop_back();  // one before its transaction, one after
    txn.reset();
    iterators.clear();
    // The DB goes on, after a Resume or (once a failure may have left the memtable half
    // changed) a reopen.
    if (!db_->Put(WriteOptions(), "after", "x").ok() && !db_->Resume().ok()) {
      db_.reset();
      ASSERT_TRUE(DB::Open(options_, kDb, &db_).ok());
    }
    ASSERT_TRUE(db_->Put(WriteOptions(), "after", "x").ok());
  }
  EXPECT_GT(thrown + failed, 0);
  std::printf("%ld failure points: %d let std::bad_alloc out, %d returned an error\n", total + 1,
              thrown, failed);
}

TEST_F(TxnOomTest, DestroyingAnOpenTransactionNeverAborts) {
  for (long n = 0; n < 10; ++n) {
    std::vector<std::unique_ptr<Iterator>> iterators;
    std::unique_ptr<Transaction> txn = BeginBusy("d", &iterators);
    ArmAllocationFailure(n);
    txn.reset();  // a destructor: an exception would end the process
    DisarmAllocationFailure();
    for (std::unique_ptr<Iterator>& it : iterators) {
      EXPECT_TRUE(it->status().IsInvalidArgument());
    }
  }
  EXPECT_EQ(Get("da"), "NotFound: ");
}

TEST_F(TxnOomTest, AnIteratorThatCouldNotBeMadeLeavesTheTransactionUsable) {
  long total = 0;
  {
    std::unique_ptr<Transaction> txn = Begin();
    StartCountingAllocations();
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    total = StopCountingAllocations();
  }
  for (long n = 0; n <= total; ++n) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    std::unique_ptr<Transaction> txn = Begin();
    ASSERT_TRUE(txn->Put("made" + std::to_string(n), "1").ok());
    std::unique_ptr<Iterator> it;
    ArmAllocationFailure(n);
    try {
      it = txn->NewIterator(ReadOptions());
    } catch (const std::bad_alloc&) {
    }
    DisarmAllocationFailure();
    if (it != nullptr) it->SeekToFirst();
    it.reset();
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_EQ(Get("made" + std::to_string(n)), "1");
  }
}

TEST_F(TxnOomTest, CloseEndsEveryOpenTransactionWhateverMemoryIsLeft) {
  for (long n = 0; n < 30; ++n) {
    SCOPED_TRACE("allocation " + std::to_string(n));
    if (db_ == nullptr) {
      ASSERT_TRUE(DB::Open(options_, kDb, &db_).ok());
    }
    std::vector<std::unique_ptr<Iterator>> iterators;
    std::vector<std::unique_ptr<Transaction>> txns;
    for (int i = 0; i < 3; ++i)
      txns.push_back(BeginBusy("c" + std::to_string(i), &iterators));
    ArmAllocationFailure(n);
    const Status closed = db_->Close();
    DisarmAllocationFailure();
    (void)closed;  // OK, or out of memory: the DB is closed either way
    db_.reset();
    // The DB object is gone: each transaction knows, and ends without touching it.
    for (std::unique_ptr<Transaction>& txn : txns) {
      std::string value;
      EXPECT_TRUE(txn->Get(ReadOptions(), "base1", &value).IsInvalidArgument());
    }
    for (std::unique_ptr<Iterator>& it : iterators) {
      EXPECT_FALSE(it->Valid());
    }
    txns.clear();
    iterators.clear();
  }
}

}  // namespace
}  // namespace ziggydb::test
