// Metamorphic test of the living LSM: random Put/Delete/batches/snapshots/Get/iteration (both
// directions, with bounds)/flush/CompactRange/reopen against an in-memory model that keeps the
// state each live snapshot saw. Memtable and table sizes are the minimum, so flushes and
// compactions (and the version GC under snapshots) run all the time.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

using Model = std::map<std::string, std::string>;

constexpr int kMaxLiveSnapshots = 4;
constexpr uint32_t kKeySpace = 4000;

class CompactionModelTest : public DBTest {
 protected:
  CompactionModelTest() {
    options_.memtable_bytes = size_t{64} << 10;
    options_.target_file_size = uint64_t{64} << 10;
    options_.max_bytes_for_level_base = uint64_t{64} << 10;
    options_.l0_compaction_trigger = 2;
    options_.level_size_multiplier = 4;
  }

  // Keys with embedded NULs and 0xFF bytes now and then; all sort bytewise like the model.
  std::string RandomKey() {
    const uint32_t k = static_cast<uint32_t>(rnd_->Uniform(kKeySpace));
    std::string key = "k" + std::to_string(k % 97) + "/" + std::to_string(k);
    if (k % 11 == 0) key.push_back('\0');
    if (k % 13 == 0) key.push_back('\xff');
    return key;
  }
  std::string RandomValue() {
    const size_t bytes = static_cast<size_t>(rnd_->Uniform(400));
    std::string value(bytes, static_cast<char>('a' + rnd_->Uniform(26)));
    value += std::to_string(step_);
    return value;
  }

  void DoWrite() {
    WriteBatch batch;
    const int ops = rnd_->OneIn(4) ? 1 + static_cast<int>(rnd_->Uniform(20)) : 1;
    for (int i = 0; i < ops; ++i) {
      const std::string key = RandomKey();
      if (rnd_->OneIn(4)) {
        batch.Delete(key);
        model_.erase(key);
      } else {
        const std::string value = RandomValue();
        batch.Put(key, value);
        model_[key] = value;
      }
    }
    ASSERT_TRUE(db_->Write(WriteOptions(), batch).ok());
  }

  // A live snapshot (or the latest state) with its model.
  std::pair<const Snapshot*, const Model*> PickView() {
    if (snapshots_.empty() || rnd_->OneIn(2)) return {nullptr, &model_};
    const auto& [snapshot, model] = snapshots_[rnd_->Uniform(snapshots_.size())];
    return {snapshot, &model};
  }

  void CheckGet() {
    const auto [snapshot, model] = PickView();
    const std::string key = RandomKey();
    const auto it = model->find(key);
    ASSERT_EQ(Get(key, snapshot), it == model->end() ? "NOT_FOUND" : it->second)
        << "step " << step_;
  }

  // The model's entries in [lower, upper), in order (pointers: copying the strings was a fifth
  // of this test's time under ASan).
  static std::vector<const Model::value_type*> InBounds(const Model& model,
                                                        const std::optional<std::string>& lower,
                                                        const std::optional<std::string>& upper) {
    std::vector<const Model::value_type*> out;
    if (lower && upper && *upper <= *lower) return out;
    const auto end = upper ? model.lower_bound(*upper) : model.end();
    for (auto it = lower ? model.lower_bound(*lower) : model.begin(); it != end; ++it)
      out.push_back(&*it);
    return out;
  }

