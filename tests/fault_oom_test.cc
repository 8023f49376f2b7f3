// DB::Open and DB::Close under allocation failure: the n-th allocation made on the calling thread
// throws std::bad_alloc (testutil/failing_allocator.h; background threads allocate normally),
// for every n up to the call's allocation count (sampled beyond the first few hundred). The call
// must return an error Status or succeed, never let the exception out or terminate the process; a
// failed Open must leave the directory as it was and release the LOCK; a Close that met the failure
// must still stop the DB and release the LOCK; and every write acknowledged before is still there
// when the DB is opened again. The write path under allocation failure is the write-path tests'
// business (db_impl_write.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "env/fault_env.h"
#include "testutil/failing_allocator.h"
#include "testutil/testutil.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

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

// Allocation indices to fail for a call that makes `total` allocations.
std::vector<long> FailurePoints(long total) {
  std::vector<long> points;
  for (long n = 0; n < std::min(total, kDenseRuns); ++n)
    points.push_back(n);
  if (total > kDenseRuns) {
    const long step = std::max<long>(1, (total - kDenseRuns) / kSampledRuns);
    for (long n = kDenseRuns; n < total; n += step)
      points.push_back(n);
  }
  return points;
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
    Status s;
    bool escaped = false;
    ArmAllocationFailure(n);
    try {
      s = DB::Open(options_, kDb, &db);
    } catch (const std::bad_alloc&) {
      escaped = true;
    }
    const bool failed = DisarmAllocationFailure();
    ASSERT_FALSE(escaped) << "std::bad_alloc escaped DB::Open";
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
    Status s;
    bool escaped = false;
    ArmAllocationFailure(n);
    try {
      s = db->Close();
    } catch (const std::bad_alloc&) {
      escaped = true;
    }
    if (DisarmAllocationFailure()) ++failures_met;
    ASSERT_FALSE(escaped) << "std::bad_alloc escaped DB::Close";
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

}  // namespace
}  // namespace ziggydb::test
