// Statistics, the "ziggydb.metrics" Prometheus page and event listeners: counters change as
// operations run, concurrent recording sums exactly, the page parses under the text exposition
// format 0.0.4, and listeners see flushes, compactions and errors without the DB mutex held.
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> at -O1 with sanitizers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "db/db_impl.h"
#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "util/random.h"
#include "ziggydb/listener.h"
#include "ziggydb/statistics.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

// ---- A checker of the Prometheus text exposition format 0.0.4 ----

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Returns "" if `text` is a valid page (as documented in util/prometheus_text.h, which is a
// subset of the format), else what is wrong. Fills *samples.
std::string CheckExposition(const std::string& text, std::vector<Sample>* samples) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$)");
  static const std::regex kLabel(R"re(^([a-zA-Z_][a-zA-Z0-9_]*)="((\\.|[^"\\])*)"(,|$))re");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helped;
  std::set<std::string> finished;  // families whose samples are over
  std::string current;             // family of the last line
  std::istringstream lines(text);
  std::string line;
  if (text.empty() || text.back() != '\n') return "page must end with a newline";
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      if (!helped.insert(m[1]).second) return "second HELP for " + m[1].str();
      if (types.contains(m[1])) return "HELP after TYPE for " + m[1].str();
      if (!current.empty() && current != m[1]) finished.insert(current);
      current = m[1];
      continue;
    }
    if (std::regex_match(line, m, kType)) {
      if (types.contains(m[1])) return "second TYPE for " + m[1].str();
      if (!helped.contains(m[1])) return "TYPE without HELP for " + m[1].str();
      types[m[1]] = m[2];
      if (m[2] == "counter" && !m[1].str().ends_with("_total")) return "counter without _total";
      continue;
    }
    if (line.starts_with("#")) return "unexpected comment: " + line;
    if (!std::regex_match(line, m, kSample)) return "bad sample line: " + line;
    Sample sample;
    sample.name = m[1];
    sample.value = m[4] == "+Inf" ? 1e308 : std::stod(m[4]);
    std::string labels = m[3];
    while (!labels.empty()) {
      std::smatch lm;
      if (!std::regex_search(labels, lm, kLabel)) return "bad labels: " + line;
      if (!sample.labels.emplace(lm[1], lm[2]).second) return "repeated label: " + line;
      labels = lm.suffix();
    }
    std::string family = sample.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base =
          family.ends_with(suffix) ? family.substr(0, family.size() - strlen(suffix)) : "";
      if (!base.empty() && types.contains(base) && types[base] == "histogram") family = base;
    }
    if (!types.contains(family)) return "sample before its TYPE: " + line;
    if (family != current) return "samples of " + family + " not together";
    if (finished.contains(family)) return "family resumed: " + family;
    samples->push_back(sample);
  }
  return "";
}

// Buckets cumulative and non-decreasing by le, ending at +Inf == _count.
std::string CheckHistograms(const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  for (const Sample& s : samples) {
    if (s.name.ends_with("_bucket")) {
      if (!s.labels.contains("le")) return s.name + " without le";
      const std::string& le = s.labels.at("le");
      buckets[s.name.substr(0, s.name.size() - 7)].emplace_back(
          le == "+Inf" ? 1e308 : std::stod(le), s.value);
    } else if (s.name.ends_with("_count")) {
      counts[s.name.substr(0, s.name.size() - 6)] = s.value;
    }
  }
  if (buckets.empty()) return "no histograms";
  for (const auto& [name, list] : buckets) {
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i].first <= list[i - 1].first) return name + ": le not increasing";
      if (list[i].second < list[i - 1].second) return name + ": buckets not cumulative";
    }
    if (list.back().first != 1e308) return name + ": no +Inf bucket";
    if (!counts.contains(name) || counts[name] != list.back().second) {
      return name + ": +Inf bucket != _count";
    }
  }
  return "";
}

double SampleValue(const std::vector<Sample>& samples, const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  ADD_FAILURE() << "no sample " << name;
  return -1;
}

// ---- Statistics object ----

