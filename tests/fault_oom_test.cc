// DB::Open and DB::Close under allocation failure: the n-th allocation made on the calling thread
// throws std::bad_alloc (testutil/failing_allocator.h; other threads allocate normally), for every
// n up to the call's allocation count (sampled beyond the first few hundred). The call must return
// an error Status or succeed, never let the exception out or terminate the process; a failed Open
// must leave the directory as it was and release the LOCK; a Close that met the failure (with
// unlogged and unsynced writes to flush too) must still stop the DB and release the LOCK; and
// every write acknowledged before is still there when the DB is opened again. Then the same
// injection on the flush thread and on a compaction thread (armed from the listener's begin
// callback, which runs on that thread inside the job): the job's failure becomes a background
// error, writes stop with it, and Resume clears it with nothing lost; injected after the job's
// MANIFEST sync instead, the job stands or fails, and a reopen shows every key. In both, every
// listener begin event gets its end. Of the write path, the write that switches the memtable: it
// fails alone or stops writes until a reopen, and Resume agrees (the rest of the write path under
// allocation failure: c_api_oom_test).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "db/db_impl.h"
#include "db/event_queue.h"
#include "db/write_batch_internal.h"
#include "env/fault_env.h"
#include "testutil/failing_allocator.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"
#include "ziggydb/listener.h"
#include "ziggydb/options.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

constexpr const char* kDb = "/db";
constexpr int kKeys = 300;
// Failure points tried per call: all of the first kDenseRuns allocations, then kSampledRuns
// spread over the rest.
constexpr long kDenseRuns = 300;
constexpr long kSampledRuns = 300;

std::string Key(int i) {
  return "key" + std::to_string(i);
}

std::vector<std::string> Listing(Env* env) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(kDb, &names).ok());
  std::sort(names.begin(), names.end());
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string& n) { return n.starts_with("LOG"); }),
              names.end());
  return names;
}

// The background-job tests' DB: flushes every 64 KiB, compacts L0 at two tables.
Options SmallJobOptions(Env* env, std::shared_ptr<EventListener> listener) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  options.l0_compaction_trigger = 2;
  options.listeners.push_back(std::move(listener));
  return options;
}

// Reopens *db; each Key(i), i < keys, must hold expected(i).
void ReopenAndExpectKeys(const Options& options, std::unique_ptr<DB>* db, int keys,
                         const std::function<std::string(int)>& expected) {
  db->reset();
  ASSERT_TRUE(DB::Open(options, kDb, db).ok());
  for (int i = 0; i < keys; ++i) {
    std::string got;
    ASSERT_TRUE((*db)->Get(ReadOptions(), Key(i), &got).ok()) << Key(i);
    EXPECT_EQ(got, expected(i));
  }
}

// Allocation indices to fail for a call that makes `total` allocations: all of the first `dense`,
// then about `sampled` spread over the rest.
std::vector<long> FailurePoints(long total, long dense = kDenseRuns, long sampled = kSampledRuns) {
  std::vector<long> points;
  for (long n = 0; n < std::min(total, dense); ++n)
    points.push_back(n);
  if (total > dense) {
    const long step = std::max<long>(1, (total - dense) / sampled);
    for (long n = dense; n < total; n += step)
      points.push_back(n);
  }
  return points;
}

// What a call made with this thread's n-th allocation failing did.
struct ArmedCall {
  Status status;         // what it returned (OK if it threw)
  bool escaped = false;  // std::bad_alloc left the call
  bool met = false;      // the injected failure happened
};
template <typename Call>
ArmedCall CallFailingAt(long n, Call&& call) {
  ArmedCall result;
  ArmAllocationFailure(n);
  try {
    result.status = call();
  } catch (const std::bad_alloc&) {
    result.escaped = true;
  }
  result.met = DisarmAllocationFailure();
  return result;
}

class OomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    // Tables, and WAL data that recovery must replay into a table.
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), std::string(200, 'a' + i % 26)).ok());
      if (i == kKeys / 2) {
        ASSERT_TRUE(db->Flush().ok());
      }
    }
  }

  void ExpectAllKeys(DB* db) {
    for (int i = 0; i < kKeys; ++i) {
      std::string value;
      Status s = db->Get(ReadOptions(), Key(i), &value);
      ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
      EXPECT_EQ(value, std::string(200, 'a' + i % 26));
    }
  }

  // Allocations DB::Open makes on the calling thread for this directory.
  long CountOpenAllocations() {
    std::unique_ptr<DB> db;
    StartCountingAllocations();
    Status s = DB::Open(options_, kDb, &db);
    const long count = StopCountingAllocations();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return count;
  }

  FaultInjectionEnv env_;
  Options options_;
};

