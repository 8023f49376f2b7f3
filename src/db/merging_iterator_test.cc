// MergingIterator against a model: random children whose union is a std::map, driven by random
// positioning and stepping in both directions; every position must match the map's.
#include "db/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/dbformat.h"
#include "db/db_iter.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A sorted vector as an Iterator.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(Entries entries)
      : entries_(std::move(entries)), index_(entries_.size()) {}

  bool Valid() const override { return index_ < entries_.size(); }
  void SeekToFirst() override { index_ = 0; }
  void SeekToLast() override { index_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(std::string_view target) override {
    index_ = static_cast<size_t>(std::lower_bound(entries_.begin(), entries_.end(), target, Less) -
                                 entries_.begin());
  }
  void SeekForPrev(std::string_view target) override {
    const auto it = std::upper_bound(entries_.begin(), entries_.end(), target, Greater);
    index_ =
        it == entries_.begin() ? entries_.size() : static_cast<size_t>(it - entries_.begin()) - 1;
  }
  void Next() override { ++index_; }
  void Prev() override { index_ = index_ == 0 ? entries_.size() : index_ - 1; }
  std::string_view key() const override { return entries_[index_].first; }
  std::string_view value() const override { return entries_[index_].second; }
  Status status() const override { return Status::OK(); }

 private:
  static bool Less(const std::pair<std::string, std::string>& e, std::string_view t) {
    return e.first < t;
  }
  static bool Greater(std::string_view t, const std::pair<std::string, std::string>& e) {
    return t < e.first;
  }

  const Entries entries_;
  size_t index_;
};

std::string RandomKey(Random* rnd) {
  return "k" + std::to_string(rnd->Uniform(400));
}

// Builds 0..6 children (some empty) holding disjoint random keys, so the merged sequence is
// exactly the map's: one entry per key.
std::unique_ptr<MergingIterator> RandomMerge(Random* rnd,
                                             std::map<std::string, std::string>* model) {
  const size_t num_children = rnd->Uniform(7);
  std::vector<Entries> parts(num_children);
  const uint64_t num_keys = num_children == 0 ? 0 : rnd->Uniform(120);
  for (uint64_t i = 0; i < num_keys; ++i) {
    const std::string key = RandomKey(rnd);
    if (model->count(key) != 0) continue;
    // Skewed: one child gets most keys, as the last level of an LSM does.
    const size_t child = rnd->OneIn(2) ? 0 : rnd->Uniform(num_children);
    (*model)[key] = "v" + std::to_string(child) + key;
    parts[child].emplace_back(key, (*model)[key]);
  }
  std::vector<std::unique_ptr<Iterator>> children;
  for (Entries& part : parts) {
    std::sort(part.begin(), part.end());
    children.push_back(std::make_unique<VectorIterator>(std::move(part)));
  }
  return std::make_unique<MergingIterator>(BytewiseComparator(), std::move(children));
}

void ExpectAt(const MergingIterator& merged, const std::map<std::string, std::string>& model,
              std::map<std::string, std::string>::const_iterator expected) {
  ASSERT_EQ(merged.Valid(), expected != model.end());
  if (expected == model.end()) return;
  EXPECT_EQ(merged.key(), expected->first);
  EXPECT_EQ(merged.value(), expected->second);
}

void RunSeed(uint64_t seed) {
  Random rnd(seed);
  std::map<std::string, std::string> model;
  std::unique_ptr<MergingIterator> merged = RandomMerge(&rnd, &model);
  auto expected = model.cend();
  for (int step = 0; step < 300; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const uint64_t op = rnd.Uniform(10);
    if (op == 0) {
      merged->SeekToFirst();
      expected = model.cbegin();
    } else if (op == 1) {
      merged->SeekToLast();
      expected = model.empty() ? model.cend() : std::prev(model.cend());
    } else if (op == 2) {
      const std::string target = RandomKey(&rnd);
      merged->Seek(target);
      expected = model.lower_bound(target);
    } else if (op == 3) {
      const std::string target = RandomKey(&rnd);
      merged->SeekForPrev(target);
      expected = model.upper_bound(target);
      expected = expected == model.cbegin() ? model.cend() : std::prev(expected);
    } else if (!merged->Valid()) {
      continue;  // Next and Prev need a position
    } else if (op < 7) {
      merged->Next();
      ++expected;
    } else {
      merged->Prev();
      expected = expected == model.cbegin() ? model.cend() : std::prev(expected);
    }
    ASSERT_NO_FATAL_FAILURE(ExpectAt(*merged, model, expected));
  }
  EXPECT_TRUE(merged->status().ok());
}

TEST(MergingIterator, RandomChildrenMatchASortedMap) {
  const uint64_t seed = test::TestSeed();
  const uint64_t rounds = test::ScaledIterations(300);
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed + round));
    ASSERT_NO_FATAL_FAILURE(RunSeed(seed + round));
  }
}

// A child whose entries with index in [bad_begin, bad_end) cannot be read (a damaged block):
// reaching one leaves it invalid with Corruption.
class FailingIterator final : public Iterator {
 public:
  FailingIterator(Entries entries, size_t bad_begin, size_t bad_end = SIZE_MAX)
      : entries_(std::move(entries)), bad_begin_(bad_begin), bad_end_(bad_end) {}

