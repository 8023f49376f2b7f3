// Idempotent recovery, on CrashEnv (tests/crash_env.h): a crash at any step of a recovery that
// writes tables, followed by another recovery (itself possibly crashed), must give the same DB.
// What each test proves: docs/design/testing.md.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
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

Options SmallMemtableOptions(Env* env) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // the minimum: recovery flushes every 64 KiB
  return options;
}

// ---- (g) recovery is idempotent -------------------------------------------------------------

// A DB whose WALs hold ~600 KiB of synced writes and no table, left by a crash; *model is what
// it holds. Recovery with a 64 KiB memtable then writes about ten tables.
void BuildUnflushedDb(uint64_t seed, CrashEnv* env, std::vector<std::string>* keys, Model* model) {
  Random rng(seed);
  *keys = MakeKeySpace(&rng, kKeySpace);
  Options options = SmallMemtableOptions(env);
  options.memtable_bytes = size_t{4} << 20;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
  for (int i = 0; i < 600; ++i) {
    WriteBatch batch;
    const std::string& key = (*keys)[rng.Uniform(keys->size())];
    if (rng.OneIn(6)) {
      batch.Delete(key);
    } else {
      batch.Put(key, rng.Bytes(200 + rng.Uniform(1600)));
    }
    WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Write(sync, batch).ok());
    ApplyToModel(batch, model);
  }
  env->CrashNow();
  db.reset();
  env->Restart();
}

// Recovers with a crash after `crash_after` operations, then (if second_crash) once more with a
// crash after `second_crash` operations, then cleanly; the DB must hold exactly *model.
void RecoverWithCrashes(uint64_t seed, uint64_t crash_after, std::optional<uint64_t> second_crash) {
  CrashEnv env;
  std::vector<std::string> keys;
  Model model;
  BuildUnflushedDb(seed, &env, &keys, &model);
  if (::testing::Test::HasFatalFailure()) return;
  const Options options = SmallMemtableOptions(&env);
  for (std::optional<uint64_t> crash : {std::optional<uint64_t>(crash_after), second_crash}) {
    if (!crash.has_value()) continue;
    env.CrashAfter(*crash);
    {
      std::unique_ptr<DB> db;
      Status s = DB::Open(options, kDb, &db);
      if (!env.crashed()) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        env.CrashNow();
      }
    }
    env.Restart();
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, kDb, &db);
  ASSERT_TRUE(s.ok()) << "recovery after a crash during recovery: " << s.ToString();
  Model actual;
  s = ReadKeySpace(db.get(), keys, &actual);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(actual == model) << DescribeDifference(model, actual);
}

TEST(FaultRecovery, CrashAtEveryStepOfARecoveryThenRecoverAgainGivesTheSameDb) {
  const uint64_t seed = TestSeed();
  // Reference: a clean recovery, counting its operations by kind.
  std::vector<CrashEnv::Op> ops;
  {
    CrashEnv env;
    std::vector<std::string> keys;
    Model model;
    BuildUnflushedDb(seed, &env, &keys, &model);
    ASSERT_FALSE(HasFatalFailure());
    env.ResetOps(/*record=*/true);
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(SmallMemtableOptions(&env), kDb, &db).ok());
    ops = env.recorded_ops();
    Model actual;
    ASSERT_TRUE(ReadKeySpace(db.get(), keys, &actual).ok());
    ASSERT_TRUE(actual == model) << DescribeDifference(model, actual);
    ASSERT_GE(TableCount(db.get()), 1u) << "recovery was meant to write tables";
  }
  // Every operation that changes what is durable or named, and a sample of the rest (reads and
  // table appends are many and alike).
  Random rng(seed);
  std::vector<uint64_t> points;
  for (uint64_t k = 0; k <= ops.size(); ++k) {
    const bool pivotal =
        k == ops.size() || (ops[k].op != FaultOp::kRead && ops[k].op != FaultOp::kAppend);
    if (pivotal || rng.OneIn(8)) points.push_back(k);
  }
  std::printf("[ info ] recovery: %zu operations, %zu crash points\n", ops.size(), points.size());
  for (uint64_t k : points) {
    const std::string site = k < ops.size()
                                 ? std::string(FaultOpName(ops[k].op)) + " " + ops[k].path
                                 : std::string("(after the last)");
    SCOPED_TRACE("crash at recovery operation " + std::to_string(k) + " (" + site +
                 "), ZIGGY_TEST_SEED=" + std::to_string(seed));
    // Every fourth point also crashes the second recovery somewhere.
    std::optional<uint64_t> second;
    if (k % 4 == 0) second = rng.Uniform(ops.size() + 1);
    RecoverWithCrashes(seed, k, second);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace ziggydb::test