TEST_F(OomTest, FailedOpenReturnsAnErrorAndLeavesTheDirectoryAsItWas) {
  const long total = CountOpenAllocations();
  ASSERT_GT(total, 10);
  int failed_opens = 0;
  int committed_failures = 0;  // failed after CURRENT named the new MANIFEST
  for (long n : FailurePoints(total)) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    const std::vector<std::string> before = Listing(&env_);
    const std::string current_before = ReadAll(&env_, std::string(kDb) + "/CURRENT");
    std::unique_ptr<DB> db;
    const ArmedCall call = CallFailingAt(n, [&] { return DB::Open(options_, kDb, &db); });
    Status s = call.status;
    const bool failed = call.met;
    ASSERT_FALSE(call.escaped) << "std::bad_alloc escaped DB::Open";
    if (!s.ok()) {
      ++failed_opens;
      EXPECT_TRUE(failed) << s.ToString();
      EXPECT_EQ(db, nullptr);
      EXPECT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
      // Unchanged, unless the failure came after the Open committed its new MANIFEST (CURRENT
      // names it): then the files it needs stay (open_rollback.h).
      if (ReadAll(&env_, std::string(kDb) + "/CURRENT") == current_before) {
        EXPECT_EQ(Listing(&env_), before) << "a failed Open changed the directory";
      } else {
        ++committed_failures;
      }
      EXPECT_EQ(env_.open_file_count(), 0u) << "a failed Open left files open";
      // The LOCK was released: the next Open works and sees everything.
      s = DB::Open(options_, kDb, &db);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    ExpectAllKeys(db.get());
  }
  EXPECT_GT(failed_opens, committed_failures);
  std::printf("%d failed opens (%d after the commit) of %zu failure points\n", failed_opens,
              committed_failures, FailurePoints(total).size());
}

TEST_F(OomTest, CloseThatMeetsAnAllocationFailureStillClosesAndLosesNothing) {
  // Allocations of one Close. (Unlogged writes, which Close flushes through the write path, are
  // left out: the write path under allocation failure is not covered here.)
  long total = 0;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    StartCountingAllocations();
    Status s = db->Close();
    total = StopCountingAllocations();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_GT(total, 0);
  int failures_met = 0;
  for (long n : FailurePoints(total + 1)) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    const ArmedCall call = CallFailingAt(n, [&] { return db->Close(); });
    Status s = call.status;
    if (call.met) ++failures_met;
    ASSERT_FALSE(call.escaped) << "std::bad_alloc escaped DB::Close";
    // An allocation failure fails Close unless only a LOG line was lost.
    EXPECT_TRUE(s.ok() || s.ToString().find("out of memory") != std::string::npos) << s.ToString();
    // Whatever Close returned, the DB is closed: calls refuse and the LOCK is free.
    EXPECT_TRUE(db->Put(WriteOptions(), "k", "v").IsInvalidArgument());
    std::unique_ptr<DB> again;
    s = DB::Open(options_, kDb, &again);
    ASSERT_TRUE(s.ok()) << "the LOCK was not released: " << s.ToString();
    ExpectAllKeys(again.get());
    again.reset();
    // The destructor of a closed DB, armed as well: it must not terminate.
    ArmAllocationFailure(0);
    db.reset();
    DisarmAllocationFailure();
  }
  EXPECT_GT(failures_met, 0);
  // The destructor closing an open DB, meeting the failure.
  for (long n : FailurePoints(total + 1)) {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    ArmAllocationFailure(n);
    db.reset();
    DisarmAllocationFailure();
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok()) << "the LOCK was not released";
    ExpectAllKeys(db.get());
  }
}

TEST_F(OomTest, CloseWithUnloggedAndUnsyncedWritesUnderAllocationFailure) {
  // Close flushes writes made without the WAL through the write path; writes without sync are in
  // the WAL. Both on the calling thread, where the failure is injected.
  auto write_pending = [](DB* db) {
    WriteOptions unlogged;
    unlogged.disable_wal = true;
    ASSERT_TRUE(db->Put(unlogged, "unlogged", "u").ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "unsynced", "n").ok());
  };
  long total = 0;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    write_pending(db.get());
    StartCountingAllocations();
    Status s = db->Close();
    total = StopCountingAllocations();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  int failed_closes = 0;
  int unlogged_lost = 0;
  for (long n : FailurePoints(total + 1)) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    // Gone from the previous round's DB unless its Close flushed it: make it so this round too.
    ASSERT_TRUE(db->Delete(WriteOptions(), "unlogged").ok());
    write_pending(db.get());
    const ArmedCall call = CallFailingAt(n, [&] { return db->Close(); });
    Status s = call.status;
    ASSERT_FALSE(call.escaped) << "std::bad_alloc escaped DB::Close";
    EXPECT_TRUE(s.ok() || s.ToString().find("out of memory") != std::string::npos) << s.ToString();
    const bool close_failed = !s.ok();
    if (close_failed) ++failed_closes;
    EXPECT_TRUE(db->Put(WriteOptions(), "k", "v").IsInvalidArgument());
    std::unique_ptr<DB> again;
    s = DB::Open(options_, kDb, &again);
    ASSERT_TRUE(s.ok()) << "the LOCK was not released: " << s.ToString();
    ExpectAllKeys(again.get());
    std::string value;
    // The unsynced write is in the WAL: no power loss here, so it survives any Close.
    ASSERT_TRUE(again->Get(ReadOptions(), "unsynced", &value).ok());
    EXPECT_EQ(value, "n");
    // The unlogged one survives a Close that returned OK; one that failed may have lost it
    // (never written anywhere else), but never garbles it.
    s = again->Get(ReadOptions(), "unlogged", &value);
    if (s.IsNotFound()) {
      ++unlogged_lost;
      EXPECT_TRUE(close_failed) << "a Close that returned OK lost the unlogged write";
    } else {
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(value, "u");
    }
  }
  EXPECT_GT(failed_closes, 0);
  std::printf("%d failed closes, %d lost the unlogged write, of %zu failure points\n",
              failed_closes, unlogged_lost, FailurePoints(total + 1).size());
}

