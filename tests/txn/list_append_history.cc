#include "txn/list_append_history.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "txn/dependency_graph.h"

namespace ziggydb::test {
namespace {

constexpr size_t kNotCommitted = ~size_t{0};

// A list for messages: a long one by its length and last values (where histories differ).
std::string ListText(const std::vector<ListValue>& list) {
  constexpr size_t kShownMax = 6;
  if (list.size() <= kShownMax) return "[" + EncodeList(list) + "]";
  const std::vector<ListValue> tail(list.end() - kShownMax, list.end());
  return "[" + std::to_string(list.size()) + " values: ...," + EncodeList(tail) + "]";
}

bool IsPrefix(const std::vector<ListValue>& prefix, const std::vector<ListValue>& list) {
  return prefix.size() <= list.size() && std::equal(prefix.begin(), prefix.end(), list.begin());
}

struct Writer {
  size_t txn;        // index in the history
  bool final_write;  // the writer's last append to this key
};

// The per-key facts the checks share.
struct HistoryIndex {
  explicit HistoryIndex(const std::vector<ListTxn>& txns) : history(txns) {
    node_of.assign(txns.size(), kNotCommitted);
    for (size_t t = 0; t < txns.size(); ++t) {
      if (txns[t].committed) {
        node_of[t] = names.size();
        names.push_back(txns[t].id);
      }
    }
  }

  void IndexWriters(CheckResult* result) {
    for (size_t t = 0; t < history.size(); ++t) {
      std::map<std::string, size_t> last_append;  // key -> op index
      for (size_t o = 0; o < history[t].ops.size(); ++o) {
        const ListOp& op = history[t].ops[o];
        if (op.kind == ListOp::Kind::kAppend) last_append[op.key] = o;
      }
      for (size_t o = 0; o < history[t].ops.size(); ++o) {
        const ListOp& op = history[t].ops[o];
        if (op.kind != ListOp::Kind::kAppend) continue;
        const bool fresh =
            writers[op.key].try_emplace(op.value, Writer{t, last_append[op.key] == o}).second;
        if (!fresh) {
          result->anomalies.push_back(
              {"duplicate-append", "value " + std::to_string(op.value) + " appended to " + op.key +
                                       " twice (T" + std::to_string(history[t].id) + ")"});
        }
      }
    }
  }

  const Writer* WriterOf(const std::string& key, ListValue value) const {
    const auto k = writers.find(key);
    if (k == writers.end()) return nullptr;
    const auto v = k->second.find(value);
    return v == k->second.end() ? nullptr : &v->second;
  }

  // The read without the reader's own appends (a transaction sees its writes at the tail).
  std::vector<ListValue> External(size_t reader, const ListOp& read) const {
    std::vector<ListValue> list;
    for (ListValue value : read.list) {
      const Writer* writer = WriterOf(read.key, value);
      if (writer != nullptr && writer->txn == reader) break;
      list.push_back(value);
    }
    return list;
  }

