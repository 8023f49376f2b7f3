#include "tools/bench/ycsb_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/core.h>
#include <sys/prctl.h>

#include "tools/bench/ycsb_generators.h"
#include "tools/cli_util.h"
#include "util/random.h"

namespace ziggydb::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Zipfian draws above the existing records are redrawn at most this often, then folded into range.
constexpr int kRedrawsMax = 64;
// The deadline is checked every this many operations (a power of two).
constexpr uint64_t kDeadlineCheckOps = 64;

struct Worker {
  Engine* engine = nullptr;
  const YcsbPhaseConfig* config = nullptr;
  const tools::ValueSource* values = nullptr;
  const ScrambledZipfianGenerator* scrambled = nullptr;  // zipfian runs only
  uint64_t thread = 0;
  uint64_t begin = 0;  // load: record indices; run: operation numbers [begin, end)
  uint64_t end = 0;
  std::optional<Clock::time_point> deadline;
  double seconds_per_op = 0;  // this thread's share of a target rate; 0 = unpaced
  Random rnd{0};
  std::optional<LatestGenerator> latest;
  std::optional<ZipfianGenerator> scan_lengths;
  uint64_t inserts = 0;  // run-phase inserts so far
  std::array<Histogram, kYcsbOpCount> latency_ns;
  uint64_t read_misses = 0;
  uint64_t scanned = 0;
  uint64_t write_bytes = 0;
  uint64_t new_record_bytes = 0;
  std::atomic<uint64_t> done{0};  // read by the monitor thread; relaxed is enough for a count
  Status status;
};