// CompactRange runs its compactions on the calling thread: for each of its allocations (over the
// fixture's tables plus an overlapping L0 table; the first 150, then ~150 spread over the rest)
// no exception escapes, the call returns OK or IOError "out of memory" (also the background
// error: Resume clears it unless the failure came after a Version was installed, when only a
// reopen does), a second CompactRange succeeds after that, and no key is lost or changed.
TEST_F(OomTest, CompactRangeThatMeetsAnAllocationFailureLosesNothing) {
  auto open_with_overlap = [&](std::unique_ptr<DB>* db) {
    ASSERT_TRUE(DB::Open(options_, kDb, db).ok());
    for (int i = 0; i < kKeys; i += 7)  // rewritten with the same values: an overlapping table
      ASSERT_TRUE((*db)->Put(WriteOptions(), Key(i), std::string(200, 'a' + i % 26)).ok());
    ASSERT_TRUE((*db)->Flush().ok());
  };
  long total = 0;
  {
    std::unique_ptr<DB> db;
    open_with_overlap(&db);
    StartCountingAllocations();
    Status s = db->CompactRange(std::nullopt, std::nullopt);
    total = StopCountingAllocations();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_GT(total, 10);
  int failed = 0;
  int needed_reopen = 0;
  // Half the usual points: each one builds tables and compacts them.
  const std::vector<long> points = FailurePoints(total, kDenseRuns / 2, kSampledRuns / 2);
  for (long n : points) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    std::unique_ptr<DB> db;
    open_with_overlap(&db);
    if (::testing::Test::HasFatalFailure()) return;
    const ArmedCall call =
        CallFailingAt(n, [&] { return db->CompactRange(std::nullopt, std::nullopt); });
    Status s = call.status;
    ASSERT_FALSE(call.escaped) << "std::bad_alloc escaped DB::CompactRange";
    if (!s.ok()) {
      ++failed;
      EXPECT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
      if (!db->Resume().ok()) {
        ++needed_reopen;
        db.reset();
        ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
      }
      s = db->CompactRange(std::nullopt, std::nullopt);
      ASSERT_TRUE(s.ok()) << "after the failure: " << s.ToString();
    }
    ExpectAllKeys(db.get());
    db.reset();
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
    ExpectAllKeys(db.get());
  }
  EXPECT_GT(failed, 0);
  std::printf("%d failed CompactRange calls (%d needed a reopen) of %zu failure points\n", failed,
              needed_reopen, points.size());
}

// A checkpoint failing at each of its allocations: no exception escapes; it is made whole, or it
// fails with "out of memory" and leaves no directory behind, so the same target works next.
TEST_F(OomTest, CheckpointThatMeetsAnAllocationFailureLeavesNothing) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
  ASSERT_TRUE(db->Flush().ok());  // the checkpoint's own flush then has nothing to do
  StartCountingAllocations();
  Status s = db->CreateCheckpoint("/counted");
  const long total = StopCountingAllocations();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GT(total, 10);
  int failed = 0;
  for (long n : FailurePoints(total)) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    const std::string dir = "/cp" + std::to_string(n);
    const ArmedCall call = CallFailingAt(n, [&] { return db->CreateCheckpoint(dir); });
    s = call.status;
    ASSERT_FALSE(call.escaped) << "std::bad_alloc escaped DB::CreateCheckpoint";
    if (!s.ok()) {
      ++failed;
      EXPECT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
      EXPECT_FALSE(env_.FileExists(dir)) << "a failed checkpoint left " << dir;
      ASSERT_TRUE(db->CreateCheckpoint(dir).ok());
    }
    std::unique_ptr<DB> copy;
    ASSERT_TRUE(DB::Open(options_, dir, &copy).ok());
    ExpectAllKeys(copy.get());
  }
  EXPECT_GT(failed, 0);
  std::printf("%d failed checkpoints of %ld allocations\n", failed, total);
}

