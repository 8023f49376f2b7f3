#include "tools/bench/txn_output.h"

#include <algorithm>
#include <set>

#include <fmt/core.h>

#include "tools/bench/latency_json.h"
#include "tools/cli_util.h"
#include "tools/json_output.h"

namespace ziggydb::bench {
namespace {

using tools::JsonNumber;
using tools::RatioText;
using tools::WithCommas;

nlohmann::json CommonJson(std::string_view engine, const TxnRunConfig& config) {
  return {{"engine", std::string(engine)},
          {"workload", std::string(config.workload->name)},
          {"kind", "txn"},
          {"phase", "run"},
          {"description", std::string(config.workload->description)},
          {"isolation", std::string(TxnIsolationName(config.isolation))},
          {"threads", config.threads},
          {"hot_keys", config.hot_keys},
          {"records", config.records},
          {"value_bytes", config.value_bytes}};
}

double LatencyUs(const nlohmann::json& j, const char* which, const char* percentile) {
  auto it = j.find(which);
  return it != j.end() && it->is_object() ? JsonNumber(*it, percentile) : 0.0;
}

// Commits/s of (engine, isolation) among `cells`, 0 when absent or failed.
double CommitsOf(const std::vector<const nlohmann::json*>& cells, const char* engine,
                 const char* isolation) {
  for (const nlohmann::json* j : cells) {
    if (j->value("engine", "") == engine && j->value("isolation", "") == isolation &&
        j->value("ok", false) && !j->value("skipped", false)) {
      return JsonNumber(*j, "commits_per_sec");
    }
  }
  return 0;
}

// The rounds of one (threads, engine, isolation) cell and the one that stands for it.
struct CellRounds {
  std::vector<const nlohmann::json*> rounds;
  const nlohmann::json* median = nullptr;
  double commits_min = 0;
  double commits_max = 0;
};

std::vector<CellRounds> GroupRounds(const std::vector<const nlohmann::json*>& cells) {
  std::vector<CellRounds> groups;
  const auto same = [](const nlohmann::json* a, const nlohmann::json* b) {
    return a->value("threads", 1) == b->value("threads", 1) &&
           a->value("engine", "") == b->value("engine", "") &&
           a->value("isolation", "") == b->value("isolation", "");
  };
  for (const nlohmann::json* j : cells) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const CellRounds& g) { return same(g.rounds.front(), j); });
    if (it == groups.end()) it = groups.insert(groups.end(), CellRounds{});
    it->rounds.push_back(j);
  }
  for (CellRounds& g : groups) {
    g.median = MedianRound(g.rounds);
    const auto [min, max] =
        std::minmax_element(g.rounds.begin(), g.rounds.end(), [](const auto* a, const auto* b) {
          return JsonNumber(*a, "commits_per_sec") < JsonNumber(*b, "commits_per_sec");
        });
    g.commits_min = JsonNumber(**min, "commits_per_sec");
    g.commits_max = JsonNumber(**max, "commits_per_sec");
  }
  return groups;
}

std::string RangeText(const CellRounds& g) {
  if (g.rounds.size() < 2 || !g.median->value("ok", false)) return "";
  return fmt::format("{}-{}k", static_cast<uint64_t>(g.commits_min / 1000),
                     static_cast<uint64_t>(g.commits_max / 1000));
}

void PrintCellRow(const nlohmann::json& j, bool put, const std::string& range) {
  const std::string engine = j.value("engine", "");
  const std::string isolation = j.value("isolation", "");
  const int threads = j.value("threads", 1);
  if (!j.value("ok", false)) {
    fmt::print("  {:>3} {:<8} {:<12} ERROR: {}\n", threads, engine, isolation,
               j.value("error", ""));
    return;
  }
  if (j.value("skipped", false)) {
    fmt::print("  {:>3} {:<8} {:<12} {}\n", threads, engine, "-", j.value("note", ""));
    return;
  }
  const double commits = JsonNumber(j, "commits_per_sec");
  if (put) {
    const double puts = JsonNumber(j, "plain_puts_per_sec");
    fmt::print("  {:>3} {:<8} {:<12} {:>10} {:>10} {:>7} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f}  {}\n",
               threads, engine, isolation, WithCommas(static_cast<uint64_t>(puts)),
               WithCommas(static_cast<uint64_t>(commits)), RatioText(commits, puts),
               LatencyUs(j, "plain_latency", "p50_us"), LatencyUs(j, "txn_latency", "p50_us"),
               LatencyUs(j, "plain_latency", "p99_us"), LatencyUs(j, "txn_latency", "p99_us"),
               range);
    return;
  }
  fmt::print("  {:>3} {:<8} {:<12} {:>10} {:>7.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}  {}\n",
             threads, engine, isolation, WithCommas(static_cast<uint64_t>(commits)),
             100 * JsonNumber(j, "abort_rate"), LatencyUs(j, "txn_latency", "p50_us"),
             LatencyUs(j, "txn_latency", "p99_us"), LatencyUs(j, "commit_latency", "p50_us"),
             LatencyUs(j, "commit_latency", "p99_us"),
             j.value("read_misses", uint64_t{0}) > 0 ? "reads missed" : range);
}

