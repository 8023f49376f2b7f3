// What `ziggy bench` records and prints for the transaction workloads (txn_runner.h): one JSON
// line per cell (engine, workload, isolation, threads, hot set) and, per workload and hot set,
// a table of the cells with the same-run ratios the goals are stated in.
//
// Line fields: engine, workload, kind ("txn"), phase ("run"), ok, error, skipped, note,
// description, isolation ("snapshot" | "serializable"), threads, hot_keys, round (from 0), records,
// value_bytes, seconds, commits, aborts, abort_rate (aborts / attempts), commits_per_sec,
// read_misses, txn_latency and commit_latency ({count, p50_us, p95_us, p99_us, p999_us, max_us});
// txn-put adds plain_puts, plain_seconds, plain_puts_per_sec, plain_latency; txn-transfer adds
// total_checked (the balances' sum was verified after the cell).
#ifndef ZIGGYDB_TOOLS_BENCH_TXN_OUTPUT_H_
#define ZIGGYDB_TOOLS_BENCH_TXN_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/bench/txn_runner.h"

namespace ziggydb::bench {

nlohmann::json TxnToJson(const TxnCellResult& r, const TxnRunConfig& config);

// The line standing for a cell run in several rounds: the first failed round if one failed,
// else the median by commits_per_sec (the lower of the two middle ones for an even count);
// nullptr for none.
const nlohmann::json* MedianRound(const std::vector<const nlohmann::json*>& rounds);
// The line of an engine that has no transactions (LevelDB): ok, skipped, with the reason.
nlohmann::json TxnSkippedJson(std::string_view engine, const TxnRunConfig& config);

// The tables of one transaction workload from all the run's lines (other lines are ignored):
// one per hot set, rows ordered by threads; a cell run in several rounds (lines with the same
// threads, engine and isolation) shows its median round by commits/s and the range. Then, per
// thread count, ZiggyDB snapshot commits/s over RocksDB's and LMDB's, and ZiggyDB serializable
// over ZiggyDB snapshot, from the medians.
void PrintTxnTables(const std::string& workload, const std::vector<nlohmann::json>& lines);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_TXN_OUTPUT_H_