// A restore failing at each of its allocations in turn (std::bad_alloc leaves the backup API:
// ziggydb/backup.h): the target's LOCK is released on every way out, so the same restore run
// again works (with overwrite: a failure after CURRENT was written leaves the restored DB whole)
// and the DB holds every key.
TEST_F(OomTest, RestoreThatMeetsAnAllocationFailureReleasesTheTargetsLock) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
  BackupEngineOptions backup_options;
  backup_options.env = &env_;
  std::unique_ptr<BackupEngine> engine;
  ASSERT_TRUE(BackupEngine::Open("/backups", backup_options, &engine).ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine->CreateNewBackup(db.get(), true, &id).ok());
  ASSERT_TRUE(db->Close().ok());
  StartCountingAllocations();
  Status s = engine->RestoreDBFromBackup(id, "/counted");
  const long total = StopCountingAllocations();
  ASSERT_TRUE(s.ok()) << s.ToString();
  int failed = 0;
  for (long n : FailurePoints(total)) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(total));
    const std::string dir = "/r" + std::to_string(n);
    const ArmedCall call = CallFailingAt(n, [&] { return engine->RestoreDBFromBackup(id, dir); });
    if (call.escaped || !call.status.ok()) {
      ++failed;
      RestoreOptions overwrite;
      overwrite.overwrite = true;
      s = engine->RestoreDBFromBackup(id, dir, overwrite);
      ASSERT_TRUE(s.ok()) << "after the failure: " << s.ToString();
    }
    std::unique_ptr<DB> copy;
    ASSERT_TRUE(DB::Open(options_, dir, &copy).ok());
    ExpectAllKeys(copy.get());
  }
  EXPECT_GT(failed, 0);
  std::printf("%d failed restores of %ld allocations\n", failed, total);
}

// A write that switches the memtable, failing at each of its allocations in turn (the switch runs
// on the writing thread, the write leader). The write succeeds, or fails with "out of memory" and
// then the DB is in one of two states, which Resume and the next write agree on: it takes writes
// (a failure before the switch changed anything, e.g. building the next memtable: nothing to
// resume, the next write switches), or it refuses writes until a reopen, and then Resume refuses
// too with the same error (it once returned OK while every write kept failing). No acknowledged
// write is lost across the reopens.
// Counts the background errors it hears.
class BackgroundErrorCounter final : public EventListener {
 public:
  void OnBackgroundError(DB* /*db*/, const Status& /*status*/) override { ++heard; }
  std::atomic<int> heard{0};
};

TEST_F(OomTest, WriteThatSwitchesTheMemtableEitherFailsAloneOrStopsWritesAndResumeAgrees) {
  const std::string fill(options_.memtable_bytes + 1024, 'f');  // leaves the memtable full
  auto errors = std::make_shared<BackgroundErrorCounter>();
  options_.listeners.push_back(errors);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
  std::vector<std::string> acknowledged;
  int failures_met = 0;
  int failed_alone = 0;    // writes that failed while the DB kept taking writes
  int switch_retried = 0;  // ... of them, failures inside the switch itself
  int stopped_writes = 0;  // failures that stopped writes until a reopen
  int write = 0;
  for (long n = 0;; ++n) {
    SCOPED_TRACE("allocation " + std::to_string(n));
    ASSERT_LT(n, 100000) << "the write never completed";
    const std::string fill_key = "fill" + std::to_string(write);
    const std::string key = "switching" + std::to_string(write);
    const std::string probe_key = "probe" + std::to_string(write++);
    ASSERT_TRUE(db->Put(WriteOptions(), fill_key, fill).ok());
    acknowledged.push_back(fill_key);
    WriteBatch batch;  // built before the failure is armed: DB::Put's own batch is not the point
    batch.Put(key, "v");
    const int heard_before = errors->heard.load();
    ArmAllocationFailure(n);
    Status put = db->Write(WriteOptions(), batch);  // makes room first: switches the memtable
    const bool met = DisarmAllocationFailure();
    const int heard_by_return = errors->heard.load();
    if (!met) {
      ASSERT_TRUE(put.ok()) << put.ToString();
      break;
    }
    ++failures_met;
    if (put.ok()) {
      acknowledged.push_back(key);  // the failure met only a LOG line or a statistic
      continue;
    }
    EXPECT_NE(put.ToString().find("out of memory"), std::string::npos) << put.ToString();
    const Status resumed = db->Resume();
    const Status probe = db->Put(WriteOptions(), probe_key, "p");
    ASSERT_EQ(resumed.ok(), probe.ok())
        << "write: " << put.ToString() << "; Resume: " << resumed.ToString()
        << "; next write: " << probe.ToString();
    if (probe.ok()) {
      acknowledged.push_back(probe_key);
      ++failed_alone;
      if (put.ToString().find("next memtable") != std::string::npos ||
          put.ToString().find("creating a WAL") != std::string::npos) {
        ++switch_retried;
      }
      continue;
    }
    ++stopped_writes;
    // The listener heard the error before the failed write returned (delivered outside the
    // pipeline's steps, DBImpl::DeliverEventsOnFailure).
    EXPECT_EQ(heard_by_return, heard_before + 1);
    EXPECT_NE(resumed.ToString().find("out of memory"), std::string::npos) << resumed.ToString();
    EXPECT_NE(probe.ToString().find("reopen"), std::string::npos) << probe.ToString();
    db.reset();
    ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
  }
  EXPECT_GT(failures_met, 0);
  EXPECT_GT(switch_retried, 0);  // building the next memtable failed, and the next write switched
  EXPECT_GT(stopped_writes, 0);  // a failure after the switch began changing the DB
  db.reset();
  ASSERT_TRUE(DB::Open(options_, kDb, &db).ok());
  ExpectAllKeys(db.get());
  for (const std::string& key : acknowledged) {
    std::string value;
    ASSERT_TRUE(db->Get(ReadOptions(), key, &value).ok()) << key;
  }
  std::printf(
      "%d allocation failures: %d failed the write alone (%d in the switch), %d stopped "
      "writes until a reopen\n",
      failures_met, failed_alone, switch_retried, stopped_writes);
}