TEST(Statistics, TickersHistogramsAndReset) {
  std::shared_ptr<Statistics> stats = CreateStatistics();
  EXPECT_EQ(stats->GetTickerCount(Ticker::kFlushes), 0u);
  stats->RecordTick(Ticker::kFlushes);
  stats->RecordTick(Ticker::kFlushBytes, 1000);
  EXPECT_EQ(stats->GetTickerCount(Ticker::kFlushes), 1u);
  EXPECT_EQ(stats->GetTickerCount(Ticker::kFlushBytes), 1000u);
  for (uint64_t v = 1; v <= 1000; ++v)
    stats->RecordHistogram(HistogramType::kGetMicros, v);
  const HistogramSnapshot h = stats->GetHistogram(HistogramType::kGetMicros);
  EXPECT_EQ(h.count, 1000u);
  EXPECT_EQ(h.sum, 500500u);
  EXPECT_EQ(h.min, 1u);
  EXPECT_EQ(h.max, 1000u);
  EXPECT_NEAR(h.Percentile(50), 500, 500 / 16.0);
  EXPECT_NEAR(h.Percentile(99), 990, 990 / 16.0);
  // Powers of two are bucket bounds: counts at them are exact.
  for (uint64_t bound : {1, 2, 16, 64, 512})
    EXPECT_EQ(h.CountAtOrBelow(bound), bound);
  EXPECT_EQ(h.CountAtOrBelow(1024), 1000u);
  uint64_t total = 0;
  for (const HistogramBucket& b : h.buckets) {
    EXPECT_LE(b.low, b.high);
    EXPECT_LE(b.high - b.low, std::max<uint64_t>(b.low / 16, 1));
    total += b.count;
  }
  EXPECT_EQ(total, h.count);
  // Huge values land in the last bucket without losing max or sum.
  stats->RecordHistogram(HistogramType::kFlushMicros, uint64_t{1} << 50);
  EXPECT_EQ(stats->GetHistogram(HistogramType::kFlushMicros).max, uint64_t{1} << 50);
  EXPECT_EQ(stats->GetHistogram(HistogramType::kFlushMicros).buckets.back().high,
            uint64_t{1} << 50);
  const std::string text = stats->ToString();
  EXPECT_NE(text.find("flush_bytes: 1000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("get_micros: count=1000"), std::string::npos) << text;
  stats->Reset();
  EXPECT_EQ(stats->GetTickerCount(Ticker::kFlushBytes), 0u);
  EXPECT_EQ(stats->GetHistogram(HistogramType::kGetMicros).count, 0u);
}

TEST(Statistics, NamesAreUniqueSnakeCase) {
  std::set<std::string> names;
  const std::regex snake("^[a-z][a-z0-9_]*$");
  for (size_t i = 0; i < kNumTickers; ++i) {
    const std::string name(TickerName(static_cast<Ticker>(i)));
    EXPECT_TRUE(std::regex_match(name, snake)) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_FALSE(TickerHelp(static_cast<Ticker>(i)).empty());
  }
  for (size_t i = 0; i < kNumHistogramTypes; ++i) {
    const std::string name(HistogramName(static_cast<HistogramType>(i)));
    EXPECT_TRUE(std::regex_match(name, snake)) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

TEST(Statistics, ConcurrentRecordingSumsExactly) {
  std::shared_ptr<Statistics> stats = CreateStatistics();
  constexpr int kThreads = 8;
  const auto per_thread = static_cast<int>(ScaledIterations(20000));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        stats->RecordTick(Ticker::kKeysRead);
        stats->RecordTick(Ticker::kBytesRead, 3);
        stats->RecordHistogram(HistogramType::kNextMicros, static_cast<uint64_t>(t * 100 + i % 7));
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  const uint64_t total = uint64_t{kThreads} * static_cast<uint64_t>(per_thread);
  EXPECT_EQ(stats->GetTickerCount(Ticker::kKeysRead), total);
  EXPECT_EQ(stats->GetTickerCount(Ticker::kBytesRead), 3 * total);
  const HistogramSnapshot h = stats->GetHistogram(HistogramType::kNextMicros);
  EXPECT_EQ(h.count, total);
  EXPECT_EQ(h.min, 0u);
  EXPECT_EQ(h.max, uint64_t{(kThreads - 1) * 100 + 6});
}

// ---- Inside a DB ----

class StatisticsDBTest : public DBTest {
 protected:
  StatisticsDBTest() {
    stats_ = CreateStatistics();
    options_.statistics = stats_;
  }
  uint64_t Tick(Ticker t) { return stats_->GetTickerCount(t); }
  uint64_t HistCount(HistogramType h) { return stats_->GetHistogram(h).count; }

  std::shared_ptr<Statistics> stats_;
};

TEST_F(StatisticsDBTest, ReadPathCountersMove) {
  Open();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), "value" + std::to_string(i)).ok());
  EXPECT_EQ(Get(Key(5)), "value5");
  EXPECT_EQ(Tick(Ticker::kMemtableHits), 1u);
  EXPECT_EQ(Tick(Ticker::kKeysRead), 1u);
  EXPECT_EQ(Tick(Ticker::kBytesRead), 6u);
  EXPECT_EQ(HistCount(HistogramType::kGetMicros), 1u);

  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Tick(Ticker::kFlushes), 1u);
  EXPECT_GT(Tick(Ticker::kFlushBytes), 0u);
  EXPECT_EQ(HistCount(HistogramType::kFlushMicros), 1u);

  const uint64_t reads_before = Tick(Ticker::kTableFileReads);
  EXPECT_EQ(Get(Key(7)), "value7");  // from the table: a cache miss and a file read
  EXPECT_EQ(Tick(Ticker::kMemtableMisses), 1u);
  EXPECT_EQ(Tick(Ticker::kBlockCacheMisses), 1u);
  EXPECT_EQ(Tick(Ticker::kBlockCacheInserts), 1u);
  EXPECT_EQ(Tick(Ticker::kTableFileReads), reads_before + 1);
  EXPECT_GT(Tick(Ticker::kTableFileReadBytes), 0u);
  EXPECT_EQ(Tick(Ticker::kBloomChecks), 1u);
  EXPECT_EQ(Get(Key(8)), "value8");  // same block: a cache hit, no read
  EXPECT_EQ(Tick(Ticker::kBlockCacheHits), 1u);
  EXPECT_EQ(Tick(Ticker::kTableFileReads), reads_before + 1);

  // Absent keys inside the table's key range: the filter rules out almost all of them.
  for (int i = 0; i < 99; ++i)  // Key(99) is the last: Key(99) + "-absent" is past the table
    EXPECT_EQ(Get(Key(i) + "-absent"), "NOT_FOUND");
  EXPECT_EQ(Tick(Ticker::kBloomChecks), 2u + 99u);
  EXPECT_GE(Tick(Ticker::kBloomUseful), 90u);
  EXPECT_EQ(Tick(Ticker::kKeysRead), 3u);  // NotFound reads nothing

  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int seen = 0;
  for (it->Seek(Key(10)); it->Valid() && seen < 5; it->Next())
    ++seen;
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(HistCount(HistogramType::kSeekMicros), 1u);
  EXPECT_EQ(HistCount(HistogramType::kNextMicros), 5u);
  EXPECT_EQ(Tick(Ticker::kKeysRead), 3u + 6u);  // the seek and five nexts landed on keys
}

