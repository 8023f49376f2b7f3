// Concurrent list-append transactions against the DB, checked by the Elle-style history checker
// (list_append_history.h): several threads, each with up to three transactions open at once and
// stepping them in random order, append unique values to lists under a few hot keys,
// read lists with Get and with range scans (forward, backward, bounded), sometimes roll back to a
// save point or roll back entirely, and retry on Busy. Every attempt is recorded (aborted ones
// too: their values must never be read). A final transaction reads every key, so the history is
// complete. Serializable histories must have no dependency cycle at all; snapshot-isolated ones
// only cycles with two adjacent rw edges. The range scans make absent keys part of the read set,
// so phantoms show up as rw edges from the scan to the insert. The stress build
// (ZIGGY_LIST_APPEND_STRESS, label `stress`) runs more seeds of longer histories, time-bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testutil/testutil.h"
#include "txn/list_append_history.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

#if defined(ZIGGY_LIST_APPEND_STRESS)
// ZIGGY_TEST_SCALE multiplies the seeds (histories stay checkable in seconds); the run stops
// when 45% of STRESS_SECONDS is spent (two tests share the ctest timeout).
constexpr bool kStress = true;
constexpr uint64_t kTxnsPerThreadBase = 400;
constexpr uint64_t kSeedsBase = 10;
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kStress = false;
constexpr uint64_t kTxnsPerThreadBase = 40;
constexpr uint64_t kSeedsBase = 2;
#else
// ZIGGY_TEST_SCALE multiplies the transactions per thread.
constexpr bool kStress = false;
constexpr uint64_t kTxnsPerThreadBase = 150;
constexpr uint64_t kSeedsBase = 6;
#endif
constexpr int kThreads = 4;
// Keys 0..kHotKeys-1 take most operations: contention, and so aborts and cycles. The sparse keys
// above them are appended to rarely, so most stay absent for long, and the scans of the sparse
// region (kSparseScanKeysMax wide) keep reading gaps that a later append fills: phantoms.
constexpr uint64_t kHotKeys = 10;
constexpr uint64_t kSparseKeys = 200;
constexpr uint64_t kKeys = kHotKeys + kSparseKeys;
constexpr uint64_t kSparseScanKeysMax = 16;
constexpr uint64_t kOpsPerTxnMax = 4;
constexpr size_t kOpenPerThreadMax = 3;
constexpr uint64_t kSyncOneIn = 8;
constexpr uint64_t kBusyInARowMax = 1000;  // per thread: more means no progress

std::string ListKey(uint64_t k) {
  char key[16];
  std::snprintf(key, sizeof(key), "la/%03llu", static_cast<unsigned long long>(k));
  return key;
}

// Shared by the threads of one run.
struct RunState {
  DB* db = nullptr;
  IsolationLevel isolation = IsolationLevel::kSnapshot;
  std::atomic<uint64_t> next_value{1};
  std::atomic<uint64_t> next_txn_id{1};
  std::atomic<bool> failed{false};  // a thread met an error: all stop (and the test fails)
};

class Worker {
 public:
  Worker(RunState* run, uint64_t seed) : run_(run), rng_(seed) {}

