// wal::Writer's use of its file: one Append and one Flush per record, preallocation, and sticky
// errors.
#include <gtest/gtest.h>

#include <string>

#include "wal/log_format.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"

namespace ziggydb::wal {
namespace {

using logtest::ReadAll;
using logtest::RecordingReporter;
using logtest::StringSink;

// A writer over a StringSink it lets the test inspect.
struct Harness {
  explicit Harness(uint64_t preallocate_bytes = 0) {
    auto file = std::make_unique<StringSink>(&contents);
    sink = file.get();
    writer = std::make_unique<Writer>(std::move(file), 1, preallocate_bytes);
  }
  std::string contents;
  StringSink* sink;
  std::unique_ptr<Writer> writer;
};

TEST(WalWriter, AppendsEachRecordWithOneAppendThenFlush) {
  Harness h;
  ASSERT_TRUE(h.writer->AddRecord("small").ok());
  ASSERT_TRUE(h.writer->AddRecord(std::string(5 * kBlockBytes, 'x')).ok());
  EXPECT_EQ(h.sink->appends, 2);
  EXPECT_EQ(h.sink->flushes, 2);
  EXPECT_EQ(h.sink->syncs, 0);
  EXPECT_EQ(h.writer->file_bytes(), h.contents.size());
  ASSERT_TRUE(h.writer->Sync().ok());
  EXPECT_EQ(h.sink->syncs, 1);
  ASSERT_TRUE(h.writer->Close().ok());
  EXPECT_EQ(h.sink->closes, 1);
}

TEST(WalWriter, PreallocatesOnlyWhenAsked) {
  Harness none;
  EXPECT_EQ(none.sink->preallocates, 0);
  Harness some(4 << 20);
  EXPECT_EQ(some.sink->preallocates, 1);
  EXPECT_EQ(some.sink->preallocated_bytes, uint64_t{4} << 20);
}

TEST(WalWriter, AppendFailureIsSticky) {
  Harness h;
  h.sink->fail_appends_after = 1;
  ASSERT_TRUE(h.writer->AddRecord("kept").ok());
  const uint64_t bytes = h.writer->file_bytes();
  EXPECT_TRUE(h.writer->AddRecord("lost").IsIOError());
  EXPECT_TRUE(h.writer->AddRecord("refused").IsIOError());
  EXPECT_TRUE(h.writer->Sync().IsIOError());
  EXPECT_EQ(h.sink->appends, 2);  // nothing tried after the failure
  EXPECT_EQ(h.sink->syncs, 0);
  EXPECT_EQ(h.writer->file_bytes(), bytes);
  EXPECT_TRUE(h.writer->Close().IsIOError());
  EXPECT_EQ(h.sink->closes, 1);  // closed all the same
  RecordingReporter reporter;
  EXPECT_EQ(ReadAll(h.contents, &reporter), std::vector<std::string>{"kept"});
}

TEST(WalWriter, FlushFailureIsSticky) {
  Harness h;
  h.sink->fail_flushes_after = 0;
  EXPECT_TRUE(h.writer->AddRecord("a").IsIOError());
  EXPECT_TRUE(h.writer->AddRecord("b").IsIOError());
  EXPECT_EQ(h.sink->appends, 1);
  EXPECT_EQ(h.sink->flushes, 1);
}

TEST(WalWriter, SyncFailureIsSticky) {
  Harness h;
  h.sink->fail_syncs_after = 1;
  ASSERT_TRUE(h.writer->AddRecord("a").ok());
  ASSERT_TRUE(h.writer->Sync().ok());
  ASSERT_TRUE(h.writer->AddRecord("b").ok());
  const Status failed = h.writer->Sync();
  EXPECT_TRUE(failed.IsIOError());
  // A failed sync is final: no more appends, and no second sync that might falsely succeed.
  EXPECT_EQ(h.writer->AddRecord("c").ToString(), failed.ToString());
  EXPECT_EQ(h.writer->Sync().ToString(), failed.ToString());
  EXPECT_EQ(h.sink->appends, 2);
  EXPECT_EQ(h.sink->syncs, 2);
}

TEST(WalWriter, TooLargeRecordIsRejectedWithoutWriting) {
  // Never dereferenced: the size check comes first.
  static const char kByte = 0;
  Harness h;
  const std::string_view huge(&kByte, kRecordBytesMax + 1);
  EXPECT_TRUE(h.writer->AddRecord(huge).IsInvalidArgument());
  EXPECT_EQ(h.sink->appends, 0);
  EXPECT_TRUE(h.writer->AddRecord("fine").ok());  // not sticky: nothing went wrong on disk
}

}  // namespace
}  // namespace ziggydb::wal
