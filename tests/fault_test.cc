// Fault-injection tests on an in-memory file system that tracks durability (CrashEnv, over
// FaultInjectionEnv): power loss at random moments and at every step of a flush, failed WAL
// syncs, and failed table and MANIFEST writes during a flush. Crashes during recovery:
// fault_recovery_test.cc; corruption of files at rest: fault_corruption_test.cc. What each test
// proves: docs/design/testing.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crash_env.h"
#include "db_model.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

namespace ziggydb::test {
namespace {

constexpr const char* kDb = "/db";
constexpr size_t kKeySpace = 150;
// Power-loss rounds played on one DB before starting afresh.
constexpr uint64_t kRoundsPerDb = 50;

Options SmallMemtableOptions(Env* env) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // the minimum: flushes every few dozen writes
  return options;
}

// A random write: a Put, a Delete, or a batch of a few of them; synced with probability 1/sync_in.
LoggedWrite RandomWrite(Random* rng, const std::vector<std::string>& keys, uint64_t sync_in) {
  LoggedWrite write;
  const uint64_t updates = rng->OneIn(3) ? 1 + rng->Uniform(6) : 1;
  for (uint64_t i = 0; i < updates; ++i) {
    const std::string& key = keys[rng->Uniform(keys.size())];
    if (rng->OneIn(5)) {
      write.batch.Delete(key);
    } else {
      write.batch.Put(key, MakeValue(rng, 6000));
    }
  }
  write.sync = rng->OneIn(sync_in);
  return write;
}

[[nodiscard]] Status Apply(DB* db, LoggedWrite* write) {
  WriteOptions options;
  options.sync = write->sync;
  return db->Write(options, write->batch);
}

// What a session of writes promised: the acknowledged writes in order, how many of them must
// survive a power loss, and the first refused write (its effect may or may not be durable).
struct Session {
  std::vector<LoggedWrite> acked;
  size_t durable_count = 0;  // acked[0..durable_count) were synced or flushed before the crash
  std::optional<LoggedWrite> first_failed;

  // Records one write's outcome. A write acknowledged after a refused one is a broken promise
  // (a failed write makes the DB refuse writes until reopened).
  void Record(const Status& s, LoggedWrite write) {
    if (s.ok()) {
      EXPECT_FALSE(first_failed.has_value()) << "a write was acknowledged after one failed";
      if (write.sync) durable_count = acked.size() + 1;
      acked.push_back(std::move(write));
    } else if (!first_failed.has_value()) {
      first_failed = std::move(write);
    }
  }
  std::vector<LoggedWrite> Candidates() const {
    std::vector<LoggedWrite> all = acked;
    if (first_failed.has_value()) all.push_back(*first_failed);
    return all;
  }
};

// Opens the DB after a crash and checks that it holds base + a prefix of the session's writes
// that covers at least `required` of them. Returns the recovered model in *recovered.
void ExpectRecoveredPrefix(const Options& options, const std::vector<std::string>& keys,
                           const Model& base, const Session& session, size_t required,
                           Model* recovered) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, kDb, &db);
  ASSERT_TRUE(s.ok()) << "Open after the crash: " << s.ToString();
  Model actual;
  s = ReadKeySpace(db.get(), keys, &actual);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::vector<LoggedWrite> candidates = session.Candidates();
  const std::optional<size_t> prefix = LongestMatchingPrefix(base, candidates, actual);
  ASSERT_TRUE(prefix.has_value()) << "the recovered DB is no prefix of the acknowledged writes ("
                                  << session.acked.size() << " acknowledged)";
  EXPECT_GE(*prefix, required) << "a write promised durable was lost: recovered " << *prefix
                               << " of " << session.acked.size() << " acknowledged writes";
  *recovered = actual;
}

// ---- (a) power loss at random moments -------------------------------------------------------

