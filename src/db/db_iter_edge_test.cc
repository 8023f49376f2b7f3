// DB iterator edge cases: empty views, bounds that admit nothing, seeks off either end, direction
// flips, binary keys and snapshot isolation. Every case runs with its data in the memtable only,
// in tables only (L6 after CompactRange plus L0 after Flush) and mixed (L6, L0 and memtable), and
// checks exact results forward, backward, through Seek/SeekForPrev and through direction flips.
//
// Decision documented here (and in docs/design/testing.md): iterate_lower_bound >
// iterate_upper_bound is not an error; the iterator is simply empty with status() OK, exactly as
// for equal bounds.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/db_test_util.h"
#include "util/escape.h"

namespace ziggydb::test {
namespace {

using Model = std::map<std::string, std::string>;
using Entries = std::vector<std::pair<std::string, std::string>>;

enum class Placement : uint8_t { kMemtable, kTables, kMixed };

std::string PlacementName(const ::testing::TestParamInfo<Placement>& info) {
  switch (info.param) {
    case Placement::kMemtable:
      return "Memtable";
    case Placement::kTables:
      return "Tables";
    case Placement::kMixed:
      return "Mixed";
  }
  return "Unknown";
}

// `bytes` quoted, with printable ASCII kept and everything else as \xHH, for failure messages.
std::string Printable(std::string_view bytes) {
  return "'" + EscapeBytes(bytes) + "'";
}

// One update: a Put, or a Delete when value is empty.
struct Op {
  std::string key;
  std::optional<std::string> value;
};

class DBIterEdgeTest : public DBTest, public ::testing::WithParamInterface<Placement> {
 protected:
  void SetUp() override { Open(); }

  // Applies `ops` in order and moves them where GetParam() says. kTables: the first half ends in
  // the last level (CompactRange), the rest in an L0 table (Flush). kMixed: the first third in the
  // last level, the second in L0, the last third stays in the memtable.
  void Load(const std::vector<Op>& ops) {
    const size_t n = ops.size();
    size_t compact_at = SIZE_MAX, flush_at = SIZE_MAX;  // kMemtable: never
    if (GetParam() == Placement::kTables) {
      compact_at = n / 2;
      flush_at = n;
    } else if (GetParam() == Placement::kMixed) {
      compact_at = n / 3;
      flush_at = 2 * n / 3;
    }
    for (size_t i = 0; i <= n; ++i) {
      if (i == compact_at) {
        ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
      }
      if (i == flush_at) {
        ASSERT_TRUE(db_->Flush().ok());
      }
      if (i == n) break;
      Apply(ops[i]);
      ASSERT_FALSE(HasFatalFailure());
    }
    if (GetParam() == Placement::kMemtable) {
      EXPECT_TRUE(FilesOfType(FileType::kTableFile).empty());
    }
  }
  void Apply(const Op& op) {
    if (op.value) {
      ASSERT_TRUE(Put(op.key, *op.value).ok());
      model_[op.key] = *op.value;
    } else {
      ASSERT_TRUE(Delete(op.key).ok());
      model_.erase(op.key);
    }
  }

  // What an iterator with `options`' bounds must yield from `model`, in order.
  static Entries Expected(const Model& model, const ReadOptions& options) {
    Entries out;
    for (const auto& [key, value] : model) {
      if (options.iterate_lower_bound && key < *options.iterate_lower_bound) continue;
      if (options.iterate_upper_bound && key >= *options.iterate_upper_bound) continue;
      out.emplace_back(key, value);
    }
    return out;
  }

  static Entries ScanForward(Iterator* iter) {
    Entries out;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next())
      out.emplace_back(iter->key(), iter->value());
    return out;
  }
  static Entries ScanBackward(Iterator* iter) {
    Entries out;
    for (iter->SeekToLast(); iter->Valid(); iter->Prev())
      out.emplace_back(iter->key(), iter->value());
    return Entries(out.rbegin(), out.rend());
  }

