#include "txn/dependency_graph.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <utility>

namespace ziggydb::test {
namespace {

constexpr size_t kUnvisited = std::numeric_limits<size_t>::max();
constexpr EdgeType kTypesInPreference[] = {EdgeType::kWw, EdgeType::kWr, EdgeType::kRw};

const char* EdgeName(EdgeType type) {
  switch (type) {
    case EdgeType::kWw:
      return "ww";
    case EdgeType::kWr:
      return "wr";
    case EdgeType::kRw:
      return "rw";
  }
  return "?";
}

}  // namespace

void DependencyGraph::AddEdge(size_t from, size_t to, EdgeType type, const std::string& why) {
  if (from == to) return;
  const uint64_t key = PairKey(from, to);
  auto [it, inserted] = index_.try_emplace(key, out_[from].size());
  if (inserted) out_[from].push_back(Out{to, 0});
  out_[from][it->second].types |= EdgeBit(type);
  why_[static_cast<uint8_t>(type)].try_emplace(key, why);
}

template <typename Fn>
void DependencyGraph::ForEachSuccessor(size_t state, uint8_t type_mask, bool forbid_adjacent_rw,
                                       Fn fn) const {
  const size_t width = forbid_adjacent_rw ? 2 : 1;
  const size_t node = state / width;
  const bool entered_over_rw = forbid_adjacent_rw && state % 2 == 1;
  for (const Out& out : out_[node]) {
    for (EdgeType type : kTypesInPreference) {
      if ((out.types & type_mask & EdgeBit(type)) == 0) continue;
      const bool rw = type == EdgeType::kRw;
      if (rw && entered_over_rw) continue;
      fn(out.to * width + (forbid_adjacent_rw && rw ? 1 : 0), type);
    }
  }
}

// Tarjan's algorithm, iterative (histories have thousands of transactions).
std::vector<size_t> DependencyGraph::StronglyConnectedComponentIds(uint8_t type_mask,
                                                                   bool forbid_adjacent_rw,
                                                                   size_t* count) const {
  const size_t states = out_.size() * (forbid_adjacent_rw ? 2 : 1);
  std::vector<size_t> order(states, kUnvisited);
  std::vector<size_t> low(states, 0);
  std::vector<size_t> component(states, kUnvisited);
  std::vector<size_t> stack;
  std::vector<bool> on_stack(states, false);
  size_t next_order = 0;
  *count = 0;
  struct Frame {
    size_t state;
    std::vector<size_t> successors;
    size_t next;
  };
  for (size_t root = 0; root < states; ++root) {
    if (order[root] != kUnvisited) continue;
    std::vector<Frame> frames;
    auto enter = [&](size_t state) {
      order[state] = low[state] = next_order++;
      stack.push_back(state);
      on_stack[state] = true;
      Frame frame{state, {}, 0};
      ForEachSuccessor(state, type_mask, forbid_adjacent_rw,
                       [&](size_t next, EdgeType) { frame.successors.push_back(next); });
      frames.push_back(std::move(frame));
    };
    enter(root);
    while (!frames.empty()) {
      Frame& frame = frames.back();
      if (frame.next < frame.successors.size()) {
        const size_t next = frame.successors[frame.next++];
        if (order[next] == kUnvisited) {
          enter(next);
        } else if (on_stack[next]) {
          low[frame.state] = std::min(low[frame.state], order[next]);
        }
        continue;
      }
      const size_t state = frame.state;
      frames.pop_back();
      if (!frames.empty())
        low[frames.back().state] = std::min(low[frames.back().state], low[state]);
      if (low[state] != order[state]) continue;
      while (true) {
        const size_t member = stack.back();
        stack.pop_back();
        on_stack[member] = false;
        component[member] = *count;
        if (member == state) break;
      }
      ++*count;
    }
  }
  return component;
}

DependencyGraph::Cycle DependencyGraph::ShortestCycleFrom(size_t start,
                                                          const std::vector<size_t>& component,
                                                          uint8_t type_mask,
                                                          bool forbid_adjacent_rw) const {
  const size_t width = forbid_adjacent_rw ? 2 : 1;
  // state -> (predecessor, type of the edge from it)
  std::unordered_map<size_t, std::pair<size_t, EdgeType>> parent;
  std::deque<size_t> queue{start};
  size_t last = kUnvisited;
  EdgeType closing = EdgeType::kWw;
  while (!queue.empty() && last == kUnvisited) {
    const size_t state = queue.front();
    queue.pop_front();
    ForEachSuccessor(state, type_mask, forbid_adjacent_rw, [&](size_t next, EdgeType type) {
      if (last != kUnvisited || component[next] != component[start]) return;
      if (next == start) {
        last = state;
        closing = type;
        return;
      }
      if (parent.try_emplace(next, state, type).second) queue.push_back(next);
    });
  }
  Cycle cycle;
  if (last == kUnvisited) return cycle;  // not reached: start is in a cyclic component
  cycle.push_back(Step{last / width, start / width, closing});
  for (size_t state = last; state != start;) {
    const auto& [prev, type] = parent.at(state);
    cycle.push_back(Step{prev / width, state / width, type});
    state = prev;
  }
  std::reverse(cycle.begin(), cycle.end());
  return cycle;
}

std::vector<DependencyGraph::Cycle> DependencyGraph::FindCycles(uint8_t type_mask,
                                                                bool forbid_adjacent_rw) const {
  size_t count = 0;
  const std::vector<size_t> component =
      StronglyConnectedComponentIds(type_mask, forbid_adjacent_rw, &count);
  std::vector<size_t> size(count, 0);
  std::vector<size_t> first(count, kUnvisited);
  for (size_t state = 0; state < component.size(); ++state) {
    ++size[component[state]];
    if (first[component[state]] == kUnvisited) first[component[state]] = state;
  }
  std::vector<Cycle> cycles;
  for (size_t c = 0; c < count; ++c) {
    // Self-edges are never added, so a one-state component holds no cycle.
    if (size[c] < 2) continue;
    Cycle cycle = ShortestCycleFrom(first[c], component, type_mask, forbid_adjacent_rw);
    if (!cycle.empty()) cycles.push_back(std::move(cycle));
  }
  return cycles;
}

std::string DependencyGraph::Classify(const Cycle& cycle) {
  size_t rw = 0;
  size_t wr = 0;
  bool adjacent_rw = false;
  for (size_t i = 0; i < cycle.size(); ++i) {
    const EdgeType type = cycle[i].type;
    if (type == EdgeType::kRw) ++rw;
    if (type == EdgeType::kWr) ++wr;
    if (type == EdgeType::kRw && cycle[(i + 1) % cycle.size()].type == EdgeType::kRw) {
      adjacent_rw = true;
    }
  }
  if (rw == 0) return wr == 0 ? "G0" : "G1c";
  if (adjacent_rw) return "G2";
  return rw == 1 ? "G-single" : "G-nonadjacent";
}

std::string DependencyGraph::Describe(const Cycle& cycle,
                                      const std::vector<uint64_t>& names) const {
  std::string text;
  for (const Step& step : cycle) {
    if (text.empty()) text = "T" + std::to_string(names[step.from]);
    const auto& why = why_[static_cast<uint8_t>(step.type)];
    const auto it = why.find(PairKey(step.from, step.to));
    text += std::string(" -") + EdgeName(step.type) + "-> T" + std::to_string(names[step.to]);
    if (it != why.end()) text += " (" + it->second + ")";
  }
  return text;
}

}  // namespace ziggydb::test