TEST_F(StatisticsDBTest, WritePathCountersMove) {
  Open();
  uint64_t batch_bytes = 0;
  for (int i = 0; i < 10; ++i) {
    WriteBatch batch;
    batch.Put(Key(i), "v");
    batch_bytes += batch.ApproximateSize();
    ASSERT_TRUE(Put(Key(i), "v").ok());
  }
  EXPECT_EQ(Tick(Ticker::kKeysWritten), 10u);
  EXPECT_EQ(Tick(Ticker::kBytesWritten), batch_bytes);
  EXPECT_GE(Tick(Ticker::kWalBytes), batch_bytes - 10 * 12) << "every record holds its batch";
  EXPECT_EQ(Tick(Ticker::kWalSyncs), 0u);
  EXPECT_EQ(HistCount(HistogramType::kWriteMicros), 10u);
  EXPECT_EQ(HistCount(HistogramType::kWalGroupBatches), 10u) << "one writer: one batch a group";
  EXPECT_EQ(Tick(Ticker::kWrites), 10u);
  EXPECT_EQ(Tick(Ticker::kWalWrites), 10u);
  EXPECT_EQ(Tick(Ticker::kWalRecords), 10u);
  // The properties read the same counters: Options::statistics is their home when set.
  EXPECT_EQ(DbStats().writes, 10u);
  EXPECT_EQ(NumericProperty("ziggydb.wal-writes"), 10u);

  ASSERT_TRUE(Put(Key(10), "v", /*sync=*/true).ok());
  EXPECT_EQ(Tick(Ticker::kWalSyncs), 1u);
  EXPECT_EQ(HistCount(HistogramType::kWalSyncMicros), 1u);

  WriteBatch batch;
  batch.Put(Key(11), "a");
  batch.Delete(Key(0));
  batch.Put(Key(12), "b");
  ASSERT_TRUE(db_->Write(WriteOptions(), batch).ok());
  EXPECT_EQ(Tick(Ticker::kKeysWritten), 14u);
  EXPECT_EQ(HistCount(HistogramType::kWriteMicros), 12u);

  // A memtable switch leaves the old log unsynced (a sync write would sync it first).
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Tick(Ticker::kWalSyncs), 1u);
}

