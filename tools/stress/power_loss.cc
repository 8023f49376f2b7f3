#include "tools/stress/power_loss.h"

#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "env/fault_env.h"
#include "tools/cli_util.h"
#include "tools/stress/expected_state.h"
#include "tools/stress/power_loss_check.h"
#include "tools/stress/read_window.h"
#include "tools/stress/stress_options.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::tools::stress {
namespace {

using Clock = std::chrono::steady_clock;

class PowerLossRun {
 public:
  explicit PowerLossRun(const PowerLossParams& params)
      : params_(params), trace_(params.keys), next_id_(params.keys, 1) {}

  int Run() {
    Random rng(params_.seed);
    const auto start = Clock::now();
    PrintToStderr("ziggy stress --power-loss --seed {} --keys {} --rounds {}\n", params_.seed,
                  params_.keys, params_.rounds);
    uint64_t round = 0;
    for (; round < params_.rounds; ++round) {
      if (params_.budget_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - start).count() >= params_.budget_seconds)
        break;
      const uint64_t round_seed = rng.Next64() >> 1;
      if (!Round(round, round_seed)) return exit_code_;
    }
    // The last power loss is checked by one more open.
    if (!Recover(round, rng.Next64() >> 1, nullptr)) return exit_code_;
    PrintToStderr(
        "ziggy stress --power-loss: ok: {} power losses in {:.1f} s; {} writes acknowledged "
        "({} synced; {} flushes and compactions returned OK), {} unsynced ones lost, each "
        "recovery a prefix keeping every write synced or flushed\n",
        round, std::chrono::duration<double>(Clock::now() - start).count(), writes_, synced_writes_,
        flushes_, lost_writes_);
    return ToInt(ExitCode::kOk);
  }

 private:
  bool Round(uint64_t round, uint64_t seed) {
    std::unique_ptr<DB> db;
    if (!Recover(round, seed, &db)) return false;
    Random rng(seed);
    const RunConfig config = ConfigFor(seed);
    for (uint64_t n = 20 + rng.Uniform(300); n > 0; --n) {
      const uint64_t op = rng.Uniform(100);
      if (op < 2) {
        if (Status s = db->Flush(); !s.ok()) return Fail(round, seed, "Flush: " + s.ToString());
        trace_.Flushed();
        ++flushes_;
        continue;
      }
      if (op < 3) {
        if (Status s = db->CompactRange(std::nullopt, std::nullopt); !s.ok())
          return Fail(round, seed, "CompactRange: " + s.ToString());
        trace_.Flushed();  // it flushed first
        ++flushes_;
        continue;
      }
      if (op < 20) {
        // Single writer: the DB must hold exactly the latest acknowledged write.
        const uint32_t i = static_cast<uint32_t>(rng.Uniform(params_.keys));
        std::optional<uint32_t> found;
        if (!Read(db.get(), i, &found, round, seed)) return false;
        if (!RecordMatches(trace_.Latest(i), found))
          return Fail(
              round, seed,
              fmt::format("MISMATCH (Get before the power loss) key {}: expected {}, "
                          "found {}",
                          StressKey(i), DescribeRecord(trace_.Latest(i)), DescribeFound(found)));
        continue;
      }
      PowerLossTrace::Entry entry;
      WriteBatch wb;
      const uint64_t count = op < 40 ? 2 + rng.Uniform(7) : 1;
      for (uint64_t k = 0; k < count; ++k) {
        const uint32_t i = static_cast<uint32_t>(rng.Uniform(params_.keys));
        bool duplicate = false;
        for (const auto& w : entry)
          duplicate |= w.first == i;
        if (duplicate) continue;
        const bool is_put = !rng.OneIn(4);
        const WriteRecord r = MakeRecord(next_id_[i]++, is_put);
        entry.emplace_back(i, r);
        if (is_put) {
          wb.Put(StressKey(i), StressValue(i, RecordId(r)));
        } else {
          wb.Delete(StressKey(i));
        }
      }
      WriteOptions wo;
      wo.sync = config.sync_mode == SyncMode::kAlways ||
                (config.sync_mode == SyncMode::kMixed && rng.OneIn(8));
      if (Status s = db->Write(wo, wb); !s.ok()) return Fail(round, seed, "Write: " + s.ToString());
      trace_.Acknowledged(std::move(entry), wo.sync);
      ++writes_;
      synced_writes_ += wo.sync;
    }
    // Power loss: the disk freezes (every later operation fails, so nothing more becomes
    // durable), the DB object goes away, and the unsynced bytes are dropped; of each directory,
    // the name changes since its last sync are all dropped or (a journal commit took them) all
    // kept, at random.
    for (FaultOp op : {FaultOp::kAppend, FaultOp::kSync, FaultOp::kRead, FaultOp::kRename,
                       FaultOp::kSyncDir, FaultOp::kRemove, FaultOp::kCreate})
      env_.InjectError(op, "", std::numeric_limits<int>::max());
    db.reset();
    env_.ClearErrors();
    env_.DropUnsyncedDataKeeping([](const std::string&, uint64_t) { return uint64_t{0}; },
                                 [&rng](const std::string&) { return rng.OneIn(2); });
    return true;
  }