  // Asserts iter sits at expected[pos], or is invalid when pos is outside expected.
  static void ExpectAt(Iterator* iter, const Entries& expected, long pos, const std::string& what) {
    const bool in_range = pos >= 0 && pos < static_cast<long>(expected.size());
    ASSERT_EQ(iter->Valid(), in_range) << what;
    if (!in_range) return;
    ASSERT_EQ(Printable(iter->key()), Printable(expected[pos].first)) << what;
    ASSERT_EQ(iter->value(), expected[pos].second) << what;
  }

  // From iter's position (expected[pos]) takes Next, Prev, Prev, Next, Next, Prev: every step
  // after the first flips direction at least once, in the middle and at both ends.
  static void Walk(Iterator* iter, const Entries& expected, long pos, const std::string& start) {
    static constexpr int kSteps[] = {+1, -1, -1, +1, +1, -1, +1};
    for (size_t i = 0; i < std::size(kSteps); ++i) {
      if (!iter->Valid()) return;
      if (kSteps[i] > 0) {
        iter->Next();
      } else {
        iter->Prev();
      }
      pos += kSteps[i];
      ExpectAt(iter, expected, pos, start + " step " + std::to_string(i));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  // Seek and SeekForPrev at every probe, each followed by a flipping walk; then the ends.
  static void CheckSeeks(Iterator* iter, const Entries& expected,
                         const std::vector<std::string>& probes) {
    for (const std::string& target : probes) {
      long pos = 0;  // first entry >= target
      while (pos < static_cast<long>(expected.size()) && expected[pos].first < target)
        ++pos;
      iter->Seek(target);
      ExpectAt(iter, expected, pos, "Seek(" + Printable(target) + ")");
      Walk(iter, expected, pos, "Seek(" + Printable(target) + ")");
      long back = static_cast<long>(expected.size()) - 1;  // last entry <= target
      while (back >= 0 && expected[back].first > target)
        --back;
      iter->SeekForPrev(target);
      ExpectAt(iter, expected, back, "SeekForPrev(" + Printable(target) + ")");
      Walk(iter, expected, back, "SeekForPrev(" + Printable(target) + ")");
      if (::testing::Test::HasFatalFailure()) return;
    }
    const long last = static_cast<long>(expected.size()) - 1;
    iter->SeekToFirst();
    ExpectAt(iter, expected, 0, "SeekToFirst");
    Walk(iter, expected, 0, "SeekToFirst");
    iter->SeekToLast();
    ExpectAt(iter, expected, last, "SeekToLast");
    Walk(iter, expected, last, "SeekToLast");
    // Stepping off an end leaves the iterator invalid; a seek revives it.
    iter->SeekToFirst();
    if (iter->Valid()) iter->Prev();
    EXPECT_FALSE(iter->Valid());
    iter->SeekToLast();
    if (iter->Valid()) iter->Next();
    EXPECT_FALSE(iter->Valid());
  }

  // Probes: every key of `model`, its neighbours (key + \0, key + \xff, key minus its last byte),
  // the extremes and the bounds.
  static std::vector<std::string> Probes(const Model& model, const ReadOptions& options) {
    std::vector<std::string> probes = {"", std::string(1, '\0'), "\xff\xff\xff\xff\xff\xff"};
    for (const auto& [key, value] : model) {
      probes.push_back(key);
      probes.push_back(key + std::string(1, '\0'));
      probes.push_back(key + "\xff");
      if (!key.empty()) probes.push_back(key.substr(0, key.size() - 1));
    }
    if (options.iterate_lower_bound) probes.emplace_back(*options.iterate_lower_bound);
    if (options.iterate_upper_bound) probes.emplace_back(*options.iterate_upper_bound);
    return probes;
  }

  // Full check of an iterator with `options` against `model`.
  void CheckIterator(Iterator* iter, const Model& model, const ReadOptions& options) {
    const Entries expected = Expected(model, options);
    EXPECT_EQ(ScanForward(iter), expected);
    EXPECT_EQ(ScanBackward(iter), expected);
    CheckSeeks(iter, expected, Probes(model, options));
    EXPECT_TRUE(iter->status().ok()) << iter->status().ToString();
  }
  void CheckNewIterator(const Model& model, const ReadOptions& options) {
    auto iter = db_->NewIterator(options);
    CheckIterator(iter.get(), model, options);
  }
  // The whole model, then the model within several bound pairs.
  void CheckAllViews(const Model& model) {
    CheckNewIterator(model, ReadOptions());
    std::vector<std::string> keys;
    for (const auto& entry : model)
      keys.push_back(entry.first);
    if (keys.size() < 3) return;
    const std::string lower = keys[1];
    const std::string upper = keys[keys.size() - 1];
    ReadOptions bounded;
    bounded.iterate_lower_bound = lower;
    bounded.iterate_upper_bound = upper;
    CheckNewIterator(model, bounded);
    ReadOptions lower_only;
    lower_only.iterate_lower_bound = lower;
    CheckNewIterator(model, lower_only);
    ReadOptions upper_only;
    upper_only.iterate_upper_bound = upper;
    CheckNewIterator(model, upper_only);
  }

  Model model_;
};

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%04d", i);
  return buf;
}
std::string Value(int i, int generation) {
  return "v" + std::to_string(generation) + "-" + std::to_string(i);
}

TEST_P(DBIterEdgeTest, EmptyDbYieldsNothingEverywhere) {
  Load({});
  ASSERT_TRUE(model_.empty());
  CheckNewIterator(model_, ReadOptions());
  const std::string lower = "a", upper = "z";
  ReadOptions bounded;
  bounded.iterate_lower_bound = lower;
  bounded.iterate_upper_bound = upper;
  CheckNewIterator(model_, bounded);
  auto iter = db_->NewIterator(bounded);
  iter->Seek("");
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("\xff\xff");
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_P(DBIterEdgeTest, EveryKeyDeletedYieldsNothing) {
  std::vector<Op> ops;
  for (int i = 0; i < 60; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  for (int i = 0; i < 60; ++i)
    ops.push_back({Key(i), std::nullopt});
  Load(ops);
  ASSERT_TRUE(model_.empty());
  CheckNewIterator(model_, ReadOptions());
  auto iter = db_->NewIterator(ReadOptions());
  iter->Seek(Key(30));
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(Key(30));
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
  // Deleting again, and deleting keys never written, changes nothing.
  ASSERT_TRUE(Delete(Key(5)).ok());
  ASSERT_TRUE(Delete("never-written").ok());
  CheckNewIterator(model_, ReadOptions());
}

TEST_P(DBIterEdgeTest, EveryOtherKeyDeletedLeavesExactlyTheRest) {
  std::vector<Op> ops;
  for (int i = 0; i < 40; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  for (int i = 0; i < 40; i += 2)
    ops.push_back({Key(i), std::nullopt});
  Load(ops);
  Model expected;
  for (int i = 1; i < 40; i += 2)
    expected[Key(i)] = Value(i, 0);
  ASSERT_EQ(model_, expected);
  CheckAllViews(model_);
}

TEST_P(DBIterEdgeTest, EqualBoundsYieldNothing) {
  std::vector<Op> ops;
  for (int i = 0; i < 30; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  Load(ops);
  // A bound on an existing key, between keys, and below and above every key.
  for (const std::string& bound : {Key(10), Key(10) + "x", std::string(), std::string("zzz")}) {
    ReadOptions options;
    options.iterate_lower_bound = bound;
    options.iterate_upper_bound = bound;
    auto iter = db_->NewIterator(options);
    iter->SeekToFirst();
    EXPECT_FALSE(iter->Valid()) << Printable(bound);
    iter->SeekToLast();
    EXPECT_FALSE(iter->Valid()) << Printable(bound);
    iter->Seek(bound);
    EXPECT_FALSE(iter->Valid()) << Printable(bound);
    iter->SeekForPrev(bound);
    EXPECT_FALSE(iter->Valid()) << Printable(bound);
    CheckIterator(iter.get(), model_, options);
  }
}

// Decision: lower > upper admits no key; it is not an error.
TEST_P(DBIterEdgeTest, LowerAboveUpperYieldsNothingAndIsNotAnError) {
  std::vector<Op> ops;
  for (int i = 0; i < 30; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  Load(ops);
  const std::string lower = Key(20), upper = Key(10);
  ReadOptions options;
  options.iterate_lower_bound = lower;
  options.iterate_upper_bound = upper;
  auto iter = db_->NewIterator(options);
  for (const std::string& target : {Key(5), Key(10), Key(15), Key(20), Key(25)}) {
    iter->Seek(target);
    EXPECT_FALSE(iter->Valid()) << target;
    iter->SeekForPrev(target);
    EXPECT_FALSE(iter->Valid()) << target;
  }
  CheckIterator(iter.get(), model_, options);
  EXPECT_TRUE(iter->status().ok());
}

TEST_P(DBIterEdgeTest, SeeksPastEitherEndLandOnTheEdgeOrNowhere) {
  std::vector<Op> ops;
  for (int i = 10; i < 40; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  Load(ops);
  auto iter = db_->NewIterator(ReadOptions());
  iter->Seek(Key(99));
  EXPECT_FALSE(iter->Valid());
  iter->Seek(Key(0));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(10));
  iter->SeekForPrev(Key(0));
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(Key(99));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(39));
  iter->Seek("\xff\xff\xff");
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("");
  EXPECT_FALSE(iter->Valid());
  // With bounds inside the data: past a bound is nowhere, even though keys exist out there.
  const std::string lower = Key(15), upper = Key(25);
  ReadOptions options;
  options.iterate_lower_bound = lower;
  options.iterate_upper_bound = upper;
  auto bounded = db_->NewIterator(options);
  bounded->Seek(Key(30));
  EXPECT_FALSE(bounded->Valid());
  bounded->Seek(Key(25));
  EXPECT_FALSE(bounded->Valid());
  bounded->SeekForPrev(Key(12));
  EXPECT_FALSE(bounded->Valid());
  bounded->Seek(Key(0));
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), Key(15));
  bounded->SeekForPrev(Key(99));
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), Key(24));
  EXPECT_TRUE(iter->status().ok());
  EXPECT_TRUE(bounded->status().ok());
  CheckAllViews(model_);
}

TEST_P(DBIterEdgeTest, DirectionFlipsAtFirstMiddleAndLastKey) {
  // Several versions per key, spread over the placements, so that a flip has to skip old ones.
  std::vector<Op> ops;
  for (int generation = 0; generation < 3; ++generation) {
    for (int i = 0; i < 20; ++i)
      ops.push_back({Key(i), Value(i, generation)});
  }
  Load(ops);
  auto iter = db_->NewIterator(ReadOptions());
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  iter->Next();
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(0));
  EXPECT_EQ(iter->value(), Value(0, 2));
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  iter->Prev();
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(19));
  EXPECT_EQ(iter->value(), Value(19, 2));
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(Key(10));
  for (int flip = 0; flip < 5; ++flip) {
    iter->Prev();
    ASSERT_TRUE(iter->Valid());
    EXPECT_EQ(iter->key(), Key(9));
    iter->Next();
    ASSERT_TRUE(iter->Valid());
    EXPECT_EQ(iter->key(), Key(10));
    EXPECT_EQ(iter->value(), Value(10, 2));
  }
  EXPECT_TRUE(iter->status().ok());
  CheckAllViews(model_);
}

