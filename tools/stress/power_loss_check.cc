#include "tools/stress/power_loss_check.h"

#include <fmt/core.h>

#include "tools/stress/read_window.h"

namespace ziggydb::tools::stress {

std::string DescribeFound(std::optional<uint32_t> found) {
  return found ? fmt::format("value id {}", *found) : "no value (absent)";
}

void PowerLossTrace::Acknowledged(Entry entry, bool synced) {
  trace_.push_back(std::move(entry));
  if (synced) durable_ = trace_.size();
}

WriteRecord PowerLossTrace::Latest(uint32_t i) const {
  for (auto e = trace_.rbegin(); e != trace_.rend(); ++e)
    for (const auto& w : *e)
      if (w.first == i) return w.second;
  return model_[i];
}

std::optional<size_t> PowerLossTrace::MatchingPrefix(
    const std::vector<std::optional<uint32_t>>& found, std::string* detail) const {
  // Walk the prefixes: `mismatched` counts the keys where the state after p entries differs
  // from `found`.
  std::vector<WriteRecord> state = model_;
  uint64_t mismatched = 0;
  for (uint32_t i = 0; i < state.size(); ++i)
    mismatched += !RecordMatches(state[i], found[i]);
  for (size_t p = 0;; ++p) {
    if (p >= durable_ && mismatched == 0) return p;
    if (p == trace_.size()) break;
    for (const auto& [i, r] : trace_[p]) {
      mismatched -= !RecordMatches(state[i], found[i]);
      state[i] = r;
      mismatched += !RecordMatches(state[i], found[i]);
    }
  }
  // Name the first key that differs from the shortest allowed prefix.
  std::vector<WriteRecord> at = model_;
  for (size_t p = 0; p < durable_; ++p)
    for (const auto& [i, r] : trace_[p])
      at[i] = r;
  detail->clear();
  for (uint32_t i = 0; i < at.size() && detail->empty(); ++i)
    if (!RecordMatches(at[i], found[i]))
      *detail = fmt::format("key {}: expected {} (or a later acknowledged write), found {}",
                            StressKey(i), DescribeRecord(at[i]), DescribeFound(found[i]));
  return std::nullopt;
}

void PowerLossTrace::Recovered(size_t prefix) {
  for (size_t p = 0; p < prefix; ++p)
    for (const auto& [i, r] : trace_[p])
      model_[i] = r;
  trace_.clear();
  durable_ = 0;
}

}  // namespace ziggydb::tools::stress
