#include "tools/bench/txn_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/core.h>

#include "tools/bench/phase_metrics.h"
#include "tools/bench/ycsb_generators.h"
#include "tools/cli_util.h"
#include "util/coding.h"

namespace ziggydb::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kLoadBatchKeys = 1000;
constexpr uint64_t kTransferAmountMax = 100;
constexpr size_t kBalanceBytes = 8;

// One logical operation; a retry repeats it unchanged.
struct TxnOp {
  enum class Kind : uint8_t { kRead, kUpdate, kReadModifyWrite, kTransfer };
  Kind kind = Kind::kRead;
  uint64_t key = 0;    // the record; the source account of a transfer
  uint64_t to = 0;     // a transfer's destination account
  uint64_t salt = 0;   // picks the new value of an update or read-modify-write
  int64_t amount = 0;  // moved by a transfer
};

struct TxnWorker {
  Engine* engine = nullptr;
  const TxnRunConfig* config = nullptr;
  const tools::ValueSource* values = nullptr;
  const ScrambledZipfianGenerator* zipfian = nullptr;  // txn-ycsba, txn-ycsbf
  std::optional<TransferKeyChooser> chooser;           // txn-transfer
  Random rnd{0};
  Clock::time_point plain_deadline;  // txn-put: plain Puts until then
  Clock::time_point deadline;
  Clock::time_point plain_end;  // when this thread's plain Puts stopped
  uint64_t commits = 0;
  uint64_t aborts = 0;
  uint64_t read_misses = 0;
  uint64_t plain_puts = 0;
  Histogram txn_latency_ns;
  Histogram commit_latency_ns;
  Histogram plain_latency_ns;
  std::atomic<uint64_t> done{0};  // read by the monitor thread; relaxed is enough for a count
  std::string key, key2, value, value2;
  Status status;
};

uint64_t NanosSince(Clock::time_point start, Clock::time_point end) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

TxnOp NextOp(TxnWorker* w) {
  TxnOp op;
  switch (w->config->workload->kind) {
    case TxnWorkload::kYcsbA:
    case TxnWorkload::kYcsbF: {
      const bool read = w->rnd.OneIn(2);
      op.key = w->zipfian->Next(&w->rnd);
      op.salt = w->rnd.Next64();
      if (read) {
        op.kind = TxnOp::Kind::kRead;
      } else {
        op.kind = w->config->workload->kind == TxnWorkload::kYcsbA ? TxnOp::Kind::kUpdate
                                                                   : TxnOp::Kind::kReadModifyWrite;
      }
      return op;
    }
    case TxnWorkload::kTransfer: {
      op.kind = TxnOp::Kind::kTransfer;
      std::tie(op.key, op.to) = w->chooser->Next(&w->rnd);
      op.amount = static_cast<int64_t>(w->rnd.Uniform(kTransferAmountMax) + 1);
      return op;
    }
    case TxnWorkload::kPut:
      op.kind = TxnOp::Kind::kUpdate;
      op.key = w->rnd.Uniform(w->config->records);
      op.salt = w->rnd.Next64();
      return op;
  }
  return op;
}

// Reads `key` into *value; a miss is counted, not an error.
Status TxnGet(TxnWorker* w, EngineTxn* txn, const std::string& key, std::string* value) {
  Status s = txn->Get(key, value);
  if (s.IsNotFound()) {
    ++w->read_misses;
    value->clear();
    return Status::OK();
  }
  return s;
}

Status Transfer(TxnWorker* w, const TxnOp& op, EngineTxn* txn) {
  YcsbKey(op.to, true, &w->key2);
  Status s = TxnGet(w, txn, w->key, &w->value);
  if (s.ok()) s = TxnGet(w, txn, w->key2, &w->value2);
  if (!s.ok()) return s;
  int64_t from_balance = 0;
  int64_t to_balance = 0;
  if (!DecodeBalance(w->value, &from_balance) || !DecodeBalance(w->value2, &to_balance)) {
    return Status::Corruption("transfer: an account holds no balance", w->key);
  }
  const size_t bytes = std::max(w->config->value_bytes, kBalanceBytes);
  s = txn->Put(w->key, EncodeBalance(from_balance - op.amount, bytes));
  if (s.ok()) s = txn->Put(w->key2, EncodeBalance(to_balance + op.amount, bytes));
  return s;
}

// The reads and writes of one attempt of `op`, before its Commit.
Status Body(TxnWorker* w, const TxnOp& op, EngineTxn* txn) {
  YcsbKey(op.key, true, &w->key);
  switch (op.kind) {
    case TxnOp::Kind::kRead:
      return TxnGet(w, txn, w->key, &w->value);
    case TxnOp::Kind::kUpdate:
      w->values->ValueFor(op.salt, &w->value);
      return txn->Put(w->key, w->value);
    case TxnOp::Kind::kReadModifyWrite: {
      Status s = TxnGet(w, txn, w->key, &w->value);
      if (!s.ok()) return s;
      w->values->ValueFor(op.salt, &w->value);  // the "modify": a new value of the same size
      return txn->Put(w->key, w->value);
    }
    case TxnOp::Kind::kTransfer:
      return Transfer(w, op, txn);
  }
  return Status::OK();
}

