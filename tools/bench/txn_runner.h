// The transaction workloads of `ziggy bench` (issue 13), run against any Engine with
// transactions (Engine::TxnIsolations not empty).
//
// Dataset: `records` keys YcsbKey(i, hashed) written by LoadTxnDataset in batches of 1000,
// untimed. Values: txn-transfer's are account balances (EncodeBalance), the others'
// ValueSource(seed, value_bytes) values.
//
// A cell: `threads` threads run one workload's transactions at one isolation level for
// duration_seconds (or operations_per_thread operations). Each operation is one transaction:
//   txn-ycsba     YCSB A's mix, keys zipfian: 50% read (a read-only transaction: Get, Commit),
//                 50% update (Put of a new value, Commit: a blind write, as YCSB's update).
//   txn-ycsbf     YCSB F's mix, keys zipfian: 50% read, 50% read-modify-write (Get, Put, Commit).
//   txn-transfer  moves 1..100 between two distinct accounts from TransferKeyChooser (the hot
//                 set): Get both, Put both, Commit. The sum of the balances never changes
//                 (CheckTransferTotal).
//   txn-put       one Put and Commit on a uniform key, after the same threads ran plain
//                 Engine::Put on uniform keys for the same time: the cost of a one-key
//                 transaction over a plain Put.
// A Commit (or a read or write inside the transaction) returning Busy is a conflict: it counts
// one abort and the operation is retried at once with a new transaction, the same keys and
// values, until it commits (kAttemptsMax attempts at most, then the cell fails). Requests come
// from per-thread Randoms seeded by (seed, thread), so every engine gets the same operations.
//
// Latency: txn = from the first Begin of an operation to its successful Commit, retries
// included; commit = the successful Commit call alone.
#ifndef ZIGGYDB_TOOLS_BENCH_TXN_RUNNER_H_
#define ZIGGYDB_TOOLS_BENCH_TXN_RUNNER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/bench/engine.h"
#include "util/histogram.h"
#include "util/random.h"
#include "ziggydb/status.h"

namespace ziggydb::bench {

enum class TxnWorkload : uint8_t { kYcsbA, kYcsbF, kTransfer, kPut };

struct TxnWorkloadInfo {
  std::string_view name;  // "txn-ycsba", ...
  std::string_view description;
  TxnWorkload kind;
};

// Every transaction workload, in the order "txn" expands to.
const std::vector<TxnWorkloadInfo>& TxnWorkloads();
// nullptr when `name` is not one.
const TxnWorkloadInfo* FindTxnWorkload(std::string_view name);

// Attempts per operation before a cell gives up (a conflict always lets some transaction
// commit, so only an engine that keeps refusing reaches it).
inline constexpr int kAttemptsMax = 10'000;
// Every account's balance after LoadTxnDataset.
inline constexpr int64_t kInitialBalance = 1'000'000;

// The two distinct accounts of a transfer, drawn uniformly from the hot set: accounts
// [0, hot_keys), or all `accounts` when hot_keys is 0 or not below it. A hot set of one account
// is widened to two. Immutable after construction; Next draws from the caller's Random.
class TransferKeyChooser {
 public:
  // Precondition: accounts >= 2.
  TransferKeyChooser(uint64_t accounts, uint64_t hot_keys);
  std::pair<uint64_t, uint64_t> Next(Random* rnd) const;
  // The accounts transfers draw from.
  uint64_t span() const { return span_; }

 private:
  uint64_t span_;
};

// A balance as a value of `value_bytes` bytes (at least 8): 8 bytes little-endian two's
// complement, then '.' padding.
std::string EncodeBalance(int64_t balance, size_t value_bytes);
// False when `value` is shorter than 8 bytes.
bool DecodeBalance(std::string_view value, int64_t* balance);

struct TxnRunConfig {
  const TxnWorkloadInfo* workload = nullptr;
  uint64_t records = 100'000;
  size_t value_bytes = 100;  // txn-transfer uses at least 8
  uint64_t hot_keys = 0;     // txn-transfer: see TransferKeyChooser
  int threads = 1;
  TxnIsolation isolation = TxnIsolation::kSnapshot;
  double duration_seconds = 5;
  // Operations per thread after which it stops (each half of txn-put); 0 = until the deadline.
  uint64_t operations_per_thread = 0;
  uint64_t seed = 42;
  bool print_progress = true;  // the once-per-second line on stderr
};

struct TxnCellResult {
  std::string engine;
  std::string workload;
  uint64_t commits = 0;
  uint64_t aborts = 0;       // attempts that ended in a conflict (Busy)
  uint64_t read_misses = 0;  // Gets that found nothing (expect 0)
  double seconds = 0;
  Histogram txn_latency_ns;
  Histogram commit_latency_ns;
  // txn-put only: the plain Puts run before the transactions.
  uint64_t plain_puts = 0;
  double plain_seconds = 0;
  Histogram plain_latency_ns;
  Status status;

  double commits_per_sec() const {
    return seconds > 0 ? static_cast<double>(commits) / seconds : 0;
  }
  double plain_puts_per_sec() const {
    return plain_seconds > 0 ? static_cast<double>(plain_puts) / plain_seconds : 0;
  }
  // aborts / attempts
  double abort_rate() const {
    const uint64_t attempts = commits + aborts;
    return attempts > 0 ? static_cast<double>(aborts) / static_cast<double>(attempts) : 0;
  }
};

// Writes the dataset of config.workload into an empty open engine.
Status LoadTxnDataset(Engine* engine, const TxnRunConfig& config);
// Runs one cell on an engine holding the dataset.
TxnCellResult RunTxnCell(Engine* engine, const TxnRunConfig& config);
// txn-transfer: Corruption unless the balances add up to records x kInitialBalance.
Status CheckTransferTotal(Engine* engine, const TxnRunConfig& config);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_TXN_RUNNER_H_