void PrintRatios(const std::vector<const nlohmann::json*>& cells) {
  std::set<int> threads;
  for (const nlohmann::json* j : cells)
    threads.insert(j->value("threads", 1));
  fmt::print("  {:>3} {:>16} {:>16} {:>16}\n", "thr", "SI / rocksdb", "SI / lmdb", "SER / SI");
  for (int t : threads) {
    std::vector<const nlohmann::json*> row;
    for (const nlohmann::json* j : cells)
      if (j->value("threads", 1) == t) row.push_back(j);
    const double si = CommitsOf(row, "ziggydb", "snapshot");
    fmt::print("  {:>3} {:>16} {:>16} {:>16}\n", t,
               RatioText(si, CommitsOf(row, "rocksdb", "snapshot")),
               RatioText(si, CommitsOf(row, "lmdb", "serializable")),
               RatioText(CommitsOf(row, "ziggydb", "serializable"), si));
  }
}

}  // namespace

const nlohmann::json* MedianRound(const std::vector<const nlohmann::json*>& rounds) {
  if (rounds.empty()) return nullptr;
  for (const nlohmann::json* j : rounds)
    if (!j->value("ok", false)) return j;
  std::vector<const nlohmann::json*> sorted = rounds;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const nlohmann::json* a, const nlohmann::json* b) {
                     return JsonNumber(*a, "commits_per_sec") < JsonNumber(*b, "commits_per_sec");
                   });
  return sorted[(sorted.size() - 1) / 2];
}

nlohmann::json TxnToJson(const TxnCellResult& r, const TxnRunConfig& config) {
  nlohmann::json j = CommonJson(r.engine, config);
  j["ok"] = r.status.ok();
  j["skipped"] = false;
  j["seconds"] = r.seconds;
  j["commits"] = r.commits;
  j["aborts"] = r.aborts;
  j["abort_rate"] = r.abort_rate();
  j["commits_per_sec"] = r.commits_per_sec();
  j["read_misses"] = r.read_misses;
  j["txn_latency"] = LatencyJson(r.txn_latency_ns);
  j["commit_latency"] = LatencyJson(r.commit_latency_ns);
  if (config.workload->kind == TxnWorkload::kPut) {
    j["plain_puts"] = r.plain_puts;
    j["plain_seconds"] = r.plain_seconds;
    j["plain_puts_per_sec"] = r.plain_puts_per_sec();
    j["plain_latency"] = LatencyJson(r.plain_latency_ns);
  }
  if (!r.status.ok()) j["error"] = r.status.ToString();
  return j;
}

nlohmann::json TxnSkippedJson(std::string_view engine, const TxnRunConfig& config) {
  nlohmann::json j = CommonJson(engine, config);
  j["ok"] = true;
  j["skipped"] = true;
  j["note"] = "no transactions";
  return j;
}

void PrintTxnTables(const std::string& workload, const std::vector<nlohmann::json>& lines) {
  std::vector<uint64_t> hot_sets;
  for (const nlohmann::json& j : lines) {
    if (j.value("kind", "") != "txn" || j.value("workload", "") != workload) continue;
    const uint64_t hot = j.value("hot_keys", uint64_t{0});
    if (std::find(hot_sets.begin(), hot_sets.end(), hot) == hot_sets.end()) hot_sets.push_back(hot);
  }
  const bool put = workload == "txn-put";
  for (const uint64_t hot : hot_sets) {
    std::vector<const nlohmann::json*> cells;
    for (const nlohmann::json& j : lines) {
      if (j.value("kind", "") == "txn" && j.value("workload", "") == workload &&
          j.value("hot_keys", uint64_t{0}) == hot) {
        cells.push_back(&j);
      }
    }
    std::stable_sort(cells.begin(), cells.end(),
                     [](const nlohmann::json* a, const nlohmann::json* b) {
                       return a->value("threads", 1) < b->value("threads", 1);
                     });
    const nlohmann::json& first = *cells.front();
    fmt::print("\n{} ({}; {} records, {} B values{})\n", workload, first.value("description", ""),
               WithCommas(first.value("records", uint64_t{0})), first.value("value_bytes", 0),
               workload == "txn-transfer"
                   ? (hot == 0 ? std::string(", no hot set") : fmt::format(", hot set {}", hot))
                   : std::string());
    if (put) {
      fmt::print("  {:>3} {:<8} {:<12} {:>10} {:>10} {:>7} {:>8} {:>8} {:>8} {:>8}\n", "thr",
                 "engine", "isolation", "put/s", "txn/s", "txn/put", "put p50", "txn p50",
                 "put p99", "txn p99");
    } else {
      fmt::print("  {:>3} {:<8} {:<12} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "thr", "engine",
                 "isolation", "commits/s", "abort%", "txn p50", "txn p99", "cmt p50", "cmt p99");
    }
    const std::vector<CellRounds> groups = GroupRounds(cells);
    std::vector<const nlohmann::json*> medians;
    size_t rounds = 1;
    for (const CellRounds& g : groups) {
      PrintCellRow(*g.median, put, RangeText(g));
      medians.push_back(g.median);
      rounds = std::max(rounds, g.rounds.size());
    }
    if (rounds > 1) {
      fmt::print("  (each row: the median of {} rounds by commits/s; after it, their range)\n",
                 rounds);
    }
    PrintRatios(medians);
  }
}

}  // namespace ziggydb::bench