// Runs `op` until it commits; false (error in w->status) when it cannot.
bool RunOp(TxnWorker* w, const TxnOp& op) {
  const TxnOptions options{w->config->isolation, op.kind == TxnOp::Kind::kRead};
  const Clock::time_point start = Clock::now();
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    std::unique_ptr<EngineTxn> txn;
    Status s = w->engine->BeginTransaction(options, &txn);
    if (s.ok()) s = Body(w, op, txn.get());
    Clock::time_point commit_start;
    if (s.ok()) {
      commit_start = Clock::now();
      s = txn->Commit();
    }
    if (s.ok()) {
      const Clock::time_point end = Clock::now();
      w->commit_latency_ns.Add(NanosSince(commit_start, end));
      w->txn_latency_ns.Add(NanosSince(start, end));
      ++w->commits;
      w->done.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (!s.IsBusy()) {
      w->status = s;
      return false;
    }
    ++w->aborts;  // the failed transaction rolls back when txn goes out of scope
  }
  w->status = Status::Busy("no commit after the maximum attempts", std::to_string(kAttemptsMax));
  return false;
}

// txn-put's first half: plain Puts of the same kind of operation.
bool RunPlainPut(TxnWorker* w) {
  const TxnOp op = NextOp(w);
  YcsbKey(op.key, true, &w->key);
  w->values->ValueFor(op.salt, &w->value);
  const Clock::time_point start = Clock::now();
  Status s = w->engine->Put(w->key, w->value);
  w->plain_latency_ns.Add(NanosSince(start, Clock::now()));
  if (!s.ok()) {
    w->status = s;
    return false;
  }
  ++w->plain_puts;
  w->done.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void WorkerBody(TxnWorker* w) {
  const uint64_t cap = w->config->operations_per_thread;
  const auto more = [cap](uint64_t done, Clock::time_point deadline) {
    return (cap == 0 || done < cap) && Clock::now() < deadline;
  };
  if (w->config->workload->kind == TxnWorkload::kPut) {
    while (more(w->plain_puts, w->plain_deadline))
      if (!RunPlainPut(w)) return;
    w->plain_end = Clock::now();
  }
  while (more(w->commits, w->deadline))
    if (!RunOp(w, NextOp(w))) return;
}

Clock::time_point After(Clock::time_point start, double seconds) {
  return start +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

const std::vector<TxnWorkloadInfo>& TxnWorkloads() {
  static const std::vector<TxnWorkloadInfo> kWorkloads = {
      {"txn-ycsba", "YCSB A as transactions: 50% read, 50% blind update; zipfian",
       TxnWorkload::kYcsbA},
      {"txn-ycsbf", "YCSB F as transactions: 50% read, 50% read-modify-write; zipfian",
       TxnWorkload::kYcsbF},
      {"txn-transfer", "move an amount between two accounts of the hot set",
       TxnWorkload::kTransfer},
      {"txn-put", "plain Put, then a one-key transaction (Put, Commit); uniform",
       TxnWorkload::kPut},
  };
  return kWorkloads;
}

const TxnWorkloadInfo* FindTxnWorkload(std::string_view name) {
  for (const TxnWorkloadInfo& w : TxnWorkloads())
    if (w.name == name) return &w;
  return nullptr;
}

TransferKeyChooser::TransferKeyChooser(uint64_t accounts, uint64_t hot_keys)
    : span_(hot_keys == 0 || hot_keys >= accounts ? accounts : std::max<uint64_t>(hot_keys, 2)) {}

std::pair<uint64_t, uint64_t> TransferKeyChooser::Next(Random* rnd) const {
  const uint64_t from = rnd->Uniform(span_);
  // Uniform over the other span_ - 1 accounts: draw below span_ - 1 and skip `from`.
  uint64_t to = rnd->Uniform(span_ - 1);
  if (to >= from) ++to;
  return {from, to};
}

std::string EncodeBalance(int64_t balance, size_t value_bytes) {
  std::string value(std::max(value_bytes, kBalanceBytes), '.');
  EncodeFixed64(value.data(), static_cast<uint64_t>(balance));
  return value;
}

bool DecodeBalance(std::string_view value, int64_t* balance) {
  if (value.size() < kBalanceBytes) return false;
  *balance = static_cast<int64_t>(DecodeFixed64(value.data()));
  return true;
}

Status LoadTxnDataset(Engine* engine, const TxnRunConfig& config) {
  const bool balances = config.workload->kind == TxnWorkload::kTransfer;
  const tools::ValueSource values(config.seed, config.value_bytes);
  const std::string balance = EncodeBalance(kInitialBalance, config.value_bytes);
  std::vector<std::string> keys, vals;
  std::vector<KeyValue> batch;
  for (uint64_t begin = 0; begin < config.records; begin += kLoadBatchKeys) {
    const uint64_t end = std::min(config.records, begin + kLoadBatchKeys);
    keys.resize(end - begin);
    vals.resize(end - begin);
    batch.clear();
    for (uint64_t i = begin; i < end; ++i) {
      YcsbKey(i, true, &keys[i - begin]);
      if (balances) {
        vals[i - begin] = balance;
      } else {
        values.ValueFor(i, &vals[i - begin]);
      }
      batch.push_back(KeyValue{keys[i - begin], vals[i - begin]});
    }
    Status s = engine->WriteBatch(batch);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

TxnCellResult RunTxnCell(Engine* engine, const TxnRunConfig& config) {
  TxnCellResult result;
  result.engine = std::string(engine->name());
  result.workload = std::string(config.workload->name);
  const tools::ValueSource values(config.seed, config.value_bytes);
  std::optional<ScrambledZipfianGenerator> zipfian;
  const TxnWorkload kind = config.workload->kind;
  if (kind == TxnWorkload::kYcsbA || kind == TxnWorkload::kYcsbF) zipfian.emplace(config.records);
  const bool plain_first = kind == TxnWorkload::kPut;
  const uint64_t threads = static_cast<uint64_t>(std::max(config.threads, 1));
  std::vector<std::unique_ptr<TxnWorker>> workers;
  for (uint64_t t = 0; t < threads; ++t) {
    auto w = std::make_unique<TxnWorker>();
    w->engine = engine;
    w->config = &config;
    w->values = &values;
    w->zipfian = zipfian ? &*zipfian : nullptr;
    if (kind == TxnWorkload::kTransfer) w->chooser.emplace(config.records, config.hot_keys);
    // Distinct streams per (seed, workload, thread), equal for every engine and isolation level.
    w->rnd = Random(Fnv1a64(config.seed) ^ (t * 0x9e3779b97f4a7c15ULL) ^
                    (static_cast<uint64_t>(kind) + 1) * 0xc2b2ae3d27d4eb4fULL);
    workers.push_back(std::move(w));
  }
  ThroughputMonitor monitor(
      fmt::format("{}/{} {} {}t", engine->name(), config.workload->name,
                  TxnIsolationName(config.isolation), threads),
      [&workers] {
        uint64_t done = 0;
        for (const auto& w : workers)
          done += w->done.load(std::memory_order_relaxed);
        return done;
      },
      config.print_progress);
  const Clock::time_point start = Clock::now();
  const Clock::time_point plain_deadline =
      After(start, plain_first ? config.duration_seconds : 0.0);
  const Clock::time_point deadline = After(plain_deadline, config.duration_seconds);
  std::vector<std::thread> running;
  for (auto& w : workers) {
    w->plain_deadline = plain_deadline;
    w->deadline = deadline;
    TxnWorker* worker = w.get();
    running.emplace_back([worker] { WorkerBody(worker); });
  }
  for (std::thread& thread : running)
    thread.join();
  const Clock::time_point end = Clock::now();
  monitor.Stop();
  // Workers stop at the first operation after a deadline (or the cap), so the halves end at
  // most one operation late; the transactions' time starts when the last plain Put ended.
  Clock::time_point plain_end = start;
  for (const auto& w : workers)
    plain_end = std::max(plain_end, w->plain_end);
  result.plain_seconds = std::chrono::duration<double>(plain_end - start).count();
  result.seconds = std::chrono::duration<double>(end - plain_end).count();
  for (const auto& w : workers) {
    result.commits += w->commits;
    result.aborts += w->aborts;
    result.read_misses += w->read_misses;
    result.plain_puts += w->plain_puts;
    result.txn_latency_ns.Merge(w->txn_latency_ns);
    result.commit_latency_ns.Merge(w->commit_latency_ns);
    result.plain_latency_ns.Merge(w->plain_latency_ns);
    if (result.status.ok() && !w->status.ok()) result.status = w->status;
  }
  return result;
}

Status CheckTransferTotal(Engine* engine, const TxnRunConfig& config) {
  std::string key, value;
  int64_t total = 0;
  for (uint64_t i = 0; i < config.records; ++i) {
    YcsbKey(i, true, &key);
    Status s = engine->Get(key, &value);
    if (!s.ok()) return s;
    int64_t balance = 0;
    if (!DecodeBalance(value, &balance)) return Status::Corruption("not a balance", key);
    total += balance;
  }
  const int64_t expected = static_cast<int64_t>(config.records) * kInitialBalance;
  if (total != expected) {
    return Status::Corruption("transfer: the balances changed their sum",
                              fmt::format("{} instead of {}", total, expected));
  }
  return Status::OK();
}

}  // namespace ziggydb::bench
