// The legal results of a read racing with writers (read_window.h): every state the key held in
// the window is legal, nothing else is.
#include "tools/stress/read_window.h"

#include <gtest/gtest.h>

#include <optional>

namespace ziggydb::tools::stress {
namespace {

constexpr std::optional<uint32_t> kNotFound = std::nullopt;

WriteRecord Put(uint32_t id) {
  return MakeRecord(id, true);
}
WriteRecord Del(uint32_t id) {
  return MakeRecord(id, false);
}
ReadWindow Window(KeyWord before, KeyWord after, uint32_t newest_delete = 0) {
  return {before, after, newest_delete};
}
// No write completed during the read: the words before and after are the same.
ReadWindow Still(KeyWord word, uint32_t newest_delete = 0) {
  return {word, word, newest_delete};
}

TEST(ReadWindowTest, NoWriteInFlightAllowsExactlyTheAckedState) {
  EXPECT_TRUE(ReadIsLegal(Still({Put(5), 0}), 5));
  EXPECT_FALSE(ReadIsLegal(Still({Put(5), 0}), 4));
  EXPECT_FALSE(ReadIsLegal(Still({Put(5), 0}), 6));
  EXPECT_FALSE(ReadIsLegal(Still({Put(5), 0}), kNotFound));
  EXPECT_TRUE(ReadIsLegal(Still({Del(5), 0}, 5), kNotFound));
  EXPECT_FALSE(ReadIsLegal(Still({Del(5), 0}, 5), 5));  // no put made value 5
  EXPECT_FALSE(ReadIsLegal(Still({Del(5), 0}, 5), 4));
  EXPECT_TRUE(ReadIsLegal(Still({0, 0}), kNotFound));  // never written
  EXPECT_FALSE(ReadIsLegal(Still({0, 0}), 1));
}

// The defect the old check had: it accepted NotFound whenever a newer write had been issued.
TEST(ReadWindowTest, APendingPutOverAnAckedPutNeverAllowsNotFound) {
  const ReadWindow w = Still({Put(5), Put(6)});
  EXPECT_FALSE(ReadIsLegal(w, kNotFound));
  EXPECT_TRUE(ReadIsLegal(w, 5));
  EXPECT_TRUE(ReadIsLegal(w, 6));
  EXPECT_FALSE(ReadIsLegal(w, 7));
  EXPECT_FALSE(ReadIsLegal(w, 4));
  // A newest delete at or below the acked write is no delete in the window.
  EXPECT_FALSE(ReadIsLegal(Still({Put(5), Put(6)}, 4), kNotFound));
  // The pending put acknowledged meanwhile changes nothing.
  EXPECT_FALSE(ReadIsLegal(Window({Put(5), Put(6)}, {Put(6), 0}), kNotFound));
}

TEST(ReadWindowTest, NotFoundNeedsAnAbsentStartOrADeleteInTheWindow) {
  EXPECT_TRUE(ReadIsLegal(Still({Put(5), Del(6)}, 6), kNotFound));
  EXPECT_TRUE(ReadIsLegal(Still({Put(5), Del(6)}, 6), 5));
  EXPECT_FALSE(ReadIsLegal(Still({Put(5), Del(6)}, 6), 6));
  // The pending delete shows in the word even when the newest delete was loaded before it was
  // stored.
  EXPECT_TRUE(ReadIsLegal(Window({Put(5), 0}, {Put(5), Del(6)}), kNotFound));
  // Never written, or deleted, before the pending put: NotFound or the put.
  EXPECT_TRUE(ReadIsLegal(Still({0, Put(1)}), kNotFound));
  EXPECT_TRUE(ReadIsLegal(Still({0, Put(1)}), 1));
  EXPECT_TRUE(ReadIsLegal(Still({Del(3), Put(4)}, 3), kNotFound));
  EXPECT_TRUE(ReadIsLegal(Still({Del(3), Put(4)}, 3), 4));
  EXPECT_FALSE(ReadIsLegal(Still({Del(3), Put(4)}, 3), 3));
}

// Writes completed during the read: the words show the first and the last, the newest delete
// tells whether one between them was a delete.
TEST(ReadWindowTest, WritesBetweenTheWordsAreJudgedByTheNewestDelete) {
  const ReadWindow puts = Window({Put(5), 0}, {Put(8), 0});
  EXPECT_FALSE(ReadIsLegal(puts, kNotFound));
  for (uint32_t id : {5u, 6u, 7u, 8u})
    EXPECT_TRUE(ReadIsLegal(puts, id)) << id;
  EXPECT_FALSE(ReadIsLegal(puts, 4));
  EXPECT_FALSE(ReadIsLegal(puts, 9));

  const ReadWindow with_delete = Window({Put(5), 0}, {Put(8), 0}, 7);
  EXPECT_TRUE(ReadIsLegal(with_delete, kNotFound));
  EXPECT_TRUE(ReadIsLegal(with_delete, 6));
  EXPECT_FALSE(ReadIsLegal(with_delete, 7));  // write 7 was a delete: it made no value

  // A delete issued before the read began and already acknowledged is not in the window.
  EXPECT_FALSE(ReadIsLegal(Window({Put(5), 0}, {Put(8), 0}, 5), kNotFound));
  EXPECT_FALSE(ReadIsLegal(Window({Put(5), 0}, {Put(8), 0}, 2), kNotFound));
  // The last write acknowledged, or pending, is a delete.
  EXPECT_TRUE(ReadIsLegal(Window({Put(5), 0}, {Del(8), 0}), kNotFound));
  EXPECT_TRUE(ReadIsLegal(Window({Put(5), 0}, {Put(7), Del(8)}), kNotFound));
  EXPECT_FALSE(ReadIsLegal(Window({Put(5), 0}, {Put(7), Del(8)}), 8));
  EXPECT_TRUE(ReadIsLegal(Window({Put(5), 0}, {Put(7), Del(8)}), 7));
}

// A transaction whose commit was Busy applied nothing: its pending write is gone from `after`,
// and neither its value nor (for a delete) NotFound is legal.
TEST(ReadWindowTest, AWriteThatAppliedNothingIsNotInTheWindow) {
  const ReadWindow busy_delete = Window({Put(5), Del(6)}, {Put(5), 0});
  EXPECT_FALSE(ReadIsLegal(busy_delete, kNotFound));
  EXPECT_TRUE(ReadIsLegal(busy_delete, 5));
  const ReadWindow busy_put = Window({Put(5), Put(6)}, {Put(5), 0});
  EXPECT_FALSE(ReadIsLegal(busy_put, 6));
  EXPECT_TRUE(ReadIsLegal(busy_put, 5));
}

TEST(ReadWindowTest, RecordMatchesIsTheStateOfOneWrite) {
  EXPECT_TRUE(RecordMatches(0, kNotFound));
  EXPECT_FALSE(RecordMatches(0, 1));
  EXPECT_TRUE(RecordMatches(Put(3), 3));
  EXPECT_FALSE(RecordMatches(Put(3), 2));
  EXPECT_FALSE(RecordMatches(Put(3), kNotFound));
  EXPECT_TRUE(RecordMatches(Del(3), kNotFound));
  EXPECT_FALSE(RecordMatches(Del(3), 3));
}

TEST(ReadWindowTest, DescribeWindowNamesTheLegalStates) {
  EXPECT_EQ(DescribeWindow(Still({Put(5), 0})), "put id 5");
  EXPECT_EQ(DescribeWindow(Still({Put(5), Put(6)})),
            "put id 5 or the state after a write up to id 6 (deletes among them: none)");
  EXPECT_EQ(DescribeWindow(Window({Put(5), 0}, {Put(7), Del(8)}, 6)),
            "put id 5 or the state after a write up to id 8 (deletes among them: id 6, id 8)");
}

}  // namespace
}  // namespace ziggydb::tools::stress