  bool Valid() const override { return index_ < entries_.size(); }
  void SeekToFirst() override { Land(0); }
  void SeekToLast() override { Land(entries_.size() - 1); }
  void Seek(std::string_view target) override {
    size_t i = 0;
    while (i < entries_.size() && entries_[i].first < target)
      ++i;
    Land(i);
  }
  void SeekForPrev(std::string_view target) override {
    size_t i = entries_.size();
    while (i > 0 && entries_[i - 1].first > target)
      --i;
    Land(i == 0 ? entries_.size() : i - 1);
  }
  void Next() override { Land(index_ + 1); }
  void Prev() override { Land(index_ == 0 ? entries_.size() : index_ - 1); }
  std::string_view key() const override { return entries_[index_].first; }
  std::string_view value() const override { return entries_[index_].second; }
  Status status() const override { return status_; }

 private:
  void Land(size_t i) {
    index_ = i;
    const bool bad = i < entries_.size() && i >= bad_begin_ && i < bad_end_;
    status_ = bad ? Status::Corruption("damaged block") : Status::OK();
    if (bad) index_ = entries_.size();
  }

  Entries entries_;
  size_t bad_begin_;
  size_t bad_end_;
  size_t index_ = 0;
  Status status_;
};

// A failed child stops the merge with its error: the other children's entries after it are not
// returned (they may be what the failed child's entries override).
TEST(MergingIterator, AFailedChildStopsTheMergeWithItsError) {
  auto make = [] {
    std::vector<std::unique_ptr<Iterator>> children;
    children.push_back(std::make_unique<VectorIterator>(Entries{{"a", "1"}, {"c", "1"}}));
    children.push_back(
        std::make_unique<FailingIterator>(Entries{{"b", "2"}, {"d", "2"}, {"e", "2"}}, 1));
    return std::make_unique<MergingIterator>(BytewiseComparator(), std::move(children));
  };
  std::unique_ptr<MergingIterator> merged = make();
  std::string seen;
  for (merged->SeekToFirst(); merged->Valid(); merged->Next())
    seen += merged->key();
  EXPECT_EQ(seen, "ab");  // not "abc": "c" may be shadowed by the unreadable "d"
  EXPECT_TRUE(merged->status().IsCorruption()) << merged->status().ToString();
  // Positioned at once on the failure: invalid, with the error.
  merged = make();
  merged->SeekToLast();
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().IsCorruption());
  merged->Seek("c");
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().IsCorruption());
  // A positioning that meets no damaged entry clears it.
  merged->Seek("a");
  ASSERT_TRUE(merged->Valid());
  EXPECT_EQ(merged->key(), "a");
  EXPECT_TRUE(merged->status().ok());
}

// A reverse scan meets a key's versions oldest first. When the child holding the oldest one fails
// on its next step back, the newer versions (here a deletion) were never returned: the DB
// iterator must stop with the error, not return the old value as the key's newest.
TEST(DBIteratorOverAMerge, AReverseScanStoppedByAnErrorReturnsNoOlderVersion) {
  auto internal = [](std::string_view user_key, uint64_t sequence, ValueType type) {
    std::string key;
    AppendInternalKey(&key, user_key, SequenceNumber{sequence}, type);
    return key;
  };
  static const InternalKeyComparator icmp(BytewiseComparator());
  std::vector<std::unique_ptr<Iterator>> children;
  // Older: b and c's first value; its entry before c (b) is unreadable.
  children.push_back(
      std::make_unique<FailingIterator>(Entries{{internal("b", 4, ValueType::kValue), "b"},
                                                {internal("c", 5, ValueType::kValue), "old"}},
                                        0, 1));
  // Newer: c deleted.
  children.push_back(
      std::make_unique<VectorIterator>(Entries{{internal("c", 9, ValueType::kDeletion), ""}}));
  std::unique_ptr<Iterator> db_iter = NewDBIterator(
      BytewiseComparator(), nullptr, std::make_unique<MergingIterator>(&icmp, std::move(children)),
      SequenceNumber{100}, ReadOptions());
  db_iter->SeekToLast();
  EXPECT_FALSE(db_iter->Valid()) << "returned " << db_iter->key() << " = " << db_iter->value();
  EXPECT_TRUE(db_iter->status().IsCorruption()) << db_iter->status().ToString();
}

// Equal keys in several children are all returned, each child's entry once, in a forward scan.
TEST(MergingIterator, ReturnsEqualKeysOfEveryChild) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(std::make_unique<VectorIterator>(Entries{{"a", "1"}, {"b", "1"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{"b", "2"}, {"c", "2"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{"b", "3"}}));
  MergingIterator merged(BytewiseComparator(), std::move(children));
  std::string seen;
  for (merged.SeekToFirst(); merged.Valid(); merged.Next())
    seen += std::string(merged.key());
  EXPECT_EQ(seen, "abbbc");
  std::multiset<std::string> b_values;
  for (merged.Seek("b"); merged.Valid() && merged.key() == "b"; merged.Next())
    b_values.insert(std::string(merged.value()));
  EXPECT_EQ(b_values, (std::multiset<std::string>{"1", "2", "3"}));
}

}  // namespace
}  // namespace ziggydb
