// How the WAL reader treats torn, damaged, zero-filled and recycled logs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"

namespace ziggydb::wal {
namespace {

using logtest::ReadAll;
using logtest::RecordingReporter;
using logtest::Report;
using logtest::StringSink;
using logtest::StringSource;
using logtest::WriteLog;

// A log together with where each record's bytes end.
struct Log {
  std::vector<std::string> records;
  std::vector<uint64_t> ends;
  std::string contents;
};

Log MakeLog(const std::vector<std::string>& records, uint64_t log_number = 1) {
  Log log;
  log.records = records;
  Writer writer(std::make_unique<StringSink>(&log.contents), log_number, 0);
  for (const std::string& record : records) {
    EXPECT_TRUE(writer.AddRecord(record).ok());
    log.ends.push_back(writer.file_bytes());
  }
  EXPECT_TRUE(writer.Close().ok());
  return log;
}

// Records sized so that record i fills block i exactly.
std::vector<std::string> BlockSizedRecords(int count) {
  std::vector<std::string> records;
  for (int i = 0; i < count; ++i) {
    records.emplace_back(kFragmentPayloadBytesMax, static_cast<char>('a' + i));
  }
  return records;
}

std::vector<std::string> Prefix(const std::vector<std::string>& records, size_t n) {
  return std::vector<std::string>(records.begin(), records.begin() + n);
}

// Sizes chosen so that the log crosses two block boundaries, with fragmented records, a block
// trailer, and many short records.
Log TruncationLog() {
  std::vector<std::string> records = {"", "one", std::string(100, 'x')};
  records.emplace_back(kBlockBytes - 200, 'f');  // spans blocks 0 and 1
  for (int i = 0; i < 20; ++i)
    records.push_back(std::string(static_cast<size_t>(i) * 37, 'm'));
  records.emplace_back(kBlockBytes, 'g');  // spans blocks 1 and 2
  records.push_back("last");
  return MakeLog(records);
}

TEST(WalCorruption, EveryTruncationReadsAsAPrefixWithOnlyTailReports) {
  const Log log = TruncationLog();
  ASSERT_GT(log.contents.size(), 2 * kBlockBytes);
  for (size_t cut = 0; cut <= log.contents.size(); ++cut) {
    const std::string_view truncated = std::string_view(log.contents).substr(0, cut);
    const size_t complete = static_cast<size_t>(
        std::upper_bound(log.ends.begin(), log.ends.end(), cut) - log.ends.begin());
    RecordingReporter reporter;
    ASSERT_EQ(ReadAll(truncated, &reporter), Prefix(log.records, complete)) << "cut " << cut;
    ASSERT_LE(reporter.reports.size(), 1u) << "cut " << cut;
    // Bytes of a torn record (not block padding) are reported, as tail damage.
    const uint64_t intact_end = complete == 0 ? 0 : log.ends[complete - 1];
    const bool torn =
        truncated.substr(intact_end).find_first_not_of('\0') != std::string_view::npos;
    ASSERT_EQ(reporter.reports.size(), torn ? 1u : 0u) << "cut " << cut;
    if (torn) {
      const Report& report = reporter.reports[0];
      ASSERT_TRUE(report.at_tail) << "cut " << cut;
      ASSERT_EQ(report.offset + report.bytes, cut) << "cut " << cut;
      ASSERT_GE(report.offset, intact_end) << "cut " << cut;
    }
  }
}

TEST(WalCorruption, FlippedByteMidLogIsReportedBeforeTheNextRecord) {
  const std::vector<std::string> records = BlockSizedRecords(3);
  std::string contents = WriteLog(records);
  contents[kBlockBytes + kHeaderBytes + 500] ^= 0x10;
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), (std::vector<std::string>{records[0], records[2]}));
  EXPECT_EQ(ReadAll(contents, nullptr).size(), 2u);  // a reporter is optional
  ASSERT_EQ(reporter.reports.size(), 1u);
  const Report& report = reporter.reports[0];
  EXPECT_FALSE(report.at_tail);
  EXPECT_EQ(report.offset, kBlockBytes);
  EXPECT_EQ(report.bytes, kBlockBytes);
  EXPECT_EQ(report.records_before, 1u);  // reported before record 2 was returned
  EXPECT_EQ(report.reason, "fragment checksum mismatch");
}

TEST(WalCorruption, DamageLosesTheRestOfTheBlockAndOrphanFragments) {
  // Block 1 holds the end of r1, then r2, then the start of r3; r4 starts in block 2.
  const Log log =
      MakeLog({"r0", std::string(kBlockBytes, '1'), "r2", std::string(kBlockBytes, '3'), "r4"});
  std::string contents = log.contents;
  const uint64_t r2_offset = log.ends[1];
  contents[r2_offset + kHeaderBytes] ^= 0x01;
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), (std::vector<std::string>{"r0", log.records[1], "r4"}));
  ASSERT_EQ(reporter.reports.size(), 1u);
  const Report& report = reporter.reports[0];
  EXPECT_FALSE(report.at_tail);
  EXPECT_EQ(report.offset, r2_offset);
  EXPECT_EQ(report.offset + report.bytes, log.ends[3]);  // through r3's orphaned last fragment
  EXPECT_EQ(report.records_before, 2u);
}