// Records the file numbers of the flush-begin events it hears.
class FlushNumberListener final : public EventListener {
 public:
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& info) override {
    heard.push_back(info.file_number);
  }
  std::vector<uint64_t> heard;
};

// A delivery short of memory must leave the events queued, whole: TakeMine either takes all of
// the calling thread's events or none (a half-done take once left moved-from callbacks behind).
// A Put, Delete or Append that meets an allocation failure leaves the batch as it was: its count
// matches its records, and writing it applies exactly the updates added before.
TEST(WriteBatchOomTest, AnUpdateThatMeetsAnAllocationFailureLeavesTheBatchAsItWas) {
  WriteBatch batch;
  WriteBatch other;
  other.Put("o", "1");
  int failed = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string before(WriteBatchInternal::Contents(batch));
    const std::string key = "k" + std::to_string(i);
    const ArmedCall call = CallFailingAt(1, [&] {
      switch (i % 3) {
        case 0:
          batch.Put(key, std::string(i * 7, 'v'));
          break;
        case 1:
          batch.Delete(key);
          break;
        default:
          batch.Append(other);
          break;
      }
      return Status::OK();
    });
    if (call.escaped) {
      ++failed;
      ASSERT_EQ(WriteBatchInternal::Contents(batch), before) << i;
    }
  }
  EXPECT_GT(failed, 0);
  // Every record the count claims decodes, and nothing more.
  struct Counter final : WriteBatch::Handler {
    void Put(std::string_view, std::string_view) override { ++updates; }
    void Delete(std::string_view) override { ++updates; }
    uint32_t updates = 0;
  } counter;
  ASSERT_TRUE(batch.Iterate(&counter).ok());
  EXPECT_EQ(counter.updates, WriteBatchInternal::Count(batch));
  std::printf("%d of 300 updates met the failure\n", failed);
}

