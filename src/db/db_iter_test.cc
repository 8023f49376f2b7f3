// DB iterator tests: forward, backward, seeks, bounds and snapshots, against a std::map model over
// data spread across the memtable, immutable memtables and L0 tables.
#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb::test {
namespace {

using Model = std::map<std::string, std::string>;

class DBIterTest : public DBTest {
 protected:
  // Every (key, value) the iterator yields from SeekToFirst, as a map; also checks order.
  Model ScanForward(const ReadOptions& options) {
    Model seen;
    auto iter = db_->NewIterator(options);
    std::string previous;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      const std::string key(iter->key());
      if (!seen.empty()) {
        EXPECT_LT(previous, key);
      }
      previous = key;
      seen[key] = std::string(iter->value());
    }
    EXPECT_TRUE(iter->status().ok()) << iter->status().ToString();
    return seen;
  }
  Model ScanBackward(const ReadOptions& options) {
    Model seen;
    auto iter = db_->NewIterator(options);
    std::string previous;
    for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
      const std::string key(iter->key());
      if (!seen.empty()) {
        EXPECT_GT(previous, key);
      }
      previous = key;
      seen[key] = std::string(iter->value());
    }
    EXPECT_TRUE(iter->status().ok()) << iter->status().ToString();
    return seen;
  }
};

std::string Key(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%04d", static_cast<int>(i));
  return buf;
}

TEST_F(DBIterTest, EmptyDB) {
  Open();
  auto iter = db_->NewIterator(ReadOptions());
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek("a");
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(DBIterTest, HidesDeletionsAndOldVersionsAcrossSources) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "1").ok());
  ASSERT_TRUE(Put("c", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(Put("b", "2").ok());
  ASSERT_TRUE(Delete("c").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(Delete("a").ok());
  ASSERT_TRUE(Put("d", "1").ok());
  const Model expected{{"b", "2"}, {"d", "1"}};
  EXPECT_EQ(ScanForward(ReadOptions()), expected);
  EXPECT_EQ(ScanBackward(ReadOptions()), expected);
  auto iter = db_->NewIterator(ReadOptions());
  iter->Seek("a");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "b");
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "d");
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "b");
  EXPECT_EQ(iter->value(), "2");
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("c");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "b");
}

TEST_F(DBIterTest, SnapshotIsStableWhileWritesContinue) {
  Open();
  ASSERT_TRUE(Put("a", "old").ok());
  ASSERT_TRUE(Put("b", "old").ok());
  const Snapshot* snapshot = db_->GetSnapshot();
  ASSERT_TRUE(Put("a", "new").ok());
  ASSERT_TRUE(Delete("b").ok());
  ASSERT_TRUE(Put("c", "new").ok());
  ReadOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  auto iter = db_->NewIterator(at_snapshot);
  ASSERT_TRUE(db_->Flush().ok());  // the iterator keeps its memtables alive
  const Model expected{{"a", "old"}, {"b", "old"}};
  EXPECT_EQ(ScanForward(at_snapshot), expected);
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "old");
  iter.reset();
  db_->ReleaseSnapshot(snapshot);
  EXPECT_EQ(ScanForward(ReadOptions()), (Model{{"a", "new"}, {"c", "new"}}));
}

TEST_F(DBIterTest, BoundsAreRespected) {
  Open();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(Put(Key(i), "v").ok());
  const std::string lower = Key(3);
  const std::string upper = Key(7);
  ReadOptions options;
  options.iterate_lower_bound = lower;
  options.iterate_upper_bound = upper;
  const Model forward = ScanForward(options);
  ASSERT_EQ(forward.size(), 4u);
  EXPECT_EQ(forward.begin()->first, Key(3));
  EXPECT_EQ(forward.rbegin()->first, Key(6));
  EXPECT_EQ(ScanBackward(options), forward);
  auto iter = db_->NewIterator(options);
  iter->Seek(Key(0));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(3));
  iter->SeekForPrev(Key(9));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(6));
  iter->Seek(Key(8));
  EXPECT_FALSE(iter->Valid());
}

