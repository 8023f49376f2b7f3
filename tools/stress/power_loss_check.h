// The check of `ziggy stress --power-loss` (power_loss.h) as a value: the state the last
// recovery left, the writes acknowledged since in commit order (the write trace), and how many of
// them a power loss must keep.
//
// A power loss may lose acknowledged writes, but only a suffix of the trace, and never one that
// was made durable before it (docs/design/recovery.md, "What a write promises"; include/ziggydb/
// db.h):
//   - a write acknowledged with `sync` (the WAL fsynced up to its record), and every write before
//     it;
//   - every write acknowledged before a Flush that returned OK: Flush returns once every memtable
//     frozen by its switch is in a table, synced, with the MANIFEST edit that names it synced,
//     and a CompactRange that returned OK began with such a Flush.
// So the recovered DB must equal the state after some prefix of the trace that holds all of
// those (a batch is one trace entry: a torn batch matches no prefix).
#ifndef ZIGGYDB_TOOLS_STRESS_POWER_LOSS_CHECK_H_
#define ZIGGYDB_TOOLS_STRESS_POWER_LOSS_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/stress/expected_state.h"

namespace ziggydb::tools::stress {

// What a Get read: "value id 7", "no value (absent)".
std::string DescribeFound(std::optional<uint32_t> found);

class PowerLossTrace {
 public:
  // One acknowledged write: (key index, write record) per key it wrote.
  using Entry = std::vector<std::pair<uint32_t, WriteRecord>>;

  // `keys` keys, all absent.
  explicit PowerLossTrace(uint32_t keys) : model_(keys, 0) {}

  // A write acknowledged OK; with `synced`, it and every write before it are durable.
  void Acknowledged(Entry entry, bool synced);
  // A Flush or CompactRange returned OK: every write acknowledged before it is durable.
  void Flushed() { durable_ = trace_.size(); }

  // The latest write of key i: its last in the trace, else the recovered state's.
  WriteRecord Latest(uint32_t i) const;
  const std::vector<WriteRecord>& model() const { return model_; }
  size_t size() const { return trace_.size(); }
  // The trace entries that must survive a power loss.
  size_t durable() const { return durable_; }

  // The shortest prefix, of at least durable() entries, whose state reads as `found` (per key, a
  // value id or nullopt for NotFound); nullopt when none does, and then *detail names the first
  // key differing from the state after the durable entries.
  std::optional<size_t> MatchingPrefix(const std::vector<std::optional<uint32_t>>& found,
                                       std::string* detail) const;
  // The recovered state becomes the state after `prefix` entries; the trace starts afresh.
  void Recovered(size_t prefix);

 private:
  std::vector<WriteRecord> model_;  // per key, the latest write of the last recovered state
  std::vector<Entry> trace_;        // the writes acknowledged since, in commit order
  size_t durable_ = 0;              // trace_[0, durable_) must survive a power loss
};

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_POWER_LOSS_CHECK_H_