TEST(WalCorruption, DamageInTheLastRecordIsTailDamage) {
  const std::vector<std::string> records = BlockSizedRecords(3);
  std::string contents = WriteLog(records);
  contents[2 * kBlockBytes + 3] ^= 0x80;  // inside the last header's checksum
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), Prefix(records, 2));
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_TRUE(reporter.reports[0].at_tail);
  EXPECT_EQ(reporter.reports[0].offset, 2 * kBlockBytes);
}

TEST(WalCorruption, ZeroFilledTailIsACleanEnd) {
  const std::vector<std::string> records = {"a", std::string(50000, 'b'), "c"};
  for (size_t zeros : {size_t{1}, kHeaderBytes - 1, kHeaderBytes, size_t{5000}, 3 * kBlockBytes,
                       size_t{1} << 20}) {
    std::string contents = WriteLog(records);
    contents.append(zeros, '\0');  // as a preallocated, pre-zeroed file reads
    RecordingReporter reporter;
    EXPECT_EQ(ReadAll(contents, &reporter), records) << zeros;
    EXPECT_TRUE(reporter.reports.empty()) << zeros;
  }
}

TEST(WalCorruption, RecordTornByZerosIsTailDamage) {
  // The first fragment of a two-block record reached the disk, the rest reads as zeros.
  std::string contents = WriteLog({"a", std::string(kBlockBytes, 'b')});
  std::fill(contents.begin() + kBlockBytes, contents.end(), '\0');
  contents.append(kBlockBytes, '\0');
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), std::vector<std::string>{"a"});
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_TRUE(reporter.reports[0].at_tail);
  EXPECT_EQ(reporter.reports[0].offset, kHeaderBytes + 1);
}

TEST(WalCorruption, ZeroFilledHoleBeforeAnIntactRecordIsMidLogDamage) {
  const std::vector<std::string> records = BlockSizedRecords(3);
  std::string contents = WriteLog(records);
  std::fill(contents.begin() + kBlockBytes, contents.begin() + 2 * kBlockBytes, '\0');
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), (std::vector<std::string>{records[0], records[2]}));
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_FALSE(reporter.reports[0].at_tail);
  EXPECT_EQ(reporter.reports[0].offset, kBlockBytes);
  EXPECT_EQ(reporter.reports[0].records_before, 1u);
}

TEST(WalCorruption, DataAfterAZeroHeaderInTheSameBlockIsDamage) {
  std::string contents = WriteLog({"a"});
  contents.append(kHeaderBytes, '\0');
  contents.append("junk");
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), std::vector<std::string>{"a"});
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_TRUE(reporter.reports[0].at_tail);
}

TEST(WalCorruption, RecycledFileEndsAtTheFirstStaleFragment) {
  // Same record sizes, so the new log ends exactly where an old fragment begins.
  Random random(ziggydb::test::TestSeed());
  std::vector<std::string> old_records;
  for (int i = 0; i < 200; ++i)
    old_records.push_back(random.Bytes(random.Skewed(14)));
  const std::string old_log = WriteLog(old_records, 5);
  std::vector<std::string> new_records;
  for (int i = 0; i < 120; ++i)
    new_records.push_back(random.Bytes(old_records[i].size()));
  const std::string new_log = WriteLog(new_records, 6);
  ASSERT_LT(new_log.size(), old_log.size());
  const std::string recycled = new_log + old_log.substr(new_log.size());

  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(recycled, &reporter, 6), new_records);
  EXPECT_TRUE(reporter.reports.empty());
  EXPECT_TRUE(ReadAll(old_log, &reporter, 6).empty());  // all stale
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalCorruption, RecycledFileWithMisalignedOldDataReportsOnlyTailDamage) {
  Random random(ziggydb::test::TestSeed());
  const uint64_t iterations = ziggydb::test::ScaledIterations(30);
  for (uint64_t i = 0; i < iterations; ++i) {
    std::vector<std::string> old_records, new_records;
    for (int r = 0; r < 100; ++r)
      old_records.push_back(random.Bytes(random.Skewed(15)));
    for (int r = 0; r < 30; ++r)
      new_records.push_back(random.Bytes(random.Skewed(14)));
    const std::string old_log = WriteLog(old_records, 1000 + i);
    const std::string new_log = WriteLog(new_records, 1001 + i);
    const std::string recycled =
        new_log + (old_log.size() > new_log.size() ? old_log.substr(new_log.size()) : "");
    RecordingReporter reporter;
    ASSERT_EQ(ReadAll(recycled, &reporter, 1001 + i), new_records);
    for (const Report& report : reporter.reports)
      ASSERT_TRUE(report.at_tail) << report.reason;
  }
}