TEST_F(StatisticsDBTest, CompactionCounters) {
  Open();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(Put(Key(i), std::string(100, static_cast<char>('a' + round))).ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  EXPECT_EQ(Tick(Ticker::kFlushes), 3u);
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_GE(Tick(Ticker::kCompactions), 1u);
  EXPECT_GT(Tick(Ticker::kCompactionReadBytes), 0u);
  EXPECT_GT(Tick(Ticker::kCompactionWriteBytes), 0u);
  EXPECT_LT(Tick(Ticker::kCompactionWriteBytes), Tick(Ticker::kCompactionReadBytes));
  EXPECT_EQ(HistCount(HistogramType::kCompactionMicros),
            Tick(Ticker::kCompactions) + Tick(Ticker::kCompactionTrivialMoves));
  EXPECT_EQ(Get(Key(3)), std::string(100, 'c'));
}

TEST_F(StatisticsDBTest, StatsPropertyAppendsStatistics) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(Get("a"), "1");
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &stats));
  const size_t table = stats.find("level files");
  const size_t section = stats.find("--- statistics ---");
  ASSERT_NE(table, std::string::npos) << stats;
  ASSERT_NE(section, std::string::npos) << stats;
  EXPECT_LT(table, section);
  EXPECT_NE(stats.find("memtable_hits: 1\n"), std::string::npos) << stats;
  EXPECT_NE(stats.find("get_micros: count=1"), std::string::npos) << stats;
}

TEST_F(StatisticsDBTest, MetricsPageParsesAndTracksTheDB) {
  Open();
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(Put(Key(i), std::string(50, 'v')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  for (int i = 0; i < 300; i += 3)
    EXPECT_EQ(Get(Key(i)), std::string(50, 'v'));
  std::string page;
  ASSERT_TRUE(db_->GetProperty("ziggydb.metrics", &page));
  std::vector<Sample> samples;
  ASSERT_EQ(CheckExposition(page, &samples), "") << page;
  ASSERT_EQ(CheckHistograms(samples), "") << page;
  EXPECT_EQ(SampleValue(samples, "ziggydb_get_micros_count"), 100);
  EXPECT_EQ(SampleValue(samples, "ziggydb_get_micros_bucket", {{"le", "+Inf"}}), 100);
  EXPECT_EQ(SampleValue(samples, "ziggydb_flushes_total"), 1);
  EXPECT_EQ(SampleValue(samples, "ziggydb_level_files", {{"level", "0"}}), 1);
  EXPECT_EQ(SampleValue(samples, "ziggydb_l0_files"), 1);
  EXPECT_GT(SampleValue(samples, "ziggydb_level_bytes", {{"level", "0"}}), 0);
  EXPECT_EQ(SampleValue(samples, "ziggydb_immutable_memtables"), 0);
  EXPECT_EQ(SampleValue(samples, "ziggydb_write_stall", {{"cause", "l0-stop"}}), 0);

  // Values move between scrapes.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(Get(Key(i)), std::string(50, 'v'));
  ASSERT_TRUE(db_->GetProperty("ziggydb.metrics", &page));
  samples.clear();
  ASSERT_EQ(CheckExposition(page, &samples), "") << page;
  EXPECT_EQ(SampleValue(samples, "ziggydb_get_micros_count"), 110);
}

// Without Options::statistics the DB still counts its own work (an internal Statistics is the one
// home of those numbers), but records no per-operation timings.
TEST_F(DBTest, MetricsWithoutStatisticsCountTheDBsWorkButNoTimings) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2", /*sync=*/true).ok());
  EXPECT_EQ(Get("a"), "1");
  std::string page;
  ASSERT_TRUE(db_->GetProperty("ziggydb.metrics", &page));
  std::vector<Sample> samples;
  ASSERT_EQ(CheckExposition(page, &samples), "") << page;
  ASSERT_EQ(CheckHistograms(samples), "") << page;
  EXPECT_EQ(SampleValue(samples, "ziggydb_writes_total"), 2);
  EXPECT_EQ(SampleValue(samples, "ziggydb_wal_writes_total"), 2);
  EXPECT_GE(SampleValue(samples, "ziggydb_wal_syncs_total"), 1);
  EXPECT_EQ(SampleValue(samples, "ziggydb_get_micros_count"), 0);
  EXPECT_EQ(SampleValue(samples, "ziggydb_memtable_hits_total"), 0);
  EXPECT_EQ(SampleValue(samples, "ziggydb_level_files", {{"level", "6"}}), 0);
  EXPECT_GT(SampleValue(samples, "ziggydb_memtable_bytes"), 0);
  const DBStats stats = DbStats();
  EXPECT_EQ(stats.writes, 2u);
  EXPECT_EQ(stats.wal_writes, 2u);
  EXPECT_EQ(stats.wal_records, 2u);
  EXPECT_EQ(static_cast<double>(stats.wal_syncs), SampleValue(samples, "ziggydb_wal_syncs_total"));
  std::string text;
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &text));
  EXPECT_EQ(text.find("--- statistics ---"), std::string::npos) << text;
}

