#include "tools/bench/ycsb_runner.h"
#include "tools/bench/workloads.h"
#include "tools/cli_util.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/testutil/testutil.h"
#include "tools/bench/phase_metrics.h"
#include "util/mutex.h"

namespace ziggydb::bench {
namespace {

// An in-memory engine that logs every request ("get user123", "put user9 1000", "scan user5 17").
class RecordingEngine final : public Engine {
 public:
  std::string_view name() const override { return "recording"; }
  Status Open(const std::string&, const EngineConfig&) override { return Status::OK(); }
  Status Put(std::string_view key, std::string_view value) override {
    MutexLock lock(&mu_);
    log_.push_back(Entry("put", key, value.size()));
    data_[std::string(key)] = std::string(value);
    return Status::OK();
  }
  Status Get(std::string_view key, std::string* value) override {
    MutexLock lock(&mu_);
    log_.push_back(Entry("get", key, 0));
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return Status::NotFound("absent");
    *value = it->second;
    return Status::OK();
  }
  Status Delete(std::string_view) override { return Status::NotSupported("delete"); }
  Status WriteBatch(const std::vector<KeyValue>&) override { return Status::NotSupported("batch"); }
  Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) override {
    MutexLock lock(&mu_);
    log_.push_back(Entry("scan", start, count));
    EXPECT_FALSE(reverse);
    *read = 0;
    for (auto it = data_.lower_bound(std::string(start)); it != data_.end() && *read < count; ++it)
      ++*read;
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

  std::vector<std::string> SortedLog() const {
    std::vector<std::string> log = this->log();
    std::sort(log.begin(), log.end());
    return log;
  }
  std::vector<std::string> log() const {
    MutexLock lock(&mu_);
    return log_;
  }
  size_t size() const {
    MutexLock lock(&mu_);
    return data_.size();
  }

 private:
  static std::string Entry(const char* op, std::string_view key, size_t n) {
    return std::string(op) + " " + std::string(key) + " " + std::to_string(n);
  }

  mutable Mutex mu_;
  std::vector<std::string> log_ GUARDED_BY(mu_);
  std::map<std::string, std::string> data_ GUARDED_BY(mu_);
};

YcsbPhaseConfig Config(const char* workload, uint64_t records, uint64_t ops, int threads,
                       uint64_t seed) {
  YcsbPhaseConfig config;
  config.spec = *FindBuiltinYcsbSpec(workload);
  config.spec.record_count = records;
  config.spec.operation_count = ops;
  config.spec.field_count = 2;
  config.spec.field_length = 10;
  config.threads = threads;
  config.seed = seed;
  config.print_progress = false;
  return config;
}

// Load + run; returns the run result.
YcsbPhaseResult LoadAndRun(RecordingEngine* engine, const YcsbPhaseConfig& config) {
  const YcsbPhaseResult load = RunYcsbPhase(engine, YcsbPhase::kLoad, config);
  EXPECT_TRUE(load.status.ok()) << load.status.ToString();
  EXPECT_EQ(load.operations, config.spec.record_count);
  EXPECT_EQ(engine->size(), config.spec.record_count);
  return RunYcsbPhase(engine, YcsbPhase::kRun, config);
}

TEST(YcsbRunner, SameSeedGivesTheSameRequests) {
  for (const char* workload : {"ycsba", "ycsbd", "ycsbe", "ycsbf"}) {
    for (int threads : {1, 2}) {
      RecordingEngine a, b, c;
      LoadAndRun(&a, Config(workload, 300, 2000, threads, 7));
      LoadAndRun(&b, Config(workload, 300, 2000, threads, 7));
      LoadAndRun(&c, Config(workload, 300, 2000, threads, 8));
      // Threads interleave differently from run to run; each one's requests are the same.
      if (threads == 1) {
        EXPECT_EQ(a.log(), b.log()) << workload;
      }
      EXPECT_EQ(a.SortedLog(), b.SortedLog()) << workload << " threads " << threads;
      EXPECT_NE(a.SortedLog(), c.SortedLog()) << workload << " threads " << threads;
    }
  }
}

TEST(YcsbRunner, RunPhaseFollowsTheMix) {
  RecordingEngine engine;
  const YcsbPhaseResult r = LoadAndRun(&engine, Config("ycsbb", 1000, 20000, 1, 1));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.operations, 20000u);
  const uint64_t updates = r.latency_ns[static_cast<size_t>(YcsbOp::kUpdate)].Count();
  const uint64_t reads = r.latency_ns[static_cast<size_t>(YcsbOp::kRead)].Count();
  EXPECT_EQ(reads + updates, 20000u);
  EXPECT_NEAR(static_cast<double>(updates) / 20000, 0.05, 0.01);
  EXPECT_EQ(r.read_misses, 0u);                 // every key read was loaded
  EXPECT_GE(r.user_write_bytes, updates * 20);  // each update rewrites the 2 x 10 B record
}

TEST(YcsbRunner, InsertsAddRecordsAndScansStayInLength) {
  RecordingEngine engine;
  const YcsbPhaseResult r = LoadAndRun(&engine, Config("ycsbe", 500, 4000, 1, 3));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const uint64_t inserts = r.latency_ns[static_cast<size_t>(YcsbOp::kInsert)].Count();
  EXPECT_GT(inserts, 0u);
  EXPECT_EQ(engine.size(), 500 + inserts);  // each insert is a new record
  for (const std::string& line : engine.log()) {
    if (line.rfind("scan ", 0) != 0) continue;
    const uint64_t length = std::stoull(line.substr(line.rfind(' ') + 1));
    ASSERT_GE(length, 1u);
    ASSERT_LE(length, 100u);
  }
  EXPECT_GT(r.scanned_records, 0u);
}

TEST(YcsbRunner, LatestReadsMostlyHitTheNewestRecords) {
  RecordingEngine engine;
  YcsbPhaseConfig config = Config("ycsbd", 1000, 5000, 1, 5);
  config.spec.hashed_keys = false;  // "user<index>", so the log shows the index
  const YcsbPhaseResult r = LoadAndRun(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // Walk the run phase's requests: puts are its inserts, so the records existing at each read
  // are known; the 10 newest carry ~38% of a zipfian over ~1000 records.
  uint64_t recent = 0, reads = 0, existing = 1000;
  const std::vector<std::string> log = engine.log();
  for (size_t i = 1000; i < log.size(); ++i) {
    const std::string& line = log[i];
    if (line.rfind("put ", 0) == 0) ++existing;
    if (line.rfind("get ", 0) != 0) continue;
    ++reads;
    const uint64_t index = std::stoull(line.substr(8, line.rfind(' ') - 8));
    ASSERT_LT(index, existing);
    if (index + 10 >= existing) ++recent;
  }
  EXPECT_EQ(existing, 1000 + r.latency_ns[static_cast<size_t>(YcsbOp::kInsert)].Count());
  EXPECT_GT(recent, reads / 4);
}

TEST(YcsbRunner, ThreadsOnlyReadRecordsThatExist) {
  for (const char* workload : {"ycsbd", "ycsbe", "ycsbf"}) {
    RecordingEngine engine;
    const YcsbPhaseResult r = LoadAndRun(&engine, Config(workload, 200, 6000, 3, 9));
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.read_misses, 0u) << workload;
    EXPECT_EQ(r.operations, 6000u) << workload;
  }
}

TEST(YcsbRunner, DurationBoundsAnUnboundedRun) {
  RecordingEngine engine;
  YcsbPhaseConfig config = Config("ycsbc", 100, 0, 2, 1);
  config.duration_seconds = 0.05;
  const YcsbPhaseResult r = LoadAndRun(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_GT(r.operations, 0u);
}

TEST(YcsbRunner, TargetRatePacesTheRun) {
  RecordingEngine engine;
  YcsbPhaseConfig config = Config("ycsbc", 100, 400, 2, 1);
  config.target_ops_per_sec = 2000;
  const YcsbPhaseResult r = LoadAndRun(&engine, config);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.operations, 400u);
  // Each thread's last operation (its 200th) is due 199 x 2 / 2000 s after the thread started:
  // a lower bound, which a slow machine cannot break (unpaced, the run takes milliseconds).
  EXPECT_GE(r.seconds, 199.0 * 2 / 2000);
}

TEST(PhaseMetrics, DirBytesCountsWhatFilesHold) {
  test::TempDir dir;
  EXPECT_EQ(DirBytesOnDisk(dir.Join("missing")), 0u);
  std::filesystem::create_directories(dir.Join("sub"));
  {
    std::ofstream(dir.Join("sub/a")) << std::string(10000, 'x');
    std::ofstream sparse(dir.Join("b"));
    sparse.seekp(uint64_t{1} << 30);
    sparse << 'y';
  }
  const uint64_t bytes = DirBytesOnDisk(dir.path());
  EXPECT_GE(bytes, 10001u);
  EXPECT_LT(bytes, uint64_t{1} << 20);  // the sparse hole does not count

  // A reservation inside the size (fallocate mode 0, as ZiggyDB's WAL) holds no data until
  // written; what is written counts at once, still in the page cache (nothing forces it to
  // disk). Checked where the file system has fallocate and reports the reservation as a hole.
  std::filesystem::create_directories(dir.Join("wal"));
  const int fd = ::open(dir.Join("wal/log").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const bool checkable = ::fallocate(fd, 0, 0, 8 << 20) == 0 && ::lseek(fd, 0, SEEK_HOLE) == 0;
  if (checkable) {
    EXPECT_EQ(DirBytesOnDisk(dir.Join("wal")), 0u);
    const std::string written(64 << 10, 'w');
    ASSERT_EQ(::pwrite(fd, written.data(), written.size(), 0),
              static_cast<ssize_t>(written.size()));
    const uint64_t wal_bytes = DirBytesOnDisk(dir.Join("wal"));
    EXPECT_GE(wal_bytes, written.size());
    EXPECT_LT(wal_bytes, uint64_t{1} << 20);
  }
  ::close(fd);
  EXPECT_EQ(Ratio(5, 0), 0.0);
  EXPECT_DOUBLE_EQ(Ratio(6, 4), 1.5);
}

// The db_bench workloads run on the same adapter: seekrandom is a seek plus --seek-nexts entries,
// --reads sets the point-read workloads' operations apart from the dataset size, and the operations
// are split over the threads.
TEST(DbBenchWorkloads, SeekNextsAndReadsOverThreads) {
  RecordingEngine engine;
  BenchConfig config;
  config.num = 100;
  config.reads = 30;
  config.seek_nexts = 10;
  config.threads = 2;
  for (uint64_t i = 0; i < config.num; ++i)
    ASSERT_TRUE(engine.Put(tools::GeneratedKey(i), "v").ok());
  const WorkloadResult seeks = RunWorkload(&engine, *FindWorkload("seekrandom"), config);
  ASSERT_TRUE(seeks.status.ok()) << seeks.status.ToString();
  EXPECT_EQ(seeks.ops, 30u);
  EXPECT_EQ(seeks.found, 30u);
  size_t scans = 0;
  for (const std::string& entry : engine.log()) {
    if (!entry.starts_with("scan ")) continue;
    ++scans;
    EXPECT_TRUE(entry.ends_with(" 11")) << entry;  // the entry found and 10 more
  }
  EXPECT_EQ(scans, 30u);
  const WorkloadResult reads = RunWorkload(&engine, *FindWorkload("readrandom"), config);
  EXPECT_EQ(reads.ops, 30u);
  EXPECT_EQ(reads.found, 30u);
  EXPECT_EQ(OperationCount(*FindWorkload("overwrite"), config), 100u);  // writes keep --num
}

}  // namespace
}  // namespace ziggydb::bench
