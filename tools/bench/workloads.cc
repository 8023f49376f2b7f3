#include "tools/bench/workloads.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include "tools/cli_util.h"
#include "tools/dataset.h"
#include "util/random.h"

namespace ziggydb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using tools::GeneratedKey;

enum class Kind : uint8_t {
  kFillSeq,
  kFillRandom,
  kOverwrite,
  kReadRandom,
  kReadMissing,
  kReadSeq,
  kReadReverse,
  kSeekRandom,
};

struct Workload {
  WorkloadInfo info;
  Kind kind;
};

const std::vector<Workload>& Table() {
  // WorkloadInfo fields in order: name, description, fresh_db, needs_data, sync, writes.
  static const std::vector<Workload> kWorkloads = {
      {{"fillseq", "write num keys in ascending order", true, false, false, true}, Kind::kFillSeq},
      {{"fillrandom", "write num keys in random order", true, false, false, true},
       Kind::kFillRandom},
      {{"overwrite", "write num random keys of the dataset", false, true, false, true},
       Kind::kOverwrite},
      {{"fillsync", "write sync_num random keys, each synced", true, false, true, false},
       Kind::kFillRandom},
      {{"readrandom", "read num random keys of the dataset", false, true, false, false},
       Kind::kReadRandom},
      {{"readmissing", "read num keys that are absent", false, true, false, false},
       Kind::kReadMissing},
      {{"readseq", "scan the dataset forward", false, true, false, false}, Kind::kReadSeq},
      {{"readreverse", "scan the dataset backward", false, true, false, false}, Kind::kReadReverse},
      {{"seekrandom", "seek to num random keys (+ seek_nexts entries each)", false, true, false,
        false},
       Kind::kSeekRandom},
  };
  return kWorkloads;
}

const Workload* Find(std::string_view name) {
  for (const Workload& w : Table())
    if (w.info.name == name) return &w;
  return nullptr;
}

// Everything one thread uses and measures; merged into the result after the join.
struct ThreadContext {
  Engine* engine = nullptr;
  const BenchConfig* config = nullptr;
  const tools::ValueSource* values = nullptr;
  const std::vector<uint64_t>* order = nullptr;  // fills: the key of operation i
  tools::ProgressBar* progress = nullptr;
  uint64_t begin = 0;  // this thread's operations: [begin, end)
  uint64_t end = 0;
  Random rnd{0};
  Histogram latency_ns;
  uint64_t ops = 0;
  uint64_t bytes = 0;
  uint64_t found = 0;
  uint64_t unreported = 0;  // ops not yet passed to the progress bar
  Status status;
};

// Times one engine call; false (status kept) on an error other than NotFound.
template <typename Fn>
bool Timed(ThreadContext* ctx, uint64_t ops, Fn&& fn) {
  const Clock::time_point start = Clock::now();
  Status s = fn();
  ctx->latency_ns.Add(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  if (!s.ok() && !s.IsNotFound()) {
    ctx->status = s;
    return false;
  }
  ctx->ops += ops;
  ctx->unreported += ops;
  if (ctx->unreported >= 1024) {
    ctx->progress->Advance(ctx->unreported);
    ctx->unreported = 0;
  }
  return true;
}

// Writes each group of generated updates through the engine (Put for one, WriteBatch for more),
// timed as one engine call.
class EngineSink final : public tools::DatasetSink {
 public:
  explicit EngineSink(ThreadContext* ctx) : ctx_(ctx) {}

  Status Write(std::span<const std::string> keys, std::span<const std::string> values) override {
    updates_.clear();
    for (size_t j = 0; j < keys.size(); ++j) {
      updates_.push_back(KeyValue{keys[j], values[j]});
      ctx_->bytes += keys[j].size() + values[j].size();
    }
    Status s;
    Timed(ctx_, keys.size(), [&] {
      return s = updates_.size() == 1 ? ctx_->engine->Put(updates_[0].key, updates_[0].value)
                                      : ctx_->engine->WriteBatch(updates_);
    });
    return s;
  }

 private:
  ThreadContext* const ctx_;
  std::vector<KeyValue> updates_;
};

// Every group goes in one WriteBatch, untimed.
class PreloadSink final : public tools::DatasetSink {
 public:
  explicit PreloadSink(Engine* engine) : engine_(engine) {}

  Status Write(std::span<const std::string> keys, std::span<const std::string> values) override {
    updates_.clear();
    for (size_t j = 0; j < keys.size(); ++j)
      updates_.push_back(KeyValue{keys[j], values[j]});
    return engine_->WriteBatch(updates_);
  }

 private:
  Engine* const engine_;
  std::vector<KeyValue> updates_;
};

// Fills and overwrite: operation i writes key order[i] for fillrandom, i for fillseq, and a
// uniformly random key of the dataset for overwrite.
void WriteBody(ThreadContext* ctx, Kind kind) {
  EngineSink sink(ctx);
  const auto key_of = [ctx, kind](uint64_t i) -> uint64_t {
    if (ctx->order != nullptr) return (*ctx->order)[i];
    return kind == Kind::kOverwrite ? ctx->rnd.Uniform(ctx->config->num) : i;
  };
  ctx->status =
      tools::WriteDataset(ctx->begin, ctx->end, ctx->config->batch, key_of, *ctx->values, &sink);
}

void ReadBody(ThreadContext* ctx, bool missing) {
  std::string key, value;
  for (uint64_t i = ctx->begin; i < ctx->end; ++i) {
    const uint64_t k = ctx->rnd.Uniform(ctx->config->num);
    GeneratedKey(k, &key);
    if (missing) key.push_back('.');  // orders between k and k+1: never written
    Status s;
    if (!Timed(ctx, 1, [&] { return s = ctx->engine->Get(key, &value); })) return;
    if (s.ok()) {
      ++ctx->found;
      ctx->bytes += key.size() + value.size();
    }
  }
}

// readseq/readreverse: this thread's key range in chunks of scan_chunk entries per Scan call.
void ScanBody(ThreadContext* ctx, bool reverse) {
  const uint64_t chunk = std::max<size_t>(ctx->config->scan_chunk, 1);
  std::string key;
  for (uint64_t done = 0; done < ctx->end - ctx->begin;) {
    const uint64_t want = std::min(chunk, ctx->end - ctx->begin - done);
    GeneratedKey(reverse ? ctx->end - 1 - done : ctx->begin + done, &key);
    size_t read = 0;
    if (!Timed(ctx, 0, [&] { return ctx->engine->Scan(key, want, reverse, &read); })) return;
    ctx->ops += read;
    ctx->found += read;
    ctx->bytes += read * (tools::kGeneratedKeyBytes + ctx->config->value_bytes);
    if (read < want) return;  // the dataset ends here
    done += want;
  }
}

void SeekBody(ThreadContext* ctx) {
  std::string key;
  for (uint64_t i = ctx->begin; i < ctx->end; ++i) {
    GeneratedKey(ctx->rnd.Uniform(ctx->config->num), &key);
    size_t read = 0;
    // Scan counts the entry it positions on: a seek plus seek_nexts Next calls.
    const size_t entries = size_t{ctx->config->seek_nexts} + 1;
    if (!Timed(ctx, 1, [&] { return ctx->engine->Scan(key, entries, false, &read); })) return;
    ctx->found += read > 0 ? 1 : 0;
  }
}

void RunThread(ThreadContext* ctx, Kind kind) {
  switch (kind) {
    case Kind::kFillSeq:
    case Kind::kFillRandom:
    case Kind::kOverwrite:
      return WriteBody(ctx, kind);
    case Kind::kReadRandom:
      return ReadBody(ctx, false);
    case Kind::kReadMissing:
      return ReadBody(ctx, true);
    case Kind::kReadSeq:
      return ScanBody(ctx, false);
    case Kind::kReadReverse:
      return ScanBody(ctx, true);
    case Kind::kSeekRandom:
      return SeekBody(ctx);
  }
}

}  // namespace