TEST(PrometheusChecker, RejectsMalformedPages) {
  std::vector<Sample> samples;
  EXPECT_NE(CheckExposition("x_total 1\n", &samples), "");  // no HELP/TYPE
  EXPECT_NE(CheckExposition("# HELP x_total h\n# TYPE x_total counter\nx_total one\n", &samples),
            "");
  EXPECT_NE(CheckExposition("# HELP x h\n# TYPE x counter\nx 1\n", &samples), "");  // no _total
  EXPECT_NE(CheckExposition("# HELP g h\n# TYPE g gauge\ng{l=\"a} 1\n", &samples), "");
  EXPECT_EQ(CheckExposition("# HELP g h\n# TYPE g gauge\ng{l=\"a\\\"\"} 1\n", &samples), "");
  samples.clear();
  ASSERT_EQ(CheckExposition("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\n"
                            "h_bucket{le=\"2\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4\nh_count 3\n",
                            &samples),
            "");
  EXPECT_NE(CheckHistograms(samples), "");  // not cumulative
}

// ---- Event listeners ----

// Records every event; each callback reads a property, which takes the DB mutex: a callback made
// with the mutex held would deadlock (or trip the mutex's own checks).
// Every event a RecordingListener received, in order.
struct RecordedEvents {
  std::vector<FlushJobInfo> flush_begins, flushes;
  std::vector<CompactionJobInfo> compaction_begins, compactions;
  std::vector<Status> errors;
};

class RecordingListener final : public EventListener {
 public:
  void OnFlushBegin(DB* db, const FlushJobInfo& info) override {
    Touch(db);
    MutexLock lock(&mu_);
    recorded_.flush_begins.push_back(info);
  }
  void OnFlushCompleted(DB* db, const FlushJobInfo& info) override {
    Touch(db);
    MutexLock lock(&mu_);
    recorded_.flushes.push_back(info);
  }
  void OnCompactionBegin(DB* db, const CompactionJobInfo& info) override {
    Touch(db);
    MutexLock lock(&mu_);
    recorded_.compaction_begins.push_back(info);
  }
  void OnCompactionCompleted(DB* db, const CompactionJobInfo& info) override {
    Touch(db);
    MutexLock lock(&mu_);
    recorded_.compactions.push_back(info);
  }
  void OnBackgroundError(DB* db, const Status& status) override {
    Touch(db);
    MutexLock lock(&mu_);
    recorded_.errors.push_back(status);
  }

  RecordedEvents Recorded() {
    MutexLock lock(&mu_);
    return recorded_;
  }

 private:
  static void Touch(DB* db) {
    std::string value;
    EXPECT_TRUE(db->GetProperty("ziggydb.stats", &value));
    EXPECT_TRUE(db->GetProperty("ziggydb.metrics", &value));
  }
  Mutex mu_;
  RecordedEvents recorded_ GUARDED_BY(mu_);
};

