#include "env/mapped_file.h"

#include <gtest/gtest.h>

#include <string>

#include "env/counting_env.h"
#include "env/mem_env.h"
#include "testutil/testutil.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

void WriteFile(Env* env, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Close().ok());
}

std::string Pattern(size_t bytes) {
  std::string data;
  for (size_t i = 0; data.size() < bytes; ++i)
    data += std::to_string(i) + ",";
  data.resize(bytes);
  return data;
}

TEST(MappedFile, PosixReadsAreViewsThatOutliveLaterReads) {
  test::TempDir dir;
  const std::string path = dir.Join("table");
  const std::string data = Pattern(3 * 4096 + 17);  // not a whole number of pages
  WriteFile(Env::Default(), path, data);

  std::unique_ptr<RandomAccessFile> file;
  bool mapped = false;
  ASSERT_TRUE(NewMappedRandomAccessFile(Env::Default(), path, &file, &mapped).ok());
  ASSERT_TRUE(mapped);
  std::string_view first;
  ASSERT_TRUE(file->Read(5, 100, &first, /*scratch=*/nullptr).ok());
  EXPECT_EQ(first, data.substr(5, 100));
  std::string_view across_pages;
  ASSERT_TRUE(file->Read(4000, 5000, &across_pages, nullptr).ok());
  EXPECT_EQ(across_pages, data.substr(4000, 5000));
  // Contract 2: the first view is still good after other reads.
  EXPECT_EQ(first, data.substr(5, 100));
  EXPECT_EQ(across_pages.data() - first.data(), 4000 - 5);  // both point into one mapping
}

TEST(MappedFile, PosixReadsAreShortAtTheEndAndEmptyPastIt) {
  test::TempDir dir;
  const std::string path = dir.Join("table");
  const std::string data = Pattern(10000);
  WriteFile(Env::Default(), path, data);
  std::unique_ptr<RandomAccessFile> file;
  bool mapped = false;
  ASSERT_TRUE(NewMappedRandomAccessFile(Env::Default(), path, &file, &mapped).ok());
  ASSERT_TRUE(mapped);
  std::string_view got;
  ASSERT_TRUE(file->Read(data.size() - 3, 10, &got, nullptr).ok());
  EXPECT_EQ(got, data.substr(data.size() - 3));
  ASSERT_TRUE(file->Read(data.size(), 10, &got, nullptr).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(file->Read(uint64_t{1} << 62, 10, &got, nullptr).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(file->Read(0, 0, &got, nullptr).ok());
  EXPECT_TRUE(got.empty());
}

TEST(MappedFile, PosixSizeIsFixedAtOpen) {
  test::TempDir dir;
  const std::string path = dir.Join("table");
  WriteFile(Env::Default(), path, "");
  std::unique_ptr<RandomAccessFile> empty;
  bool mapped = false;
  ASSERT_TRUE(NewMappedRandomAccessFile(Env::Default(), path, &empty, &mapped).ok());
  EXPECT_TRUE(mapped);  // nothing to map, but still a mapped file
  std::unique_ptr<WritableFile> appender;
  ASSERT_TRUE(Env::Default()->NewAppendableFile(path, &appender).ok());
  ASSERT_TRUE(appender->Append("later").ok());
  ASSERT_TRUE(appender->Close().ok());
  std::string_view got;
  ASSERT_TRUE(empty->Read(0, 5, &got, nullptr).ok());
  EXPECT_TRUE(got.empty());
}

TEST(MappedFile, MissingFileIsAnErrorNotAFallback) {
  test::TempDir dir;
  std::unique_ptr<RandomAccessFile> file;
  bool mapped = true;
  Status s = NewMappedRandomAccessFile(Env::Default(), dir.Join("absent"), &file, &mapped);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(mapped);
}

TEST(MappedFile, MemEnvFallsBackToCopyingReads) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  WriteFile(&env, "/d/table", "hello world");
  std::unique_ptr<RandomAccessFile> file;
  bool mapped = true;
  ASSERT_TRUE(NewMappedRandomAccessFile(&env, "/d/table", &file, &mapped).ok());
  EXPECT_FALSE(mapped);
  char scratch[5];
  std::string_view got;
  ASSERT_TRUE(file->Read(6, 5, &got, scratch).ok());
  EXPECT_EQ(got, "world");
  EXPECT_EQ(got.data(), scratch);
}

TEST(MappedFile, CountingEnvCountsMappedReadsAndFallsBackWithItsTarget) {
  test::TempDir dir;
  CountingEnv posix_counting(Env::Default());
  const std::string path = dir.Join("table");
  WriteFile(&posix_counting, path, Pattern(5000));
  std::unique_ptr<RandomAccessFile> file;
  bool mapped = false;
  ASSERT_TRUE(NewMappedRandomAccessFile(&posix_counting, path, &file, &mapped).ok());
  EXPECT_TRUE(mapped);
  std::string_view got;
  ASSERT_TRUE(file->Read(0, 100, &got, nullptr).ok());
  ASSERT_TRUE(file->Read(4990, 100, &got, nullptr).ok());
  EXPECT_EQ(posix_counting.reads(path), 2u);
  EXPECT_EQ(posix_counting.bytes_read(path), 110u);

  MemEnv mem;
  CountingEnv mem_counting(&mem);
  WriteFile(&mem_counting, "/table", "abc");
  ASSERT_TRUE(NewMappedRandomAccessFile(&mem_counting, "/table", &file, &mapped).ok());
  EXPECT_FALSE(mapped);
  char scratch[3];
  ASSERT_TRUE(file->Read(0, 3, &got, scratch).ok());
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(mem_counting.reads("/table"), 1u);
}

}  // namespace
}  // namespace ziggydb