const std::vector<WorkloadInfo>& AllWorkloads() {
  static const std::vector<WorkloadInfo> kInfos = [] {
    std::vector<WorkloadInfo> infos;
    for (const Workload& w : Table())
      infos.push_back(w.info);
    return infos;
  }();
  return kInfos;
}

const WorkloadInfo* FindWorkload(std::string_view name) {
  const Workload* w = Find(name);
  return w == nullptr ? nullptr : &w->info;
}

uint64_t OperationCount(const WorkloadInfo& info, const BenchConfig& config) {
  if (info.sync) return config.sync_num;
  const bool point_reads =
      info.needs_data && !info.writes && info.name != "readseq" && info.name != "readreverse";
  return point_reads && config.reads > 0 ? config.reads : config.num;
}

WorkloadResult RunWorkload(Engine* engine, const WorkloadInfo& info, const BenchConfig& config) {
  const Workload* workload = Find(info.name);
  WorkloadResult result;
  result.engine = std::string(engine->name());
  result.workload = std::string(info.name);
  if (workload == nullptr) {
    result.status = Status::InvalidArgument("unknown workload", info.name);
    return result;
  }
  const uint64_t count = OperationCount(info, config);
  const tools::ValueSource values(config.seed, config.value_bytes);
  std::vector<uint64_t> order;
  if (workload->kind == Kind::kFillRandom) order = tools::KeyOrder(count, true, config.seed);
  const int threads = std::max(config.threads, 1);
  tools::ProgressBar progress(fmt::format("{}/{}", engine->name(), info.name), count,
                              config.progress);
  std::vector<ThreadContext> contexts(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    ThreadContext& ctx = contexts[static_cast<size_t>(t)];
    ctx.engine = engine;
    ctx.config = &config;
    ctx.values = &values;
    ctx.order = order.empty() ? nullptr : &order;
    ctx.progress = &progress;
    ctx.begin = count * static_cast<uint64_t>(t) / static_cast<uint64_t>(threads);
    ctx.end = count * static_cast<uint64_t>(t + 1) / static_cast<uint64_t>(threads);
    ctx.rnd = Random(config.seed * 1000003 + static_cast<uint64_t>(t));
  }
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (ThreadContext& ctx : contexts)
    workers.emplace_back([&ctx, workload] { RunThread(&ctx, workload->kind); });
  for (std::thread& worker : workers)
    worker.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.Finish();
  for (const ThreadContext& ctx : contexts) {
    result.latency_ns.Merge(ctx.latency_ns);
    result.ops += ctx.ops;
    result.bytes += ctx.bytes;
    result.found += ctx.found;
    if (result.status.ok() && !ctx.status.ok()) result.status = ctx.status;
  }
  if (!info.writes && !info.sync) {
    result.note = fmt::format("found {} of {}", tools::WithCommas(result.found),
                              tools::WithCommas(result.ops));
  }
  return result;
}

Status Preload(Engine* engine, const BenchConfig& config) {
  const tools::ValueSource values(config.seed, config.value_bytes);
  PreloadSink sink(engine);
  return tools::WriteDataset(
      0, config.num, 1000, [](uint64_t i) { return i; }, values, &sink);
}

}  // namespace ziggydb::bench