  void CheckIteration() {
    const auto [snapshot, model] = PickView();
    std::optional<std::string> lower;
    std::optional<std::string> upper;
    if (rnd_->OneIn(2)) lower = RandomKey();
    if (rnd_->OneIn(2)) upper = RandomKey();
    ReadOptions options;
    options.snapshot = snapshot;
    if (lower) options.iterate_lower_bound = *lower;
    if (upper) options.iterate_upper_bound = *upper;
    const auto expected = InBounds(*model, lower, upper);
    auto iter = db_->NewIterator(options);
    if (rnd_->OneIn(2)) {
      size_t i = 0;
      for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
        ASSERT_LT(i, expected.size()) << "step " << step_;
        ASSERT_EQ(iter->key(), expected[i]->first) << "step " << step_;
        ASSERT_EQ(iter->value(), expected[i]->second) << "step " << step_;
      }
      ASSERT_EQ(i, expected.size()) << "step " << step_;
    } else {
      size_t i = expected.size();
      for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
        ASSERT_GT(i, 0u) << "step " << step_;
        --i;
        ASSERT_EQ(iter->key(), expected[i]->first) << "step " << step_;
        ASSERT_EQ(iter->value(), expected[i]->second) << "step " << step_;
      }
      ASSERT_EQ(i, 0u) << "step " << step_;
    }
    ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
    // A seek, then a few steps mixing directions.
    const std::string target = RandomKey();
    auto pos = std::lower_bound(
        expected.begin(), expected.end(), target,
        [](const Model::value_type* entry, const std::string& key) { return entry->first < key; });
    iter->Seek(target);
    for (int moves = 0; moves < 6; ++moves) {
      if (pos == expected.end()) {
        ASSERT_FALSE(iter->Valid()) << "step " << step_ << " seek " << target;
        break;
      }
      ASSERT_TRUE(iter->Valid()) << "step " << step_;
      ASSERT_EQ(iter->key(), (*pos)->first) << "step " << step_;
      if (rnd_->OneIn(3) && pos != expected.begin()) {
        iter->Prev();
        --pos;
      } else {
        iter->Next();
        ++pos;
      }
    }
  }

  void TakeOrReleaseSnapshot() {
    if (!snapshots_.empty() &&
        (snapshots_.size() >= static_cast<size_t>(kMaxLiveSnapshots) || rnd_->OneIn(2))) {
      const size_t i = rnd_->Uniform(snapshots_.size());
      db_->ReleaseSnapshot(snapshots_[i].first);
      snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    snapshots_.emplace_back(db_->GetSnapshot(), model_);
  }

  void Compact() {
    if (rnd_->OneIn(3)) {
      ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
      return;
    }
    std::string begin = RandomKey();
    std::string end = RandomKey();
    if (end < begin) std::swap(begin, end);
    ASSERT_TRUE(db_->CompactRange(begin, end).ok());
  }

  void ReopenDb() {
    for (const auto& [snapshot, model] : snapshots_)
      db_->ReleaseSnapshot(snapshot);
    snapshots_.clear();
    Reopen();
  }

  void RunSeed(uint64_t seed, uint64_t steps) {
    Random rnd(seed);
    rnd_ = &rnd;
    Open();
    for (step_ = 0; step_ < steps; ++step_) {
      const uint64_t op = rnd.Uniform(1000);
      if (op < 600) {
        ASSERT_NO_FATAL_FAILURE(DoWrite());
      } else if (op < 750) {
        ASSERT_NO_FATAL_FAILURE(CheckGet());
      } else if (op < 880) {
        ASSERT_NO_FATAL_FAILURE(CheckIteration());
      } else if (op < 940) {
        TakeOrReleaseSnapshot();
      } else if (op < 960) {
        ASSERT_TRUE(db_->Flush().ok());
      } else if (op < 985) {
        ASSERT_NO_FATAL_FAILURE(Compact());
      } else {
        ASSERT_NO_FATAL_FAILURE(ReopenDb());
      }
    }
    // Everything every snapshot saw is still there at the end.
    for (int i = 0; i < 20; ++i)
      ASSERT_NO_FATAL_FAILURE(CheckIteration());
    std::string stats;
    ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &stats));
    if (std::getenv("ZIGGY_MODEL_STATS") != nullptr) std::printf("%s\n", stats.c_str());
    for (const auto& [snapshot, model] : snapshots_)
      db_->ReleaseSnapshot(snapshot);
    snapshots_.clear();
    Close();
    rnd_ = nullptr;
  }

  Random* rnd_ = nullptr;
  uint64_t step_ = 0;
  Model model_;
  std::vector<std::pair<const Snapshot*, Model>> snapshots_;
};

TEST_F(CompactionModelTest, RandomOperationsMatchTheModel) {
  const uint64_t seed = TestSeed();
  const uint64_t rounds = kSanitizerBuild ? 1 : 3;
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed + round));
    model_.clear();
    ASSERT_TRUE(DestroyDB(kDbName, options_).ok());
    ASSERT_NO_FATAL_FAILURE(RunSeed(seed + round, ScaledIterations(10000)));
  }
}

}  // namespace
}  // namespace ziggydb::test
