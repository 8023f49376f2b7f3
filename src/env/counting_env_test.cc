#include "env/counting_env.h"

#include <gtest/gtest.h>

#include <string>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "env/preallocated_file.h"

namespace ziggydb {
namespace {

void Put(Env* env, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Close().ok());
}

TEST(CountingEnv, CountsReadsAndBytesPerPath) {
  MemEnv base;
  CountingEnv env(&base);
  Put(&env, "a", "0123456789");
  Put(&env, "b", "xy");
  std::unique_ptr<RandomAccessFile> a;
  std::unique_ptr<RandomAccessFile> b;
  ASSERT_TRUE(env.NewRandomAccessFile("a", &a).ok());
  ASSERT_TRUE(env.NewRandomAccessFile("b", &b).ok());
  char scratch[16];
  std::string_view got;
  ASSERT_TRUE(a->Read(0, 4, &got, scratch).ok());
  ASSERT_TRUE(a->Read(8, 4, &got, scratch).ok());  // short: 2 bytes
  ASSERT_TRUE(b->Read(0, 2, &got, scratch).ok());
  EXPECT_EQ(got, "xy");
  EXPECT_EQ(env.reads("a"), 2u);
  EXPECT_EQ(env.bytes_read("a"), 6u);
  EXPECT_EQ(env.reads("b"), 1u);
  EXPECT_EQ(env.reads("never"), 0u);
  EXPECT_EQ(env.total_reads(), 3u);

  env.ResetCounts();
  EXPECT_EQ(env.reads("a"), 0u);
  ASSERT_TRUE(a->Read(0, 1, &got, scratch).ok());  // files opened before the reset still count
  EXPECT_EQ(env.reads("a"), 1u);
  // A second handle on the same path adds to the same tally.
  std::unique_ptr<RandomAccessFile> a2;
  ASSERT_TRUE(env.NewRandomAccessFile("a", &a2).ok());
  ASSERT_TRUE(a2->Read(0, 1, &got, scratch).ok());
  EXPECT_EQ(env.reads("a"), 2u);
}

TEST(CountingEnv, FailedReadsAreNotCountedAndOtherCallsForward) {
  FaultInjectionEnv base;
  CountingEnv env(&base);
  Put(&env, "f", "data");
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(env.NewRandomAccessFile("f", &file).ok());
  base.InjectError(FaultOp::kRead, "f");
  char scratch[4];
  std::string_view got;
  EXPECT_TRUE(file->Read(0, 4, &got, scratch).IsIOError());
  EXPECT_EQ(env.reads("f"), 0u);
  ASSERT_TRUE(env.RenameFile("f", "g").ok());
  EXPECT_TRUE(base.FileExists("g"));
  std::unique_ptr<RandomAccessFile> missing;
  EXPECT_TRUE(env.NewRandomAccessFile("f", &missing).IsIOError());
}

TEST(CountingEnv, ForwardsPreallocatedFiles) {
  MemEnv base;
  CountingEnv env(&base);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(&env, "wal", 16, &file).ok());
  ASSERT_TRUE(file->Append("r").ok());
  uint64_t size = 0;
  ASSERT_TRUE(base.GetFileSize("wal", &size).ok());
  EXPECT_EQ(size, 16u);  // zero-filled reservation, as the wrapped MemEnv provides
}

}  // namespace
}  // namespace ziggydb
