#include "tools/bench/txn_runner.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tools/bench/txn_output.h"
#include "util/mutex.h"

namespace ziggydb::bench {
namespace {

// An in-memory engine with snapshot-isolated transactions: a transaction copies the map at
// Begin, buffers its writes, and Commit fails with Busy when a key it wrote was committed after
// its Begin (first committer wins). Commits listed in busy_commits_ (by attempt number) fail
// with Busy regardless, to count aborts exactly.
class MemTxnEngine final : public Engine {
 public:
  struct Versioned {
    std::string value;
    uint64_t seq = 0;
  };

  explicit MemTxnEngine(std::set<uint64_t> busy_commits = {})
      : busy_commits_(std::move(busy_commits)) {}

  std::string_view name() const override { return "mem"; }
  Status Open(const std::string&, const EngineConfig&) override { return Status::OK(); }
  Status Put(std::string_view key, std::string_view value) override {
    MutexLock lock(&mu_);
    data_[std::string(key)] = Versioned{std::string(value), ++seq_};
    return Status::OK();
  }
  Status Get(std::string_view key, std::string* value) override {
    MutexLock lock(&mu_);
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return Status::NotFound("absent");
    *value = it->second.value;
    return Status::OK();
  }
  Status Delete(std::string_view) override { return Status::NotSupported("delete"); }
  Status WriteBatch(const std::vector<KeyValue>& updates) override {
    for (const KeyValue& kv : updates) {
      Status s = Put(kv.key, kv.value);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }
  Status Scan(std::string_view, size_t, bool, size_t*) override {
    return Status::NotSupported("scan");
  }
  Status Flush() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  std::vector<TxnIsolation> TxnIsolations() const override { return {TxnIsolation::kSnapshot}; }
  Status BeginTransaction(const TxnOptions&, std::unique_ptr<EngineTxn>* txn) override {
    MutexLock lock(&mu_);
    *txn = std::make_unique<Txn>(this, data_, seq_);
    return Status::OK();
  }

  size_t size() const {
    MutexLock lock(&mu_);
    return data_.size();
  }

 private:
  class Txn final : public EngineTxn {
   public:
    Txn(MemTxnEngine* engine, std::map<std::string, Versioned> snapshot, uint64_t seq)
        : engine_(engine), snapshot_(std::move(snapshot)), begin_seq_(seq) {}
    Status Get(std::string_view key, std::string* value) override {
      auto w = writes_.find(std::string(key));
      if (w != writes_.end()) {
        *value = w->second;
        return Status::OK();
      }
      auto it = snapshot_.find(std::string(key));
      if (it == snapshot_.end()) return Status::NotFound("absent");
      *value = it->second.value;
      return Status::OK();
    }
    Status Put(std::string_view key, std::string_view value) override {
      writes_[std::string(key)] = std::string(value);
      return Status::OK();
    }
    Status Commit() override { return engine_->Commit(begin_seq_, writes_); }
    Status Rollback() override {
      writes_.clear();
      return Status::OK();
    }

   private:
    MemTxnEngine* const engine_;
    const std::map<std::string, Versioned> snapshot_;
    const uint64_t begin_seq_;
    std::map<std::string, std::string> writes_;
  };

  Status Commit(uint64_t begin_seq, const std::map<std::string, std::string>& writes) {
    MutexLock lock(&mu_);
    if (busy_commits_.count(commit_attempts_++) > 0) return Status::Busy("injected");
    for (const auto& [key, value] : writes) {
      auto it = data_.find(key);
      if (it != data_.end() && it->second.seq > begin_seq) return Status::Busy("conflict", key);
    }
    ++seq_;
    for (const auto& [key, value] : writes)
      data_[key] = Versioned{value, seq_};
    return Status::OK();
  }

  const std::set<uint64_t> busy_commits_;
  mutable Mutex mu_;
  std::map<std::string, Versioned> data_ GUARDED_BY(mu_);
  uint64_t seq_ GUARDED_BY(mu_) = 0;
  uint64_t commit_attempts_ GUARDED_BY(mu_) = 0;
};

TxnRunConfig Config(const char* workload, uint64_t records, int threads, uint64_t ops) {
  TxnRunConfig config;
  config.workload = FindTxnWorkload(workload);
  EXPECT_NE(config.workload, nullptr) << workload;
  config.records = records;
  config.value_bytes = 16;
  config.threads = threads;
  config.duration_seconds = 3600;  // the operation cap ends the cell
  config.operations_per_thread = ops;
  config.print_progress = false;
  return config;
}

TEST(TransferKeyChooser, DrawsTwoDistinctAccountsOfTheHotSet) {
  for (const auto& [accounts, hot, span] : std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>{
           {1000, 0, 1000}, {1000, 1000, 1000}, {1000, 5000, 1000}, {1000, 8, 8}, {1000, 1, 2}}) {
    const TransferKeyChooser chooser(accounts, hot);
    EXPECT_EQ(chooser.span(), span);
    Random rnd(accounts + hot);
    std::set<uint64_t> seen;
    for (int i = 0; i < 20000; ++i) {
      const auto [from, to] = chooser.Next(&rnd);
      ASSERT_NE(from, to);
      ASSERT_LT(from, span);
      ASSERT_LT(to, span);
      seen.insert(from);
      seen.insert(to);
    }
    if (span <= 8) {
      EXPECT_EQ(seen.size(), span);  // every hot account is drawn
    } else {
      EXPECT_GT(seen.size(), 900u);
    }
  }
}

TEST(TransferKeyChooser, PairsAreUniform) {
  const TransferKeyChooser chooser(100, 3);
  Random rnd(5);
  std::map<std::pair<uint64_t, uint64_t>, int> counts;
  for (int i = 0; i < 60000; ++i)
    ++counts[chooser.Next(&rnd)];
  ASSERT_EQ(counts.size(), 6u);  // the ordered pairs of 3 accounts
  for (const auto& [pair, count] : counts)
    EXPECT_NEAR(count, 10000, 600) << pair.first << "->" << pair.second;
}

TEST(TxnBalance, RoundTripsAndPads) {
  for (int64_t balance : {int64_t{0}, int64_t{-5}, kInitialBalance, int64_t{1} << 62}) {
    const std::string value = EncodeBalance(balance, 20);
    EXPECT_EQ(value.size(), 20u);
    int64_t decoded = 0;
    ASSERT_TRUE(DecodeBalance(value, &decoded));
    EXPECT_EQ(decoded, balance);
  }
  EXPECT_EQ(EncodeBalance(1, 3).size(), 8u);
  int64_t decoded = 0;
  EXPECT_FALSE(DecodeBalance("1234567", &decoded));
}

TEST(TxnRunner, ConcurrentTransfersKeepTheTotalAndCountAborts) {
  MemTxnEngine engine;
  TxnRunConfig config = Config("txn-transfer", 50, 4, 300);
  config.hot_keys = 3;  // every pair of transfers shares an account: conflicts are likely
  ASSERT_TRUE(LoadTxnDataset(&engine, config).ok());
  EXPECT_EQ(engine.size(), 50u);
  const TxnCellResult r = RunTxnCell(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.commits, 4u * 300);
  EXPECT_EQ(r.txn_latency_ns.Count(), r.commits);
  EXPECT_EQ(r.read_misses, 0u);
  // A retry re-reads the balances: a lost update would change the sum.
  EXPECT_TRUE(CheckTransferTotal(&engine, config).ok());
}

TEST(TxnRunner, EveryBusyCommitIsOneAbortAndARetry) {
  MemTxnEngine engine({0, 1, 2, 5, 9});  // attempts 0-2 fail (op 1 thrice), then 5 and 9
  const TxnRunConfig config = Config("txn-ycsbf", 100, 1, 40);
  ASSERT_TRUE(LoadTxnDataset(&engine, config).ok());
  const TxnCellResult r = RunTxnCell(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.commits, 40u);
  EXPECT_EQ(r.aborts, 5u);
  EXPECT_DOUBLE_EQ(r.abort_rate(), 5.0 / 45);
  EXPECT_EQ(r.commit_latency_ns.Count(), 40u);
}

TEST(TxnRunner, PutRunsPlainPutsThenOneKeyTransactions) {
  MemTxnEngine engine;
  const TxnRunConfig config = Config("txn-put", 100, 2, 25);
  ASSERT_TRUE(LoadTxnDataset(&engine, config).ok());
  const TxnCellResult r = RunTxnCell(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.plain_puts, 50u);
  EXPECT_EQ(r.plain_latency_ns.Count(), 50u);
  EXPECT_EQ(r.commits, 50u);
  EXPECT_EQ(engine.size(), 100u);  // keys of the dataset only
}

TEST(TxnRunner, AnEngineWithoutTransactionsFailsTheCell) {
  class NoTxn final : public Engine {
   public:
    std::string_view name() const override { return "none"; }
    Status Open(const std::string&, const EngineConfig&) override { return Status::OK(); }
    Status Put(std::string_view, std::string_view) override { return Status::OK(); }
    Status Get(std::string_view, std::string*) override { return Status::NotFound("x"); }
    Status Delete(std::string_view) override { return Status::OK(); }
    Status WriteBatch(const std::vector<KeyValue>&) override { return Status::OK(); }
    Status Scan(std::string_view, size_t, bool, size_t*) override { return Status::OK(); }
    Status Flush() override { return Status::OK(); }
    Status Close() override { return Status::OK(); }
  } engine;
  const TxnCellResult r = RunTxnCell(&engine, Config("txn-ycsba", 10, 1, 5));
  EXPECT_TRUE(r.status.IsNotSupported()) << r.status.ToString();
  EXPECT_EQ(r.commits, 0u);
}

TEST(TxnOutput, MedianRoundByCommitsUnlessOneFailed) {
  const auto line = [](double commits, bool ok) {
    return nlohmann::json{{"commits_per_sec", commits}, {"ok", ok}};
  };
  const nlohmann::json a = line(10, true), b = line(40, true), c = line(20, true),
                       d = line(30, true), failed = line(0, false);
  EXPECT_EQ(MedianRound({}), nullptr);
  EXPECT_EQ(MedianRound({&b}), &b);
  EXPECT_EQ(MedianRound({&a, &b, &c}), &c);
  EXPECT_EQ(MedianRound({&a, &b, &c, &d}), &c);  // the lower middle of 10, 20, 30, 40
  EXPECT_EQ(MedianRound({&a, &failed, &b}), &failed);
}

}  // namespace
}  // namespace ziggydb::bench