// Random writes, deletes, flushes and snapshots; then every kind of positioning is compared with
// the model of the snapshot it reads.
TEST_F(DBIterTest, MatchesModelUnderRandomOperations) {
  const uint64_t seed = TestSeed();
  Random rnd(seed);
  options_.memtable_bytes = size_t{64} << 10;
  Open();
  Model model;
  std::optional<Model> snapshot_model;
  const Snapshot* snapshot = nullptr;
  const uint64_t rounds = ScaledIterations(6);
  for (uint64_t round = 0; round < rounds; ++round) {
    for (int op = 0; op < 600; ++op) {
      const std::string key = Key(rnd.Uniform(200));
      if (rnd.OneIn(3)) {
        ASSERT_TRUE(Delete(key).ok());
        model.erase(key);
      } else {
        const std::string value = rnd.Bytes(rnd.Uniform(300));
        ASSERT_TRUE(Put(key, value).ok());
        model[key] = value;
      }
      if (rnd.OneIn(250)) {
        ASSERT_TRUE(db_->Flush().ok());
      }
      if (snapshot == nullptr && rnd.OneIn(300)) {
        snapshot = db_->GetSnapshot();
        snapshot_model = model;
      }
    }
    for (int view = 0; view < 2; ++view) {
      ReadOptions options;
      const Model* expected = &model;
      if (view == 1) {
        if (snapshot == nullptr) continue;
        options.snapshot = snapshot;
        expected = &*snapshot_model;
      }
      ASSERT_EQ(ScanForward(options), *expected) << "round " << round;
      ASSERT_EQ(ScanBackward(options), *expected) << "round " << round;
      auto iter = db_->NewIterator(options);
      for (int probe = 0; probe < 200; ++probe) {
        const std::string target = Key(rnd.Uniform(210));
        auto it = expected->lower_bound(target);
        if (rnd.OneIn(2)) {
          iter->Seek(target);
        } else {
          iter->SeekForPrev(target);
          it = expected->upper_bound(target);
          it = it == expected->begin() ? expected->end() : std::prev(it);
        }
        // A short random walk in both directions from there.
        for (int step = 0; step < 6; ++step) {
          ASSERT_EQ(iter->Valid(), it != expected->end()) << target << " step " << step;
          if (!iter->Valid()) break;
          ASSERT_EQ(iter->key(), it->first);
          ASSERT_EQ(iter->value(), it->second);
          if (rnd.OneIn(2)) {
            iter->Next();
            ++it;
          } else {
            iter->Prev();
            it = it == expected->begin() ? expected->end() : std::prev(it);
          }
        }
      }
      EXPECT_TRUE(iter->status().ok());
    }
  }
  if (snapshot != nullptr) db_->ReleaseSnapshot(snapshot);
}

// Table files (*.sst) in dir, by name.
std::set<std::string> TableFiles(const std::string& dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(Env::Default()->GetChildren(dir, &names).ok());
  std::set<std::string> tables;
  for (const auto& name : names)
    if (name.ends_with(".sst")) tables.insert(name);
  return tables;
}

// On the real file system, with tables read through mappings (true) or pread (false): an
// iterator keeps reading the tables it started on after a compaction made them obsolete and the
// table cache closed them (max_open_files is small); their files go once it lets go.
class DBIterPosixTest : public testing::TestWithParam<bool> {};

TEST_P(DBIterPosixTest, IteratorOutlivesTheCompactionThatDeletesItsTables) {
  TempDir dir;
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  options.target_file_size = uint64_t{64} << 10;  // several tables in the last level
  options.max_open_files = 16;  // the table cache evicts: only the iterator's pins keep tables
  options.use_mmap_reads = GetParam();
  const std::string path = dir.Join("db");
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, path, &db).ok());
  constexpr int kKeys = 3000;
  for (int round = 0; round < 3; ++round) {
    for (int i = round; i < kKeys; i += 3)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), "old" + std::string(100, 'a' + round)).ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  // Settles background compactions, so that the files listed below are the current version's.
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  const std::set<std::string> old_tables = TableFiles(path);
  ASSERT_GE(old_tables.size(), 3u);

  auto iter = db->NewIterator(ReadOptions());
  iter->SeekToFirst();
  int seen = 0;
  for (; iter->Valid() && seen < kKeys / 2; iter->Next(), ++seen) {
    ASSERT_EQ(iter->key(), Key(seen));
  }
  for (int i = 0; i < kKeys; ++i)
    ASSERT_TRUE(db->Put(WriteOptions(), Key(i), "new").ok());
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  // The compaction made every old table obsolete; the iterator's Version keeps their files.
  const std::set<std::string> after_compaction = TableFiles(path);
  for (const auto& name : old_tables)
    EXPECT_EQ(after_compaction.count(name), 1u) << name << " deleted under a live iterator";

  // The rest of the pass, and back again, still reads the deleted tables' old values.
  for (; iter->Valid(); iter->Next(), ++seen) {
    ASSERT_EQ(iter->key(), Key(seen));
    ASSERT_EQ(iter->value(), "old" + std::string(100, 'a' + seen % 3));
  }
  EXPECT_EQ(seen, kKeys);
  for (iter->SeekToLast(); iter->Valid(); iter->Prev())
    --seen;
  EXPECT_EQ(seen, 0);
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  iter.reset();  // unpins the old Version and its readers (unmapping their files)
  ASSERT_TRUE(db->Put(WriteOptions(), "z", "z").ok());
  ASSERT_TRUE(db->Flush().ok());  // deletes obsolete files
  for (const auto& name : TableFiles(path))
    EXPECT_EQ(old_tables.count(name), 0u) << name << " outlived its last reader";
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), Key(7), &value).ok());
  EXPECT_EQ(value, "new");
}

INSTANTIATE_TEST_SUITE_P(MappedAndPread, DBIterPosixTest, testing::Bool());

}  // namespace
}  // namespace ziggydb::test