// Times one engine call into the op's histogram; false (status kept) on an error but NotFound.
template <typename Fn>
bool Timed(Worker* w, YcsbOp op, Fn&& fn) {
  const Clock::time_point start = Clock::now();
  Status s = fn();
  w->latency_ns[static_cast<size_t>(op)].Add(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  if (!s.ok() && !s.IsNotFound()) {
    w->status = s;
    return false;
  }
  w->done.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// The records this thread knows exist: the loaded ones, then its own inserts. Known record k maps
// to record index k below record_count, else to this thread's (k - record_count)-th insert.
uint64_t KnownRecords(const Worker& w) {
  return w.config->spec.record_count + w.inserts;
}

uint64_t KnownToIndex(const Worker& w, uint64_t known) {
  const uint64_t records = w.config->spec.record_count;
  if (known < records) return known;
  return records + (known - records) * static_cast<uint64_t>(w.config->threads) + w.thread;
}

uint64_t NextKeyIndex(Worker* w) {
  const uint64_t known = KnownRecords(*w);
  switch (w->config->spec.request_distribution) {
    case RequestDistribution::kUniform:
      return KnownToIndex(*w, w->rnd.Uniform(known));
    case RequestDistribution::kLatest:
      return KnownToIndex(*w, w->latest->Next(&w->rnd, known));
    case RequestDistribution::kZipfian:
      break;
  }
  uint64_t k = 0;
  for (int attempt = 0; attempt < kRedrawsMax; ++attempt) {
    k = w->scrambled->Next(&w->rnd);
    if (k < known) return KnownToIndex(*w, k);
  }
  return KnownToIndex(*w, k % known);
}

YcsbOp NextOp(Worker* w) {
  const double u = NextUnitDouble(&w->rnd);
  double sum = 0;
  for (size_t i = 0; i < kYcsbOpCount; ++i) {
    sum += w->config->spec.proportions[i];
    if (u < sum && w->config->spec.proportions[i] > 0) return static_cast<YcsbOp>(i);
  }
  // Rounding left u above the sum: the last operation with a share.
  for (size_t i = kYcsbOpCount; i-- > 0;)
    if (w->config->spec.proportions[i] > 0) return static_cast<YcsbOp>(i);
  return YcsbOp::kRead;
}

void LoadBody(Worker* w) {
  std::string key, value;
  for (uint64_t i = w->begin; i < w->end; ++i) {
    YcsbKey(i, w->config->spec.hashed_keys, &key);
    w->values->ValueFor(i, &value);
    if (!Timed(w, YcsbOp::kInsert, [&] { return w->engine->Put(key, value); })) return;
    w->write_bytes += key.size() + value.size();
    w->new_record_bytes += key.size() + value.size();
  }
}

// One run-phase operation; false to stop the thread (error kept in w->status).
bool RunOne(Worker* w, std::string* key, std::string* value) {
  const YcsbSpec& spec = w->config->spec;
  const YcsbOp op = NextOp(w);
  if (op == YcsbOp::kInsert) {
    const uint64_t index = KnownToIndex(*w, KnownRecords(*w));
    YcsbKey(index, spec.hashed_keys, key);
    w->values->ValueFor(index, value);
    if (!Timed(w, op, [&] { return w->engine->Put(*key, *value); })) return false;
    ++w->inserts;
    w->write_bytes += key->size() + value->size();
    w->new_record_bytes += key->size() + value->size();
    return true;
  }
  YcsbKey(NextKeyIndex(w), spec.hashed_keys, key);
  Status read_status;
  switch (op) {
    case YcsbOp::kRead:
      if (!Timed(w, op, [&] { return read_status = w->engine->Get(*key, value); })) return false;
      break;
    case YcsbOp::kUpdate:
      w->values->ValueFor(w->rnd.Next64(), value);
      if (!Timed(w, op, [&] { return w->engine->Put(*key, *value); })) return false;
      w->write_bytes += key->size() + value->size();
      break;
    case YcsbOp::kScan: {
      const uint64_t length = spec.scan_length_zipfian ? w->scan_lengths->Next(&w->rnd) + 1
                                                       : w->rnd.Uniform(spec.max_scan_length) + 1;
      size_t read = 0;
      if (!Timed(w, op, [&] { return w->engine->Scan(*key, length, false, &read); })) return false;
      w->scanned += read;
      break;
    }
    case YcsbOp::kReadModifyWrite: {
      const uint64_t salt = w->rnd.Next64();
      const bool ok = Timed(w, op, [&] {
        read_status = w->engine->Get(*key, value);
        if (!read_status.ok() && !read_status.IsNotFound()) return read_status;
        w->values->ValueFor(salt, value);  // the "modify": a new record of the same size
        return w->engine->Put(*key, *value);
      });
      if (!ok) return false;
      w->write_bytes += key->size() + value->size();
      break;
    }
    case YcsbOp::kInsert:
      break;
  }
  if (read_status.IsNotFound()) ++w->read_misses;
  return true;
}

// The time operation j (counted from 0) of a paced thread is due, after `start`.
Clock::time_point Due(const Worker& w, Clock::time_point start, uint64_t j) {
  return start + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(j) * w.seconds_per_op));
}

void RunBody(Worker* w) {
  // A paced thread sleeps until each operation is due; the default 50 us timer slack would
  // overshoot gaps of a few microseconds many times over.
  if (w->seconds_per_op > 0) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const Clock::time_point start = Clock::now();
  std::string key, value;
  for (uint64_t i = w->begin; i < w->end; ++i) {
    if (w->deadline && (i - w->begin) % kDeadlineCheckOps == 0 && Clock::now() >= *w->deadline) {
      return;
    }
    if (w->seconds_per_op > 0) std::this_thread::sleep_until(Due(*w, start, i - w->begin));
    if (!RunOne(w, &key, &value)) return;
  }
}