TEST(EventQueueOomTest, TakeMineThatMeetsAnAllocationFailureKeepsEveryEvent) {
  int failures_met = 0;
  for (long n = 0; n < 4; ++n) {
    auto listener = std::make_shared<FlushNumberListener>();
    EventQueue queue({listener});
    auto push = [&queue](uint64_t number) {
      FlushJobInfo info;
      info.file_number = number;
      queue.Push([info](EventListener& l) { l.OnFlushBegin(nullptr, info); });
    };
    push(1);
    std::thread([&] { push(99); }).join();  // another thread's event, queued in between
    push(2);
    push(3);
    EventQueue::Batch batch;
    bool threw = false;
    ArmAllocationFailure(n);
    try {
      batch = queue.TakeMine();
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    DisarmAllocationFailure();
    if (threw) {
      ++failures_met;
      ASSERT_TRUE(queue.HasMine());
      batch = queue.TakeMine();
    }
    EXPECT_FALSE(queue.HasMine());
    queue.Deliver(batch);
    EXPECT_EQ(listener->heard, (std::vector<uint64_t>{1, 2, 3})) << "failure at allocation " << n;
  }
  EXPECT_GT(failures_met, 0);
}

// Which part of a job an injected allocation failure lands in.
enum class JobWindow {
  kBeforeManifestSync,  // from the job's begin callback to its MANIFEST sync (the edit written)
  kAfterManifestSync,   // from that sync to the job's end callback: the edit is durable
};

// Arms the failure on the thread of a flush (or a compaction) at the start of the window (the
// begin callback, which that thread runs inside the job, or its MANIFEST sync) and disarms it at
// the window's end: an injected failure always lands inside the job. Collects background errors,
// and counts begin and end events (listener.h rule 5: every begin has its end, a failed job's
// too).
class ArmingListener : public EventListener {
 public:
  ArmingListener(bool compaction, JobWindow window) : compaction_(compaction), window_(window) {}
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& /*info*/) override {
    begins_.fetch_add(1);
    if (!compaction_) AtJobBegin();
  }
  void OnFlushCompleted(DB* /*db*/, const FlushJobInfo& info) override {
    if (!compaction_) AtJobEnd();
    CountEnd(info.status);
  }
  void OnCompactionBegin(DB* /*db*/, const CompactionJobInfo& /*info*/) override {
    begins_.fetch_add(1);
    if (compaction_) AtJobBegin();
  }
  void OnCompactionCompleted(DB* /*db*/, const CompactionJobInfo& info) override {
    if (compaction_) AtJobEnd();
    CountEnd(info.status);
  }
  void OnBackgroundError(DB* /*db*/, const Status& status) override {
    MutexLock lock(&mu_);
    errors_.push_back(status.ToString());
    error_reported_.NotifyAll();
  }

  // The next job of the kind fails at its n-th allocation; -2 counts its allocations instead.
  void ArmNextJob(long n) { next_.store(n); }
  // Called by the Env at each MANIFEST sync.
  void AtManifestSync() {
    if (job_thread_.load() != std::this_thread::get_id()) return;
    if (window_ == JobWindow::kBeforeManifestSync) {
      Disarm();
    } else if (!synced_) {
      synced_ = true;  // a job may sync twice (a new MANIFEST): the first one opens the window
      Arm();
    }
  }
  bool after_sync() const { return window_ == JobWindow::kAfterManifestSync; }
  long counted() const { return counted_.load(); }
  int begins() const { return begins_.load(); }
  int ends() const { return ends_.load(); }
  // Jobs that ended with the injected failure as their status.
  int out_of_memory_ends() const { return out_of_memory_ends_.load(); }
  // The background errors reported, once there is one: the failed job's thread notifies the
  // listener after the waiters of its job may have woken.
  std::vector<std::string> WaitForErrors() {
    MutexLock lock(&mu_);
    while (errors_.empty())
      error_reported_.Wait(&mu_);
    return errors_;
  }

 private:
  // On the job's thread: the begin callback of the job ArmNextJob chose opens the window (or
  // marks the job whose MANIFEST sync will).
  void AtJobBegin() {
    n_ = next_.exchange(-1);
    if (n_ == -1) return;
    job_thread_.store(std::this_thread::get_id());
    if (window_ == JobWindow::kBeforeManifestSync) Arm();
  }
  void AtJobEnd() {
    if (job_thread_.load() != std::this_thread::get_id()) return;
    if (window_ == JobWindow::kAfterManifestSync && synced_) Disarm();
    job_thread_.store(std::thread::id());
  }
  void Arm() {
    counting_ = n_ == -2;
    armed_ = true;
    if (counting_) {
      StartCountingAllocations();
    } else {
      ArmAllocationFailure(n_);
    }
  }
  void Disarm() {
    if (!armed_) return;
    armed_ = false;
    if (counting_) {
      counted_.store(StopCountingAllocations());
    } else {
      DisarmAllocationFailure();
    }
  }

  void CountEnd(const Status& status) {
    ends_.fetch_add(1);
    if (status.ToString().find("out of memory") != std::string::npos)
      out_of_memory_ends_.fetch_add(1);
  }

  const bool compaction_;
  const JobWindow window_;
  // Set and read by the job's thread only (job_thread_ is set first).
  long n_ = -1;
  bool synced_ = false;
  bool armed_ = false;
  std::atomic<int> begins_{0};
  std::atomic<int> ends_{0};
  std::atomic<int> out_of_memory_ends_{0};
  std::atomic<long> next_{-1};
  std::atomic<std::thread::id> job_thread_;
  bool counting_ = false;
  std::atomic<long> counted_{0};
  Mutex mu_;
  std::vector<std::string> errors_ GUARDED_BY(mu_);
  CondVar error_reported_;
};

class ManifestSyncEnv : public FaultInjectionEnv {
 public:
  explicit ManifestSyncEnv(ArmingListener* listener) : listener_(listener) {}

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override {
    if (op == FaultOp::kSync && path.find("MANIFEST") != std::string_view::npos)
      listener_->AtManifestSync();
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }

 private:
  ArmingListener* const listener_;
};

