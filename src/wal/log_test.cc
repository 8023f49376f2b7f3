// Round trips and the exact byte layout of the write-ahead log.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

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
using logtest::StringSink;
using logtest::StringSource;
using logtest::WriteLog;

// Reads contents back, expecting exactly `records` and no damage report.
void ExpectRoundTrip(const std::vector<std::string>& records) {
  const std::string contents = WriteLog(records);
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter), records);
  EXPECT_TRUE(reporter.reports.empty());
}

RecordType TypeAt(const std::string& contents, size_t offset) {
  return static_cast<RecordType>(DecodeFragmentHeader(contents.data() + offset).type);
}
size_t LengthAt(const std::string& contents, size_t offset) {
  return DecodeFragmentHeader(contents.data() + offset).length;
}

TEST(WalLog, EmptyFileHasNoRecords) {
  ExpectRoundTrip({});
}

TEST(WalLog, RoundTripsEmptyAndSmallRecords) {
  ExpectRoundTrip({""});
  ExpectRoundTrip({"a", "", "bc", std::string(1000, 'x'), ""});
}

// The worked example of docs/format/wal.md: log 7, record "hello".
TEST(WalLog, GoldenBytesOfOneRecord) {
  const std::string contents = WriteLog({"hello"}, 7);
  const std::string expected(
      "\xa9\x4c\xdd\xb3"  // masked CRC-32C, little-endian
      "\x05\x00"          // length 5
      "\x01"              // kFull
      "\x07\x00\x00\x00"  // log number 7
      "hello",
      16);
  EXPECT_EQ(contents, expected);
  // The checksum covers type, log number and payload: bytes 6..15.
  EXPECT_EQ(crc32c::Unmask(DecodeFixed32(contents.data())),
            crc32c::Value(contents.data() + 6, contents.size() - 6));
}

TEST(WalLog, RecordFillingABlockExactlyIsOneFragment) {
  const std::vector<std::string> records = {std::string(kFragmentPayloadBytesMax, 'f'), "next"};
  const std::string contents = WriteLog(records);
  ASSERT_EQ(contents.size(), kBlockBytes + kHeaderBytes + 4);
  EXPECT_EQ(TypeAt(contents, 0), RecordType::kFull);
  EXPECT_EQ(TypeAt(contents, kBlockBytes), RecordType::kFull);
  ExpectRoundTrip(records);
}

TEST(WalLog, RecordOfBlockSizeSpansTwoFragments) {
  const std::string contents = WriteLog({std::string(kBlockBytes, 'b')});
  EXPECT_EQ(TypeAt(contents, 0), RecordType::kFirst);
  EXPECT_EQ(LengthAt(contents, 0), kFragmentPayloadBytesMax);
  EXPECT_EQ(TypeAt(contents, kBlockBytes), RecordType::kLast);
  EXPECT_EQ(LengthAt(contents, kBlockBytes), kHeaderBytes);
  ExpectRoundTrip({std::string(kBlockBytes, 'b')});
}

TEST(WalLog, MultiBlockRecordUsesMiddleFragments) {
  Random random(ziggydb::test::TestSeed());
  const std::string big = random.Bytes(3 * kBlockBytes + 100);
  const std::string contents = WriteLog({big});
  EXPECT_EQ(TypeAt(contents, 0), RecordType::kFirst);
  EXPECT_EQ(TypeAt(contents, kBlockBytes), RecordType::kMiddle);
  EXPECT_EQ(TypeAt(contents, 2 * kBlockBytes), RecordType::kMiddle);
  EXPECT_EQ(TypeAt(contents, 3 * kBlockBytes), RecordType::kLast);
  ExpectRoundTrip({big, "after", big});
}

TEST(WalLog, BlockTrailerTooSmallForAHeaderIsZeroPadded) {
  // Leaves kHeaderBytes - 1 bytes in block 0: the next record starts at block 1.
  const std::string first(kFragmentPayloadBytesMax - kHeaderBytes + 1, 'p');
  const std::string contents = WriteLog({first, "second"});
  const size_t trailer_offset = kBlockBytes - (kHeaderBytes - 1);
  EXPECT_EQ(contents.substr(trailer_offset, kHeaderBytes - 1), std::string(kHeaderBytes - 1, '\0'));
  EXPECT_EQ(TypeAt(contents, kBlockBytes), RecordType::kFull);
  ExpectRoundTrip({first, "second"});
}

TEST(WalLog, HeaderExactlyFittingAtBlockEndStartsARecord) {
  // Leaves exactly kHeaderBytes in block 0: the next record begins with an empty kFirst there.
  const std::string first(kFragmentPayloadBytesMax - kHeaderBytes, 'p');
  const std::string contents = WriteLog({first, "second"});
  const size_t offset = kBlockBytes - kHeaderBytes;
  EXPECT_EQ(TypeAt(contents, offset), RecordType::kFirst);
  EXPECT_EQ(LengthAt(contents, offset), 0u);
  EXPECT_EQ(TypeAt(contents, kBlockBytes), RecordType::kLast);
  ExpectRoundTrip({first, "second"});
}

TEST(WalLog, ManyRandomRecordsWithOffsets) {
  Random random(ziggydb::test::TestSeed());
  const uint64_t count = ziggydb::test::ScaledIterations(2000);
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), 42, 0);
  for (uint64_t i = 0; i < count; ++i) {
    records.push_back(random.Bytes(random.Skewed(17)));
    uint64_t offset = writer.file_bytes();
    if (kBlockBytes - offset % kBlockBytes < kHeaderBytes)
      offset += kBlockBytes - offset % kBlockBytes;
    offsets.push_back(offset);
    ASSERT_TRUE(writer.AddRecord(records.back()).ok());
    ASSERT_EQ(writer.file_bytes(), contents.size());
  }
  ASSERT_TRUE(writer.Close().ok());

  RecordingReporter reporter;
  Reader reader(std::make_unique<StringSource>(contents), 42, &reporter);
  std::string record;
  for (uint64_t i = 0; i < count; ++i) {
    ASSERT_TRUE(reader.ReadRecord(&record)) << i;
    ASSERT_EQ(record, records[i]) << i;
    ASSERT_EQ(reader.last_record_offset(), offsets[i]) << i;
  }
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_FALSE(reader.ReadRecord(&record));  // stays at the end
  EXPECT_TRUE(reader.io_status().ok());
  EXPECT_TRUE(reporter.reports.empty());
}

TEST(WalLog, LogNumberIsStoredAsItsLow32Bits) {
  const uint64_t log_number = (uint64_t{3} << 32) | 9;
  const std::string contents = WriteLog({"x"}, log_number);
  EXPECT_EQ(DecodeFixed32(contents.data() + kLogNumberOffset), 9u);
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(contents, &reporter, 9), std::vector<std::string>{"x"});
}

RC_GTEST_PROP(WalLog, AnyRecordsRoundTrip, (const std::vector<std::string>& records)) {
  const std::string contents = WriteLog(records);
  RecordingReporter reporter;
  RC_ASSERT(ReadAll(contents, &reporter) == records);
  RC_ASSERT(reporter.reports.empty());
}

}  // namespace
}  // namespace ziggydb::wal