  // Runs `txns` transactions to their end (a commit or a voluntary rollback; a Busy one does not
  // count), keeping up to kOpenPerThreadMax of them open and stepping a random one at a time, so
  // that transactions overlap even when the threads do not. False on an error.
  bool Run(uint64_t txns) {
    std::vector<OpenTxn> open;
    uint64_t finished = 0;
    uint64_t busy_in_a_row = 0;
    while (finished < txns && !run_->failed) {
      if (open.size() < kOpenPerThreadMax && finished + open.size() < txns &&
          (open.empty() || rng_.OneIn(2))) {
        open.push_back(Begin());
        continue;
      }
      const size_t pick = rng_.Uniform(open.size());
      if (open[pick].ops_left > 0) {
        --open[pick].ops_left;
        if (!Step(open[pick])) return false;
        if (rng_.OneIn(4)) std::this_thread::yield();  // let the other threads interleave
        continue;
      }
      const Outcome outcome = Finish(open[pick]);
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(pick));
      if (outcome == Outcome::kFailed) return false;
      if (outcome == Outcome::kBusy) {
        if (++busy_in_a_row > kBusyInARowMax) {
          ADD_FAILURE() << kBusyInARowMax << " commits in a row refused";
          return false;
        }
        continue;
      }
      busy_in_a_row = 0;
      ++finished;
    }
    return true;
  }

  std::vector<ListTxn>& history() { return history_; }
  uint64_t busy() const { return busy_; }

 private:
  enum class Outcome { kCommitted, kBusy, kRolledBack, kFailed };
  struct OpenTxn {
    std::unique_ptr<Transaction> txn;
    size_t record;  // index in history_ (not a reference: history_ grows)
    uint64_t ops_left;
  };

  ListTxn& NewRecord(bool committed) {
    history_.push_back(ListTxn{});
    history_.back().id = run_->next_txn_id.fetch_add(1);
    history_.back().committed = committed;
    return history_.back();
  }

  OpenTxn Begin() {
    TransactionOptions options;
    options.isolation = run_->isolation;
    // Some commits sync: their group waits for the fsync, so the commits queued behind it form
    // groups of several validated writers, each checked against the batches ahead of it.
    WriteOptions write_options;
    write_options.sync = rng_.OneIn(kSyncOneIn);
    OpenTxn open{run_->db->BeginTransaction(write_options, options), history_.size(),
                 1 + rng_.Uniform(kOpsPerTxnMax)};
    NewRecord(false);
    return open;
  }

  bool Step(const OpenTxn& open) {
    Transaction* txn = open.txn.get();
    const uint64_t dice = rng_.Uniform(100);
    if (dice < 45) return AppendTo(txn, open.record, ListKey(PickKey()));
    if (dice < 75) return ReadKey(txn, open.record, ListKey(PickKey()));
    if (dice < 84) {
      const uint64_t begin = rng_.Uniform(kHotKeys);
      return ReadRange(txn, open.record, begin, begin + 1 + rng_.Uniform(kHotKeys - begin));
    }
    if (dice < 93) {
      const uint64_t begin = kHotKeys + rng_.Uniform(kSparseKeys);
      const uint64_t width = 1 + rng_.Uniform(std::min(kSparseScanKeysMax, kKeys - begin));
      return ReadRange(txn, open.record, begin, begin + width);
    }
    return AppendAndRollBackToSavePoint(txn, open.record);
  }

  // A hot key, or one time in eight a sparse one.
  uint64_t PickKey() {
    return rng_.OneIn(8) ? kHotKeys + rng_.Uniform(kSparseKeys) : rng_.Uniform(kHotKeys);
  }

  Outcome Finish(const OpenTxn& open) {
    if (rng_.OneIn(25)) {
      const Status s = open.txn->Rollback();
      if (s.ok()) return Outcome::kRolledBack;
      ADD_FAILURE() << "Rollback: " << s.ToString();
      return Outcome::kFailed;
    }
    const Status s = open.txn->Commit();
    if (s.ok()) {
      history_[open.record].committed = true;
      return Outcome::kCommitted;
    }
    if (s.IsBusy()) {
      ++busy_;
      return Outcome::kBusy;
    }
    ADD_FAILURE() << "Commit: " << s.ToString();
    return Outcome::kFailed;
  }

  // Reads `key` through the transaction into *list (absent: empty).
  bool GetList(Transaction* txn, const std::string& key, std::vector<ListValue>* list) {
    std::string value;
    const Status s = txn->Get(ReadOptions(), key, &value);
    if (s.IsNotFound()) {
      list->clear();
      return true;
    }
    if (!s.ok()) {
      ADD_FAILURE() << "Get " << key << ": " << s.ToString();
      return false;
    }
    if (!DecodeList(value, list)) {
      ADD_FAILURE() << key << " holds '" << value << "', not a list";
      return false;
    }
    return true;
  }

  bool ReadKey(Transaction* txn, size_t record, const std::string& key) {
    std::vector<ListValue> list;
    if (!GetList(txn, key, &list)) return false;
    history_[record].Read(key, std::move(list));
    return true;
  }

  // Appends by read-modify-write; the read is part of the history too.
  bool AppendTo(Transaction* txn, size_t record, const std::string& key) {
    std::vector<ListValue> list;
    if (!GetList(txn, key, &list)) return false;
    history_[record].Read(key, list);
    const ListValue value = run_->next_value.fetch_add(1);
    list.push_back(value);
    const Status s = txn->Put(key, EncodeList(list));
    if (!s.ok()) {
      ADD_FAILURE() << "Put " << key << ": " << s.ToString();
      return false;
    }
    history_[record].Append(key, value);
    return true;
  }

  // The append is undone, so it is recorded as a transaction of its own that aborted: nobody,
  // this transaction included, may read its value.
  bool AppendAndRollBackToSavePoint(Transaction* txn, size_t record) {
    txn->SetSavePoint();
    const std::string key = ListKey(PickKey());
    std::vector<ListValue> list;
    if (!GetList(txn, key, &list)) return false;
    history_[record].Read(key, list);
    const ListValue value = run_->next_value.fetch_add(1);
    list.push_back(value);
    Status s = txn->Put(key, EncodeList(list));
    if (s.ok()) s = txn->RollbackToSavePoint();
    if (!s.ok()) {
      ADD_FAILURE() << "save point around an append to " << key << ": " << s.ToString();
      return false;
    }
    NewRecord(false).Append(key, value);
    return ReadKey(txn, record, key);
  }

  // Scans keys [begin, end) one of three ways and records a read of every key in it, the absent
  // ones as empty lists.
  bool ReadRange(Transaction* txn, size_t record, uint64_t begin, uint64_t end) {
    const std::string lower = ListKey(begin);
    const std::string upper = ListKey(end);
    std::vector<std::vector<ListValue>> lists(end - begin);
    const uint64_t how = rng_.Uniform(3);
    ReadOptions options;
    if (how == 2) {
      options.iterate_lower_bound = lower;
      options.iterate_upper_bound = upper;
    }
    std::unique_ptr<Iterator> it = txn->NewIterator(options);
    const bool backward = how == 1 || (how == 2 && rng_.OneIn(2));
    if (how == 0) it->Seek(lower);
    if (how == 1) it->SeekForPrev(ListKey(end - 1));  // every key is ListKey(k)
    if (how == 2) backward ? it->SeekToLast() : it->SeekToFirst();
    std::string previous;
    for (; it->Valid(); backward ? it->Prev() : it->Next()) {
      const std::string key(it->key());
      if (key < lower || key >= upper) {
        if (how == 2) {
          ADD_FAILURE() << "a bounded scan of [" << lower << ", " << upper << ") returned " << key;
          return false;
        }
        break;
      }
      if (!previous.empty() && (backward ? key >= previous : key <= previous)) {
        ADD_FAILURE() << "scan order: " << key << " after " << previous;
        return false;
      }
      previous = key;
      const uint64_t k = std::stoull(key.substr(3));
      if (!DecodeList(it->value(), &lists[k - begin])) {
        ADD_FAILURE() << key << " holds '" << it->value() << "', not a list";
        return false;
      }
    }
    if (!it->status().ok()) {
      ADD_FAILURE() << "scan: " << it->status().ToString();
      return false;
    }
    for (uint64_t k = begin; k < end; ++k)
      history_[record].Read(ListKey(k), std::move(lists[k - begin]));
    return true;
  }

  RunState* run_;
  Random rng_;
  std::vector<ListTxn> history_;
  uint64_t busy_ = 0;
};

