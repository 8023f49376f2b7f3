// The WAL over real file objects: crash (power loss) simulation with FaultInjectionEnv, pre-zeroed
// preallocated files, and the POSIX file system.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "env/fault_env.h"
#include "env/preallocated_file.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"

namespace ziggydb::wal {
namespace {

using logtest::RecordingReporter;

std::vector<std::string> ReadLog(Env* env, const std::string& path, uint64_t log_number,
                                 RecordingReporter* reporter) {
  std::unique_ptr<SequentialFile> file;
  EXPECT_TRUE(env->NewSequentialFile(path, &file).ok());
  Reader reader(std::move(file), log_number, reporter);
  std::vector<std::string> records;
  std::string record;
  while (reader.ReadRecord(&record)) {
    records.push_back(record);
    reporter->records_returned = records.size();
  }
  EXPECT_TRUE(reader.io_status().ok());
  return records;
}

// Writes random records, syncing after some; after a power loss exactly the records up to the
// last successful sync (and possibly some later ones that happened to persist) are read, and
// nothing is reported as mid-log damage.
void CheckPowerLoss(bool preallocated) {
  Random random(ziggydb::test::TestSeed());
  const uint64_t rounds = ziggydb::test::ScaledIterations(20);
  for (uint64_t round = 0; round < rounds; ++round) {
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDir("/db").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    const std::string path = "/db/000007.log";
    std::unique_ptr<WritableFile> file;
    if (preallocated) {
      ASSERT_TRUE(NewPreallocatedWritableFile(&env, path, 64 * 1024, &file).ok());
    } else {
      ASSERT_TRUE(env.NewWritableFile(path, &file).ok());
    }
    ASSERT_TRUE(env.SyncDir("/db").ok());
    Writer writer(std::move(file), 7, 0);
    std::vector<std::string> written;
    size_t synced = 0;
    const int count = 1 + static_cast<int>(random.Uniform(60));
    for (int i = 0; i < count; ++i) {
      written.push_back(random.Bytes(random.Skewed(15)));
      ASSERT_TRUE(writer.AddRecord(written.back()).ok());
      if (random.OneIn(4)) {
        ASSERT_TRUE(writer.Sync().ok());
        synced = written.size();
      }
    }
    env.DropUnsyncedData();

    RecordingReporter reporter;
    const std::vector<std::string> read = ReadLog(&env, path, 7, &reporter);
    ASSERT_GE(read.size(), synced);
    ASSERT_LE(read.size(), written.size());
    for (size_t i = 0; i < read.size(); ++i)
      ASSERT_EQ(read[i], written[i]) << i;
    for (const logtest::Report& report : reporter.reports)
      ASSERT_TRUE(report.at_tail);
  }
}

TEST(WalEnv, PowerLossKeepsEverySyncedRecord) {
  CheckPowerLoss(/*preallocated=*/false);
}

TEST(WalEnv, PowerLossOnAPreallocatedFileKeepsEverySyncedRecord) {
  CheckPowerLoss(/*preallocated=*/true);
}

TEST(WalEnv, PreallocatedFileReadsCleanlyWhileOpen) {
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(&env, "/000009.log", 1 << 20, &file).ok());
  Writer writer(std::move(file), 9, 0);
  ASSERT_TRUE(writer.AddRecord("one").ok());
  ASSERT_TRUE(writer.AddRecord(std::string(100000, 'b')).ok());
  ASSERT_TRUE(writer.Sync().ok());
  uint64_t size = 0;
  ASSERT_TRUE(env.GetFileSize("/000009.log", &size).ok());
  EXPECT_GE(size, uint64_t{1} << 20);  // the zeros past the records are part of the file
  RecordingReporter reporter;
  EXPECT_EQ(ReadLog(&env, "/000009.log", 9, &reporter).size(), 2u);
  EXPECT_TRUE(reporter.reports.empty());
}

// A file that answers every read with more bytes than asked for (an Env breaking its contract).
class OverlongReads final : public SequentialFile {
 public:
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    (void)scratch;
    bytes_ = std::string(n + 1, '\0');
    *result = bytes_;
    return Status::OK();
  }
  Status Skip(uint64_t) override { return Status::OK(); }

 private:
  std::string bytes_;
};

TEST(WalEnv, ReadLongerThanAskedIsAnIOErrorNotAnAbort) {
  RecordingReporter reporter;
  Reader reader(std::make_unique<OverlongReads>(), 1, &reporter);
  std::string record;
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_TRUE(reader.io_status().IsIOError()) << reader.io_status().ToString();
  EXPECT_FALSE(reader.ReadRecord(&record));
}

TEST(WalEnv, InjectedSyncFailureIsSticky) {
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env.NewWritableFile("/000003.log", &file).ok());
  Writer writer(std::move(file), 3, 0);
  ASSERT_TRUE(writer.AddRecord("a").ok());
  env.InjectError(FaultOp::kSync, ".log");
  EXPECT_TRUE(writer.Sync().IsIOError());
  EXPECT_TRUE(writer.AddRecord("b").IsIOError());
  EXPECT_TRUE(writer.Sync().IsIOError());  // not retried: the injected rule is used up
}

TEST(WalEnv, PosixRoundTripWithPreallocation) {
  ziggydb::test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("000005.log");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  Writer writer(std::move(file), 5, 1 << 20);
  const std::vector<std::string> records = {"x", std::string(70000, 'y'), ""};
  for (const std::string& record : records)
    ASSERT_TRUE(writer.AddRecord(record).ok());
  ASSERT_TRUE(writer.Sync().ok());
  ASSERT_TRUE(writer.Close().ok());
  RecordingReporter reporter;
  EXPECT_EQ(ReadLog(env, path, 5, &reporter), records);
  EXPECT_TRUE(reporter.reports.empty());
}

}  // namespace
}  // namespace ziggydb::wal