TEST_P(DBIterEdgeTest, DirectionFlipsAroundDeletedNeighbours) {
  std::vector<Op> ops;
  for (int i = 0; i < 20; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  for (int i : {0, 1, 9, 11, 18, 19})
    ops.push_back({Key(i), std::nullopt});
  Load(ops);
  auto iter = db_->NewIterator(ReadOptions());
  iter->Seek(Key(10));
  ASSERT_TRUE(iter->Valid());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(8));
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(10));
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(12));
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(2));
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(17));
  EXPECT_TRUE(iter->status().ok());
  CheckAllViews(model_);
}

TEST_P(DBIterEdgeTest, BinaryKeysOrderBytewise) {
  const std::string nul(1, '\0');
  // Bytewise order: a key sorts right after its prefixes; 0xff sorts after every other byte.
  const std::vector<std::string> sorted = {
      "",         nul,           nul + nul,       nul + "\xff", "\x01",
      "a",        "a" + nul,     "a" + nul + "b", "ab",         "a\x7f",
      "a\x80",    "\xfe\xff",    "\xff",          "\xff" + nul, "\xff\xfe",
      "\xff\xff", "\xff\xff\xff"};
  std::vector<Op> ops;
  for (size_t i = sorted.size(); i-- > 0;)  // written in reverse order
    ops.push_back({sorted[i], "value of " + Printable(sorted[i])});
  Load(ops);
  Entries expected;
  for (const auto& key : sorted)
    expected.emplace_back(key, "value of " + Printable(key));
  auto iter = db_->NewIterator(ReadOptions());
  ASSERT_EQ(ScanForward(iter.get()), expected);
  ASSERT_EQ(ScanBackward(iter.get()), expected);
  iter->SeekForPrev("\xff\xff");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "\xff\xff");
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "\xff\xfe");
  iter->Seek("");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), "");
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), nul);
  iter->SeekForPrev(nul + nul + nul);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), nul + nul);
  EXPECT_TRUE(iter->status().ok());
  CheckAllViews(model_);
  // Bounds that are themselves binary: the empty lower bound admits the empty key; an upper bound
  // of "\xff\xff" excludes itself and "\xff\xff\xff" only.
  const std::string lower, upper = "\xff\xff";
  ReadOptions options;
  options.iterate_lower_bound = lower;
  options.iterate_upper_bound = upper;
  auto bounded = db_->NewIterator(options);
  const Entries within(expected.begin(), expected.end() - 2);
  EXPECT_EQ(ScanForward(bounded.get()), within);
  EXPECT_EQ(ScanBackward(bounded.get()), within);
  CheckNewIterator(model_, options);
  // An empty upper bound admits nothing at all.
  const std::string empty;
  ReadOptions nothing;
  nothing.iterate_upper_bound = empty;
  CheckNewIterator(model_, nothing);
  auto none = db_->NewIterator(nothing);
  none->SeekToLast();
  EXPECT_FALSE(none->Valid());
}