TEST(WalCorruption, StaleBlockBeforeAnIntactRecordIsMidLogDamage) {
  const std::string old_log = WriteLog(BlockSizedRecords(3), 5);
  const std::vector<std::string> records = BlockSizedRecords(3);
  std::string contents = WriteLog(records, 6);
  contents.replace(kBlockBytes, kBlockBytes, old_log.substr(kBlockBytes, kBlockBytes));
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter, 6), (std::vector<std::string>{records[0], records[2]}));
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_FALSE(reporter.reports[0].at_tail);
  EXPECT_EQ(reporter.reports[0].reason, "fragment of another log");
}

TEST(WalCorruption, IntactFragmentOfAnUnknownTypeIsDamage) {
  std::string contents = WriteLog({"a"});
  char header[kHeaderBytes];
  EncodeFragmentHeader(header, RecordType::kFull, 1, "zz");
  header[kTypeOffset] = 9;  // re-checksum as a newer writer would have
  EncodeFixed32(header, crc32c::Mask(FragmentCrc(static_cast<RecordType>(9), 1, "zz")));
  contents.append(header, kHeaderBytes);
  contents.append("zz");
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), std::vector<std::string>{"a"});
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_NE(reporter.reports[0].reason.find("newer format"), std::string::npos);
}

TEST(WalCorruption, ReadErrorStopsReadingWithoutReports) {
  const std::vector<std::string> records = BlockSizedRecords(3);
  std::string contents = WriteLog(records);
  contents[kBlockBytes / 2] ^= 1;  // damage whose status is unknown when the read fails
  RecordingReporter reporter;
  Reader reader(std::make_unique<StringSource>(contents, kBlockBytes), 1, &reporter);
  std::string record;
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_TRUE(reader.io_status().IsIOError());
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_TRUE(reporter.reports.empty());
}

// What a reader returns from any bytes: a subsequence of the records written (checksums make
// anything else astronomically unlikely), with ordered, in-file, disjoint reports.
void CheckInvariants(const std::string& contents, const std::vector<std::string>& written) {
  RecordingReporter reporter;
  const std::vector<std::string> read = ReadAll(contents, &reporter);
  size_t next = 0;
  for (const std::string& record : read) {
    while (next < written.size() && written[next] != record)
      ++next;
    ASSERT_LT(next, written.size()) << "returned a record that was never written";
    ++next;
  }
  uint64_t previous_end = 0;
  for (size_t i = 0; i < reporter.reports.size(); ++i) {
    const Report& report = reporter.reports[i];
    ASSERT_GE(report.offset, previous_end);
    ASSERT_LE(report.offset + report.bytes, contents.size());
    previous_end = report.offset + report.bytes;
    if (report.at_tail) {
      ASSERT_EQ(i + 1, reporter.reports.size()) << "tail damage must be the last report";
      ASSERT_EQ(report.records_before, read.size());
    } else {
      ASSERT_LT(report.records_before, read.size()) << "mid-log damage needs a later record";
    }
  }
}

TEST(WalCorruption, DamagedLogsKeepTheReaderInvariants) {
  Random random(ziggydb::test::TestSeed());
  const uint64_t iterations = ziggydb::test::ScaledIterations(300);
  for (uint64_t i = 0; i < iterations; ++i) {
    std::vector<std::string> records;
    const int count = 1 + static_cast<int>(random.Uniform(40));
    for (int r = 0; r < count; ++r)
      records.push_back(random.Bytes(random.Skewed(16)));
    std::string contents = WriteLog(records);
    const int damage = 1 + static_cast<int>(random.Uniform(4));
    for (int d = 0; d < damage && !contents.empty(); ++d) {
      const size_t at = random.Uniform(contents.size());
      switch (random.Uniform(4)) {
        case 0:
          contents[at] ^= static_cast<char>(1 + random.Uniform(255));
          break;
        case 1:
          contents.resize(at);
          break;
        case 2:
          std::fill(contents.begin() + at,
                    contents.begin() + std::min(contents.size(), at + random.Skewed(15)), '\0');
          break;
        default:
          contents.insert(at, random.Bytes(random.Skewed(12)));
          break;
      }
    }
    CheckInvariants(contents, records);
  }
}

TEST(WalCorruption, RandomGarbageNeverCrashes) {
  Random random(ziggydb::test::TestSeed());
  const uint64_t iterations = ziggydb::test::ScaledIterations(200);
  for (uint64_t i = 0; i < iterations; ++i) {
    std::string garbage = random.Bytes(random.Skewed(17));
    if (random.OneIn(3)) {  // plausible headers: zero lengths, small types, this log's number
      for (size_t at = 0; at + kHeaderBytes <= garbage.size(); at += 1 + random.Uniform(64)) {
        garbage[at + kTypeOffset] = static_cast<char>(random.Uniform(6));
        garbage[at + kLogNumberOffset] = 1;
      }
    }
    CheckInvariants(garbage, {});
  }
}

}  // namespace
}  // namespace ziggydb::wal
