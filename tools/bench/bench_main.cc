// `ziggy bench`: runs db_bench-style workloads and the YCSB core workloads (load + run phases)
// against ZiggyDB and the peer engines compiled in, one engine after another on the same generated
// requests, prints comparison tables, appends JSON lines (--json) and renders an HTML report
// (--report). The transaction workloads (txn-*, issue 13) run as a grid of cells per engine. `ziggy
// bench-report` re-renders the report from JSON lines.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/bench/bench_output.h"
#include "tools/bench/engine.h"
#include "tools/bench/memory_cap.h"
#include "tools/bench/open_workload.h"
#include "tools/bench/phase_metrics.h"
#include "tools/bench/report.h"
#include "tools/bench/txn_output.h"
#include "tools/bench/txn_runner.h"
#include "tools/bench/workloads.h"
#include "tools/bench/ycsb_runner.h"
#include "tools/bench/ycsb_spec.h"
#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace ziggydb::tools {
namespace {

using bench::BenchConfig;
using bench::Engine;
using bench::WorkloadInfo;
using bench::WorkloadResult;
using bench::YcsbPhase;

constexpr std::string_view kDefaultBenchmarks =
    "fillseq,fillrandom,overwrite,readrandom,readmissing,fillsync,readseq,readreverse,seekrandom";

struct BenchArgs {
  BenchConfig config;
  std::string engines = "ziggydb";
  std::string benchmarks{kDefaultBenchmarks};
  std::vector<std::string> workload_files;
  std::string db_dir;
  std::string json_path;
  std::string report_dir;
  size_t write_buffer_mib = 64;
  size_t block_cache_mib = 32;
  size_t memory_budget_mib = 0;  // ZiggyDB's Options::memory_budget_bytes; 0: none
  size_t row_cache_mib = 0;      // ZiggyDB's and RocksDB's row cache; 0: none
  bool sync = false;
  bool keep = false;
  bool progress = false;
  // After a phase that wrote, how long the process must write under 1 MiB/s to count as idle.
  double settle_quiet_seconds = 1;
  // YCSB overrides of the workload's own settings; unset when 0 / empty.
  uint64_t records = 0;
  uint64_t operations = 0;
  double duration_seconds = 0;
  double target_ops_per_sec = 0;
  uint32_t field_count = 0;
  uint32_t field_length = 0;
  std::string distribution;
  bool threads_given = false;
  bool benchmarks_given = false;
  // The bigger-than-memory mode: the process's memory cgroup cap (0: none) and, once created, the
  // cap whose page cache every read phase starts without.
  uint64_t memory_limit_mib = 0;
  bench::MemoryCap* memory_cap = nullptr;
  // Transaction workloads: the cells' thread counts, isolation levels and transfer hot sets, as
  // given (comma-separated) and parsed.
  std::string txn_threads = "1,2,4";
  std::string txn_isolation = "snapshot,serializable";
  std::string txn_hot_keys = "0";
  int txn_rounds = 1;
  std::vector<int> txn_thread_counts;
  std::vector<bench::TxnIsolation> txn_levels;
  std::vector<uint64_t> txn_hot_sets;
};

// One entry of the run list: a db_bench workload, a YCSB workload (load + run) or a transaction
// workload.
struct BenchItem {
  const WorkloadInfo* db_bench = nullptr;
  std::optional<bench::YcsbPhaseConfig> ycsb;
  const bench::TxnWorkloadInfo* txn = nullptr;
  bool open = false;  // the `open` workload (open_workload.h)
};

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The engine state the runner tracks between workloads.
struct EngineRun {
  std::unique_ptr<Engine> engine;
  std::string dir;
  bool open = false;
  bool synced = false;              // opened with sync on
  bool loaded = false;              // holds the db_bench num-key dataset
  bool transactions = false;        // EngineConfig::transactions of the next Reopen
  double settle_quiet_seconds = 1;  // BenchArgs::settle_quiet_seconds
};

Status Reopen(EngineRun* run, const BenchConfig& config, bool fresh, bool sync) {
  if (run->open) {
    Status s = run->engine->Close();
    run->open = false;
    if (!s.ok()) return s;
  }
  std::error_code ec;
  if (fresh) {
    std::filesystem::remove_all(run->dir, ec);
    run->loaded = false;
  }
  std::filesystem::create_directories(run->dir, ec);
  if (ec) return Status::IOError("cannot create " + run->dir, ec.message());
  bench::EngineConfig engine_config = config.engine;
  engine_config.sync = sync;
  engine_config.transactions = run->transactions;
  Status s = run->engine->Open(run->dir, engine_config);
  run->open = s.ok();
  run->synced = sync;
  return s;
}

// After a phase that wrote: waits for the background work it left (its cost is part of the
// phase's settled write amplification, and the next phase starts on an idle store).
void Settle(EngineRun* run, bench::PhaseCost* settle) {
  Status s = bench::SettleBackgroundWork(run->engine.get(), run->settle_quiet_seconds, settle);
  if (!s.ok()) {
    tools::PrintToStderr("{}: settling background work: {}\n", run->engine->name(), s.ToString());
  }
}

// In the bigger-than-memory mode, a read phase starts with none of the store in the page cache.
void DropCacheBeforeReads(const BenchArgs& args, std::string_view engine) {
  if (args.memory_cap == nullptr) return;
  Status s = args.memory_cap->DropCache();
  if (!s.ok()) tools::PrintToStderr("{}: dropping the page cache: {}\n", engine, s.ToString());
}

// Runs one db_bench workload with the store in the state it needs; *cost is measured around the
// timed part, plus the background work it left (settle_*). Results of skipped workloads say why.
WorkloadResult RunDbBench(EngineRun* run, const WorkloadInfo& info, const BenchArgs& args,
                          bench::PhaseCost* cost) {
  const bool sync = info.sync || args.sync;
  WorkloadResult skipped;
  skipped.engine = std::string(run->engine->name());
  skipped.workload = std::string(info.name);
  if (info.fresh_db || !run->open || run->synced != sync) {
    skipped.status = Reopen(run, args.config, info.fresh_db, sync);
    if (!skipped.status.ok()) return skipped;
  }
  if (info.needs_data && !run->loaded) {
    tools::PrintToStderr("{}: loading {} keys for {} (untimed)\n", run->engine->name(),
                         WithCommas(args.config.num), info.name);
    skipped.status = bench::Preload(run->engine.get(), args.config);
    if (!skipped.status.ok()) return skipped;
    run->loaded = true;
  }
  if (!info.writes && !info.sync) DropCacheBeforeReads(args, run->engine->name());
  const bench::ResourceSnapshot before = bench::TakeSnapshot(run->engine.get(), run->dir);
  WorkloadResult result = bench::RunWorkload(run->engine.get(), info, args.config);
  const bench::ResourceSnapshot after = bench::TakeSnapshot(run->engine.get(), run->dir);
  bench::PhaseCost settle;
  if (info.writes && result.status.ok()) Settle(run, &settle);
  *cost = bench::PhaseCost::Between(before, after, bench::DirBytesOnDisk(run->dir));
  cost->settle_write_bytes = settle.settle_write_bytes;
  cost->settle_seconds = settle.settle_seconds;
  if (info.fresh_db) run->loaded = info.writes && result.status.ok();
  if (result.status.ok()) {
    tools::PrintToStderr("{}/{}: {} ops/s, p99 {:.2f} us\n", run->engine->name(), info.name,
                         WithCommas(static_cast<uint64_t>(static_cast<double>(result.ops) /
                                                          std::max(result.seconds, 1e-9))),
                         NsToUs(result.latency_ns.Percentile(99)));
  }
  return result;
}

// One measured YCSB phase, as its JSON line.
nlohmann::json RunYcsbPhase(EngineRun* run, YcsbPhase phase, const bench::YcsbPhaseConfig& config,
                            const BenchArgs& args, uint64_t* live_user_bytes, bool* ok) {
  if (phase == YcsbPhase::kRun) DropCacheBeforeReads(args, run->engine->name());
  const bench::ResourceSnapshot before = bench::TakeSnapshot(run->engine.get(), run->dir);
  bench::YcsbPhaseResult r = bench::RunYcsbPhase(run->engine.get(), phase, config);
  const bench::ResourceSnapshot after = bench::TakeSnapshot(run->engine.get(), run->dir);
  bench::PhaseCost settle;
  if (r.user_write_bytes > 0 && r.status.ok()) Settle(run, &settle);
  r.cost = bench::PhaseCost::Between(before, after, bench::DirBytesOnDisk(run->dir));
  r.cost.settle_write_bytes = settle.settle_write_bytes;
  r.cost.settle_seconds = settle.settle_seconds;
  *live_user_bytes += r.new_record_bytes;
  r.live_user_bytes = *live_user_bytes;
  *ok = r.status.ok();
  if (r.status.ok()) {
    tools::PrintToStderr("{}/{} {}: {} ops/s\n", r.engine, r.workload, bench::YcsbPhaseName(phase),
                         WithCommas(static_cast<uint64_t>(r.ops_per_sec())));
  }
  return bench::YcsbToJson(r, config);
}

// A YCSB workload on a fresh store: the load phase, then (if it succeeded) the run phase.
std::vector<nlohmann::json> RunYcsb(EngineRun* run, const bench::YcsbPhaseConfig& config,
                                    const BenchArgs& args) {
  run->loaded = false;  // the store will hold the YCSB records, not the db_bench dataset
  Status s = Reopen(run, args.config, /*fresh=*/true, args.sync);
  if (!s.ok()) {
    bench::YcsbPhaseResult failed;
    failed.engine = std::string(run->engine->name());
    failed.workload = config.spec.name;
    failed.status = s;
    return {bench::YcsbToJson(failed, config)};
  }
  uint64_t live_user_bytes = 0;
  bool ok = false;
  std::vector<nlohmann::json> lines;
  lines.push_back(RunYcsbPhase(run, YcsbPhase::kLoad, config, args, &live_user_bytes, &ok));
  if (ok) lines.push_back(RunYcsbPhase(run, YcsbPhase::kRun, config, args, &live_user_bytes, &ok));
  return lines;
}

// One transaction cell, as its JSON line; txn-transfer checks the balances' sum after it.
nlohmann::json RunTxnCell(EngineRun* run, const bench::TxnRunConfig& config) {
  const bench::TxnCellResult r = bench::RunTxnCell(run->engine.get(), config);
  nlohmann::json j = bench::TxnToJson(r, config);
  if (r.status.ok() && config.workload->kind == bench::TxnWorkload::kTransfer) {
    Status s = bench::CheckTransferTotal(run->engine.get(), config);
    j["total_checked"] = s.ok();
    if (!s.ok()) {
      j["ok"] = false;
      j["error"] = s.ToString();
    }
  }
  bench::PhaseCost settle;
  if (r.status.ok()) {
    Settle(run, &settle);
    tools::PrintToStderr("{}/{} {} {}t: {} commits/s, {:.2f}% aborts\n", r.engine, r.workload,
                         bench::TxnIsolationName(config.isolation), config.threads,
                         WithCommas(static_cast<uint64_t>(r.commits_per_sec())),
                         100 * r.abort_rate());
  }
  return j;
}

// An engine's store for one transaction workload, with the isolation levels it runs.
struct TxnStore {
  EngineRun run;
  std::vector<bench::TxnIsolation> levels;
  bool failed = false;  // a cell failed: no more cells on this store
};

// Opens run's store fresh for transactions and loads config's dataset (untimed).
Status OpenTxnStore(EngineRun* run, const bench::TxnRunConfig& config, const BenchArgs& args) {
  run->loaded = false;
  run->transactions = true;
  Status s = Reopen(run, args.config, /*fresh=*/true, args.sync);
  run->transactions = false;
  if (!s.ok()) return s;
  tools::PrintToStderr("{}: loading {} records for {} (untimed)\n", run->engine->name(),
                       WithCommas(config.records), config.workload->name);
  s = bench::LoadTxnDataset(run->engine.get(), config);
  bench::PhaseCost settle;
  if (s.ok()) Settle(run, &settle);
  return s;
}

// A transaction workload on every engine: each gets a fresh store opened for transactions with
// the dataset loaded, then the cells run one after another across the engines (per transfer hot
// set, per thread count: each engine at each level it offers), so that the engines compared in
// a cell are measured within seconds of each other on this shared machine.
std::vector<nlohmann::json> RunTxn(const std::vector<std::string>& engines,
                                   const bench::TxnWorkloadInfo& info, const BenchArgs& args) {
  bench::TxnRunConfig config;
  config.workload = &info;
  config.records = args.records > 0 ? args.records : config.records;
  config.value_bytes = args.config.value_bytes;
  config.duration_seconds = args.duration_seconds > 0 ? args.duration_seconds : 5;
  config.operations_per_thread = args.operations;
  config.seed = args.config.seed;
  config.print_progress = args.config.progress;
  std::vector<nlohmann::json> lines;
  std::vector<TxnStore> stores;
  for (const std::string& name : engines) {
    // A directory per engine and workload, so that --keep keeps each store.
    TxnStore store{EngineRun{.engine = bench::NewEngine(name),
                             .dir = fmt::format("{}/{}-{}", args.db_dir, name, info.name),
                             .settle_quiet_seconds = args.settle_quiet_seconds},
                   {}};
    for (bench::TxnIsolation level : store.run.engine->TxnIsolations())
      if (std::count(args.txn_levels.begin(), args.txn_levels.end(), level) > 0)
        store.levels.push_back(level);
    if (store.levels.empty()) {
      lines.push_back(bench::TxnSkippedJson(name, config));
      continue;
    }
    Status s = OpenTxnStore(&store.run, config, args);
    if (!s.ok()) {
      nlohmann::json j = bench::TxnSkippedJson(name, config);
      j["ok"] = false;
      j["skipped"] = false;
      j["error"] = s.ToString();
      lines.push_back(std::move(j));
      store.failed = true;
    }
    stores.push_back(std::move(store));
  }
  const std::vector<uint64_t> hot_sets =
      info.kind == bench::TxnWorkload::kTransfer ? args.txn_hot_sets : std::vector<uint64_t>{0};
  for (uint64_t hot : hot_sets) {
    for (int threads : args.txn_thread_counts) {
      for (int round = 0; round < args.txn_rounds; ++round) {
        for (TxnStore& store : stores) {
          for (size_t i = 0; i < store.levels.size() && !store.failed; ++i) {
            config.hot_keys = hot;
            config.threads = threads;
            config.isolation = store.levels[i];
            lines.push_back(RunTxnCell(&store.run, config));
            lines.back()["round"] = round;
            store.failed = !lines.back().value("ok", false);
          }
        }
      }
    }
  }
  for (TxnStore& store : stores) {
    if (store.run.open) store.run.engine->Close().PermitUncheckedError();
    if (!args.keep) {
      std::error_code ec;
      std::filesystem::remove_all(store.run.dir, ec);
    }
  }
  return lines;
}

// The YCSB phase config of `spec` with the command line's overrides applied.
std::optional<bench::YcsbPhaseConfig> YcsbConfig(bench::YcsbSpec spec, const BenchArgs& args) {
  if (args.records > 0) spec.record_count = args.records;
  if (args.operations > 0) spec.operation_count = args.operations;
  if (args.duration_seconds > 0 && args.operations == 0) spec.operation_count = 0;
  if (args.field_count > 0) spec.field_count = args.field_count;
  if (args.field_length > 0) spec.field_length = args.field_length;
  if (!args.distribution.empty() &&
      !bench::ParseDistribution(args.distribution, &spec.request_distribution)) {
    tools::PrintToStderr("ziggy bench: unknown --distribution '{}' (uniform, zipfian, latest)\n",
                         args.distribution);
    return std::nullopt;
  }
  Status s = spec.Normalize();
  if (!s.ok()) {
    tools::PrintToStderr("ziggy bench: {}\n", s.ToString());
    return std::nullopt;
  }
  bench::YcsbPhaseConfig config;
  config.threads = args.threads_given ? args.config.threads : spec.thread_count;
  config.spec = std::move(spec);
  config.seed = args.config.seed;
  config.duration_seconds = args.duration_seconds;
  config.target_ops_per_sec = args.target_ops_per_sec;
  return config;
}

// Adds the benchmark `name` (db_bench, ycsba..ycsbf, or "ycsb" for all six); false if unknown.
bool AddNamed(const std::string& name, const BenchArgs& args, std::vector<BenchItem>* items) {
  if (const WorkloadInfo* info = bench::FindWorkload(name)) {
    items->push_back(BenchItem{info, std::nullopt});
    return true;
  }
  if (name == bench::kOpenWorkload) {
    items->push_back(BenchItem{.open = true});
    return true;
  }
  for (const bench::TxnWorkloadInfo& txn : bench::TxnWorkloads()) {
    if (name == txn.name || name == "txn") items->push_back(BenchItem{nullptr, std::nullopt, &txn});
  }
  if (name == "txn" || bench::FindTxnWorkload(name) != nullptr) return true;
  for (const bench::YcsbSpec& spec : bench::BuiltinYcsbSpecs()) {
    if (name != spec.name && name != "ycsb") continue;
    std::optional<bench::YcsbPhaseConfig> config = YcsbConfig(spec, args);
    if (!config) return false;
    items->push_back(BenchItem{nullptr, std::move(config)});
    if (name != "ycsb") return true;
  }
  if (name == "ycsb") return true;
  std::vector<std::string> names;
  for (const WorkloadInfo& w : bench::AllWorkloads())
    names.emplace_back(w.name);
  for (const bench::YcsbSpec& spec : bench::BuiltinYcsbSpecs())
    names.push_back(spec.name);
  for (const bench::TxnWorkloadInfo& txn : bench::TxnWorkloads())
    names.emplace_back(txn.name);
  tools::PrintToStderr("ziggy bench: unknown benchmark '{}' (known: {},ycsb,txn,open)\n", name,
                       fmt::join(names, ","));
  return false;
}

// Parses the --txn-* lists into args; false after printing what is wrong.
bool ParseTxnLists(BenchArgs* args) {
  for (const std::string& item : SplitList(args->txn_isolation)) {
    if (item == "snapshot") {
      args->txn_levels.push_back(bench::TxnIsolation::kSnapshot);
    } else if (item == "serializable") {
      args->txn_levels.push_back(bench::TxnIsolation::kSerializable);
    } else {
      tools::PrintToStderr("ziggy bench: --txn-isolation: '{}' is not snapshot or serializable\n",
                           item);
      return false;
    }
  }
  // A cell per listed number: bounded so that a typo cannot start thousands of threads.
  constexpr uint64_t kTxnThreadsMax = 1024;
  for (const auto& [list, option] : {std::pair{&args->txn_threads, "--txn-threads"},
                                     std::pair{&args->txn_hot_keys, "--txn-hot-keys"}}) {
    for (const std::string& item : SplitList(*list)) {
      uint64_t n = 0;
      const bool threads = list == &args->txn_threads;
      const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (ec != std::errc() || end != item.data() + item.size() ||
          (threads && (n == 0 || n > kTxnThreadsMax))) {
        tools::PrintToStderr("ziggy bench: {}: '{}' is not {}\n", option, item,
                             threads ? "a thread count in 1..1024" : "a number of keys");
        return false;
      }
      if (threads) {
        args->txn_thread_counts.push_back(static_cast<int>(n));
      } else {
        args->txn_hot_sets.push_back(n);
      }
    }
  }
  if (args->txn_levels.empty() || args->txn_thread_counts.empty() || args->txn_hot_sets.empty()) {
    tools::PrintToStderr("ziggy bench: --txn-threads, --txn-isolation, --txn-hot-keys: empty\n");
    return false;
  }
  return true;
}

// Checks the lists and fills `engines`/`items`; false after printing what is wrong.
bool ParseLists(const BenchArgs& args, std::vector<std::string>* engines,
                std::vector<BenchItem>* items) {
  const std::vector<std::string> available = bench::AvailableEngines();
  for (const std::string& name : SplitList(args.engines)) {
    if (std::find(available.begin(), available.end(), name) == available.end()) {
      tools::PrintToStderr("ziggy bench: engine '{}' is not compiled in (available: {})\n", name,
                           fmt::join(available, ","));
      return false;
    }
    engines->push_back(name);
  }
  // Workload files alone replace the default db_bench list.
  if (args.benchmarks_given || args.workload_files.empty()) {
    for (const std::string& name : SplitList(args.benchmarks))
      if (!AddNamed(name, args, items)) return false;
  }
  for (const std::string& path : args.workload_files) {
    bench::YcsbSpec spec;
    Status s = bench::LoadYcsbPropertiesFile(path, &spec);
    std::optional<bench::YcsbPhaseConfig> config;
    if (s.ok()) config = YcsbConfig(std::move(spec), args);
    if (!s.ok() || !config) {
      if (!s.ok()) tools::PrintToStderr("ziggy bench: {}\n", s.ToString());
      return false;
    }
    items->push_back(BenchItem{nullptr, std::move(config)});
  }
  if (engines->empty() || items->empty()) {
    tools::PrintToStderr("ziggy bench: --engines and --benchmarks must name at least one\n");
    return false;
  }
  return true;
}

void PrintTables(const std::vector<BenchItem>& items,
                 std::map<std::string, std::vector<WorkloadResult>>* db_bench,
                 const std::vector<nlohmann::json>& lines, const BenchConfig& config) {
  std::vector<std::string> printed;  // a workload listed twice prints once
  for (const BenchItem& item : items) {
    const std::string name = item.db_bench != nullptr ? std::string(item.db_bench->name)
                             : item.txn != nullptr    ? std::string(item.txn->name)
                             : item.open              ? std::string(bench::kOpenWorkload)
                                                      : item.ycsb->spec.name;
    if (std::find(printed.begin(), printed.end(), name) != printed.end()) continue;
    printed.push_back(name);
    if (item.txn != nullptr) {
      bench::PrintTxnTables(name, lines);
      continue;
    }
    if (item.open) {
      bench::PrintOpenTable(lines);
      continue;
    }
    if (item.db_bench != nullptr) {
      auto it = db_bench->find(name);
      if (it != db_bench->end()) bench::PrintDbBenchTable(name, it->second, config);
      bench::PrintAmplification(name, lines);
      std::vector<nlohmann::json> workload_lines;
      for (const nlohmann::json& j : lines)
        if (j.value("kind", "") == "dbbench" && j.value("workload", "") == name)
          workload_lines.push_back(j);
      bench::PrintPerCpuAndReads(workload_lines);
      continue;
    }
    for (const char* phase : {"load", "run"}) {
      std::vector<nlohmann::json> phase_lines;
      for (const nlohmann::json& j : lines) {
        if (j.value("kind", "") == "ycsb" && j.value("workload", "") == name &&
            j.value("phase", "") == phase) {
          phase_lines.push_back(j);
        }
      }
      bench::PrintYcsbTable(phase_lines);
      bench::PrintPerCpuAndReads(phase_lines);
    }
  }
  fmt::print(
      "\nziggy/x: ZiggyDB's ops/s divided by the engine's; p99 x/ziggy: the engine's p99 latency "
      "divided by ZiggyDB's (above 1 in both: ZiggyDB is better). w-amp: bytes written to disk / "
      "user bytes written; s-amp: store size / live user bytes.\n");
}

Status WriteReport(const std::vector<nlohmann::json>& lines, const std::string& dir) {
  std::vector<std::string> files;
  Status s = bench::WriteBenchReport(lines, dir, &files);
  if (s.ok()) fmt::print("report: {}/index.html ({} files)\n", dir, files.size());
  return s;
}

ExitCode RunBench(BenchArgs args) {
  std::vector<std::string> engines;
  std::vector<BenchItem> items;
  if (!ParseTxnLists(&args)) return ExitCode::kUsage;
  if (!ParseLists(args, &engines, &items)) return ExitCode::kError;
  args.config.engine.write_buffer_bytes = args.write_buffer_mib << 20;
  args.config.engine.block_cache_bytes = args.block_cache_mib << 20;
  args.config.engine.memory_budget_bytes = args.memory_budget_mib << 20;
  args.config.engine.row_cache_bytes = args.row_cache_mib << 20;
  args.config.progress = args.progress || StderrIsTty();
  if (args.db_dir.empty()) {
    args.db_dir = (std::filesystem::temp_directory_path() / "ziggy-bench").string();
  }
  std::ofstream json;
  if (!args.json_path.empty()) {
    json.open(args.json_path, std::ios::app);
    if (!json) {
      return ReportError("bench", "cannot open " + args.json_path,
                         Status::IOError(std::strerror(errno)));
    }
  }
  std::unique_ptr<bench::MemoryCap> memory_cap;
  if (args.memory_limit_mib > 0) {
    Status s = bench::MemoryCap::Create(args.memory_limit_mib << 20, &memory_cap);
    if (!s.ok()) return ReportError("bench", "cannot cap the memory (--memory-limit-mib)", s);
    args.memory_cap = memory_cap.get();
    tools::PrintToStderr("ziggy bench: memory capped at {} MiB by cgroup {}\n",
                         args.memory_limit_mib, memory_cap->dir());
  }
  std::map<std::string, std::vector<WorkloadResult>> db_bench;
  std::vector<nlohmann::json> lines;
  bool failed = false;
  const auto record = [&](std::vector<nlohmann::json> new_lines) {
    for (nlohmann::json& j : new_lines) {
      if (args.memory_limit_mib > 0) j["memory_limit_mib"] = args.memory_limit_mib;
      if (!j.value("ok", false)) {
        failed = true;
        tools::PrintToStderr("ziggy bench: {}/{}: {}\n", j.value("engine", ""),
                             j.value("workload", ""), j.value("error", ""));
      }
      if (json.is_open()) json << j.dump() << std::endl;
      lines.push_back(std::move(j));
    }
  };
  for (const std::string& name : engines) {
    EngineRun run{.engine = bench::NewEngine(name),
                  .dir = args.db_dir + "/" + name,
                  .settle_quiet_seconds = args.settle_quiet_seconds};
    for (const BenchItem& item : items) {
      if (item.db_bench != nullptr) {
        bench::PhaseCost cost;
        WorkloadResult r = RunDbBench(&run, *item.db_bench, args, &cost);
        record({bench::DbBenchToJson(r, args.config, args.sync || item.db_bench->sync, cost)});
        db_bench[r.workload].push_back(std::move(r));
      } else if (item.ycsb) {
        record(RunYcsb(&run, *item.ycsb, args));
      } else if (item.open) {
        record({bench::RunOpenWorkload(name, args.config, args.db_dir, args.keep)});
      }
    }
    if (run.open) run.engine->Close().PermitUncheckedError();
    if (!args.keep) {
      std::error_code ec;
      std::filesystem::remove_all(run.dir, ec);
    }
  }
  // The transaction workloads run after the others, across the engines cell by cell.
  for (const BenchItem& item : items)
    if (item.txn != nullptr) record(RunTxn(engines, *item.txn, args));
  PrintTables(items, &db_bench, lines, args.config);
  if (!args.report_dir.empty()) {
    Status s = WriteReport(lines, args.report_dir);
    if (!s.ok()) return ReportError("bench", "cannot write the report", s);
  }
  return failed ? ExitCode::kError : ExitCode::kOk;
}

void AddYcsbOptions(CLI::App* cmd, BenchArgs* args) {
  cmd->add_option("--workload-file", args->workload_files,
                  "YCSB properties file(s) to run (tools/bench/workloads/workloada..f)");
  cmd->add_option("--records", args->records, "YCSB: records loaded (default: the workload's)")
      ->transform(IntegerRange(1, uint64_t{1} << 40));
  cmd->add_option("--operations", args->operations,
                  "YCSB: operations of the run phase (default: the workload's)")
      ->transform(IntegerRange(1, uint64_t{1} << 40));
  cmd->add_option("--duration", args->duration_seconds,
                  "YCSB: stop the run phase after this many seconds")
      ->transform(FiniteRange(0.001, 1e7));
  cmd->add_option("--target", args->target_ops_per_sec,
                  "YCSB: run-phase operations per second over all threads (0: unpaced)")
      ->transform(FiniteRange(0, 1e9));
  cmd->add_option("--field-count", args->field_count, "YCSB: fields per record (default 10)")
      ->transform(IntegerRange(1, 1024));
  cmd->add_option("--field-length", args->field_length, "YCSB: bytes per field (default 100)")
      ->transform(IntegerRange(1, uint64_t{1} << 24));
  cmd->add_option("--distribution", args->distribution,
                  "YCSB: request distribution override: uniform, zipfian or latest");
  cmd->add_option("--report", args->report_dir, "Write an HTML report with SVG charts into DIR");
}

void AddTxnOptions(CLI::App* cmd, BenchArgs* args) {
  cmd->add_option("--txn-threads", args->txn_threads, "txn-*: comma-separated thread counts")
      ->capture_default_str();
  cmd->add_option("--txn-isolation", args->txn_isolation,
                  "txn-*: comma-separated ZiggyDB isolation levels (snapshot, serializable)")
      ->capture_default_str();
  cmd->add_option("--txn-hot-keys", args->txn_hot_keys,
                  "txn-transfer: comma-separated hot set sizes (0: every account)")
      ->capture_default_str();
  cmd->add_option("--txn-rounds", args->txn_rounds,
                  "txn-*: rounds of every cell, interleaved; tables show the median")
      ->capture_default_str()
      ->transform(IntegerRange(1, 100));
}

void RegisterBenchReportCommand(CLI::App* app, int* exit_code) {
  auto json_path = std::make_shared<std::string>();
  auto out_dir = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("bench-report", "Render the bench report from JSON lines");
  cmd->add_option("--json", *json_path, "JSON lines written by `ziggy bench --json`")->required();
  cmd->add_option("--out", *out_dir, "Directory of index.html and the SVG charts")->required();
  cmd->callback([json_path, out_dir, exit_code] {
    std::vector<nlohmann::json> lines;
    Status s = bench::ReadJsonLines(*json_path, &lines);
    if (s.ok()) s = WriteReport(lines, *out_dir);
    *exit_code = ToInt(s.ok() ? ExitCode::kOk : ReportError("bench-report", "failed", s));
  });
}

}  // namespace

void RegisterBenchCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app->add_subcommand("bench", "Benchmark ZiggyDB against RocksDB, LevelDB, LMDB");
  BenchConfig& c = args->config;
  cmd->add_option("--num", c.num, "Keys in the dataset and operations per workload")
      ->capture_default_str()
      ->transform(IntegerRange(1, 1'000'000'000'000));
  cmd->add_option("--sync-num", c.sync_num, "Operations of fillsync")
      ->capture_default_str()
      ->transform(IntegerRange(1, 1'000'000'000));
  cmd->add_option("--reads", c.reads,
                  "Operations of readrandom, readmissing, seekrandom (default: --num)")
      ->transform(IntegerRange(1, 1'000'000'000'000));
  cmd->add_option("--value-size", c.value_bytes, "Bytes per value")
      ->capture_default_str()
      ->transform(IntegerRange(0, uint64_t{16} << 20));
  cmd->add_option("--threads", c.threads, "Threads per workload (YCSB default: threadcount)")
      ->capture_default_str()
      ->transform(IntegerRange(1, 1024));
  cmd->add_option("--batch", c.batch, "Updates per write in fill workloads")
      ->capture_default_str()
      ->transform(IntegerRange(1, 100'000));
  cmd->add_option("--seek-nexts", c.seek_nexts, "seekrandom: entries read after each seek")
      ->capture_default_str()
      ->transform(IntegerRange(0, 1'000'000));
  cmd->add_option("--seed", c.seed, "Seed of keys, values, orders and YCSB requests")
      ->capture_default_str()
      ->transform(NonNegativeInteger());
  cmd->add_option("--engines", args->engines, "Comma-separated engines")->capture_default_str();
  cmd->add_option("--benchmarks", args->benchmarks,
                  "Comma-separated workloads, run in order (db_bench names, ycsba..ycsbf, ycsb, "
                  "txn-ycsba, txn-ycsbf, txn-transfer, txn-put, txn, open)")
      ->capture_default_str();
  cmd->add_option("--db-dir", args->db_dir,
                  "Parent directory of the stores (default: $TMPDIR/ziggy-bench)");
  cmd->add_option("--json", args->json_path, "Append one JSON line per engine, workload, phase");
  cmd->add_option("--write-buffer-mib", args->write_buffer_mib, "Memtable / write buffer MiB")
      ->capture_default_str()
      ->transform(IntegerRange(1, 4096));
  cmd->add_option("--block-cache-mib", args->block_cache_mib, "Block cache MiB")
      ->capture_default_str()
      ->transform(IntegerRange(0, uint64_t{1} << 20));
  cmd->add_option("--row-cache-mib", args->row_cache_mib,
                  "Row cache MiB, ZiggyDB (Options::row_cache_bytes) and RocksDB (row_cache); "
                  "0: none")
      ->capture_default_str()
      ->transform(IntegerRange(0, uint64_t{64} << 10));
  cmd->add_option("--memory-budget-mib", args->memory_budget_mib,
                  "ZiggyDB only: one memory cap over memtables, block cache and pins "
                  "(Options::memory_budget_bytes; 0: none)")
      ->capture_default_str()
      ->transform(IntegerRange(0, uint64_t{1} << 20));
  AddYcsbOptions(cmd, args.get());
  AddTxnOptions(cmd, args.get());
  cmd->add_option("--memory-limit-mib", args->memory_limit_mib,
                  "Cap this process's memory and page cache with a memory cgroup (root); each "
                  "read phase starts with the cache dropped")
      ->transform(IntegerRange(16, uint64_t{1} << 30));
  cmd->add_flag("--sync", args->sync, "Sync every write in every workload");
  cmd->add_flag("--keep", args->keep, "Keep the stores after the run");
  cmd->add_option("--settle-seconds", args->settle_quiet_seconds,
                  "After a phase that wrote: seconds the process must write under 1 MiB/s "
                  "before the next phase starts")
      ->capture_default_str()
      ->transform(FiniteRange(0.01, 60));
  cmd->add_flag("--progress", args->progress, "Progress bars even when stderr is not a tty");
  cmd->callback([args, cmd, exit_code] {
    args->threads_given = cmd->count("--threads") > 0;
    args->benchmarks_given = cmd->count("--benchmarks") > 0;
    *exit_code = ToInt(RunBench(*args));
  });
  RegisterBenchReportCommand(app, exit_code);
}

}  // namespace ziggydb::tools
