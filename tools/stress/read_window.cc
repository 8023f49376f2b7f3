#include "tools/stress/read_window.h"

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/core.h>

namespace ziggydb::tools::stress {
namespace {

// The records of writes issued in the window that the words show: before's pending one (issued
// before the read began, so in the window if its id is above a), after's acked and pending ones.
std::array<WriteRecord, 3> ShownRecords(const ReadWindow& w) {
  return {w.before.pending, w.after.acked, w.after.pending};
}

bool InWindow(const ReadWindow& w, uint32_t id) {
  return id > RecordId(w.before.acked) && id <= NewestIssuedId(w);
}

// Whether write `id` is known to be a delete. Ids are not given twice within one process
// (stress_run.cc), so the records with this id agree on its kind.
bool KnownDelete(const ReadWindow& w, uint32_t id) {
  for (WriteRecord r : ShownRecords(w))
    if (r != 0 && !RecordIsPut(r) && RecordId(r) == id) return true;
  return w.newest_delete != 0 && w.newest_delete == id;
}

}  // namespace

bool RecordMatches(WriteRecord r, std::optional<uint32_t> found) {
  if (r == 0 || !RecordIsPut(r)) return !found;
  return found && *found == RecordId(r);
}

uint32_t NewestIssuedId(const ReadWindow& w) {
  return std::max({RecordId(w.before.acked), RecordId(w.after.acked), RecordId(w.after.pending)});
}

bool ReadIsLegal(const ReadWindow& w, std::optional<uint32_t> found) {
  if (found) {
    if (*found == RecordId(w.before.acked)) return RecordIsPut(w.before.acked);
    return InWindow(w, *found) && !KnownDelete(w, *found);
  }
  if (!RecordIsPut(w.before.acked)) return true;  // absent, or deleted, when the read began
  for (WriteRecord r : ShownRecords(w))
    if (r != 0 && !RecordIsPut(r) && InWindow(w, RecordId(r))) return true;
  return InWindow(w, w.newest_delete);
}

std::string DescribeWindow(const ReadWindow& w) {
  const uint32_t newest = NewestIssuedId(w);
  if (newest == RecordId(w.before.acked)) return DescribeRecord(w.before.acked);
  std::vector<uint32_t> ids;
  for (WriteRecord r : ShownRecords(w))
    if (r != 0 && !RecordIsPut(r) && InWindow(w, RecordId(r))) ids.push_back(RecordId(r));
  if (InWindow(w, w.newest_delete)) ids.push_back(w.newest_delete);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string deletes;
  for (uint32_t id : ids)
    deletes += fmt::format("{}id {}", deletes.empty() ? "" : ", ", id);
  return fmt::format("{} or the state after a write up to id {} (deletes among them: {})",
                     DescribeRecord(w.before.acked), newest, deletes.empty() ? "none" : deletes);
}

}  // namespace ziggydb::tools::stress