TEST_P(DBIterEdgeTest, DeletingTheEmptyKeyAndBinaryKeysHidesOnlyThem) {
  const std::string nul(1, '\0');
  std::vector<Op> ops;
  for (const std::string& key :
       {std::string(), nul, std::string("\xff"), std::string("\xff\xff"), nul + "a"})
    ops.push_back({key, "v" + Printable(key)});
  for (const std::string& key : {std::string(), std::string("\xff\xff")})
    ops.push_back({key, std::nullopt});
  Load(ops);
  Model expected = {{nul, "v" + Printable(nul)},
                    {nul + "a", "v" + Printable(nul + "a")},
                    {"\xff", "v" + Printable("\xff")}};
  ASSERT_EQ(model_, expected);
  CheckAllViews(model_);
}

TEST_P(DBIterEdgeTest, SnapshotIteratorIgnoresLaterWritesAndDeletes) {
  std::vector<Op> ops;
  for (int i = 0; i < 30; ++i)
    ops.push_back({Key(i), Value(i, 0)});
  for (int i = 0; i < 30; i += 5)
    ops.push_back({Key(i), std::nullopt});
  Load(ops);
  const Model before = model_;
  const Snapshot* snapshot = db_->GetSnapshot();
  ReadOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  auto early_snapshot_iter = db_->NewIterator(at_snapshot);
  auto early_implicit_iter = db_->NewIterator(ReadOptions());
  // Later: overwrites, deletes, a deleted key written again, new keys before, between and after.
  std::vector<Op> later;
  for (int i = 1; i < 30; i += 3)
    later.push_back({Key(i), Value(i, 1)});
  for (int i = 2; i < 30; i += 4)
    later.push_back({Key(i), std::nullopt});
  later.push_back({Key(5), Value(5, 1)});
  later.push_back({"a", "new-first"});
  later.push_back({Key(7) + "x", "new-middle"});
  later.push_back({"z", "new-last"});
  for (const Op& op : later)
    Apply(op);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  // Move the later writes to the same places as the earlier ones: the old iterators keep their
  // memtables and tables alive.
  if (GetParam() != Placement::kMemtable) {
    ASSERT_TRUE(db_->Flush().ok());
  }
  if (GetParam() == Placement::kTables) {
    ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  }
  CheckIterator(early_snapshot_iter.get(), before, at_snapshot);
  CheckIterator(early_implicit_iter.get(), before, ReadOptions());
  CheckNewIterator(before, at_snapshot);  // created after the writes, reading the snapshot
  CheckNewIterator(model_, ReadOptions());
  ASSERT_NE(before, model_);
  const std::string lower = Key(3), upper = Key(20);
  ReadOptions bounded_snapshot = at_snapshot;
  bounded_snapshot.iterate_lower_bound = lower;
  bounded_snapshot.iterate_upper_bound = upper;
  CheckNewIterator(before, bounded_snapshot);
  early_snapshot_iter.reset();
  early_implicit_iter.reset();
  db_->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  CheckAllViews(model_);
}

