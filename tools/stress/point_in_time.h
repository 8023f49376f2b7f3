// The cross-key check of `ziggy stress`: a multi-key view (an iterator's scan, the reads through
// one snapshot, a transaction's reads, a checkpoint's or a restored backup's contents) shows ONE
// point in time.
//
// Every write (a Put, a Delete, a WriteBatch, a transaction's Commit) takes a ticket from one
// global counter right before the DB call that issues it (`issued`) and another right after that
// call returned OK (`acked`). Tickets are taken in real-time order, so acked(w1) < issued(w2)
// means w1 returned before w2 was called, and a linearizable DB commits w1 before w2.
//
// The rule: let w_a be a write whose VALUE key a shows in the view (a put: a NotFound does not
// say which write it shows), and w_b' the newest write of key b with acked(w_b') < issued(w_a).
// Then key b must show w_b' or a later write of b. Why: the view is the DB at one sequence P;
// w_a is in it, so seq(w_a) <= P; w_b' committed before w_a, so seq(w_b') < seq(w_a) <= P; key b
// shows its newest write at or below P, which is w_b' or a later one (the writes of a key are
// made one at a time by its owner, so their ids order their commits). Only "acknowledged before
// issued" orders two commits: writes merely issued in some order, or overlapping, may commit in
// either order, so no rule is drawn from them. Taking for w_a the shown write with the largest
// issue ticket gives each key b its tightest bound (w_b' only grows with it), so that one
// witness decides the whole view.
//
// A second rule: the writes of one DB call (a WriteBatch, a transaction's Commit) share their
// issue ticket and become visible together (each entry has its own sequence, but the DB
// publishes only the last sequence of a whole write group, and every view is at a published
// sequence): a view that shows one of them (a put) shows every one of them, or a later write of
// its key; otherwise the batch is torn.
//
// The check knows only the writes the history still holds (a few of each key, of this process):
// a witness or a w_b' it does not hold is no constraint, and NotFound is accepted when a write
// of b it does not hold could be a delete, so a missing record never makes a false alarm.
#ifndef ZIGGYDB_TOOLS_STRESS_POINT_IN_TIME_H_
#define ZIGGYDB_TOOLS_STRESS_POINT_IN_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ziggydb::tools::stress {

// One write of a key with its tickets (0: none taken).
struct TicketedWrite {
  uint32_t id = 0;
  bool is_put = false;
  uint64_t issued = 0;  // taken right before the DB call that issued it
  uint64_t acked = 0;   // taken right after that call returned OK; 0: not known acknowledged
};

// What one key showed in a view.
struct ViewedKey {
  uint32_t index = 0;
  std::optional<uint32_t> found;  // the value id shown; nullopt: NotFound
  // The id of the newest write of the key issued when the view ended (NewestIssuedId of its
  // read window): no write above it can be shown.
  uint32_t newest_issued = 0;
  // Writes of the key the history holds, in any order; ids are unique. A subset of its writes.
  std::vector<TicketedWrite> writes;
};

// nullopt when the view is consistent with one point in time by the rule above, else what is
// wrong: the witness key and the key that shows a state older than the bound.
std::optional<std::string> CheckPointInTime(const std::vector<ViewedKey>& view);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_POINT_IN_TIME_H_