TEST(FaultPowerLoss, SyncedWritesSurviveAndTheDbIsAPrefixOfTheAcknowledgedWrites) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const std::vector<std::string> keys = MakeKeySpace(&rng, kKeySpace);
  std::unique_ptr<CrashEnv> machine;
  Model durable;  // what the last recovery found
  std::map<std::string, int> crash_sites;
  const uint64_t rounds = ScaledIterations(200);
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    // A fresh DB now and then: without compaction (issue 4) every flush adds an L0 table for
    // good, and a DB of thousands of tables would make the later rounds crawl.
    if (round % kRoundsPerDb == 0) {
      machine = std::make_unique<CrashEnv>();
      durable.clear();
    }
    CrashEnv& env = *machine;
    Options options = SmallMemtableOptions(&env);
    options.max_immutable_memtables = 1 + static_cast<int>(rng.Uniform(2));
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDb, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();

    Session session;
    const uint64_t planned = 1 + rng.Uniform(300);
    const uint64_t crash_at = rng.Uniform(planned + 1);
    // The crash comes a few operations on some kind of file after write crash_at starts, so it
    // lands inside WAL appends and syncs, memtable switches, table writes, directory syncs and
    // MANIFEST commits (running in the background thread).
    static constexpr const char* kTargets[] = {"", ".log", ".sst", "MANIFEST", "MANIFEST"};
    const char* target = kTargets[rng.Uniform(std::size(kTargets))];
    const uint64_t crash_delay_ops = rng.OneIn(4) ? 0 : rng.Uniform(target[0] == 'M' ? 4 : 60);
    for (uint64_t i = 0; i < planned; ++i) {
      if (i == crash_at) env.CrashAfter(crash_delay_ops, target);
      if (rng.OneIn(40)) {
        // A successful Flush (or CompactRange, which flushes first) makes every write
        // acknowledged before it durable.
        const bool done =
            rng.OneIn(3) ? db->CompactRange(std::nullopt, std::nullopt).ok() : db->Flush().ok();
        if (done && !session.first_failed) session.durable_count = session.acked.size();
        continue;
      }
      LoggedWrite write = RandomWrite(&rng, keys, 5);
      s = Apply(db.get(), &write);
      if (!s.ok()) {
        EXPECT_TRUE(env.crashed()) << "a write failed with no fault: " << s.ToString();
      }
      session.Record(s, std::move(write));
    }
    env.CrashNow();
    db.reset();
    if (env.crashed())
      ++crash_sites[FaultOpName(env.crash_op().op) + std::string(" ") + FileKind(env.crash_op())];
    env.Restart();
    ExpectRecoveredPrefix(options, keys, durable, session, session.durable_count, &durable);
    if (HasFailure()) return;
  }
  std::string sites;
  for (const auto& [site, count] : crash_sites)
    sites += " " + site + "=" + std::to_string(count);
  std::printf("[ info ] crash sites:%s\n", sites.c_str());
}

// ---- (a) power loss at every step of a flush ------------------------------------------------

struct FlushCrashOutcome {
  uint64_t ops = 0;  // counted operations of the crashed call (uncrashed runs: all of them)
};

enum class CrashedCall : uint8_t { kFlush, kCompactRange };