// One background job (a flush, or an L0 compaction after two overlapping flushes) per round, its
// n-th allocation failing, for every n up to the job's count (sampled beyond kDenseRuns).
void RunBackgroundJobRounds(bool compaction, JobWindow window) {
  constexpr int kJobKeys = 40;
  auto value = [](int i, int round) { return std::string(100, 'a' + (i + round) % 26); };
  auto run_round = [&](ArmingListener* listener, ManifestSyncEnv* env, long n, bool* failed) {
    const Options options =
        SmallJobOptions(env, std::shared_ptr<EventListener>(listener, [](EventListener*) {}));
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    const int rounds = compaction ? 2 : 1;
    Status s;
    for (int r = 0; r < rounds; ++r) {
      for (int i = 0; i < kJobKeys; ++i)
        ASSERT_TRUE(db->Put(WriteOptions(), Key(i), value(i, r)).ok());
      if (r == rounds - 1) listener->ArmNextJob(n);
      s = db->Flush();
    }
    if (compaction && s.ok()) s = db->WaitForBackgroundWork();
    *failed = !s.ok();
    auto expect_every_key_after_reopen = [&] {
      ReopenAndExpectKeys(options, &db, kJobKeys, [&](int i) { return value(i, rounds - 1); });
    };
    if (s.ok()) {
      // After the sync a failure may come after the job's result is in place (in the steps that
      // follow it): the job succeeded, whatever else the DB reports.
      if (listener->after_sync()) expect_every_key_after_reopen();
      return;
    }
    // The job's failure is the background error: named, reported, and writes stop with it.
    EXPECT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
    const std::vector<std::string> errors = listener->WaitForErrors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("out of memory"), std::string::npos) << errors[0];
    Status put = db->Put(WriteOptions(), "after", "x");
    EXPECT_NE(put.ToString().find("out of memory"), std::string::npos) << put.ToString();
    if (listener->after_sync()) {
      // Once the job has installed its Version only a reopen rebuilds what follows the install;
      // a failure inside the MANIFEST write (the sync itself) is still resumable.
      if (!db->Resume().ok()) {
        db.reset();
        ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
      }
    } else {
      ASSERT_TRUE(db->Resume().ok());
    }
    ASSERT_TRUE(db->Put(WriteOptions(), "after", "x").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->WaitForBackgroundWork().ok());
    expect_every_key_after_reopen();
    std::string got;
    ASSERT_TRUE(db->Get(ReadOptions(), "after", &got).ok());
  };
  long total = 0;
  {
    ArmingListener listener(compaction, window);
    ManifestSyncEnv env(&listener);
    bool failed = true;
    run_round(&listener, &env, -2, &failed);
    ASSERT_FALSE(failed);
    total = listener.counted();
  }
  ASSERT_GT(total, 10);
  int failed_jobs = 0;
  for (long n : FailurePoints(total)) {
    SCOPED_TRACE(std::string(compaction ? "compaction" : "flush") + " allocation " +
                 std::to_string(n) + " of " + std::to_string(total));
    ArmingListener listener(compaction, window);
    ManifestSyncEnv env(&listener);
    bool failed = false;
    run_round(&listener, &env, n, &failed);
    if (::testing::Test::HasFatalFailure()) return;
    // Every DB of the round is closed: all its jobs have ended, the failed one included.
    EXPECT_EQ(listener.begins(), listener.ends());
    EXPECT_LE(listener.out_of_memory_ends(), 1);
    if (failed) {
      EXPECT_EQ(listener.out_of_memory_ends(), 1);
    }
    if (failed) ++failed_jobs;
  }
  if (window == JobWindow::kBeforeManifestSync) {
    // Every injected failure lands inside the job, but the count of a job's allocations may vary
    // a little between runs: nearly every point must fail it.
    EXPECT_GE(failed_jobs, static_cast<int>(FailurePoints(total).size()) * 9 / 10);
  } else {
    // Some land after the job's result is in place and its end queued (the event's delivery
    // waits for memory; the job stands).
    EXPECT_GT(failed_jobs, 0);
  }
  std::printf("%s, %s the MANIFEST sync: %d of %zu failure points failed the job\n",
              compaction ? "compaction" : "flush",
              window == JobWindow::kAfterManifestSync ? "after" : "before", failed_jobs,
              FailurePoints(total).size());
}

// Arms the failure on the compaction thread from the end callback of its first job: it lands in
// what that thread does next (the wake-ups, picking the next compaction, or the next job).
class ArmAfterFirstCompaction final : public EventListener {
 public:
  explicit ArmAfterFirstCompaction(long n) : n_(n) {}
  void OnCompactionCompleted(DB* /*db*/, const CompactionJobInfo& /*info*/) override {
    if (!armed_.exchange(true)) ArmAllocationFailure(n_);
  }

 private:
  const long n_;
  std::atomic<bool> armed_{false};
};

