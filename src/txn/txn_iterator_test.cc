// The transaction iterator against a model: the snapshot's key/value map with the transaction's
// buffered writes laid over it, within random bounds, under random moves in both directions
// interleaved with writes and save point rollbacks (which the iterator sees from its next move).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

using Model = std::map<std::string, std::string>;
using BufferModel = std::map<std::string, std::optional<std::string>>;

class TxnIteratorModelTest : public DBTest {
 protected:
  void SetUp() override { Open(); }

  std::string RandomKey() {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "k%02d", static_cast<int>(rng_() % 40));
    std::string key = buf;
    if (rng_() % 8 == 0) key.push_back('\0');  // a key right after another one
    return key;
  }
  // The visible state: snapshot overlaid with the buffer, within [lower, upper).
  Model Visible() const {
    Model visible = snapshot_;
    for (const auto& [key, value] : buffer_) {
      if (value.has_value()) {
        visible[key] = *value;
      } else {
        visible.erase(key);
      }
    }
    std::erase_if(visible, [this](const auto& entry) {
      return (lower_ && entry.first < *lower_) || (upper_ && entry.first >= *upper_);
    });
    return visible;
  }
  void Check(const Iterator& it, Model::const_iterator expected, const Model& visible,
             const std::string& op) {
    ASSERT_TRUE(it.status().ok()) << op << ": " << it.status().ToString();
    if (expected == visible.end()) {
      ASSERT_FALSE(it.Valid()) << op << " landed on " << it.key();
      return;
    }
    ASSERT_TRUE(it.Valid()) << op << " expected " << expected->first;
    ASSERT_EQ(it.key(), expected->first) << op;
    ASSERT_EQ(it.value(), expected->second) << op;
  }
  // Last entry of `visible` with key < (or <=, inclusive) `key`; end() if none.
  static Model::const_iterator LastBefore(const Model& visible, const std::string& key,
                                          bool inclusive) {
    auto it = inclusive ? visible.upper_bound(key) : visible.lower_bound(key);
    return it == visible.begin() ? visible.end() : std::prev(it);
  }

  void RunRound();

  std::mt19937_64 rng_;
  Model snapshot_;
  BufferModel buffer_;
  std::optional<std::string> lower_;
  std::optional<std::string> upper_;
};

