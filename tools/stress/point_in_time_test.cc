// The cross-key check of a multi-key view (point_in_time.h): a view that no single point in time
// explains is caught; every view a legal interleaving of concurrent writers allows is accepted.
#include "tools/stress/point_in_time.h"

#include <gtest/gtest.h>

#include <optional>

namespace ziggydb::tools::stress {
namespace {

constexpr std::optional<uint32_t> kNotFound = std::nullopt;

TicketedWrite Put(uint32_t id, uint64_t issued, uint64_t acked = 0) {
  return {id, true, issued, acked};
}
TicketedWrite Del(uint32_t id, uint64_t issued, uint64_t acked = 0) {
  return {id, false, issued, acked};
}
ViewedKey Key(uint32_t index, std::optional<uint32_t> found, uint32_t newest_issued,
              std::vector<TicketedWrite> writes) {
  return {index, found, newest_issued, std::move(writes)};
}

// Key 1's put 2 was acknowledged (ticket 4) before key 0's put 8 was issued (ticket 5): a view
// showing put 8 of key 0 must show put 2 of key 1 (or later), not put 1.
TEST(PointInTimeTest, AWriteAcknowledgedBeforeTheWitnessWasIssuedMustShow) {
  const ViewedKey b_old = Key(1, 1, 2, {Put(1, 1, 2), Put(2, 3, 4)});
  const ViewedKey a = Key(0, 8, 8, {Put(8, 5, 6)});
  const std::optional<std::string> error = CheckPointInTime({a, b_old});
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("key s00000001 shows value id 1"), std::string::npos) << *error;
  EXPECT_NE(error->find("put id 2"), std::string::npos) << *error;
  EXPECT_NE(error->find("put id 8, which key s00000000 shows"), std::string::npos) << *error;
  // The order of the keys in the view does not matter (a backward scan).
  EXPECT_TRUE(CheckPointInTime({b_old, a}).has_value());
  // Showing put 2, or a later write, is consistent.
  EXPECT_FALSE(CheckPointInTime({a, Key(1, 2, 2, {Put(1, 1, 2), Put(2, 3, 4)})}));
  EXPECT_FALSE(CheckPointInTime({a, Key(1, 3, 3, {Put(1, 1, 2), Put(2, 3, 4), Put(3, 7, 0)})}));
  // Without the witness's value, nothing orders them: key 0 may show its older state.
  EXPECT_FALSE(CheckPointInTime({Key(0, 7, 8, {Put(7, 0, 0), Put(8, 5, 6)}), b_old}));
}

// Deletes are writes: one acknowledged before the witness was issued must show as NotFound (or a
// later write), and NotFound needs a delete at or after the bound.
TEST(PointInTimeTest, DeletesBoundTheViewToo) {
  const ViewedKey a = Key(0, 8, 8, {Put(8, 5, 6)});
  // Key 1: put 1, then delete 2 acknowledged before put 8 of key 0 was issued.
  const std::vector<TicketedWrite> b_writes = {Put(1, 1, 2), Del(2, 3, 4)};
  EXPECT_TRUE(CheckPointInTime({a, Key(1, 1, 2, b_writes)}).has_value());  // resurrected
  EXPECT_FALSE(CheckPointInTime({a, Key(1, kNotFound, 2, b_writes)}));
  // Key 1: delete 1, then put 2 acknowledged first: NotFound is the state before put 2.
  const std::vector<TicketedWrite> put_after_delete = {Del(1, 1, 2), Put(2, 3, 4)};
  EXPECT_TRUE(CheckPointInTime({a, Key(1, kNotFound, 2, put_after_delete)}).has_value());
  // ... unless a later delete (issued, not yet acknowledged) may be what the view shows.
  EXPECT_FALSE(
      CheckPointInTime({a, Key(1, kNotFound, 3, {Del(1, 1, 2), Put(2, 3, 4), Del(3, 7, 0)})}));
  // ... or a later write the history no longer holds (id 3 unknown) may be a delete.
  EXPECT_FALSE(CheckPointInTime({a, Key(1, kNotFound, 4, {Put(2, 3, 4), Put(4, 9, 0)})}));
  // A NotFound is no witness: it does not tell which write it shows.
  EXPECT_FALSE(CheckPointInTime(
      {Key(0, kNotFound, 8, {Del(8, 5, 6)}), Key(1, 1, 2, {Put(1, 1, 2), Put(2, 3, 4)})}));
}

// Concurrent writers: issue order is not commit order. Key 0's put 8 and key 1's put 2 overlap
// (each issued before the other was acknowledged), so a view may show either without the other.
TEST(PointInTimeTest, OverlappingWritesMayCommitInEitherOrder) {
  // Tickets: issue put 2 of b (3), issue put 8 of a (4), ack b (5), ack a (6).
  const std::vector<TicketedWrite> b_writes = {Put(1, 1, 2), Put(2, 3, 5)};
  const std::vector<TicketedWrite> a_writes = {Put(7, 0, 0), Put(8, 4, 6)};
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, a_writes), Key(1, 1, 2, b_writes)}));
  EXPECT_FALSE(CheckPointInTime({Key(0, 7, 8, a_writes), Key(1, 2, 2, b_writes)}));
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, a_writes), Key(1, 2, 2, b_writes)}));
  // A write issued later but still pending bounds nothing either.
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, {Put(8, 4, 0)}), Key(1, 1, 2, b_writes)}));
}