TEST_F(DBTest, ListenerSeesFlushesAndCompactions) {
  auto listener = std::make_shared<RecordingListener>();
  options_.listeners.push_back(listener);
  Open();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(Put(Key(i), std::string(100, 'x')).ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  Close();  // joins the background threads: every event has been delivered

  const RecordedEvents recorded = listener->Recorded();
  ASSERT_EQ(recorded.flush_begins.size(), 3u);
  ASSERT_EQ(recorded.flushes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const FlushJobInfo& f = recorded.flushes[i];
    EXPECT_EQ(f.db_name, kDbName);
    EXPECT_EQ(f.file_number, recorded.flush_begins[i].file_number);
    EXPECT_EQ(f.entries, 100u);
    EXPECT_GT(f.file_bytes, 100u * 100u);
    EXPECT_TRUE(f.status.ok());
  }
  ASSERT_FALSE(recorded.compactions.empty());
  EXPECT_EQ(recorded.compaction_begins.size(), recorded.compactions.size());
  uint64_t read = 0, written = 0;
  for (const CompactionJobInfo& c : recorded.compactions) {
    EXPECT_TRUE(c.status.ok());
    EXPECT_FALSE(c.input_file_numbers.empty());
    EXPECT_EQ(c.input_file_numbers.size(), c.input_file_levels.size());
    EXPECT_GE(c.output_level, c.input_level);
    if (!c.trivial_move) {
      EXPECT_FALSE(c.output_file_numbers.empty());
      read += c.read_bytes;
      written += c.write_bytes;
    }
  }
  EXPECT_GT(read, 0u);
  EXPECT_GT(written, 0u);
  EXPECT_LT(written, read);  // three versions of each key became one
  // The flushed tables were the inputs of the compactions.
  std::set<uint64_t> inputs;
  for (const CompactionJobInfo& c : recorded.compactions)
    inputs.insert(c.input_file_numbers.begin(), c.input_file_numbers.end());
  for (const FlushJobInfo& f : recorded.flushes)
    EXPECT_TRUE(inputs.contains(f.file_number));
  EXPECT_TRUE(recorded.errors.empty());
}

TEST_F(DBTest, ListenerSeesFailedFlushAndBackgroundErrorOnce) {
  auto listener = std::make_shared<RecordingListener>();
  options_.listeners.push_back(listener);
  auto stats = CreateStatistics();
  options_.statistics = stats;
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  env_.InjectError(FaultOp::kSync, ".sst", 1);
  EXPECT_FALSE(db_->Flush().ok());
  EXPECT_FALSE(Put("b", "2").ok());  // writes refused after the background error
  Close();
  const RecordedEvents recorded = listener->Recorded();
  ASSERT_EQ(recorded.flushes.size(), 1u);
  EXPECT_FALSE(recorded.flushes[0].status.ok());
  ASSERT_EQ(recorded.errors.size(), 1u);
  EXPECT_FALSE(recorded.errors[0].ok());
  EXPECT_EQ(stats->GetTickerCount(Ticker::kBackgroundErrors), 1u);
  EXPECT_EQ(stats->GetTickerCount(Ticker::kFlushes), 0u);
}

class StallListener final : public EventListener {
 public:
  void OnStallBegin(DB* db, const WriteStallInfo& info) override {
    std::string page;
    EXPECT_TRUE(db->GetProperty("ziggydb.metrics", &page));  // no DB mutex held
    MutexLock lock(&mu_);
    events_.push_back("begin " + std::string(WriteStallCauseName(info.cause)));
  }
  void OnStallEnd(DB*, const WriteStallInfo& info) override {
    MutexLock lock(&mu_);
    events_.push_back("end " + std::string(WriteStallCauseName(info.cause)));
  }
  std::vector<std::string> Events() {
    MutexLock lock(&mu_);
    return events_;
  }

 private:
  Mutex mu_;
  std::vector<std::string> events_ GUARDED_BY(mu_);
};

TEST_F(StatisticsDBTest, L0SlowdownStallBeginsAndEnds) {
  auto listener = std::make_shared<StallListener>();
  options_.listeners.push_back(listener);
  options_.l0_compaction_trigger = 2;
  options_.l0_slowdown_trigger = 3;
  options_.delayed_write_bytes_per_sec = uint64_t{1} << 30;  // delays stay short
  Open();
  // Shared with the hook, which may still be inside Enter() when this scope ends; released on
  // every way out of the test so that closing the DB never waits for the gate.
  auto gate = std::make_shared<Gate>();
  struct Releaser {
    std::shared_ptr<Gate> gate;
    ~Releaser() { gate->Release(); }
  } releaser{gate};
  static_cast<DBImpl*>(db_.get())->TEST_SetCompactionHook([gate] { gate->Enter(); });
  // Three L0 tables; the compaction of the first two waits at the gate.
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(Put(Key(round), "v").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  EXPECT_EQ(FilesAtLevel(0), 3);
  ASSERT_TRUE(Put("during", "stall").ok());  // delayed: L0 is at the slowdown trigger
  std::string page;
  ASSERT_TRUE(db_->GetProperty("ziggydb.metrics", &page));
  EXPECT_NE(page.find("ziggydb_write_stall{cause=\"l0-slowdown\"} 1"), std::string::npos) << page;
  gate->Release();
  // Wait (bounded) for the compaction to bring L0 under the trigger.
  for (int i = 0; i < 2000 && FilesAtLevel(0) >= 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_LT(FilesAtLevel(0), 3);
  ASSERT_TRUE(Put("after", "stall").ok());  // no stall any more: the condition ends
  static_cast<DBImpl*>(db_.get())->TEST_SetCompactionHook(nullptr);
  Close();
  const std::vector<std::string> events = listener->Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "begin l0-slowdown");
  EXPECT_EQ(events[1], "end l0-slowdown");
}

// Opens a gate when a stall begins: the test's gated compaction runs only once a write is
// delayed.
class GateOpeningListener final : public EventListener {
 public:
  explicit GateOpeningListener(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  void OnStallBegin(DB*, const WriteStallInfo&) override { gate_->Release(); }

 private:
  const std::shared_ptr<Gate> gate_;
};

// A delay is not slept out whatever happens: a 32 MiB batch at the slowest rate owes 512 s, but
// once the compaction it waits for brings L0 under the slowdown trigger the write goes through
// (it used to sleep the whole debt: this test then ran into its timeout).
TEST_F(StatisticsDBTest, ADelayedWriteGoesThroughOnceTheSlowdownEnds) {
  auto gate = std::make_shared<Gate>();
  struct Releaser {
    std::shared_ptr<Gate> gate;
    ~Releaser() { gate->Release(); }
  } releaser{gate};
  options_.listeners.push_back(std::make_shared<GateOpeningListener>(gate));
  options_.l0_compaction_trigger = 2;
  options_.l0_slowdown_trigger = 3;
  options_.delayed_write_bytes_per_sec = kDelayedWriteBytesPerSecRange.min;
  Open();
  static_cast<DBImpl*>(db_.get())->TEST_SetCompactionHook([gate] { gate->Enter(); });
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(Put(Key(round), "v").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_EQ(FilesAtLevel(0), 3);
  const std::string big(size_t{32} << 20, 'x');
  ASSERT_TRUE(Put("big", big).ok());  // delayed; its stall opens the gate
  std::string value;
  ASSERT_TRUE(db_->Get(ReadOptions(), "big", &value).ok());
  EXPECT_EQ(value.size(), big.size());
  static_cast<DBImpl*>(db_.get())->TEST_SetCompactionHook(nullptr);
}

// Holds every flush at its start (OnFlushBegin) until Release(), and records stall events.
class FlushHoldingListener final : public EventListener {
 public:
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& /*info*/) override { gate_.Enter(); }
  void OnStallBegin(DB* db, const WriteStallInfo& info) override {
    std::string page;
    EXPECT_TRUE(db->GetProperty("ziggydb.stats", &page));  // no DB mutex held
    Record("begin " + std::string(WriteStallCauseName(info.cause)));
  }
  void OnStallEnd(DB* /*db*/, const WriteStallInfo& info) override {
    Record("end " + std::string(WriteStallCauseName(info.cause)));
  }
  void Release() { gate_.Release(); }
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  void Record(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  Gate gate_;
  std::mutex mu_;
  std::vector<std::string> events_;
};

// A writer waiting for a memtable flush is a stall like the others: counted (batches and micros),
// shown in ziggydb.stats and ziggydb.metrics, and reported to listeners as a begin and an end.
TEST_F(DBTest, MemtableStopIsCountedAndReported) {
  auto listener = std::make_shared<FlushHoldingListener>();
  options_.listeners.push_back(listener);
  options_.max_immutable_memtables = 1;
  Open();
  struct Releaser {
    std::shared_ptr<FlushHoldingListener> listener;
    ~Releaser() { listener->Release(); }
  } releaser{listener};
  // Fills two memtables: the first is frozen and its flush held; the second then has nowhere to
  // go, so the writer stops until the flush is let through.
  const std::string value(1000, 'v');
  const int puts = static_cast<int>(3 * options_.memtable_bytes / value.size());
  std::thread writer([&] {
    for (int i = 0; i < puts; ++i)
      ASSERT_TRUE(Put(Key(i), value).ok());
  });
  const auto memtable_stop = static_cast<size_t>(WriteStallCause::kMemtableStop);
  bool stopped = false;
  for (int i = 0; i < 20000 && !stopped; ++i) {
    stopped = DbStats().write_stall == WriteStallCause::kMemtableStop;
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(stopped) << "the writer never waited for the held flush";
  EXPECT_GE(DbStats().stall_writes[memtable_stop], 1u);
  listener->Release();
  writer.join();
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  for (int i = 0; i < puts; i += 7)
    EXPECT_EQ(Get(Key(i)), value);

  const DBStats stats = DbStats();
  EXPECT_GE(stats.stall_writes[memtable_stop], 1u);
  EXPECT_EQ(stats.write_stall, std::nullopt);
  std::string text;
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &text));
  EXPECT_NE(text.find("stall memtable-stop: " + std::to_string(stats.stall_writes[memtable_stop]) +
                      " writes, " + std::to_string(stats.stall_micros[memtable_stop]) + " micros"),
            std::string::npos)
      << text;
  std::string page;
  ASSERT_TRUE(db_->GetProperty("ziggydb.metrics", &page));
  std::vector<Sample> samples;
  ASSERT_EQ(CheckExposition(page, &samples), "") << page;
  EXPECT_EQ(SampleValue(samples, "ziggydb_stall_memtable_stop_writes_total"),
            static_cast<double>(stats.stall_writes[memtable_stop]));
  EXPECT_EQ(NumericProperty("ziggydb.stall-micros"), stats.TotalStallMicros());
  const std::vector<std::string> events = listener->Events();
  ASSERT_GE(events.size(), 2u);
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i], i % 2 == 0 ? "begin memtable-stop" : "end memtable-stop") << i;
  EXPECT_EQ(events.size() % 2, 0u) << "a begin without its end";
}

class CompactionEventListener final : public EventListener {
 public:
  void OnCompactionBegin(DB* /*db*/, const CompactionJobInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    events.push_back("begin " + std::to_string(info.input_file_numbers.front()));
  }
  void OnCompactionCompleted(DB* /*db*/, const CompactionJobInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    events.push_back("end " + std::to_string(info.input_file_numbers.front()) +
                     (info.trivial_move ? " move" : "") + (info.status.ok() ? "" : " failed"));
  }
  std::vector<std::string> events;

 private:
  std::mutex mu_;
};

// A trivial move whose MANIFEST edit fails still ends what it began (it used to return without
// OnCompactionCompleted).
TEST_F(DBTest, FailedTrivialMoveEndsWhatItBegan) {
  auto listener = std::make_shared<CompactionEventListener>();
  options_.listeners.push_back(listener);
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_EQ(FilesAtLevel(0), 1);
  env_.InjectError(FaultOp::kAppend, "MANIFEST", 1000);
  EXPECT_FALSE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  env_.ClearErrors();
  Close();
  ASSERT_EQ(listener->events.size(), 2u);
  EXPECT_TRUE(listener->events[0].starts_with("begin ")) << listener->events[0];
  EXPECT_EQ(listener->events[1], "end " + listener->events[0].substr(6) + " move failed");
}

class CapturingLogger final : public Logger {
 public:
  void Log(std::string_view line) override {
    MutexLock lock(&mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> lines() {
    MutexLock lock(&mu_);
    return lines_;
  }

 private:
  Mutex mu_;
  std::vector<std::string> lines_ GUARDED_BY(mu_);
};

// event=<name> then key=value pairs; a quoted status may hold spaces.
const std::regex kEventLine(R"re(^event=[a-z_]+( [a-z_0-9]+=("([^"\\]|\\.)*"|[^ "]+))*$)re");

// Throws from every callback, as a program's listener with a bug might.
class ThrowingListener final : public EventListener {
 public:
  void OnFlushBegin(DB*, const FlushJobInfo&) override { Throw(); }
  void OnFlushCompleted(DB*, const FlushJobInfo&) override { Throw(); }
  void OnCompactionBegin(DB*, const CompactionJobInfo&) override { Throw(); }
  void OnCompactionCompleted(DB*, const CompactionJobInfo&) override { Throw(); }
  void OnBackgroundError(DB*, const Status&) override { Throw(); }

 private:
  [[noreturn]] static void Throw() { throw std::runtime_error("listener \"bug\" here"); }
};

TEST_F(DBTest, AListenerThatThrowsIsLoggedAndChangesNothingElse) {
  auto logger = std::make_shared<CapturingLogger>();
  options_.info_log = logger;
  auto recording = std::make_shared<RecordingListener>();
  options_.listeners = {std::make_shared<ThrowingListener>(), recording};
  Open();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(Put(Key(i), "v" + std::to_string(round)).ok());
    ASSERT_TRUE(db_->Flush().ok());  // the flush thread survives its listeners' exceptions
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_EQ(Get(Key(7)), "v1");
  Close();

  const RecordedEvents recorded = recording->Recorded();
  EXPECT_EQ(recorded.flush_begins.size(), 2u) << "the listener after the throwing one still runs";
  EXPECT_EQ(recorded.flushes.size(), 2u);
  EXPECT_FALSE(recorded.compactions.empty());
  EXPECT_TRUE(recorded.errors.empty());
  int threw = 0;
  for (const std::string& line : logger->lines()) {
    if (!line.starts_with("event=listener_threw ")) continue;
    ++threw;
    EXPECT_TRUE(std::regex_match(line, kEventLine)) << line;
    EXPECT_NE(line.find(R"(what="listener \"bug\" here")"), std::string::npos) << line;
  }
  EXPECT_GE(threw, 2) << "one line per delivery that saw a callback throw";
}

TEST_F(DBTest, InfoLogHasOneParseableLinePerEvent) {
  auto logger = std::make_shared<CapturingLogger>();
  options_.info_log = logger;
  Open();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(Put(Key(i), "v").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  Close();
  std::map<std::string, int> events;
  for (const std::string& line : logger->lines()) {
    if (!line.starts_with("event=")) continue;
    EXPECT_TRUE(std::regex_match(line, kEventLine)) << line;
    events[line.substr(6, line.find(' ') - 6)]++;
  }
  EXPECT_EQ(events["options"], 1);
  EXPECT_EQ(events["flush_finished"], 2);
  EXPECT_GE(events["compaction_finished"] + events["trivial_move"], 1);
  EXPECT_EQ(events["db_opened"], 1);
  EXPECT_EQ(events["db_closed"], 1);
}

}  // namespace
}  // namespace ziggydb::test
