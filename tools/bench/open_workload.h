// The `open` workload of `ziggy bench` (issue 14, docs/benchmarks.md "Open"): what DB::Open costs
// as the DB grows, after a clean close and after a SIGKILLed writer.
//
// Its store is <db-dir>/ziggydb-open-<num>: --num keys "key" + 16 digits in ascending order,
// --value-size-byte values, default Options, batches of 1000, then a clean close (untimed).
// With --keep the store stays, with <store>.filled saying what it holds, and a later run with the
// same --num and --value-size measures it again without filling it (50M keys take minutes).
// Then, each Open measured through an Env that counts files opened and bytes read (sequential
// reads: MANIFEST and logs; random-access reads, mapped ones included: tables), with the
// background work it started waited for before the next, untimed:
//   clean: one warm-up Open (it replays the fill's last memtable), then the median of `rounds`;
//   kill:  `rounds` times, a forked child opens the store, overwrites existing keys until
//          kill_bytes of batches are written (3 memtable budgets), and is SIGKILLed; the median
//          Open then replays what its logs hold.
// ZiggyDB only (the counting Env is ZiggyDB's): the other engines get a skipped line.
#ifndef ZIGGYDB_TOOLS_BENCH_OPEN_WORKLOAD_H_
#define ZIGGYDB_TOOLS_BENCH_OPEN_WORKLOAD_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/bench/workloads.h"

namespace ziggydb::bench {

inline constexpr std::string_view kOpenWorkload = "open";

// Runs the workload for `engine` with its store under db_dir; one JSON line ("kind": "open").
nlohmann::json RunOpenWorkload(const std::string& engine, const BenchConfig& config,
                               const std::string& db_dir, bool keep);

// Prints the table of the "open" lines.
void PrintOpenTable(const std::vector<nlohmann::json>& lines);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_OPEN_WORKLOAD_H_
