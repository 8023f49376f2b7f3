// The control fragments of a version-3 log: the head naming the previous log and its length, the
// earlier-logs-synced marker, and the synced-bytes markers (docs/format/wal.md, "Control
// fragments").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/coding.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"

namespace ziggydb::wal {
namespace {

using logtest::ReadAll;
using logtest::RecordingReporter;
using logtest::StringSink;
using logtest::StringSource;
using logtest::WriteLog;

constexpr uint64_t kLogNumber = 9;

// What a reader saw after reading a whole log.
struct ReadResult {
  std::vector<std::string> records;
  std::optional<LogHead> head;
  bool earlier_logs_synced = false;
  uint64_t intact_end_offset = 0;
  std::optional<uint64_t> declared_synced_bytes;
};

ReadResult ReadLog(const std::string& contents, RecordingReporter* reporter) {
  Reader reader(std::make_unique<StringSource>(contents), kLogNumber, reporter);
  ReadResult result;
  std::string record;
  while (reader.ReadRecord(&record))
    result.records.push_back(record);
  result.head = reader.head();
  result.earlier_logs_synced = reader.earlier_logs_synced();
  result.intact_end_offset = reader.intact_end_offset();
  result.declared_synced_bytes = reader.declared_synced_bytes();
  return result;
}

TEST(WalControl, HeadAndMarkerAreReadButNotReturnedAsRecords) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({7, 12345}).ok());
  ASSERT_TRUE(writer.AddRecord("a").ok());
  ASSERT_TRUE(writer.AddEarlierLogsSyncedMarker().ok());
  ASSERT_TRUE(writer.AddRecord("b").ok());
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(read.head.has_value());
  EXPECT_EQ(read.head->previous_log_number, 7u);
  EXPECT_EQ(read.head->previous_log_bytes, 12345u);
  EXPECT_TRUE(read.earlier_logs_synced);
  EXPECT_EQ(read.intact_end_offset, writer.file_bytes());
  EXPECT_EQ(writer.file_bytes(), contents.size());
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalControl, GoldenBytesOfAHead) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({3, 0x1234}).ok());
  // The head, then a synced-bytes marker declaring 0 (format version 3).
  ASSERT_EQ(contents.size(), kHeaderBytes + kLogHeadBytes + kHeaderBytes + 8);
  const FragmentHeader header = DecodeFragmentHeader(contents.data());
  EXPECT_EQ(header.type, 5);
  EXPECT_EQ(header.length, kLogHeadBytes);
  EXPECT_EQ(header.stored_log_number, kLogNumber);
  EXPECT_EQ(DecodeFixed64(contents.data() + kHeaderBytes), 3u);
  EXPECT_EQ(DecodeFixed64(contents.data() + kHeaderBytes + 8), 0x1234u);
  const char* marker = contents.data() + kHeaderBytes + kLogHeadBytes;
  const FragmentHeader marker_header = DecodeFragmentHeader(marker);
  EXPECT_EQ(marker_header.type, 7);
  EXPECT_EQ(marker_header.length, 8u);
  EXPECT_EQ(marker_header.stored_log_number, kLogNumber);
  EXPECT_EQ(DecodeFixed64(marker + kHeaderBytes), 0u);
}

TEST(WalControl, ALogHoldingOnlyItsHeadEndsAfterIt) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({0, 0}).ok());
  contents.append(100, '\0');  // preallocated space
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_TRUE(read.records.empty());
  EXPECT_TRUE(read.head.has_value());
  EXPECT_FALSE(read.earlier_logs_synced);
  EXPECT_EQ(read.intact_end_offset, kHeaderBytes + kLogHeadBytes + kHeaderBytes + 8);
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalControl, AVersion1LogHasNoHead) {
  const std::string contents = WriteLog({"x", "y"}, kLogNumber);
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records.size(), 2u);
  EXPECT_FALSE(read.head.has_value());
  EXPECT_EQ(read.intact_end_offset, contents.size());
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalControl, ATornTailLeavesTheIntactEndAtTheLastWholeRecord) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({1, 2}).ok());
  ASSERT_TRUE(writer.AddRecord("first").ok());
  const uint64_t first_end = writer.file_bytes();
  ASSERT_TRUE(writer.AddRecord(std::string(500, 'z')).ok());
  contents.resize(contents.size() - 10);
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records, (std::vector<std::string>{"first"}));
  EXPECT_EQ(read.intact_end_offset, first_end);
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_TRUE(reporter.reports[0].at_tail);
}

TEST(WalControl, AZeroedLogLosesItsHeadAndEndsAtZero) {
  std::string contents(4096, '\0');
  const ReadResult read = ReadLog(contents, nullptr);
  EXPECT_FALSE(read.head.has_value());
  EXPECT_EQ(read.intact_end_offset, 0u);
}

TEST(WalControl, AHeadAnywhereButTheStartIsDamage) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddRecord("a").ok());
  char payload[kLogHeadBytes];
  EncodeLogHead({1, 1}, payload);
  char header[kHeaderBytes];
  EncodeFragmentHeader(header, RecordType::kHead, kLogNumber, {payload, sizeof(payload)});
  contents.append(header, kHeaderBytes).append(payload, sizeof(payload));
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records, (std::vector<std::string>{"a"}));
  EXPECT_FALSE(read.head.has_value());
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_NE(reporter.reports[0].reason.find("control fragment"), std::string::npos);
}