// Splits the phase over the workers and sets their generators.
std::vector<std::unique_ptr<Worker>> MakeWorkers(Engine* engine, YcsbPhase phase,
                                                 const YcsbPhaseConfig& config,
                                                 const tools::ValueSource* values,
                                                 const ScrambledZipfianGenerator* scrambled) {
  const uint64_t threads = static_cast<uint64_t>(std::max(config.threads, 1));
  const YcsbSpec& spec = config.spec;
  uint64_t total = phase == YcsbPhase::kLoad ? spec.record_count : spec.operation_count;
  if (phase == YcsbPhase::kRun && total == 0) total = std::numeric_limits<uint64_t>::max() / 2;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint64_t t = 0; t < threads; ++t) {
    auto w = std::make_unique<Worker>();
    w->engine = engine;
    w->config = &config;
    w->values = values;
    w->scrambled = scrambled;
    w->thread = t;
    w->begin = static_cast<uint64_t>(static_cast<unsigned __int128>(total) * t / threads);
    w->end = static_cast<uint64_t>(static_cast<unsigned __int128>(total) * (t + 1) / threads);
    // Distinct streams per (seed, phase, thread), equal for every engine.
    w->rnd = Random(Fnv1a64(config.seed) ^ (t * 0x9e3779b97f4a7c15ULL) ^
                    (phase == YcsbPhase::kRun ? 0x5851f42d4c957f2dULL : 0));
    if (phase == YcsbPhase::kRun) {
      if (spec.request_distribution == RequestDistribution::kLatest)
        w->latest.emplace(spec.record_count);
      if (spec.scan_length_zipfian) w->scan_lengths.emplace(spec.max_scan_length);
      if (config.target_ops_per_sec > 0) {
        w->seconds_per_op = static_cast<double>(threads) / config.target_ops_per_sec;
      }
      if (config.duration_seconds > 0) {
        w->deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(config.duration_seconds));
      }
    }
    workers.push_back(std::move(w));
  }
  return workers;
}

}  // namespace

std::string_view YcsbPhaseName(YcsbPhase phase) {
  return phase == YcsbPhase::kLoad ? "load" : "run";
}

YcsbPhaseResult RunYcsbPhase(Engine* engine, YcsbPhase phase, const YcsbPhaseConfig& config) {
  YcsbPhaseResult result;
  result.engine = std::string(engine->name());
  result.workload = config.spec.name;
  result.phase = phase;
  const YcsbSpec& spec = config.spec;
  const tools::ValueSource values(config.seed, spec.value_bytes());
  std::optional<ScrambledZipfianGenerator> scrambled;
  if (phase == YcsbPhase::kRun && spec.request_distribution == RequestDistribution::kZipfian) {
    const double ops = spec.operation_count > 0 ? static_cast<double>(spec.operation_count)
                                                : static_cast<double>(spec.record_count);
    const uint64_t expected_inserts =
        static_cast<uint64_t>(ops * spec.proportion(YcsbOp::kInsert) * 2);
    scrambled.emplace(spec.record_count + expected_inserts);
  }
  std::vector<std::unique_ptr<Worker>> workers =
      MakeWorkers(engine, phase, config, &values, scrambled ? &*scrambled : nullptr);
  ThroughputMonitor monitor(
      fmt::format("{}/{} {}", engine->name(), spec.name, YcsbPhaseName(phase)),
      [&workers] {
        uint64_t done = 0;
        for (const auto& w : workers)
          done += w->done.load(std::memory_order_relaxed);
        return done;
      },
      config.print_progress);
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    Worker* worker = w.get();
    threads.emplace_back(
        [worker, phase] { phase == YcsbPhase::kLoad ? LoadBody(worker) : RunBody(worker); });
  }
  for (std::thread& thread : threads)
    thread.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.timeline_ops_per_sec = monitor.Stop();
  for (const auto& w : workers) {
    for (size_t i = 0; i < kYcsbOpCount; ++i)
      result.latency_ns[i].Merge(w->latency_ns[i]);
    result.operations += w->done.load(std::memory_order_relaxed);
    result.read_misses += w->read_misses;
    result.scanned_records += w->scanned;
    result.user_write_bytes += w->write_bytes;
    result.new_record_bytes += w->new_record_bytes;
    if (result.status.ok() && !w->status.ok()) result.status = w->status;
  }
  return result;
}

}  // namespace ziggydb::bench