// Many versions over several blocks and several last-level tables: seeks and flips cross block
// and table boundaries (and, mixed, memtable/L0/L6 boundaries) at every probe.
TEST_P(DBIterEdgeTest, FlipsAcrossBlockAndTableBoundaries) {
  options_.memtable_bytes = size_t{4} << 20;  // kMemtable: no automatic flush
  options_.block_size = 1024;
  options_.target_file_size = uint64_t{64} << 10;
  Reopen();
  std::vector<Op> ops;
  for (int generation = 0; generation < 2; ++generation) {
    for (int i = 0; i < 1500; ++i) {
      const int k = (i * 7) % 1500;  // not in key order
      if (generation == 1 && k % 3 == 0) {
        ops.push_back({Key(k), std::nullopt});
      } else {
        ops.push_back({Key(k), Value(k, generation) + std::string(150, 'x')});
      }
    }
  }
  Load(ops);
  if (GetParam() != Placement::kMemtable) {
    EXPECT_GT(FilesOfType(FileType::kTableFile).size(), 2u);
  }
  const Entries expected = Expected(model_, ReadOptions());
  ASSERT_EQ(expected.size(), 1000u);
  auto iter = db_->NewIterator(ReadOptions());
  EXPECT_EQ(ScanForward(iter.get()), expected);
  EXPECT_EQ(ScanBackward(iter.get()), expected);
  std::vector<std::string> probes;
  for (int k = 0; k < 1500; k += 37) {
    probes.push_back(Key(k));
    probes.push_back(Key(k) + "\xff");
  }
  CheckSeeks(iter.get(), expected, probes);
  EXPECT_TRUE(iter->status().ok()) << iter->status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Placements, DBIterEdgeTest,
                         ::testing::Values(Placement::kMemtable, Placement::kTables,
                                           Placement::kMixed),
                         PlacementName);

}  // namespace
}  // namespace ziggydb::test
