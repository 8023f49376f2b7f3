// `ziggy bench`: runs db_bench-style workloads against ZiggyDB and the peer engines compiled in,
// one engine after another on the same generated requests, and prints one comparison table per
// workload (ops/s, MB/s, latency percentiles, throughput ratio of ZiggyDB to each engine).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/bench/engine.h"
#include "tools/bench/workloads.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace ziggydb::tools {
namespace {

using bench::BenchConfig;
using bench::Engine;
using bench::WorkloadInfo;
using bench::WorkloadResult;

struct BenchArgs {
  BenchConfig config;
  std::string engines = "ziggydb";
  std::string benchmarks =
      "fillseq,fillrandom,overwrite,readrandom,readmissing,fillsync,readseq,readreverse,seekrandom";
  std::string db_dir;
  std::string json_path;
  size_t write_buffer_mib = 64;
  size_t block_cache_mib = 32;
  bool sync = false;
  bool keep = false;
  bool progress = false;
};

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

double OpsPerSecond(const WorkloadResult& r) {
  return r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0;
}

// The engine state the runner tracks between workloads.
struct EngineRun {
  std::unique_ptr<Engine> engine;
  std::string dir;
  bool open = false;
  bool synced = false;  // opened with sync on
  bool loaded = false;  // holds the num-key dataset
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
  Status s = run->engine->Open(run->dir, engine_config);
  run->open = s.ok();
  run->synced = sync;
  return s;
}

// Runs one workload with the store in the state it needs; results of skipped workloads say why.
WorkloadResult RunOne(EngineRun* run, const WorkloadInfo& info, const BenchArgs& args) {
  const bool sync = info.sync || args.sync;
  WorkloadResult skipped;
  skipped.engine = std::string(run->engine->name());
  skipped.workload = std::string(info.name);
  if (info.fresh_db || !run->open || run->synced != sync) {
    skipped.status = Reopen(run, args.config, info.fresh_db, sync);
    if (!skipped.status.ok()) return skipped;
  }
  if (info.needs_scan && !run->engine->SupportsScan()) {
    skipped.skipped = true;
    skipped.note = "skipped: no iterators yet";
    return skipped;
  }
  if (info.needs_data && !run->loaded) {
    fmt::print(stderr, "{}: loading {} keys for {} (untimed)\n", run->engine->name(),
               WithCommas(args.config.num), info.name);
    skipped.status = bench::Preload(run->engine.get(), args.config);
    if (!skipped.status.ok()) return skipped;
    run->loaded = true;
  }
  WorkloadResult result = bench::RunWorkload(run->engine.get(), info, args.config);
  if (info.fresh_db) run->loaded = info.writes && result.status.ok();
  return result;
}

void PrintTable(const std::string& workload, const std::vector<WorkloadResult>& results,
                const BenchArgs& args) {
  const WorkloadInfo* info = bench::FindWorkload(workload);
  fmt::print("\n{} ({}; {} ops, {} B values, {} thread{}{})\n", workload, info->description,
             WithCommas(info->sync ? args.config.sync_num : args.config.num),
             args.config.value_bytes, args.config.threads, args.config.threads == 1 ? "" : "s",
             args.config.batch > 1 ? fmt::format(", batch {}", args.config.batch) : "");
  fmt::print("  {:<8} {:>12} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9}  {}\n", "engine", "ops/s", "MB/s",
             "p50 us", "p95 us", "p99 us", "max us", "ziggy/x", "");
  double ziggy_rate = 0;
  for (const WorkloadResult& r : results)
    if (r.engine == "ziggydb" && r.status.ok() && !r.skipped) ziggy_rate = OpsPerSecond(r);
  for (const WorkloadResult& r : results) {
    if (!r.status.ok() || r.skipped) {
      fmt::print("  {:<8} {}\n", r.engine,
                 r.status.ok() ? r.note : "ERROR: " + r.status.ToString());
      continue;
    }
    const double rate = OpsPerSecond(r);
    const std::string ratio =
        ziggy_rate > 0 && rate > 0 ? fmt::format("{:.2f}x", ziggy_rate / rate) : "-";
    fmt::print("  {:<8} {:>12} {:>8.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>10.1f} {:>9}  {}\n", r.engine,
               WithCommas(static_cast<uint64_t>(rate)),
               static_cast<double>(r.bytes) / std::max(r.seconds, 1e-9) / 1e6,
               NsToUs(r.latency_ns.Percentile(50)), NsToUs(r.latency_ns.Percentile(95)),
               NsToUs(r.latency_ns.Percentile(99)), NsToUs(r.latency_ns.Max()), ratio, r.note);
  }
}

nlohmann::json ToJson(const WorkloadResult& r, const BenchArgs& args) {
  nlohmann::json j = {
      {"engine", r.engine},
      {"workload", r.workload},
      {"ok", r.status.ok()},
      {"skipped", r.skipped},
      {"note", r.note},
      {"num", args.config.num},
      {"value_bytes", args.config.value_bytes},
      {"threads", args.config.threads},
      {"batch", args.config.batch},
      {"sync", args.sync || bench::FindWorkload(r.workload)->sync},
      {"ops", r.ops},
      {"seconds", r.seconds},
      {"ops_per_second", OpsPerSecond(r)},
      {"bytes", r.bytes},
      {"found", r.found},
      {"latency_us_p50", NsToUs(r.latency_ns.Percentile(50))},
      {"latency_us_p95", NsToUs(r.latency_ns.Percentile(95))},
      {"latency_us_p99", NsToUs(r.latency_ns.Percentile(99))},
      {"latency_us_p999", NsToUs(r.latency_ns.Percentile(99.9))},
      {"latency_us_max", NsToUs(r.latency_ns.Max())},
  };
  if (!r.status.ok()) j["error"] = r.status.ToString();
  return j;
}

// Checks the lists and fills `engines`/`workloads`; false after printing what is wrong.
bool ParseLists(const BenchArgs& args, std::vector<std::string>* engines,
                std::vector<const WorkloadInfo*>* workloads) {
  const std::vector<std::string> available = bench::AvailableEngines();
  for (const std::string& name : SplitList(args.engines)) {
    if (std::find(available.begin(), available.end(), name) == available.end()) {
      fmt::print(stderr, "ziggy bench: engine '{}' is not compiled in (available: {})\n", name,
                 fmt::join(available, ","));
      return false;
    }
    engines->push_back(name);
  }
  for (const std::string& name : SplitList(args.benchmarks)) {
    const WorkloadInfo* info = bench::FindWorkload(name);
    if (info == nullptr) {
      std::vector<std::string_view> names;
      for (const WorkloadInfo& w : bench::AllWorkloads())
        names.push_back(w.name);
      fmt::print(stderr, "ziggy bench: unknown benchmark '{}' (known: {})\n", name,
                 fmt::join(names, ","));
      return false;
    }
    workloads->push_back(info);
  }
  if (engines->empty() || workloads->empty()) {
    fmt::print(stderr, "ziggy bench: --engines and --benchmarks must name at least one\n");
    return false;
  }
  return true;
}

ExitCode RunBench(BenchArgs args) {
  std::vector<std::string> engines;
  std::vector<const WorkloadInfo*> workloads;
  if (!ParseLists(args, &engines, &workloads)) return ExitCode::kError;
  args.config.engine.write_buffer_bytes = args.write_buffer_mib << 20;
  args.config.engine.block_cache_bytes = args.block_cache_mib << 20;
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
  std::map<std::string, std::vector<WorkloadResult>> by_workload;
  bool failed = false;
  for (const std::string& name : engines) {
    EngineRun run{bench::NewEngine(name), args.db_dir + "/" + name};
    for (const WorkloadInfo* info : workloads) {
      WorkloadResult r = RunOne(&run, *info, args);
      if (!r.status.ok()) {
        failed = true;
        fmt::print(stderr, "ziggy bench: {}/{}: {}\n", name, info->name, r.status.ToString());
      }
      if (r.status.ok() && !r.skipped) {
        fmt::print(stderr, "{}/{}: {} ops/s, p99 {:.2f} us\n", name, info->name,
                   WithCommas(static_cast<uint64_t>(OpsPerSecond(r))),
                   NsToUs(r.latency_ns.Percentile(99)));
      }
      if (json.is_open()) json << ToJson(r, args).dump() << std::endl;
      by_workload[r.workload].push_back(std::move(r));
    }
    if (run.open) run.engine->Close().PermitUncheckedError();
    if (!args.keep) {
      std::error_code ec;
      std::filesystem::remove_all(run.dir, ec);
    }
  }
  for (const WorkloadInfo* info : workloads) {
    auto it = by_workload.find(std::string(info->name));
    if (it != by_workload.end()) {
      PrintTable(it->first, it->second, args);
      by_workload.erase(it);  // a workload listed twice prints once
    }
  }
  fmt::print("\nziggy/x: ZiggyDB's ops/s divided by the engine's (above 1: ZiggyDB is faster)\n");
  return failed ? ExitCode::kError : ExitCode::kOk;
}

}  // namespace

void RegisterBenchCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app->add_subcommand("bench", "Benchmark ZiggyDB against RocksDB, LevelDB, LMDB");
  BenchConfig& c = args->config;
  cmd->add_option("--num", c.num, "Keys in the dataset and operations per workload")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000'000}));
  cmd->add_option("--sync-num", c.sync_num, "Operations of fillsync")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  cmd->add_option("--value-size", c.value_bytes, "Bytes per value")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{16} << 20));
  cmd->add_option("--threads", c.threads, "Threads per workload")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--batch", c.batch, "Updates per write in fill workloads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--seed", c.seed, "Seed of keys, values and orders")->capture_default_str();
  cmd->add_option("--engines", args->engines, "Comma-separated engines")->capture_default_str();
  cmd->add_option("--benchmarks", args->benchmarks, "Comma-separated workloads, run in order")
      ->capture_default_str();
  cmd->add_option("--db-dir", args->db_dir,
                  "Parent directory of the stores (default: $TMPDIR/ziggy-bench)");
  cmd->add_option("--json", args->json_path, "Append one JSON line per engine and workload");
  cmd->add_option("--write-buffer-mib", args->write_buffer_mib, "Memtable / write buffer MiB")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd->add_option("--block-cache-mib", args->block_cache_mib, "Block cache MiB")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  cmd->add_flag("--sync", args->sync, "Sync every write in every workload");
  cmd->add_flag("--keep", args->keep, "Keep the stores after the run");
  cmd->add_flag("--progress", args->progress, "Progress bars even when stderr is not a tty");
  cmd->callback([args, exit_code] { *exit_code = ToInt(RunBench(*args)); });
}

}  // namespace ziggydb::tools