  const std::vector<ListTxn>& history;
  std::vector<size_t> node_of;  // history index -> graph node, or kNotCommitted
  std::vector<uint64_t> names;  // graph node -> transaction id
  std::unordered_map<std::string, std::unordered_map<ListValue, Writer>> writers;
};

std::string TxnName(const ListTxn& txn) {
  return "T" + std::to_string(txn.id);
}

// G1a, G1b, garbage and duplicate values in one read.
void CheckReadValues(const HistoryIndex& index, size_t reader, const ListOp& read,
                     CheckResult* result) {
  const ListTxn& txn = index.history[reader];
  std::unordered_set<ListValue> seen;
  for (ListValue value : read.list) {
    const std::string where = TxnName(txn) + " read " + read.key + " = " + ListText(read.list);
    if (!seen.insert(value).second) {
      result->anomalies.push_back({"duplicate", where + ": " + std::to_string(value) + " twice"});
    }
    const Writer* writer = index.WriterOf(read.key, value);
    if (writer == nullptr) {
      result->anomalies.push_back(
          {"garbage", where + ": nobody appended " + std::to_string(value)});
    } else if (writer->txn != reader && !index.history[writer->txn].committed) {
      result->anomalies.push_back({"G1a", where + ": " + std::to_string(value) + " is from " +
                                              TxnName(index.history[writer->txn]) +
                                              ", which aborted"});
    }
  }
  if (read.list.empty()) return;
  const Writer* last = index.WriterOf(read.key, read.list.back());
  if (last != nullptr && last->txn != reader && !last->final_write) {
    result->anomalies.push_back(
        {"G1b", TxnName(txn) + " read " + read.key + " = " + ListText(read.list) + ": " +
                    TxnName(index.history[last->txn]) + " appended more to " + read.key +
                    " after " + std::to_string(read.list.back())});
  }
}

// Each transaction's reads of a key agree with its earlier reads and appends of that key.
void CheckInternal(const ListTxn& txn, CheckResult* result) {
  struct KeyState {
    bool known = false;
    std::vector<ListValue> list;  // the whole list, once known
    std::vector<ListValue> own;   // appends before the first read
  };
  std::map<std::string, KeyState> keys;
  for (const ListOp& op : txn.ops) {
    KeyState& state = keys[op.key];
    if (op.kind == ListOp::Kind::kAppend) {
      (state.known ? state.list : state.own).push_back(op.value);
      continue;
    }
    const bool agrees =
        state.known ? op.list == state.list
                    : op.list.size() >= state.own.size() &&
                          std::equal(state.own.rbegin(), state.own.rend(), op.list.rbegin());
    if (!agrees) {
      result->anomalies.push_back(
          {"internal",
           TxnName(txn) + " read " + op.key + " = " + ListText(op.list) + ", expected " +
               (state.known ? ListText(state.list) : "a list ending with " + ListText(state.own))});
    }
    state.known = true;
    state.list = op.list;
  }
}

// The version order of each key: its longest committed read, which every read must agree with.
std::map<std::string, std::vector<ListValue>> VersionOrders(const HistoryIndex& index,
                                                            CheckResult* result) {
  std::map<std::string, std::vector<ListValue>> longest;
  const auto& history = index.history;
  for (const ListTxn& txn : history) {
    if (!txn.committed) continue;
    for (const ListOp& op : txn.ops) {
      if (op.kind != ListOp::Kind::kRead) continue;
      auto& order = longest[op.key];
      if (op.list.size() > order.size()) order = op.list;
    }
  }
  for (size_t t = 0; t < history.size(); ++t) {
    for (const ListOp& op : history[t].ops) {
      if (op.kind != ListOp::Kind::kRead) continue;
      const auto& order = longest[op.key];
      const std::vector<ListValue> read = history[t].committed ? op.list : index.External(t, op);
      if (!IsPrefix(read, order) && !IsPrefix(order, read)) {
        result->anomalies.push_back(
            {"incompatible-order", TxnName(history[t]) + " read " + op.key + " = " +
                                       ListText(read) + ", not a prefix of " + ListText(order)});
      }
    }
  }
  return longest;
}

void CheckNoLostAppends(const HistoryIndex& index,
                        const std::map<std::string, std::vector<ListValue>>& orders,
                        CheckResult* result) {
  for (const auto& [key, writers] : index.writers) {
    const auto order = orders.find(key);
    std::unordered_set<ListValue> present;
    if (order != orders.end()) present.insert(order->second.begin(), order->second.end());
    for (const auto& [value, writer] : writers) {
      if (index.history[writer.txn].committed && present.count(value) == 0) {
        result->anomalies.push_back(
            {"lost-append", TxnName(index.history[writer.txn]) + " committed " + key +
                                " += " + std::to_string(value) + ", missing from the final list"});
      }
    }
  }
}

void AddEdges(const HistoryIndex& index,
              const std::map<std::string, std::vector<ListValue>>& orders, DependencyGraph* graph,
              CheckResult* result) {
  auto node = [&](const std::string& key, ListValue value) -> size_t {
    const Writer* writer = index.WriterOf(key, value);
    return writer == nullptr ? kNotCommitted : index.node_of[writer->txn];
  };
  auto add = [&](size_t from, size_t to, EdgeType type, uint64_t* counter, std::string why) {
    if (from == kNotCommitted || to == kNotCommitted || from == to) return;
    graph->AddEdge(from, to, type, why);
    ++*counter;
  };
  for (const auto& [key, order] : orders) {
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      add(node(key, order[i]), node(key, order[i + 1]), EdgeType::kWw, &result->edges_ww,
          key + ": " + std::to_string(order[i]) + " then " + std::to_string(order[i + 1]));
    }
  }
  const auto& history = index.history;
  for (size_t t = 0; t < history.size(); ++t) {
    const size_t reader = index.node_of[t];
    if (reader == kNotCommitted) continue;
    for (const ListOp& op : history[t].ops) {
      if (op.kind != ListOp::Kind::kRead) continue;
      const std::vector<ListValue> seen = index.External(t, op);
      const auto& order = orders.at(op.key);
      if (!IsPrefix(seen, order)) continue;  // reported as incompatible-order
      const std::string what = op.key + " = " + ListText(seen);
      if (!seen.empty()) {
        add(node(op.key, seen.back()), reader, EdgeType::kWr, &result->edges_wr, "read " + what);
      }
      if (seen.size() < order.size()) {
        add(reader, node(op.key, order[seen.size()]), EdgeType::kRw, &result->edges_rw,
            "read " + what + ", next " + std::to_string(order[seen.size()]));
      }
    }
  }
}

void FindCycleAnomalies(const DependencyGraph& graph, const std::vector<uint64_t>& names,
                        CheckedIsolation isolation, CheckResult* result) {
  std::set<std::pair<std::string, std::vector<size_t>>> reported;
  auto report = [&](const DependencyGraph::Cycle& cycle, const std::string& type) {
    std::vector<size_t> nodes;
    for (const auto& step : cycle)
      nodes.push_back(step.from);
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    if (reported.emplace(type, nodes).second) {
      result->anomalies.push_back({type, graph.Describe(cycle, names)});
    }
  };
  // Narrowest first, so each cycle is named by its weakest kind.
  const uint8_t ww = EdgeBit(EdgeType::kWw);
  const uint8_t ww_wr = ww | EdgeBit(EdgeType::kWr);
  for (const auto& cycle : graph.FindCycles(ww, false))
    report(cycle, DependencyGraph::Classify(cycle));
  for (const auto& cycle : graph.FindCycles(ww_wr, false))
    report(cycle, DependencyGraph::Classify(cycle));
  for (const auto& cycle : graph.FindCycles(kAllEdges, /*forbid_adjacent_rw=*/true))
    report(cycle, DependencyGraph::Classify(cycle));
  // What is left are components whose every cycle has adjacent rw edges (any other cycle was
  // reported above): G2, which snapshot isolation allows.
  for (const auto& cycle : graph.FindCycles(kAllEdges, false)) {
    const std::string type = DependencyGraph::Classify(cycle);
    if (type != "G2") continue;
    if (isolation == CheckedIsolation::kSnapshot) {
      ++result->allowed_cycles;
    } else {
      report(cycle, type);
    }
  }
}

}  // namespace

