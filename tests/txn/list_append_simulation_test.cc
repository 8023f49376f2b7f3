// The list-append checker on histories of a simulated multi-version store: random interleavings of
// up to kActiveMax transactions that read from their start snapshot (plus their own writes) and
// commit with the validation of a level. Serializable validation (written and read keys unchanged
// since the snapshot) must give histories with no anomaly; snapshot validation (written keys
// only) histories that pass as SI and, over many seeds, show write skew (G2) when checked as
// serializable; no validation at all must be caught (lost updates) every time.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "testutil/testutil.h"
#include "txn/list_append_history.h"
#include "util/random.h"

namespace ziggydb::test {
namespace {

constexpr uint64_t kTxns = 300;
constexpr uint64_t kKeys = 5;
constexpr uint64_t kActiveMax = 4;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kSeeds = 4;  // the sanitizers look for memory errors, not for more histories
#else
constexpr uint64_t kSeeds = 20;
#endif

enum class Validation { kSerializable, kSnapshot, kNone };

class SimulatedStore {
 public:
  SimulatedStore(Validation validation, uint64_t seed) : validation_(validation), rng_(seed) {}

  // Runs kTxns transactions, interleaved, then a final read of every key.
  std::vector<ListTxn> Run() {
    std::vector<std::unique_ptr<Active>> active;
    uint64_t started = 0;
    while (started < kTxns || !active.empty()) {
      if (started < kTxns && (active.size() < kActiveMax && rng_.OneIn(2))) {
        active.push_back(Begin());
        ++started;
        continue;
      }
      if (active.empty()) continue;
      const size_t pick = rng_.Uniform(active.size());
      Active& txn = *active[pick];
      if (txn.ops_left > 0) {
        Step(&txn);
        continue;
      }
      Finish(&txn);
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    ListTxn final_read;
    final_read.id = next_id_++;
    final_read.committed = true;
    for (uint64_t k = 0; k < kKeys; ++k)
      final_read.Read(Key(k), Latest(Key(k), now_));
    history_.push_back(final_read);
    return history_;
  }

 private:
  struct Active {
    ListTxn record;
    uint64_t start = 0;
    uint64_t ops_left = 0;
    std::map<std::string, std::vector<ListValue>> writes;
    std::set<std::string> reads;
  };
  struct Version {
    uint64_t commit;
    std::vector<ListValue> list;
  };

  static std::string Key(uint64_t k) { return "k" + std::to_string(k); }

  std::vector<ListValue> Latest(const std::string& key, uint64_t at) const {
    const auto it = versions_.find(key);
    std::vector<ListValue> list;
    if (it == versions_.end()) return list;
    for (const Version& version : it->second) {
      if (version.commit <= at) list = version.list;
    }
    return list;
  }

  bool ChangedSince(const std::string& key, uint64_t start) const {
    const auto it = versions_.find(key);
    return it != versions_.end() && !it->second.empty() && it->second.back().commit > start;
  }

  std::unique_ptr<Active> Begin() {
    auto txn = std::make_unique<Active>();
    txn->record.id = next_id_++;
    txn->start = now_;
    txn->ops_left = 1 + rng_.Uniform(4);
    return txn;
  }

  std::vector<ListValue> Read(Active* txn, const std::string& key) {
    txn->reads.insert(key);
    const auto own = txn->writes.find(key);
    return own != txn->writes.end() ? own->second : Latest(key, txn->start);
  }

  void Step(Active* txn) {
    --txn->ops_left;
    const std::string key = Key(rng_.Uniform(kKeys));
    std::vector<ListValue> list = Read(txn, key);
    txn->record.Read(key, list);
    if (rng_.OneIn(2)) {
      const ListValue value = next_value_++;
      list.push_back(value);
      txn->writes[key] = list;
      txn->record.Append(key, value);
    }
  }

  void Finish(Active* txn) {
    bool ok = true;
    if (validation_ != Validation::kNone && !txn->writes.empty()) {
      for (const auto& [key, list] : txn->writes)
        ok = ok && !ChangedSince(key, txn->start);
      if (validation_ == Validation::kSerializable) {
        for (const std::string& key : txn->reads)
          ok = ok && !ChangedSince(key, txn->start);
      }
    }
    if (ok && !txn->writes.empty()) {
      ++now_;
      for (auto& [key, list] : txn->writes)
        versions_[key].push_back(Version{now_, list});
    }
    txn->record.committed = ok;
    history_.push_back(std::move(txn->record));
  }

  Validation validation_;
  Random rng_;
  uint64_t now_ = 0;  // the last commit timestamp
  uint64_t next_id_ = 1;
  ListValue next_value_ = 1;
  std::map<std::string, std::vector<Version>> versions_;
  std::vector<ListTxn> history_;
};

TEST(ListAppendSimulation, SerializableValidationGivesNoAnomaly) {
  const uint64_t seed = TestSeed();
  for (uint64_t i = 0; i < kSeeds; ++i) {
    const auto history = SimulatedStore(Validation::kSerializable, seed + i).Run();
    const CheckResult result =
        CheckListAppendHistory(history, {CheckedIsolation::kSerializable, true});
    ASSERT_TRUE(result.ok()) << "seed " << seed + i << "\n" << result.ToString();
    EXPECT_GT(result.edges_rw, 0u);
  }
}

TEST(ListAppendSimulation, SnapshotValidationPassesAsSiAndShowsWriteSkewAsSerializable) {
  const uint64_t seed = TestSeed();
  uint64_t allowed = 0;
  uint64_t g2 = 0;
  for (uint64_t i = 0; i < kSeeds; ++i) {
    const auto history = SimulatedStore(Validation::kSnapshot, seed + i).Run();
    const CheckResult si = CheckListAppendHistory(history, {CheckedIsolation::kSnapshot, true});
    ASSERT_TRUE(si.ok()) << "seed " << seed + i << "\n" << si.ToString();
    allowed += si.allowed_cycles;
    const CheckResult ser =
        CheckListAppendHistory(history, {CheckedIsolation::kSerializable, true});
    for (const ListAnomaly& anomaly : ser.anomalies)
      ASSERT_EQ(anomaly.type, "G2") << "seed " << seed + i << ": " << anomaly.detail;
    g2 += ser.anomalies.size();
  }
  EXPECT_GT(allowed, 0u);
  EXPECT_EQ(g2, allowed);
}

TEST(ListAppendSimulation, CommitsWithoutValidationAreCaught) {
  const uint64_t seed = TestSeed();
  for (uint64_t i = 0; i < kSeeds; ++i) {
    const auto history = SimulatedStore(Validation::kNone, seed + i).Run();
    const CheckResult result = CheckListAppendHistory(history, {CheckedIsolation::kSnapshot, true});
    EXPECT_FALSE(result.ok()) << "seed " << seed + i << ": lost updates went unnoticed";
  }
}

}  // namespace
}  // namespace ziggydb::test