// The writes of one call share their tickets: the first rule does not order them, the second
// requires all of them once one shows.
TEST(PointInTimeTest, ACallsWritesShowWhole) {
  const TicketedWrite batch_a = Put(8, 10, 11), batch_b = Put(3, 10, 11);
  const std::vector<TicketedWrite> b_writes = {Put(1, 1, 2), Put(2, 3, 5), batch_b};
  const std::optional<std::string> torn =
      CheckPointInTime({Key(0, 8, 8, {batch_a}), Key(1, 2, 3, b_writes)});
  ASSERT_TRUE(torn.has_value());
  EXPECT_NE(torn->find("key s00000001 shows value id 2"), std::string::npos) << *torn;
  EXPECT_NE(torn->find("same call (ticket 10)"), std::string::npos) << *torn;
  // Both, or a later write of b, or neither (the batch not yet in the view) are consistent.
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, {batch_a}), Key(1, 3, 3, b_writes)}));
  EXPECT_FALSE(CheckPointInTime(
      {Key(0, 8, 8, {batch_a}), Key(1, 4, 4, {Put(2, 3, 5), batch_b, Put(4, 12, 13)})}));
  EXPECT_FALSE(CheckPointInTime({Key(0, 7, 8, {Put(7, 1, 2), batch_a}), Key(1, 2, 3, b_writes)}));
  // A delete of the batch shows as NotFound; a value there is torn (even without an ack yet).
  const TicketedWrite pending_a = Put(8, 10, 0), pending_delete_b = Del(3, 10, 0);
  const std::vector<TicketedWrite> b_deleted = {Put(2, 3, 5), pending_delete_b};
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, {pending_a}), Key(1, kNotFound, 3, b_deleted)}));
  EXPECT_TRUE(CheckPointInTime({Key(0, 8, 8, {pending_a}), Key(1, 2, 3, b_deleted)}).has_value());
  // A NotFound is no witness: with the batch's delete of key 0 and key 1's older value, the view
  // may be from before the batch. Key 1 showing the batch's put while key 0 still shows its older
  // value is torn.
  const std::vector<TicketedWrite> a_writes = {Put(7, 1, 2), Del(8, 10, 11)};
  const std::vector<TicketedWrite> b_put = {Put(2, 3, 5), Put(3, 10, 11)};
  EXPECT_FALSE(CheckPointInTime({Key(0, kNotFound, 8, a_writes), Key(1, 2, 3, b_put)}));
  EXPECT_TRUE(CheckPointInTime({Key(0, 7, 8, a_writes), Key(1, 3, 3, b_put)}).has_value());
  EXPECT_FALSE(CheckPointInTime({Key(0, kNotFound, 8, a_writes), Key(1, 3, 3, b_put)}));
}

// The witness is the shown put issued last: it bounds every key, the keys it does not show too.
TEST(PointInTimeTest, TheNewestWitnessBoundsEveryKey) {
  const ViewedKey a = Key(0, 8, 8, {Put(8, 20, 21)});
  const ViewedKey c = Key(2, 4, 4, {Put(4, 2, 3)});  // an old witness, bounding nothing
  const ViewedKey b = Key(1, 5, 6, {Put(5, 4, 5), Put(6, 10, 12)});
  const std::optional<std::string> error = CheckPointInTime({c, b, a});
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("s00000001"), std::string::npos) << *error;
  // Without the witness a, put 5 of b is consistent with c.
  EXPECT_FALSE(CheckPointInTime({c, b}));
  // An empty history bounds nothing.
  EXPECT_FALSE(CheckPointInTime({Key(0, 8, 8, {}), Key(1, 1, 2, {})}));
  EXPECT_FALSE(CheckPointInTime({}));
}

}  // namespace
}  // namespace ziggydb::tools::stress