void RunAndCheck(IsolationLevel isolation) {
  const uint64_t seed = TestSeed();
  const uint64_t txns_per_thread =
      kStress ? kTxnsPerThreadBase : ScaledIterations(kTxnsPerThreadBase);
  const uint64_t seeds = kStress ? ScaledIterations(kSeedsBase) : kSeedsBase;
  double budget_seconds = 150;  // a safety net on an overloaded machine
  if (const char* env = std::getenv("STRESS_SECONDS"); kStress && env != nullptr) {
    budget_seconds = std::atof(env) * 0.45;
  } else if (kStress) {
    budget_seconds = 600 * 0.45;
  }
  const auto start = std::chrono::steady_clock::now();
  const CheckedIsolation checked = isolation == IsolationLevel::kSerializable
                                       ? CheckedIsolation::kSerializable
                                       : CheckedIsolation::kSnapshot;
  for (uint64_t round = 0; round < seeds; ++round) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > budget_seconds) {
      std::printf("[ info ] time budget of %.0f s reached after %llu seeds\n", budget_seconds,
                  static_cast<unsigned long long>(round));
      break;
    }
    const uint64_t round_seed = seed + round;
    SCOPED_TRACE("round seed " + std::to_string(round_seed) +
                 " (ZIGGY_TEST_SEED=" + std::to_string(seed) + ")");
    TempDir dir;
    Options options;
    options.create_if_missing = true;
    options.memtable_bytes = size_t{256} << 10;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.Join("db"), &db).ok());
    RunState run;
    run.db = db.get();
    run.isolation = isolation;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < kThreads; ++t)
      workers.push_back(std::make_unique<Worker>(&run, round_seed * 31 + t));
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
      threads.emplace_back([&worker, &run, txns_per_thread] {
        if (!worker->Run(txns_per_thread)) run.failed = true;
      });
    }
    for (auto& thread : threads)
      thread.join();
    ASSERT_FALSE(run.failed);

    std::vector<ListTxn> history;
    uint64_t busy = 0;
    for (auto& worker : workers) {
      busy += worker->busy();
      for (ListTxn& txn : worker->history())
        history.push_back(std::move(txn));
    }
    ListTxn final_read;
    final_read.id = run.next_txn_id.fetch_add(1);
    final_read.committed = true;
    std::unique_ptr<Transaction> txn = db->BeginTransaction(WriteOptions(), TransactionOptions{});
    for (uint64_t k = 0; k < kKeys; ++k) {
      std::string value;
      std::vector<ListValue> list;
      const Status s = txn->Get(ReadOptions(), ListKey(k), &value);
      ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
      ASSERT_TRUE(DecodeList(s.ok() ? value : "", &list)) << value;
      final_read.Read(ListKey(k), std::move(list));
    }
    ASSERT_TRUE(txn->Commit().ok());
    txn.reset();
    history.push_back(std::move(final_read));

    const CheckResult result =
        CheckListAppendHistory(history, CheckOptions{checked, /*complete=*/true});
    std::printf(
        "[ info ] seed %llu: %llu committed of %zu attempts (%llu busy), edges ww %llu wr %llu "
        "rw %llu, allowed cycles %llu\n",
        static_cast<unsigned long long>(round_seed),
        static_cast<unsigned long long>(result.committed_txns), history.size(),
        static_cast<unsigned long long>(busy), static_cast<unsigned long long>(result.edges_ww),
        static_cast<unsigned long long>(result.edges_wr),
        static_cast<unsigned long long>(result.edges_rw),
        static_cast<unsigned long long>(result.allowed_cycles));
    ASSERT_TRUE(result.ok()) << result.ToString();
    if (checked == CheckedIsolation::kSnapshot) {
      // Checked as serializable, the allowed cycles are exactly what fails.
      const CheckResult as_serializable = CheckListAppendHistory(
          history, CheckOptions{CheckedIsolation::kSerializable, /*complete=*/true});
      EXPECT_EQ(as_serializable.anomalies.size(), result.allowed_cycles);
      for (const ListAnomaly& anomaly : as_serializable.anomalies)
        EXPECT_EQ(anomaly.type, "G2") << anomaly.detail;
    }
    // The workload must produce dependencies for the check to mean anything.
    EXPECT_GT(result.edges_rw, 0u);
    EXPECT_GT(result.edges_wr, 0u);
  }
}

TEST(ListAppendTxnTest, SerializableHistoriesHaveNoDependencyCycle) {
  RunAndCheck(IsolationLevel::kSerializable);
}

TEST(ListAppendTxnTest, SnapshotHistoriesHaveOnlyCyclesWithAdjacentRwEdges) {
  RunAndCheck(IsolationLevel::kSnapshot);
}

}  // namespace
}  // namespace ziggydb::test