// Writes a fixed workload (for kCompactRange: three flushed, overlapping tables), crashes
// `crash_after` operations into the call (never, if nullopt), writes a little more, loses power
// and checks the recovered prefix.
FlushCrashOutcome RunCallCrash(uint64_t seed, CrashedCall call,
                               std::optional<uint64_t> crash_after) {
  Random rng(seed);
  CrashEnv env;
  const std::vector<std::string> keys = MakeKeySpace(&rng, kKeySpace);
  Options options = SmallMemtableOptions(&env);
  options.memtable_bytes = size_t{4} << 20;  // only explicit calls write tables
  FlushCrashOutcome outcome;
  Session session;
  {
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDb, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return outcome;
    const int tables = call == CrashedCall::kFlush ? 0 : 3;
    for (int t = 0; t <= tables; ++t) {
      for (int i = 0; i < 80; ++i) {
        LoggedWrite write = RandomWrite(&rng, keys, 4);
        s = Apply(db.get(), &write);
        session.Record(s, std::move(write));
      }
      if (t == tables) break;
      s = db->Flush();
      EXPECT_TRUE(s.ok()) << s.ToString();
      session.durable_count = session.acked.size();
    }
    env.ResetOps(/*record=*/false);
    if (crash_after.has_value()) env.CrashAfter(*crash_after);
    // A CompactRange flushes first, so either call makes every earlier write durable.
    s = call == CrashedCall::kFlush ? db->Flush() : db->CompactRange(std::nullopt, std::nullopt);
    outcome.ops = env.op_count();
    if (!crash_after.has_value()) {
      EXPECT_TRUE(s.ok()) << "uncrashed call failed: " << s.ToString();
    }
    if (s.ok()) session.durable_count = session.acked.size();
    for (int i = 0; i < 10; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 4);
      s = Apply(db.get(), &write);
      session.Record(s, std::move(write));
    }
    env.CrashNow();
  }
  env.Restart();
  Model recovered;
  ExpectRecoveredPrefix(options, keys, Model(), session, session.durable_count, &recovered);
  return outcome;
}

void CrashAtEveryStepOf(CrashedCall call) {
  const uint64_t seed = TestSeed();
  const FlushCrashOutcome reference = RunCallCrash(seed, call, std::nullopt);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_GT(reference.ops, 5u);  // table(s), MANIFEST, directory syncs, obsolete-file removal
  std::printf("[ info ] %llu operations, a crash after each\n",
              static_cast<unsigned long long>(reference.ops));
  for (uint64_t k = 0; k <= reference.ops; ++k) {
    SCOPED_TRACE("crash after " + std::to_string(k) + " of " + std::to_string(reference.ops) +
                 " operations, ZIGGY_TEST_SEED=" + std::to_string(seed));
    RunCallCrash(seed, call, k);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(FaultPowerLoss, CrashAtEveryStepOfAFlushLosesNoDurableWrite) {
  CrashAtEveryStepOf(CrashedCall::kFlush);
}

TEST(FaultPowerLoss, CrashAtEveryStepOfACompactionLosesNothing) {
  CrashAtEveryStepOf(CrashedCall::kCompactRange);
}

// ---- (a) power loss under concurrent writers (group commit) ----------------------------------

// One writer thread's log: its writes in order, with the logical times they started and were
// acknowledged (a shared counter), so a synced write can be related to writes of other threads.
struct ThreadLog {
  std::vector<LoggedWrite> writes;
  std::vector<uint64_t> start_ticks;
  std::vector<uint64_t> ack_ticks;  // kNotAcked if refused
  std::vector<std::string> keys;
};
constexpr uint64_t kNotAcked = ~uint64_t{0};

void ConcurrentWriter(DB* db, uint64_t seed, std::atomic<uint64_t>* clock, ThreadLog* log) {
  Random rng(seed);
  for (int i = 0; i < 200; ++i) {
    LoggedWrite write;
    const uint64_t updates = 1 + rng.Uniform(3);
    for (uint64_t u = 0; u < updates; ++u) {
      const std::string& key = log->keys[rng.Uniform(log->keys.size())];
      write.batch.Put(key, MakeValue(&rng, 3000));
    }
    write.sync = rng.OneIn(4);
    log->start_ticks.push_back(clock->fetch_add(1));
    const bool ok = Apply(db, &write).ok();
    log->ack_ticks.push_back(ok ? clock->fetch_add(1) : kNotAcked);
    log->writes.push_back(std::move(write));
    if (!ok) return;  // the DB refuses from now on
  }
}

TEST(FaultPowerLoss, ConcurrentWritersKeepPrefixesAndSyncedWritesCoverEarlierAcks) {
  constexpr int kThreads = 4;
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t rounds = ScaledIterations(40);
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    CrashEnv env;
    const Options options = SmallMemtableOptions(&env);
    std::vector<ThreadLog> logs(kThreads);
    std::vector<std::string> all_keys;
    for (int t = 0; t < kThreads; ++t) {
      for (int k = 0; k < 20; ++k)
        logs[t].keys.push_back("t" + std::to_string(t) + "-" + std::to_string(k));
      all_keys.insert(all_keys.end(), logs[t].keys.begin(), logs[t].keys.end());
    }
    {
      std::unique_ptr<DB> db;
      ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
      std::atomic<uint64_t> clock{0};
      env.CrashAfter(100 + rng.Uniform(600));
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t)
        threads.emplace_back(ConcurrentWriter, db.get(), rng.Next64(), &clock, &logs[t]);
      for (std::thread& thread : threads)
        thread.join();
      env.CrashNow();
    }
    env.Restart();
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDb, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Model actual;
    ASSERT_TRUE(ReadKeySpace(db.get(), all_keys, &actual).ok());

    // A synced write acknowledged at all makes durable every write acknowledged before it began.
    uint64_t durable_before_tick = 0;
    for (const ThreadLog& log : logs) {
      for (size_t i = 0; i < log.writes.size(); ++i) {
        if (log.writes[i].sync && log.ack_ticks[i] != kNotAcked) {
          durable_before_tick = std::max(durable_before_tick, log.start_ticks[i]);
        }
      }
    }
    for (int t = 0; t < kThreads; ++t) {
      SCOPED_TRACE("thread " + std::to_string(t));
      const ThreadLog& log = logs[t];
      Model mine;
      for (const std::string& key : log.keys) {
        if (auto it = actual.find(key); it != actual.end()) mine.insert(*it);
      }
      const std::optional<size_t> prefix = LongestMatchingPrefix(Model(), log.writes, mine);
      ASSERT_TRUE(prefix.has_value()) << "this thread's writes present are not a prefix";
      size_t required = 0;
      for (size_t i = 0; i < log.writes.size(); ++i) {
        if (log.ack_ticks[i] == kNotAcked) break;
        if (log.writes[i].sync || log.ack_ticks[i] < durable_before_tick) required = i + 1;
      }
      EXPECT_GE(*prefix, required) << "lost a synced write or one acknowledged before a synced "
                                      "write began ("
                                   << log.writes.size() << " written)";
    }
  }
}

