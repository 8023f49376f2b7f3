// MemtableHistory: what counts as written after a snapshot, in the memtables (newest first,
// versions newest first) and in the batches ahead in the commit group.
#include "db/memtable_history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ziggydb {
namespace {

using std::string_literals::operator""s;

class MemtableHistoryTest : public ::testing::Test {
 protected:
  MemtableHistoryTest() {
    // Older memtable: sequences 1-4; newer: 5-7.
    older_.Add(SequenceNumber{1}, ValueType::kValue, "a", "1");
    older_.Add(SequenceNumber{2}, ValueType::kValue, "c", "2");
    older_.Add(SequenceNumber{3}, ValueType::kValue, "a", "3");
    older_.Add(SequenceNumber{4}, ValueType::kDeletion, "e", "");
    newer_.Add(SequenceNumber{5}, ValueType::kValue, "c", "5");
    newer_.Add(SequenceNumber{6}, ValueType::kValue, "g", "6");
    newer_.Add(SequenceNumber{7}, ValueType::kDeletion, "i", "");
  }
  MemtableHistory History(const WriteBatch& ahead = WriteBatch()) {
    return MemtableHistory({&newer_, &older_}, ahead);
  }

  InternalKeyComparator icmp_{BytewiseComparator()};
  MemTable older_{icmp_, 0, SequenceNumber{1}};
  MemTable newer_{icmp_, 1 << 20, SequenceNumber{5}};  // with a key filter
};

TEST_F(MemtableHistoryTest, KeyIsWrittenAfterWhenItsNewestVersionIsAboveTheSnapshot) {
  const MemtableHistory history = History();
  EXPECT_TRUE(history.KeyWrittenAfter("a", SequenceNumber{2}));
  EXPECT_FALSE(history.KeyWrittenAfter("a", SequenceNumber{3}));
  EXPECT_TRUE(history.KeyWrittenAfter("c", SequenceNumber{4}));  // newer memtable decides
  EXPECT_FALSE(history.KeyWrittenAfter("c", SequenceNumber{5}));
  EXPECT_TRUE(history.KeyWrittenAfter("e", SequenceNumber{3}));  // a deletion is a write
  EXPECT_TRUE(history.KeyWrittenAfter("i", SequenceNumber{6}));
  EXPECT_FALSE(history.KeyWrittenAfter("b", SequenceNumber{0}));
  EXPECT_FALSE(history.KeyWrittenAfter("a\0"s, SequenceNumber{0}));
}

TEST_F(MemtableHistoryTest, RangeIsWrittenAfterWhenAnyVersionInItIsAboveTheSnapshot) {
  const MemtableHistory history = History();
  EXPECT_TRUE(history.RangeWrittenAfter("b", "d", SequenceNumber{4}));   // c@5
  EXPECT_FALSE(history.RangeWrittenAfter("b", "c", SequenceNumber{0}));  // hi exclusive
  EXPECT_FALSE(history.RangeWrittenAfter("d", "e", SequenceNumber{0}));  // an empty gap
  EXPECT_TRUE(history.RangeWrittenAfter("d", "f", SequenceNumber{3}));   // e deleted @4
  EXPECT_FALSE(history.RangeWrittenAfter("a", "g", SequenceNumber{5}));
  EXPECT_TRUE(history.RangeWrittenAfter("a", std::nullopt, SequenceNumber{5}));  // g@6, i@7
  EXPECT_TRUE(history.RangeWrittenAfter(std::nullopt, "b", SequenceNumber{2}));  // a@3
  EXPECT_FALSE(history.RangeWrittenAfter(std::nullopt, "b", SequenceNumber{3}));
  EXPECT_FALSE(history.RangeWrittenAfter("j", std::nullopt, SequenceNumber{0}));
}

TEST_F(MemtableHistoryTest, BatchesAheadInTheGroupAreWrittenAfterAnySnapshot) {
  WriteBatch ahead;
  ahead.Put("m", "v");
  ahead.Delete("b");
  const MemtableHistory history = History(ahead);
  const SequenceNumber latest{7};
  EXPECT_TRUE(history.KeyWrittenAfter("m", latest));
  EXPECT_TRUE(history.KeyWrittenAfter("b", latest));
  EXPECT_FALSE(history.KeyWrittenAfter("a", latest));
  EXPECT_TRUE(history.RangeWrittenAfter("l", "n", latest));
  EXPECT_TRUE(history.RangeWrittenAfter("m", "m\0"s, latest));
  EXPECT_FALSE(history.RangeWrittenAfter("m\0"s, std::nullopt, latest));
  EXPECT_TRUE(history.RangeWrittenAfter(std::nullopt, std::nullopt, latest));
  EXPECT_FALSE(history.RangeWrittenAfter("c", "m", latest));
}

}  // namespace
}  // namespace ziggydb
