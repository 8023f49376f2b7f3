#include "tools/stress/point_in_time.h"

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

std::string Shown(std::optional<uint32_t> found) {
  return found ? fmt::format("value id {}", *found) : "no value (absent)";
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
    if (floor == nullptr) continue;
    const bool ok = k.found ? (*k.found > floor->id || (*k.found == floor->id && floor->is_put))
                            : NotFoundAtOrAfter(k, *floor);
    if (ok) continue;
    return fmt::format(
        "key {} shows {}, but its {} id {} was acknowledged (ticket {}) before put id {}, which "
        "key {} shows, was issued (ticket {}): it must show that write or a later one",
        StressKey(k.index), Shown(k.found), floor->is_put ? "put" : "delete", floor->id,
        floor->acked, witness_write->id, StressKey(witness->index), witness_write->issued);
  }
  return std::nullopt;
}

}  // namespace ziggydb::tools::stress
