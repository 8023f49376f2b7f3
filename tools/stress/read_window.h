// What a read of one key may return in `ziggy stress`, given what the expected state
// (expected_state.h) showed around it.
//
// The writes of a key are made one at a time by the thread that owns it: it stores the write as
// pending, issues it, and stores it as acknowledged (pending cleared) once it returned OK, so a
// key has at most one write in flight, and the writes take increasing ids in the order they are
// issued (ids are given once per process: a Busy commit's id is not given
// again, and the next process starts past the pending id a kill left). A delete also stores its id
// as the key's newest delete, after storing it as pending and before issuing it.
//
// A read racing with those writes (a Get, an iterator, a transaction's read, a checkpoint or a
// backup of the DB) may return the state of the key at any moment between its start and its end:
// with `before` loaded before the read began, `newest_delete` then `after` loaded once it ended,
// a = id of before.acked and n = the id of the newest write issued by `after` (its pending one,
// else its acked one), the key was in the state of before.acked, then in the state after each
// write with an id in (a, n] (the last possibly not yet applied), and in no other. So exactly:
//   - value id x is legal iff x == a and before.acked is a put, or a < x <= n and write x is not
//     known to be a delete (only a put makes a value, so a value of a delete's id is one no write
//     in the window made);
//   - NotFound is legal iff before.acked is no put (absent: never written, or a delete), or some
//     write with an id in (a, n] is a delete: one of the records `before` and `after` hold, or
//     the newest delete when its id is above a (it is at most n, by the load order above).
// In particular, while a put is pending on a key whose acked write is a put, NotFound is illegal:
// neither the acked state nor the pending put is absent.
#ifndef ZIGGYDB_TOOLS_STRESS_READ_WINDOW_H_
#define ZIGGYDB_TOOLS_STRESS_READ_WINDOW_H_

#include <cstdint>
#include <optional>
#include <string>

#include "tools/stress/expected_state.h"

namespace ziggydb::tools::stress {

// Whether the state made by write `r` (0: never written) reads as `found` (a value id; nullopt
// for NotFound).
bool RecordMatches(WriteRecord r, std::optional<uint32_t> found);

struct ReadWindow {
  KeyWord before;              // the key's word, loaded before the read began
  KeyWord after;               // loaded after the read ended
  uint32_t newest_delete = 0;  // the key's newest delete's id (0: none), loaded after the read
                               // ended and before `after`
};

// The id of the newest write issued when the window ended (n above).
uint32_t NewestIssuedId(const ReadWindow& w);

// Whether a read over window `w` may return `found` (a value id; nullopt for NotFound).
bool ReadIsLegal(const ReadWindow& w, std::optional<uint32_t> found);

// The legal results of `w`, for a mismatch message: "put id 5", "put id 5 or a write up to id 7
// (deletes among them: none)".
std::string DescribeWindow(const ReadWindow& w);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_READ_WINDOW_H_