void TxnIteratorModelTest::RunRound() {
  // The DB before the snapshot: some of it in tables, some in the memtable, some deleted.
  for (int i = 0; i < 60; ++i) {
    const std::string key = RandomKey();
    if (rng_() % 4 == 0) {
      ASSERT_TRUE(Delete(key).ok());
      snapshot_.erase(key);
    } else {
      const std::string value = "db" + std::to_string(rng_() % 1000);
      ASSERT_TRUE(Put(key, value).ok());
      snapshot_[key] = value;
    }
    if (i == 30) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }
  std::unique_ptr<Transaction> txn = db_->BeginTransaction(
      WriteOptions(), TransactionOptions{.isolation = IsolationLevel::kSerializable});
  // After the snapshot: invisible to the transaction.
  std::vector<std::string> later;
  for (int i = 0; i < 10; ++i) {
    later.push_back(RandomKey());
    ASSERT_TRUE(Put(later.back(), "later").ok());
  }
  buffer_.clear();
  std::vector<BufferModel> save_points;
  for (int i = 0; i < 15; ++i) {
    const std::string key = RandomKey();
    if (rng_() % 3 == 0) {
      ASSERT_TRUE(txn->Delete(key).ok());
      buffer_[key] = std::nullopt;
    } else {
      ASSERT_TRUE(txn->Put(key, "tx" + key).ok());
      buffer_[key] = "tx" + key;
    }
  }
  lower_.reset();
  upper_.reset();
  if (rng_() % 2 == 0) lower_ = RandomKey();
  if (rng_() % 2 == 0) upper_ = RandomKey();
  ReadOptions options;
  if (lower_) options.iterate_lower_bound = *lower_;
  if (upper_) options.iterate_upper_bound = *upper_;
  std::unique_ptr<Iterator> it = txn->NewIterator(options);
  std::optional<std::string> at;  // the model's position
  for (int step = 0; step < 200; ++step) {
    const Model visible = Visible();
    Model::const_iterator expected = visible.end();
    std::string op;
    const uint64_t choice = rng_() % 12;
    if (choice < 3 && at.has_value()) {
      op = "Next from " + *at;
      it->Next();
      expected = visible.upper_bound(*at);
    } else if (choice < 6 && at.has_value()) {
      op = "Prev from " + *at;
      it->Prev();
      expected = LastBefore(visible, *at, false);
    } else if (choice == 6) {
      const std::string target = RandomKey();
      op = "Seek " + target;
      it->Seek(target);
      expected = visible.lower_bound(target);
    } else if (choice == 7) {
      const std::string target = RandomKey();
      op = "SeekForPrev " + target;
      it->SeekForPrev(target);
      expected = LastBefore(visible, target, true);
    } else if (choice == 8) {
      op = "SeekToFirst";
      it->SeekToFirst();
      expected = visible.begin();
    } else if (choice == 9) {
      op = "SeekToLast";
      it->SeekToLast();
      expected = visible.empty() ? visible.end() : std::prev(visible.end());
    } else if (choice == 10) {
      // A write while the iterator is open: seen from its next move.
      const std::string key = RandomKey();
      if (rng_() % 2 == 0) {
        ASSERT_TRUE(txn->Delete(key).ok());
        buffer_[key] = std::nullopt;
      } else {
        ASSERT_TRUE(txn->Put(key, "late" + key).ok());
        buffer_[key] = "late" + key;
      }
      continue;
    } else {
      if (!save_points.empty() && rng_() % 2 == 0) {
        ASSERT_TRUE(txn->RollbackToSavePoint().ok());
        buffer_ = save_points.back();
        save_points.pop_back();
      } else {
        txn->SetSavePoint();
        save_points.push_back(buffer_);
      }
      continue;
    }
    ASSERT_NO_FATAL_FAILURE(Check(*it, expected, visible, op));
    at = it->Valid() ? std::optional<std::string>(std::string(it->key())) : std::nullopt;
  }
  it.reset();
  ASSERT_TRUE(txn->Rollback().ok());
  for (const std::string& key : later)
    snapshot_[key] = "later";  // the next round's snapshot sees them
}

TEST_F(TxnIteratorModelTest, MatchesTheModelInBothDirectionsWithinBounds) {
  const uint64_t seed = TestSeed();
  rng_.seed(seed);
  const uint64_t rounds = ScaledIterations(30);
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed));
    ASSERT_NO_FATAL_FAILURE(RunRound());
  }
}

TEST_F(TxnIteratorModelTest, EmptyBufferIteratesTheSnapshot) {
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  std::unique_ptr<Transaction> txn = db_->BeginTransaction(WriteOptions(), TransactionOptions());
  ASSERT_TRUE(Put("c", "3").ok());
  std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TxnIteratorModelTest, BufferedDeletesHideEverySnapshotKey) {
  for (const char* key : {"a", "b", "c"})
    ASSERT_TRUE(Put(key, "v").ok());
  std::unique_ptr<Transaction> txn = db_->BeginTransaction(WriteOptions(), TransactionOptions());
  for (const char* key : {"a", "b", "c"})
    ASSERT_TRUE(txn->Delete(key).ok());
  std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

// A failed positioning (here a read over the read set's limit) leaves the iterator invalid with
// the error; the next positioning that succeeds clears it: never valid with a failed status.
TEST_F(TxnIteratorModelTest, APositioningAfterAFailedOneStartsWithoutItsError) {
  ASSERT_TRUE(Put("a", "v").ok());
  TransactionOptions options;
  options.isolation = IsolationLevel::kSerializable;
  options.max_read_set_bytes = 100;
  std::unique_ptr<Transaction> txn = db_->BeginTransaction(WriteOptions(), options);
  std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
  it->Seek(std::string(200, 'a'));  // its range would go over the limit
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsInvalidArgument()) << it->status().ToString();
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
}

}  // namespace
}  // namespace ziggydb::test
