#include "tools/stress/point_in_time.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "tools/stress/expected_state.h"

namespace ziggydb::tools::stress {
namespace {

const TicketedWrite* FindWrite(const ViewedKey& k, uint32_t id) {
  for (const TicketedWrite& w : k.writes)
    if (w.id == id) return &w;
  return nullptr;
}

// The newest write of `k` acknowledged before ticket `ticket` that the history holds, or null.
// A key's writes are acknowledged in id order, so the newest by id is the newest by ticket.
const TicketedWrite* Floor(const ViewedKey& k, uint64_t ticket) {
  const TicketedWrite* floor = nullptr;
  for (const TicketedWrite& w : k.writes)
    if (w.acked != 0 && w.acked < ticket && (floor == nullptr || w.id > floor->id)) floor = &w;
  return floor;
}

// Whether NotFound may be the state after a write of `k` no older than `floor`: the floor is a
// delete, or a write with an id in (floor, newest_issued] is a delete or not held (unknown).
bool NotFoundAtOrAfter(const ViewedKey& k, const TicketedWrite& floor) {
  if (!floor.is_put) return true;
  for (uint32_t id = floor.id + 1; id <= k.newest_issued && id != 0; ++id) {
    const TicketedWrite* w = FindWrite(k, id);
    if (w == nullptr || !w->is_put) return true;
  }
  return false;
}

// Whether `k` shows `bound` or a later write of its key.
bool ShowsAtOrAfter(const ViewedKey& k, const TicketedWrite& bound) {
  return k.found ? (*k.found > bound.id || (*k.found == bound.id && bound.is_put))
                 : NotFoundAtOrAfter(k, bound);
}

std::string Shown(std::optional<uint32_t> found) {
  return found ? fmt::format("value id {}", *found) : "no value (absent)";
}

// The second rule: the writes of one DB call (a WriteBatch, a transaction's Commit) share their
// issue ticket and become visible together (point_in_time.h), so a view that shows one of them
// shows every one of them (or a later write of its key).
std::optional<std::string> CheckWholeCalls(const std::vector<ViewedKey>& view) {
  std::unordered_map<uint64_t, std::vector<std::pair<const ViewedKey*, const TicketedWrite*>>>
      by_ticket;
  for (const ViewedKey& k : view) {
    for (const TicketedWrite& w : k.writes)
      if (w.issued != 0) by_ticket[w.issued].emplace_back(&k, &w);
  }
  for (const ViewedKey& k : view) {
    if (!k.found) continue;  // a NotFound does not say which write it shows
    const TicketedWrite* shown = FindWrite(k, *k.found);
    if (shown == nullptr || shown->issued == 0) continue;
    for (const auto& [other, sibling] : by_ticket[shown->issued]) {
      if (other == &k || ShowsAtOrAfter(*other, *sibling)) continue;
      return fmt::format(
          "key {} shows {}, but its {} id {} was written by the same call (ticket {}) as put id "
          "{}, which key {} shows: a call's writes are applied whole",
          StressKey(other->index), Shown(other->found), sibling->is_put ? "put" : "delete",
          sibling->id, shown->issued, shown->id, StressKey(k.index));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CheckPointInTime(const std::vector<ViewedKey>& view) {
  // The witness: the shown put with the largest issue ticket.
  const ViewedKey* witness = nullptr;
  const TicketedWrite* witness_write = nullptr;
  for (const ViewedKey& k : view) {
    if (!k.found) continue;
    const TicketedWrite* w = FindWrite(k, *k.found);
    if (w == nullptr || !w->is_put || w->issued == 0) continue;
    if (witness_write == nullptr || w->issued > witness_write->issued) {
      witness = &k;
      witness_write = w;
    }
  }
  if (witness_write == nullptr) return std::nullopt;
  for (const ViewedKey& k : view) {
    const TicketedWrite* floor = Floor(k, witness_write->issued);
    if (floor == nullptr || ShowsAtOrAfter(k, *floor)) continue;
    return fmt::format(
        "key {} shows {}, but its {} id {} was acknowledged (ticket {}) before put id {}, which "
        "key {} shows, was issued (ticket {}): it must show that write or a later one",
        StressKey(k.index), Shown(k.found), floor->is_put ? "put" : "delete", floor->id,
        floor->acked, witness_write->id, StressKey(witness->index), witness_write->issued);
  }
  return CheckWholeCalls(view);
}

}  // namespace ziggydb::tools::stress