// An allocation failure on a compaction thread between jobs never ends the process (before, one
// while it picked the next compaction escaped the thread: std::terminate). It is a resumable
// background error (or none, when it fell in a step redone later), and nothing is lost.
TEST(BackgroundOomTest, AnAllocationFailureBetweenCompactionsIsAnErrorNotAnAbort) {
  int errors = 0;
  for (long n = 0; n < 150; ++n) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " after the first compaction");
    FaultInjectionEnv env;
    auto listener = std::make_shared<ArmAfterFirstCompaction>(n);
    Options options = SmallJobOptions(&env, listener);
    options.max_background_jobs = 2;  // one compaction thread
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    // An out-of-memory error: resumable, unless a job had installed its Version (then, or when
    // another job's install makes that unknowable, only a reopen clears it).
    auto recover = [&](const Status& s) {
      ASSERT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
      ++errors;
      if (db->Resume().ok()) return;
      db.reset();
      ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
    };
    // Rounds of overwrites, each flushed: one compaction after another.
    constexpr int kRounds = 6;
    constexpr int kRoundKeys = 200;
    auto value = [](int i, int round) {
      return std::string(200, static_cast<char>('a' + round)) + std::to_string(i);
    };
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < kRoundKeys; ++i) {
        Status s = db->Put(WriteOptions(), Key(i), value(i, round));
        if (!s.ok()) {
          recover(s);
          if (::testing::Test::HasFatalFailure()) return;
          ASSERT_TRUE(db->Put(WriteOptions(), Key(i), value(i, round)).ok());
        }
      }
      Status s = db->Flush();
      if (!s.ok()) recover(s);
      if (::testing::Test::HasFatalFailure()) return;
    }
    Status s = db->WaitForBackgroundWork();
    if (!s.ok()) {
      recover(s);
      if (::testing::Test::HasFatalFailure()) return;
      ASSERT_TRUE(db->WaitForBackgroundWork().ok());
    }
    ReopenAndExpectKeys(options, &db, kRoundKeys, [&](int i) { return value(i, kRounds - 1); });
  }
  std::printf("%d of 150 failure points after a compaction became a background error\n", errors);
}

// A compaction failing before its install leaves a resumable error even when another job (here a
// flush, run while the compaction waits in its hook) installed a Version meanwhile: before, any
// change of the current Version made the error need a reopen.
TEST(BackgroundOomTest, ACompactionFailingBeforeItsInstallIsResumableThoughAFlushInstalled) {
  ArmingListener listener(/*compaction=*/true, JobWindow::kBeforeManifestSync);
  ManifestSyncEnv env(&listener);
  const Options options =
      SmallJobOptions(&env, std::shared_ptr<EventListener>(&listener, [](EventListener*) {}));
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
  std::atomic<bool> hooked{false};
  static_cast<DBImpl*>(db.get())->TEST_SetCompactionHook([&] {
    if (hooked.exchange(true)) return;
    EXPECT_TRUE(db->Put(WriteOptions(), "meanwhile", "1").ok());
    EXPECT_TRUE(db->Flush().ok());  // installs a Version while the compaction has not begun
  });
  listener.ArmNextJob(0);  // the compaction's first allocation fails
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), std::to_string(round)).ok());
    // The second flush starts the compaction, which may fail before this call wakes: Flush
    // returns the background error it finds then, whatever job set it.
    Status flushed = db->Flush();
    if (round == 1 && !flushed.ok()) {
      ASSERT_NE(flushed.ToString().find("out of memory"), std::string::npos) << flushed.ToString();
    } else {
      ASSERT_TRUE(flushed.ok()) << flushed.ToString();
    }
  }
  Status s = db->WaitForBackgroundWork();
  ASSERT_TRUE(hooked);
  ASSERT_NE(s.ToString().find("out of memory"), std::string::npos) << s.ToString();
  EXPECT_TRUE(db->Resume().ok());
  ASSERT_TRUE(db->WaitForBackgroundWork().ok());
  static_cast<DBImpl*>(db.get())->TEST_SetCompactionHook(nullptr);
  std::string got;
  ASSERT_TRUE(db->Get(ReadOptions(), "meanwhile", &got).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(db->Get(ReadOptions(), Key(i), &got).ok());
    EXPECT_EQ(got, "1");
  }
}

TEST(BackgroundOomTest, FlushThatMeetsAnAllocationFailureIsAResumableBackgroundError) {
  RunBackgroundJobRounds(/*compaction=*/false, JobWindow::kBeforeManifestSync);
}

TEST(BackgroundOomTest, CompactionThatMeetsAnAllocationFailureIsAResumableBackgroundError) {
  RunBackgroundJobRounds(/*compaction=*/true, JobWindow::kBeforeManifestSync);
}

// After the sync the edit is durable and installed: the error is not resumable, a reopen shows
// the job's result.
TEST(BackgroundOomTest, FlushFailingAfterItsEditIsDurableNeedsAReopenAndLosesNothing) {
  RunBackgroundJobRounds(/*compaction=*/false, JobWindow::kAfterManifestSync);
}

TEST(BackgroundOomTest, CompactionFailingAfterItsEditIsDurableNeedsAReopenAndLosesNothing) {
  RunBackgroundJobRounds(/*compaction=*/true, JobWindow::kAfterManifestSync);
}

}  // namespace
}  // namespace ziggydb::test
