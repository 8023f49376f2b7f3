// DependencyGraph: the typed dependency graph between committed transactions (ww, wr, rw edges)
// and a search for its cycles, for the list-append checker (list_append_history.h).
//
// FindCycles returns one cycle per strongly connected component that holds a cycle of the asked
// kind; with forbid_adjacent_rw it searches the graph of states (transaction, "came in over an rw
// edge"), in which an rw edge may not leave a state entered over one, so its cycles are exactly
// the closed walks of the dependency graph with no two cyclically adjacent rw edges. A cycle is
// returned as the shortest closed walk from the first state of its component (BFS), which may
// repeat a transaction; Classify names it. Self-edges are ignored (a transaction's own reads and
// writes order nothing). Thread safety: none.
#ifndef ZIGGYDB_TESTS_TXN_DEPENDENCY_GRAPH_H_
#define ZIGGYDB_TESTS_TXN_DEPENDENCY_GRAPH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ziggydb::test {

enum class EdgeType : uint8_t { kWw = 0, kWr = 1, kRw = 2 };

constexpr size_t kEdgeTypes = 3;
constexpr uint8_t EdgeBit(EdgeType type) {
  return uint8_t{1} << static_cast<uint8_t>(type);
}
constexpr uint8_t kAllEdges =
    EdgeBit(EdgeType::kWw) | EdgeBit(EdgeType::kWr) | EdgeBit(EdgeType::kRw);

class DependencyGraph {
 public:
  struct Step {
    size_t from;
    size_t to;
    EdgeType type;
  };
  using Cycle = std::vector<Step>;

  explicit DependencyGraph(size_t nodes) : out_(nodes) {}

  // `why` explains the edge in reports (the first explanation of each (from, to, type) is kept).
  void AddEdge(size_t from, size_t to, EdgeType type, const std::string& why);

  // One cycle per strongly connected component of the subgraph of the edge types in `type_mask`
  // (see the header comment for forbid_adjacent_rw).
  std::vector<Cycle> FindCycles(uint8_t type_mask, bool forbid_adjacent_rw) const;

  // "G0" (ww only), "G1c" (ww and wr), "G-single" (one rw), "G-nonadjacent" (several rw edges,
  // no two cyclically adjacent), "G2" (two adjacent rw edges).
  static std::string Classify(const Cycle& cycle);
  // "T<from> -ww-> T<to> (why) ..." with node names given by `names`.
  std::string Describe(const Cycle& cycle, const std::vector<uint64_t>& names) const;

 private:
  struct Out {
    size_t to;
    uint8_t types;  // EdgeBit mask
  };
  static uint64_t PairKey(size_t from, size_t to) { return (uint64_t{from} << 32) | to; }
  // The state graph: state = node * 2 + (entered over an rw edge). Calls fn(next_state, type)
  // for every successor of `state`.
  template <typename Fn>
  void ForEachSuccessor(size_t state, uint8_t type_mask, bool forbid_adjacent_rw, Fn fn) const;
  std::vector<size_t> StronglyConnectedComponentIds(uint8_t type_mask, bool forbid_adjacent_rw,
                                                    size_t* count) const;
  Cycle ShortestCycleFrom(size_t start, const std::vector<size_t>& component, uint8_t type_mask,
                          bool forbid_adjacent_rw) const;

  std::vector<std::vector<Out>> out_;
  std::unordered_map<uint64_t, size_t> index_;                 // PairKey -> position in out_[from]
  std::unordered_map<uint64_t, std::string> why_[kEdgeTypes];  // by EdgeType: PairKey -> why
};

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_TXN_DEPENDENCY_GRAPH_H_
