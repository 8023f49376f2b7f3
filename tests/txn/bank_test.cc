// Bank transfers: threads move money between kAccounts accounts in read-modify-write
// transactions (retried on Busy) while auditors read every account in read-only transactions,
// once with Get and once with a scan, at both isolation levels; one audit in four scans a plain
// DB snapshot instead. Every audit must see the initial total and no negative balance, the Gets
// and the scan must agree (one snapshot), and a read-only transaction must never be refused.
// Both levels keep the total: a transfer writes both accounts it read, so two transfers that
// touch a common account conflict on a written key.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kTransfersPerThreadBase = 150;
#else
constexpr uint64_t kTransfersPerThreadBase = 600;
#endif
constexpr int kTransferThreads = 3;
constexpr int kAuditThreads = 2;
constexpr uint64_t kAuditsMin = 20;  // per auditor, even if the transfers finish first
constexpr uint64_t kAccounts = 8;
constexpr int64_t kInitialBalance = 1000;
constexpr int kAttemptsMax = 500;

std::string Account(uint64_t i) {
  return "acct/" + std::to_string(i);
}

class BankTest : public ::testing::TestWithParam<IsolationLevel> {
 protected:
  void SetUp() override {
    Options options;
    options.create_if_missing = true;
    options.memtable_bytes = size_t{64} << 10;  // flushes while transactions run
    ASSERT_TRUE(DB::Open(options, dir_.Join("db"), &db_).ok());
    WriteBatch batch;
    for (uint64_t i = 0; i < kAccounts; ++i)
      batch.Put(Account(i), std::to_string(kInitialBalance));
    ASSERT_TRUE(db_->Write(WriteOptions(), batch).ok());
  }

  std::unique_ptr<Transaction> Begin() {
    TransactionOptions options;
    options.isolation = GetParam();
    return db_->BeginTransaction(WriteOptions(), options);
  }

  // One transfer through RunTransaction (which retries on Busy). False on an unexpected error.
  bool Transfer(Random* rng, std::atomic<uint64_t>* busy) {
    const uint64_t from = rng->Uniform(kAccounts);
    const uint64_t to = (from + 1 + rng->Uniform(kAccounts - 1)) % kAccounts;
    const int64_t amount = 1 + static_cast<int64_t>(rng->Uniform(200));
    uint64_t attempts = 0;
    auto body = [&](Transaction& txn) {
      ++attempts;
      std::string from_value;
      std::string to_value;
      Status s = txn.Get(ReadOptions(), Account(from), &from_value);
      if (s.ok()) s = txn.Get(ReadOptions(), Account(to), &to_value);
      if (!s.ok()) return s;
      if (rng->OneIn(2)) std::this_thread::yield();  // invite a conflicting transfer in
      const int64_t from_balance = std::stoll(from_value);
      if (from_balance < amount) return Status::OK();  // read-only: commits unchecked
      s = txn.Put(Account(from), std::to_string(from_balance - amount));
      if (s.ok()) s = txn.Put(Account(to), std::to_string(std::stoll(to_value) + amount));
      return s;
    };
    TransactionOptions options;
    options.isolation = GetParam();
    const Status s = RunTransaction(db_.get(), WriteOptions(), options, body, kAttemptsMax);
    busy->fetch_add(attempts - 1);
    if (!s.ok()) ADD_FAILURE() << "transfer " << from << " -> " << to << ": " << s.ToString();
    return s.ok();
  }