// ---- (b) a failed WAL sync -----------------------------------------------------------------

// Runs a sync write (one of `rng`'s, made to sync) with one sync fault armed on the live log, and
// returns its Status and the write. The fault is not armed on every log: a memtable switch that
// the write makes first creates a log and syncs its head, and a fault there fails the write before
// anything is written (the DB goes on, as it should). The live log is synced by the write either
// way: as its own log, or, after such a switch, as an earlier log synced first.
std::pair<Status, LoggedWrite> SyncWriteWithAFailingWalSync(CrashEnv* env, DB* db, Random* rng,
                                                            const std::vector<std::string>& keys) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(kDb, &names).ok());
  std::string live;
  for (const std::string& name : names)
    if (name.ends_with(".log") && name > live) live = name;  // zero-padded numbers
  EXPECT_FALSE(live.empty());
  env->InjectError(FaultOp::kSync, live);
  LoggedWrite synced = RandomWrite(rng, keys, 1);
  synced.sync = true;
  Status s = Apply(db, &synced);
  env->ClearErrors();
  return {s, std::move(synced)};
}

class FaultWalSync : public ::testing::TestWithParam<bool /*power loss before reopen*/> {};

TEST_P(FaultWalSync, FailedSyncFailsThatWriteAndEveryLaterOneAndReopenHoldsAPrefix) {
  const bool power_loss = GetParam();
  const uint64_t seed = TestSeed();
  Random rng(seed);
  CrashEnv env;
  const std::vector<std::string> keys = MakeKeySpace(&rng, kKeySpace);
  const Options options = SmallMemtableOptions(&env);
  Session session;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    for (int i = 0; i < 40; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 3);
      Status s = Apply(db.get(), &write);
      ASSERT_TRUE(s.ok()) << s.ToString();
      session.Record(s, std::move(write));
    }
    auto [s, synced] = SyncWriteWithAFailingWalSync(&env, db.get(), &rng, keys);
    EXPECT_FALSE(s.ok()) << "a sync write whose WAL sync failed was acknowledged";
    EXPECT_NE(s.ToString().find("WAL write"), std::string::npos) << s.ToString();
    session.Record(s, std::move(synced));
    // The fault is cleared: the DB must refuse on its own from now on.

    for (uint64_t sync_in : {1, 1000000}) {
      LoggedWrite later = RandomWrite(&rng, keys, sync_in);
      s = Apply(db.get(), &later);
      EXPECT_FALSE(s.ok()) << "write after a failed WAL sync was acknowledged";
      session.Record(s, std::move(later));
    }
    EXPECT_FALSE(db->Put(WriteOptions(), keys[0], "x").ok());
    EXPECT_FALSE(db->Delete(WriteOptions(), keys[1]).ok());
    EXPECT_FALSE(db->Write(WriteOptions(), WriteBatch()).ok());  // empty, without sync too
    EXPECT_FALSE(db->Flush().ok());

    // Reads still work and show the acknowledged writes (and nothing refused after them).
    Model expected;
    for (const LoggedWrite& w : session.acked)
      ApplyToModel(w.batch, &expected);
    Model actual;
    s = ReadKeySpace(db.get(), keys, &actual);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Model with_failed = expected;
    ApplyToModel(session.first_failed->batch, &with_failed);
    EXPECT_TRUE(actual == expected || actual == with_failed)
        << DescribeDifference(expected, actual);
  }
  if (power_loss) {
    env.Restart();
  }
  Model recovered;
  // A process restart loses nothing acknowledged; a power loss keeps everything synced.
  ExpectRecoveredPrefix(options, keys, Model(), session,
                        power_loss ? session.durable_count : session.acked.size(), &recovered);
  // The reopened DB takes writes again.
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
  WriteOptions sync;
  sync.sync = true;
  EXPECT_TRUE(db->Put(sync, keys[0], "after reopen").ok());
}

