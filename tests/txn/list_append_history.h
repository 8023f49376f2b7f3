// A history of list-append transactions and a checker of its isolation, in the method of Jepsen's
// Elle (Kingsbury and Alvaro, "Elle: Inferring Isolation Anomalies from Experimental
// Observations", VLDB 2020), for tests only.
//
// Workload: every key holds a list; a transaction appends values to lists and reads whole lists.
// Every appended value is unique in the history (per key is enough), so a read names the writers
// of everything it returns, and the longest read of a key gives that key's version order: each
// committed read must be a prefix of it. From that the checker infers the dependency edges between
// committed transactions (Adya's direct serialization graph):
//   ww  T1 -> T2  T2 appended the value right after T1's in the version order of some key;
//   wr  T1 -> T2  T2 read a list whose last value T1 appended;
//   rw  T1 -> T2  T1 read a list, and the next value in the version order is T2's append
//                 (an anti-dependency: T2 overwrote what T1 saw).
// and reports these anomalies:
//   per read:  G1a (a value of an aborted transaction), G1b (a value its writer later followed by
//              another append to the same key, so not its final state), garbage (a value never
//              appended), duplicate (a value twice in one list), incompatible-order (a read that is
//              not a prefix of the key's longest read), internal (a transaction's read disagrees
//              with its own earlier reads and appends of that key);
//   per key:   lost-append (complete histories only: a committed append missing from the final
//              order);
//   cycles:    G0 (ww only), G1c (ww and wr), G-single (exactly one rw), G-nonadjacent (several rw
//              edges, no two adjacent), G2 (a cycle whose rw edges include two adjacent ones).
// Snapshot isolation forbids every cycle without two adjacent rw edges — around such a walk the
// start times would strictly increase and come back to where they began (Fekete et al., "Making
// snapshot isolation serializable", TODS 2005) — so under kSnapshot only G2 is allowed; under
// kSerializable every cycle is an anomaly.
//
// Reads by aborted transactions are checked per read (they come from a snapshot too) but add no
// edges. Thread safety: none; record per thread and merge.
#ifndef ZIGGYDB_TESTS_TXN_LIST_APPEND_HISTORY_H_
#define ZIGGYDB_TESTS_TXN_LIST_APPEND_HISTORY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ziggydb::test {

using ListValue = uint64_t;

struct ListOp {
  enum class Kind : uint8_t { kAppend, kRead };
  Kind kind = Kind::kRead;
  std::string key;
  ListValue value = 0;          // kAppend: the value appended
  std::vector<ListValue> list;  // kRead: the whole list read (empty: absent key)
};

struct ListTxn {
  uint64_t id = 0;  // unique in the history
  bool committed = false;
  std::vector<ListOp> ops;  // in program order

  void Append(std::string key, ListValue value);
  void Read(std::string key, std::vector<ListValue> list);
};

enum class CheckedIsolation : uint8_t { kSnapshot, kSerializable };

struct ListAnomaly {
  std::string type;  // "G0", "G1a", ..., as in the header comment
  std::string detail;
};

struct CheckOptions {
  CheckedIsolation isolation = CheckedIsolation::kSerializable;
  // The history ends with a committed read of every key after all other transactions finished,
  // so every committed append must be in its key's longest read.
  bool complete = false;
};

struct CheckResult {
  std::vector<ListAnomaly> anomalies;
  // Cycles that the isolation level allows (G2 under kSnapshot): counted, not anomalies.
  uint64_t allowed_cycles = 0;
  uint64_t committed_txns = 0;
  uint64_t edges_ww = 0;
  uint64_t edges_wr = 0;
  uint64_t edges_rw = 0;

  bool ok() const { return anomalies.empty(); }
  bool Has(std::string_view type) const;
  // Every anomaly, one a line (the first `max_lines`).
  std::string ToString(size_t max_lines = 20) const;
};

CheckResult CheckListAppendHistory(const std::vector<ListTxn>& history,
                                   const CheckOptions& options);

// The encoding of a list as a DB value: decimal values joined by ','; "" is the empty list.
std::string EncodeList(const std::vector<ListValue>& list);
// False if `text` is not such an encoding.
bool DecodeList(std::string_view text, std::vector<ListValue>* list);

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_TXN_LIST_APPEND_HISTORY_H_
