// Real-process crash test: a child process writes numbered batches to a DB on the POSIX Env and
// reports each acknowledged one over a pipe; the parent SIGKILLs it after a random 0..30 ms
// (counted from the end of the child's Open, or in one round of four from the fork),
// reopens the DB and checks that
//   1. every acknowledged batch is fully present (with sync=false too: a write is handed to the
//      OS before it is acknowledged, and a process kill loses nothing the OS holds);
//   2. the batches present form a prefix 0..M, with M at least the last acknowledged one;
//   3. no batch is partially applied (batch M+1, which may have been in flight, is wholly absent).
// Batch N holds keys "b<N>-k<i>" (1..8 of them, values of random size drawn from the DB's seed
// and N) and the marker "last" = N, so the parent can rebuild any batch and find M.
//
// Each DB serves kRoundsPerDb kills and then gets a full check of every batch. The parent checks a
// copy of the directory, so each child recovers exactly what the previous kill left (a WAL to
// replay, tables to write) and kills also land inside that recovery. The stress build
// (ZIGGY_CRASH_STRESS, ctest label `stress`) runs many more rounds, bounded by STRESS_SECONDS.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

namespace ziggydb::test {
namespace {

#if defined(ZIGGY_CRASH_STRESS)
constexpr uint64_t kRoundsBase = 500;  // per variant, times ZIGGY_TEST_SCALE
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizer builds look for memory and race errors on the same paths; kill count matters less.
constexpr uint64_t kRoundsBase = 150;
#else
constexpr uint64_t kRoundsBase = 1000;  // 2,000 kills per `make test` run
#endif
constexpr uint64_t kRoundsPerDb = 12;
constexpr uint64_t kKillDelayMicrosMax = 30000;
// A child stops writing (and waits for its kill) after this many batches, which bounds a DB's
// size when the parent is slow to kill.
constexpr uint64_t kChildBatchesMax = 4000;
// Reported instead of a batch number when the child hits an error.
constexpr uint64_t kChildFailed = ~uint64_t{0};
// Reported once the child's Open has returned OK.
constexpr uint64_t kChildOpened = ~uint64_t{0} - 1;
constexpr const char* kLastKey = "last";

Options CrashOptions() {
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // flushes (and WAL switches) during the kills
  return options;
}

std::string BatchKey(uint64_t n, uint64_t i) {
  return "b" + std::to_string(n) + "-k" + std::to_string(i);
}

// The puts of batch n of the DB with seed db_seed, the marker excluded.
std::vector<std::pair<std::string, std::string>> BatchPuts(uint64_t db_seed, uint64_t n) {
  Random rng(db_seed ^ (n * 0x9e3779b97f4a7c15ULL));
  std::vector<std::pair<std::string, std::string>> puts;
  const uint64_t count = 1 + rng.Uniform(8);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bytes = rng.Uniform(200);
    if (rng.OneIn(10)) bytes = 200 + rng.Uniform(3800);
    if (rng.OneIn(200)) bytes = 4000 + rng.Uniform(36000);  // spans WAL blocks
    puts.emplace_back(BatchKey(n, i), rng.Bytes(bytes));
  }
  return puts;
}

void Report(int fd, uint64_t value) {
  const char* p = reinterpret_cast<const char*>(&value);
  size_t left = sizeof(value);
  while (left > 0) {
    const ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(5);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The child: never returns (a gtest process must not run on in a fork).
[[noreturn]] void ChildMain(const std::string& path, uint64_t db_seed, uint64_t first, bool sync,
                            int fd) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(CrashOptions(), path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "crash_test child: Open: %s\n", s.ToString().c_str());
    Report(fd, kChildFailed);
    _exit(3);
  }
  Report(fd, kChildOpened);
  WriteOptions options;
  options.sync = sync;
  for (uint64_t n = first; n < first + kChildBatchesMax; ++n) {
    WriteBatch batch;
    for (const auto& [key, value] : BatchPuts(db_seed, n))
      batch.Put(key, value);
    batch.Put(kLastKey, std::to_string(n));
    s = db->Write(options, batch);
    if (!s.ok()) {
      std::fprintf(stderr, "crash_test child: Write of batch %llu: %s\n",
                   static_cast<unsigned long long>(n), s.ToString().c_str());
      Report(fd, kChildFailed);
      _exit(4);
    }
    Report(fd, n);
  }
  while (true)
    pause();
}

struct KillResult {
  bool child_failed = false;  // the child reported an error or died on its own
  std::optional<uint64_t> last_acked;
  uint64_t acked = 0;
};

// Reads one 8-byte report; false at end of file.
bool ReadReport(int fd, uint64_t* value) {
  char* p = reinterpret_cast<char*>(value);
  size_t have = 0;
  while (have < sizeof(*value)) {
    const ssize_t n = read(fd, p + have, sizeof(*value) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
  }
  return true;
}

void Note(uint64_t value, KillResult* result) {
  if (value == kChildFailed) {
    result->child_failed = true;
  } else if (value != kChildOpened) {
    result->last_acked = value;
    ++result->acked;
  }
}

// Forks a writer on `path` starting at batch `first` and kills it delay_micros after the fork
// (after_open: after its Open returned), then reaps it. Precondition: the parent has no threads
// (no DB open), so the fork copies a sane process.
KillResult ForkWriteKill(const std::string& path, uint64_t db_seed, uint64_t first, bool sync,
                         bool after_open, uint64_t delay_micros) {
  KillResult result;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    result.child_failed = true;
    return result;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    ChildMain(path, db_seed, first, sync, fds[1]);
  }
  close(fds[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    close(fds[0]);
    result.child_failed = true;
    return result;
  }
  uint64_t value = 0;
  if (after_open && ReadReport(fds[0], &value)) Note(value, &result);  // kChildOpened, normally
  std::this_thread::sleep_for(std::chrono::microseconds(delay_micros));
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // The write end is closed in both processes now: read to EOF.
  while (ReadReport(fds[0], &value))
    Note(value, &result);
  close(fds[0]);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) result.child_failed = true;
  return result;
}

// Checks every key of batch n: present with its value (want_present) or absent.
void CheckBatch(DB* db, uint64_t db_seed, uint64_t n, bool want_present) {
  std::string value;
  for (const auto& [key, expected] : BatchPuts(db_seed, n)) {
    Status s = db->Get(ReadOptions(), key, &value);
    if (want_present) {
      ASSERT_TRUE(s.ok()) << "batch " << n << " (at or below the marker) lacks " << key << ": "
                          << s.ToString();
      ASSERT_TRUE(value == expected) << "batch " << n << ": wrong value for " << key;
    } else {
      ASSERT_TRUE(s.IsNotFound()) << "batch " << n
                                  << " (above the marker) is partly present: " << key << ": "
                                  << s.ToString();
    }
  }
}

// Marker value meaning "no batch present".
constexpr int64_t kNoBatch = -1;

// Reopens the DB after a kill and checks the three properties. *marker: the highest batch
// present before (in) and after (out) this round, or kNoBatch.
void VerifyAfterKill(const std::string& path, uint64_t db_seed, const KillResult& kill, bool full,
                     Random* rng, int64_t* marker) {
  std::unique_ptr<DB> db;
  Options options = CrashOptions();
  options.create_if_missing = false;
  Status s = DB::Open(options, path, &db);
  if (s.code() == Status::Code::kInvalidArgument && *marker == kNoBatch &&
      !kill.last_acked.has_value()) {
    return;  // killed before the first Open created the DB: nothing was promised
  }
  ASSERT_TRUE(s.ok()) << "reopen after the kill: " << s.ToString();
  std::string value;
  s = db->Get(ReadOptions(), kLastKey, &value);
  int64_t now = kNoBatch;
  if (s.ok()) {
    now = static_cast<int64_t>(std::stoull(value));
  } else {
    ASSERT_TRUE(s.IsNotFound()) << s.ToString();
  }
  if (kill.last_acked.has_value()) {
    ASSERT_GE(now, static_cast<int64_t>(*kill.last_acked))
        << "acknowledged batch " << *kill.last_acked << " lost (the marker says " << now << ")";
  }
  ASSERT_GE(now, *marker) << "batch " << *marker << " vanished";
  const uint64_t next = static_cast<uint64_t>(now + 1);
  // Batches since the last round (and a little before), a sample of older ones, or all.
  const uint64_t since = *marker >= 2 && !full ? static_cast<uint64_t>(*marker - 2) : 0;
  for (uint64_t n = since; n < next; ++n) {
    CheckBatch(db.get(), db_seed, n, true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 16 && since > 0; ++i) {
    CheckBatch(db.get(), db_seed, rng->Uniform(since), true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  CheckBatch(db.get(), db_seed, next, false);
  CheckBatch(db.get(), db_seed, next + 1, false);
  *marker = now;
}

double StressBudgetSeconds() {
#ifdef ZIGGY_CRASH_STRESS
  double total = 600;
  if (const char* env = std::getenv("STRESS_SECONDS"); env != nullptr) total = std::atof(env);
  return total * 0.45;  // two variants share the ctest timeout
#else
  return 150;  // a safety net on an overloaded machine; normally done in well under a minute
#endif
}

void RunKillRounds(bool sync) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t rounds = ScaledIterations(kRoundsBase);
  const auto start = std::chrono::steady_clock::now();
  const double budget_seconds = StressBudgetSeconds();
  uint64_t kills = 0;
  uint64_t kills_before_any_ack = 0;
  uint64_t acked_total = 0;
  std::unique_ptr<TempDir> dir;
  uint64_t db_seed = 0;
  int64_t marker = kNoBatch;
  for (uint64_t round = 0; round < rounds; ++round) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > budget_seconds) {
      std::printf("[ info ] time budget of %.0f s reached after %llu rounds\n", budget_seconds,
                  static_cast<unsigned long long>(round));
      break;
    }
    if (round % kRoundsPerDb == 0) {
      dir = std::make_unique<TempDir>();
      db_seed = rng.Next64();
      marker = kNoBatch;
    }
    SCOPED_TRACE("round " + std::to_string(round) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    const std::string path = dir->Join("db");
    const uint64_t first = static_cast<uint64_t>(marker + 1);
    // One kill in four counts from the fork, and so often lands in the child's Open (recovery
    // of what the previous kill left); the others count from the end of Open.
    const bool after_open = !rng.OneIn(4);
    const KillResult kill =
        ForkWriteKill(path, db_seed, first, sync, after_open, rng.Uniform(kKillDelayMicrosMax + 1));
    ASSERT_FALSE(kill.child_failed) << "the writer failed or exited on its own (see its stderr)";
    ++kills;
    acked_total += kill.acked;
    if (kill.acked == 0) ++kills_before_any_ack;
    const bool full = round % kRoundsPerDb == kRoundsPerDb - 1 || round + 1 == rounds;
    // Verify a copy, so that the next child recovers exactly what the kill left (its WAL not yet
    // replayed by our Open) and a kill can land in that recovery.
    const std::string copy = dir->Join("verify");
    std::error_code error;
    std::filesystem::remove_all(copy, error);
    if (std::filesystem::exists(path)) {
      std::filesystem::copy(path, copy, std::filesystem::copy_options::recursive, error);
      ASSERT_FALSE(error) << "copying the DB: " << error.message();
    }
    VerifyAfterKill(copy, db_seed, kill, full, &rng, &marker);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf(
      "[ info ] %llu kills (%llu before the first acknowledgement), %llu batches "
      "acknowledged\n",
      static_cast<unsigned long long>(kills), static_cast<unsigned long long>(kills_before_any_ack),
      static_cast<unsigned long long>(acked_total));
}

TEST(CrashTest, KilledSyncWriterLosesNoAcknowledgedBatch) {
  RunKillRounds(/*sync=*/true);
}

TEST(CrashTest, KilledUnsyncedWriterLosesNoAcknowledgedBatch) {
  RunKillRounds(/*sync=*/false);
}

}  // namespace
}  // namespace ziggydb::test