TEST_P(FaultWalSync, FailedSyncAfterUnsyncedMemtableSwitchesStopsWrites) {
  const bool power_loss = GetParam();
  const uint64_t seed = TestSeed();
  Random rng(seed);
  CrashEnv env;
  const std::vector<std::string> keys = MakeKeySpace(&rng, kKeySpace);
  const Options options = SmallMemtableOptions(&env);
  Session session;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    // Unsynced writes across several memtable switches: no log is synced at a switch.
    for (int i = 0; i < 2000; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 1000000);
      write.sync = false;
      Status s = Apply(db.get(), &write);
      ASSERT_TRUE(s.ok()) << s.ToString();
      session.Record(s, std::move(write));
    }
    std::string wal_syncs;
    ASSERT_TRUE(db->GetProperty("ziggydb.wal-syncs", &wal_syncs));
    EXPECT_EQ(wal_syncs, "0");
    // The first sync write syncs the older logs still waiting for their flush, then its own;
    // the first failing sync fails it and every later write.
    auto [s, synced] = SyncWriteWithAFailingWalSync(&env, db.get(), &rng, keys);
    EXPECT_FALSE(s.ok()) << "a sync write whose WAL sync failed was acknowledged";
    EXPECT_NE(s.ToString().find("WAL write"), std::string::npos) << s.ToString();
    session.Record(s, std::move(synced));
    for (int i = 0; i < 5; ++i) {
      LoggedWrite later = RandomWrite(&rng, keys, 2);
      EXPECT_FALSE(Apply(db.get(), &later).ok())
          << "write after a failed WAL sync was acknowledged";
    }
    Model expected;
    for (const LoggedWrite& w : session.acked)
      ApplyToModel(w.batch, &expected);
    Model actual;
    s = ReadKeySpace(db.get(), keys, &actual);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Model with_failed = expected;
    ApplyToModel(session.first_failed->batch, &with_failed);
    EXPECT_TRUE(actual == expected || actual == with_failed)
        << DescribeDifference(expected, actual);
  }
  if (power_loss) env.Restart();
  Model recovered;
  ExpectRecoveredPrefix(options, keys, Model(), session,
                        power_loss ? session.durable_count : session.acked.size(), &recovered);
}