  RunConfig ConfigFor(uint64_t seed) {
    RunConfig config = RandomConfig(seed);
    config.options.env = &env_;
    return config;
  }

  // Opens the DB after a power loss and checks the prefix property; the model becomes the
  // recovered state and the trace starts afresh. *db keeps the DB open when not null.
  bool Recover(uint64_t round, uint64_t seed, std::unique_ptr<DB>* out) {
    const RunConfig config = ConfigFor(seed);
    std::unique_ptr<DB> db;
    Status s = DB::Open(config.options, "/stress", &db);
    if (!s.ok())
      return Fail(round, seed,
                  fmt::format("Open after a power loss failed: {} (options: {})", s.ToString(),
                              DescribeConfig(config)));
    std::vector<std::optional<uint32_t>> found(params_.keys);
    for (uint32_t i = 0; i < params_.keys; ++i)
      if (!Read(db.get(), i, &found[i], round, seed)) return false;
    std::string detail;
    const std::optional<size_t> prefix = trace_.MatchingPrefix(found, &detail);
    if (!prefix)
      return Fail(round, seed,
                  fmt::format("MISMATCH: the recovered DB is no prefix of the {} acknowledged "
                              "writes that keeps the {} up to the last synced one or the last "
                              "flush; {} (options: {})",
                              trace_.size(), trace_.durable(), detail, DescribeConfig(config)));
    lost_writes_ += trace_.size() - *prefix;
    trace_.Recovered(*prefix);
    if (!ScanMatchesModel(db.get(), round, seed)) return false;
    if (out != nullptr) *out = std::move(db);
    return true;
  }

  bool ScanMatchesModel(DB* db, uint64_t round, uint64_t seed) {
    uint64_t expected = 0, present = 0;
    for (WriteRecord r : trace_.model())
      expected += RecordIsPut(r);
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::optional<uint32_t> i = ParseStressKey(it->key());
      if (!i || *i >= params_.keys ||
          !RecordMatches(trace_.model()[*i], ParseStressValue(*i, it->value())))
        return Fail(round, seed,
                    fmt::format("MISMATCH: a scan after recovery found key '{}' "
                                "with value '{}'",
                                Escape(it->key()), Escape(it->value())));
      ++present;
    }
    if (!it->status().ok()) return Fail(round, seed, "scan: " + it->status().ToString());
    if (present != expected)
      return Fail(round, seed,
                  fmt::format("MISMATCH: a scan after recovery saw {} keys, Get saw {}", present,
                              expected));
    return true;
  }

  bool Read(DB* db, uint32_t i, std::optional<uint32_t>* found, uint64_t round, uint64_t seed) {
    std::string value;
    Status s = db->Get(ReadOptions(), StressKey(i), &value);
    if (s.IsNotFound()) {
      found->reset();
      return true;
    }
    if (!s.ok()) return Fail(round, seed, fmt::format("Get {}: {}", StressKey(i), s.ToString()));
    *found = ParseStressValue(i, value);
    if (!*found)
      return Fail(
          round, seed,
          fmt::format("MISMATCH key {}: a value no write made: '{}'", StressKey(i), Escape(value)));
    return true;
  }

  bool Fail(uint64_t round, uint64_t seed, const std::string& message) {
    exit_code_ = ToInt(ExitCode::kCorruption);
    PrintToStderr(
        "ziggy stress --power-loss: round {} (round seed {}): {}\n  repeat with: ziggy "
        "stress --power-loss --seed {} --keys {} --rounds {}\n",
        round, seed, message, params_.seed, params_.keys, round + 1);
    return false;
  }

  const PowerLossParams& params_;
  FaultInjectionEnv env_;
  // The state recovered by the last check and the writes acknowledged since.
  PowerLossTrace trace_;
  std::vector<uint32_t> next_id_;
  uint64_t writes_ = 0, synced_writes_ = 0, flushes_ = 0, lost_writes_ = 0;
  int exit_code_ = 0;
};

}  // namespace

int RunPowerLossRounds(const PowerLossParams& params) {
  PowerLossRun run(params);
  return run.Run();
}

}  // namespace ziggydb::tools::stress