void ListTxn::Append(std::string key, ListValue value) {
  ops.push_back(ListOp{ListOp::Kind::kAppend, std::move(key), value, {}});
}

void ListTxn::Read(std::string key, std::vector<ListValue> list) {
  ops.push_back(ListOp{ListOp::Kind::kRead, std::move(key), 0, std::move(list)});
}

bool CheckResult::Has(std::string_view type) const {
  return std::any_of(anomalies.begin(), anomalies.end(),
                     [&](const ListAnomaly& a) { return a.type == type; });
}

std::string CheckResult::ToString(size_t max_lines) const {
  std::string text = std::to_string(anomalies.size()) + " anomalies in " +
                     std::to_string(committed_txns) + " committed transactions\n";
  for (size_t i = 0; i < anomalies.size() && i < max_lines; ++i) {
    text += anomalies[i].type + ": " + anomalies[i].detail + "\n";
  }
  return text;
}

CheckResult CheckListAppendHistory(const std::vector<ListTxn>& history,
                                   const CheckOptions& options) {
  CheckResult result;
  HistoryIndex index(history);
  result.committed_txns = index.names.size();
  index.IndexWriters(&result);
  for (size_t t = 0; t < history.size(); ++t) {
    CheckInternal(history[t], &result);
    for (const ListOp& op : history[t].ops) {
      if (op.kind == ListOp::Kind::kRead) CheckReadValues(index, t, op, &result);
    }
  }
  const auto orders = VersionOrders(index, &result);
  if (options.complete) CheckNoLostAppends(index, orders, &result);
  DependencyGraph graph(index.names.size());
  AddEdges(index, orders, &graph, &result);
  FindCycleAnomalies(graph, index.names, options.isolation, &result);
  return result;
}

std::string EncodeList(const std::vector<ListValue>& list) {
  std::string text;
  for (ListValue value : list) {
    if (!text.empty()) text += ',';
    text += std::to_string(value);
  }
  return text;
}

bool DecodeList(std::string_view text, std::vector<ListValue>* list) {
  list->clear();
  if (text.empty()) return true;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (true) {
    ListValue value = 0;
    const auto [next, error] = std::from_chars(p, end, value);
    if (error != std::errc() || next == p) return false;
    list->push_back(value);
    if (next == end) return true;
    if (*next != ',') return false;
    p = next + 1;
  }
}

}  // namespace ziggydb::test