TEST(WalControl, DamageBeforeAMarkerIsMidLog) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({1, 1}).ok());
  ASSERT_TRUE(writer.AddRecord(std::string(kBlockBytes, 'r')).ok());  // ends in block 1
  ASSERT_TRUE(writer.AddEarlierLogsSyncedMarker().ok());
  contents[kHeaderBytes + kLogHeadBytes + kHeaderBytes + 5] ^= 1;  // inside the first fragment
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_TRUE(read.records.empty());
  EXPECT_TRUE(read.earlier_logs_synced);
  ASSERT_FALSE(reporter.reports.empty());
  EXPECT_FALSE(reporter.reports[0].at_tail);
}

TEST(WalControl, AMarkerFitsInTheLastHeaderSizedBytesOfABlock) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddRecord(std::string(kBlockBytes - 2 * kHeaderBytes, 'p')).ok());
  ASSERT_EQ(writer.file_bytes(), kBlockBytes - kHeaderBytes);
  ASSERT_TRUE(writer.AddEarlierLogsSyncedMarker().ok());
  EXPECT_EQ(writer.file_bytes(), kBlockBytes);
  ASSERT_TRUE(writer.AddRecord("next").ok());
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records.size(), 2u);
  EXPECT_TRUE(read.earlier_logs_synced);
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalControl, TheFirstRecordAfterASyncDeclaresTheSyncedBytes) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({0, 0}).ok());
  const uint64_t head_bytes = writer.file_bytes();
  ASSERT_TRUE(writer.AddRecord("a").ok());  // the head's marker covers the head: none here
  EXPECT_EQ(writer.file_bytes(), head_bytes + kHeaderBytes + 1);
  RecordingReporter reporter;
  EXPECT_EQ(ReadLog(contents, &reporter).declared_synced_bytes, head_bytes);

  ASSERT_TRUE(writer.Sync().ok());
  const uint64_t synced = writer.file_bytes();
  ASSERT_TRUE(writer.AddRecord("b").ok());
  ASSERT_TRUE(writer.AddRecord("c").ok());  // no sync in between: no marker
  ASSERT_EQ(contents.size(), synced + (kHeaderBytes + 8) + 2 * (kHeaderBytes + 1));
  const FragmentHeader marker = DecodeFragmentHeader(contents.data() + synced);
  EXPECT_EQ(marker.type, static_cast<uint8_t>(RecordType::kSyncedBytes));
  EXPECT_EQ(DecodeFixed64(contents.data() + synced + kHeaderBytes), synced);
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(read.declared_synced_bytes, synced);
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalControl, ASyncedBytesMarkerDeclaringMoreThanPrecedesItIsDamage) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddHead({0, 0}).ok());
  ASSERT_TRUE(writer.AddRecord("a").ok());
  ASSERT_TRUE(writer.Sync().ok());
  const uint64_t synced = writer.file_bytes();
  ASSERT_TRUE(writer.AddRecord("b").ok());
  // Rewrite the marker to declare a byte past itself, with a valid checksum.
  std::string payload(8, '\0');
  EncodeFixed64(payload.data(), synced + 1);
  EncodeFragmentHeader(contents.data() + synced, RecordType::kSyncedBytes,
                       StoredLogNumber(kLogNumber), payload);
  contents.replace(synced + kHeaderBytes, 8, payload);
  RecordingReporter reporter;
  const ReadResult read = ReadLog(contents, &reporter);
  EXPECT_EQ(read.declared_synced_bytes, kHeaderBytes + kLogHeadBytes + kHeaderBytes + 8);
  ASSERT_EQ(reporter.reports.size(), 1u);
  EXPECT_EQ(reporter.reports[0].offset, synced);
}

TEST(WalControl, ALogWithoutAHeadHasNoSyncedBytesMarkers) {
  // The MANIFEST's layout: records only, whatever the syncs.
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  ASSERT_TRUE(writer.AddRecord("a").ok());
  ASSERT_TRUE(writer.Sync().ok());
  ASSERT_TRUE(writer.AddRecord("b").ok());
  EXPECT_EQ(contents.size(), 2 * (kHeaderBytes + 1));
  RecordingReporter reporter;
  EXPECT_FALSE(ReadLog(contents, &reporter).declared_synced_bytes.has_value());
}

TEST(WalControl, SyncTracksWhetherEverythingWrittenIsDurable) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), kLogNumber, 0);
  EXPECT_TRUE(writer.all_synced());
  ASSERT_TRUE(writer.AddHead({0, 0}).ok());
  EXPECT_TRUE(writer.all_synced());  // AddHead syncs
  ASSERT_TRUE(writer.AddRecord("r").ok());
  EXPECT_FALSE(writer.all_synced());
  ASSERT_TRUE(writer.Sync().ok());
  EXPECT_TRUE(writer.all_synced());
}

}  // namespace
}  // namespace ziggydb::wal