  // One audit. False on a failed check.
  bool Audit(Random* rng) {
    std::unique_ptr<Transaction> txn = Begin();
    std::vector<int64_t> by_get(kAccounts);
    int64_t total = 0;
    for (uint64_t i = 0; i < kAccounts; ++i) {
      std::string value;
      const Status s = txn->Get(ReadOptions(), Account(i), &value);
      if (!s.ok()) {
        ADD_FAILURE() << "audit Get " << Account(i) << ": " << s.ToString();
        return false;
      }
      by_get[i] = std::stoll(value);
      total += by_get[i];
      if (by_get[i] < 0) {
        ADD_FAILURE() << Account(i) << " is negative: " << value;
        return false;
      }
    }
    if (total != kInitialBalance * static_cast<int64_t>(kAccounts)) {
      ADD_FAILURE() << "an audit by Get saw a total of " << total;
      return false;
    }
    // The scan, in a random direction, must see exactly what the Gets saw.
    const bool backward = rng->OneIn(2);
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    backward ? it->SeekForPrev("acct/\xff") : it->Seek("acct/");
    uint64_t seen = 0;
    for (; it->Valid() && it->key().starts_with("acct/"); backward ? it->Prev() : it->Next()) {
      const uint64_t i = std::stoull(std::string(it->key().substr(5)));
      if (i >= kAccounts || std::stoll(std::string(it->value())) != by_get[i]) {
        ADD_FAILURE() << "the scan disagrees with the Gets at " << it->key() << " = "
                      << it->value();
        return false;
      }
      ++seen;
    }
    if (!it->status().ok() || seen != kAccounts) {
      ADD_FAILURE() << "the scan saw " << seen << " accounts: " << it->status().ToString();
      return false;
    }
    it.reset();
    const Status s = txn->Commit();
    if (!s.ok()) {
      ADD_FAILURE() << "a read-only transaction was refused: " << s.ToString();
      return false;
    }
    return true;
  }

  // The same audit through a plain DB snapshot: committed transfers are atomic to every reader.
  bool AuditPlainSnapshot() {
    ManagedSnapshot snapshot(db_.get());
    ReadOptions options;
    options.snapshot = snapshot.snapshot();
    int64_t total = 0;
    uint64_t seen = 0;
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    for (it->Seek("acct/"); it->Valid() && it->key().starts_with("acct/"); it->Next()) {
      total += std::stoll(std::string(it->value()));
      ++seen;
    }
    if (!it->status().ok() || seen != kAccounts ||
        total != kInitialBalance * static_cast<int64_t>(kAccounts)) {
      ADD_FAILURE() << "a snapshot scan saw " << seen << " accounts, total " << total << ": "
                    << it->status().ToString();
      return false;
    }
    return true;
  }

  TempDir dir_;
  std::unique_ptr<DB> db_;
};

TEST_P(BankTest, TransfersKeepTheTotalInEverySnapshot) {
  const uint64_t seed = TestSeed();
  const uint64_t transfers = ScaledIterations(kTransfersPerThreadBase);
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> busy{0};
  std::atomic<uint64_t> audits{0};
  std::vector<std::thread> auditors;
  for (int a = 0; a < kAuditThreads; ++a) {
    auditors.emplace_back([&, a] {
      Random rng(seed * 7 + a);
      for (uint64_t n = 0; n < kAuditsMin || !stop; ++n) {
        const bool ok = n % 4 == 3 ? AuditPlainSnapshot() : Audit(&rng);
        if (failed || !ok) {
          failed = true;
          return;
        }
        audits.fetch_add(1);
        std::this_thread::yield();  // leave the cores to the transfers now and then
      }
    });
  }
  std::vector<std::thread> movers;
  for (int t = 0; t < kTransferThreads; ++t) {
    movers.emplace_back([&, t] {
      Random rng(seed * 13 + t);
      for (uint64_t n = 0; n < transfers && !failed; ++n) {
        if (!Transfer(&rng, &busy)) failed = true;
      }
    });
  }
  for (auto& thread : movers)
    thread.join();
  stop = true;
  for (auto& thread : auditors)
    thread.join();
  ASSERT_FALSE(failed);
  Random rng(seed);
  ASSERT_TRUE(Audit(&rng));
  std::printf("[ info ] %llu transfers, %llu refused with Busy and retried, %llu audits\n",
              static_cast<unsigned long long>(transfers * kTransferThreads),
              static_cast<unsigned long long>(busy.load()),
              static_cast<unsigned long long>(audits.load()));
}

INSTANTIATE_TEST_SUITE_P(Levels, BankTest,
                         ::testing::Values(IsolationLevel::kSnapshot,
                                           IsolationLevel::kSerializable),
                         [](const auto& info) {
                           return info.param == IsolationLevel::kSnapshot ? "Snapshot"
                                                                          : "Serializable";
                         });

}  // namespace
}  // namespace ziggydb::test