INSTANTIATE_TEST_SUITE_P(Reopen, FaultWalSync, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AfterPowerLoss" : "AfterProcessRestart";
                         });

// ---- (c) a failed table or MANIFEST write during a flush ------------------------------------

struct FlushFault {
  const char* name;
  FaultOp op;
  const char* path_substring;
  bool explicit_flush;  // DB::Flush, or a flush started by a full memtable
  bool power_loss;      // before the reopen
};

class FaultFlushFailure : public ::testing::TestWithParam<FlushFault> {};

TEST_P(FaultFlushFailure, SurfacesAsAnErrorAndLosesNoAcknowledgedWrite) {
  const FlushFault& fault = GetParam();
  const uint64_t seed = TestSeed();
  Random rng(seed);
  CrashEnv env;
  const std::vector<std::string> keys = MakeKeySpace(&rng, kKeySpace);
  const Options options = SmallMemtableOptions(&env);
  Session session;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    for (int i = 0; i < 30; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 4);
      Status s = Apply(db.get(), &write);
      ASSERT_TRUE(s.ok()) << s.ToString();
      session.Record(s, std::move(write));
    }
    env.InjectError(fault.op, fault.path_substring);
    bool surfaced = false;
    if (fault.explicit_flush) {
      surfaced = !db->Flush().ok();
    }
    // Keep writing: with a full memtable the failed flush must show up as a failed write.
    for (int i = 0; i < 3000 && !surfaced; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 1000000);
      Status s = Apply(db.get(), &write);
      surfaced = !s.ok();
      session.Record(s, std::move(write));
    }
    EXPECT_TRUE(surfaced) << "the injected fault never surfaced as an error";
    EXPECT_EQ(env.injected_error_count(), 1u);
    // Whatever the DB does next, a write it acknowledges must be kept.
    for (int i = 0; i < 10; ++i) {
      LoggedWrite write = RandomWrite(&rng, keys, 3);
      Status s = Apply(db.get(), &write);
      session.Record(s, std::move(write));  // fails the test if acknowledged after a refusal
    }
    Model expected;
    for (const LoggedWrite& w : session.acked)
      ApplyToModel(w.batch, &expected);
    Model actual;
    Status s = ReadKeySpace(db.get(), keys, &actual);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(actual == expected) << DescribeDifference(expected, actual);
  }
  if (fault.power_loss) env.Restart();
  Model recovered;
  ExpectRecoveredPrefix(options, keys, Model(), session,
                        fault.power_loss ? session.durable_count : session.acked.size(),
                        &recovered);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultFlushFailure,
    ::testing::Values(FlushFault{"TableSync", FaultOp::kSync, ".sst", true, false},
                      FlushFault{"TableSyncAuto", FaultOp::kSync, ".sst", false, false},
                      FlushFault{"TableSyncPowerLoss", FaultOp::kSync, ".sst", true, true},
                      FlushFault{"TableAppend", FaultOp::kAppend, ".sst", true, false},
                      FlushFault{"TableCreate", FaultOp::kCreate, ".sst", false, false},
                      FlushFault{"ManifestSync", FaultOp::kSync, "MANIFEST", true, false},
                      FlushFault{"ManifestSyncAuto", FaultOp::kSync, "MANIFEST", false, false},
                      FlushFault{"ManifestSyncPowerLoss", FaultOp::kSync, "MANIFEST", true, true},
                      FlushFault{"ManifestAppend", FaultOp::kAppend, "MANIFEST", false, true},
                      FlushFault{"DirSync", FaultOp::kSyncDir, kDb, true, true}),
    [](const ::testing::TestParamInfo<FlushFault>& info) { return info.param.name; });

}  // namespace
}  // namespace ziggydb::test
