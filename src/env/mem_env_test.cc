#include "env/mem_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "env/preallocated_file.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

std::string ReadAll(Env* env, const std::string& path) {
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return "<missing>";
  std::string out;
  char scratch[7];  // odd size: reads straddle appends
  while (true) {
    std::string_view chunk;
    EXPECT_TRUE(file->Read(sizeof(scratch), &chunk, scratch).ok());
    if (chunk.empty()) return out;
    out.append(chunk);
  }
}

void Put(Env* env, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Close().ok());
}

std::vector<std::string> Children(Env* env, const std::string& dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(dir, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(MemEnv, FilesNeedAnExistingDirectory) {
  MemEnv env;
  std::unique_ptr<WritableFile> file;
  EXPECT_TRUE(env.NewWritableFile("/db/x", &file).IsIOError());
  ASSERT_TRUE(env.CreateDir("/db/sub/").ok());  // creates /db too; trailing '/' ignored
  EXPECT_TRUE(env.FileExists("/db"));
  EXPECT_TRUE(env.NewWritableFile("/db/x", &file).ok());
  EXPECT_EQ(Children(&env, "/"), std::vector<std::string>{"db"});
  EXPECT_EQ(Children(&env, "/db"), (std::vector<std::string>{"sub", "x"}));
  EXPECT_TRUE(env.RemoveDir("/db").IsIOError());  // not empty
  EXPECT_TRUE(env.RemoveDir("/db/sub").ok());
  std::vector<std::string> names;
  EXPECT_TRUE(env.GetChildren("/db/sub", &names).IsNotFound());
}

TEST(MemEnv, WriteReadRenameRemove) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  Put(&env, "/db/a", "alpha");
  Put(&env, "/db/b", "beta");
  uint64_t size = 0;
  ASSERT_TRUE(env.GetFileSize("/db/a", &size).ok());
  EXPECT_EQ(size, 5u);
  ASSERT_TRUE(env.RenameFile("/db/a", "/db/b").ok());  // replaces b
  EXPECT_FALSE(env.FileExists("/db/a"));
  EXPECT_EQ(ReadAll(&env, "/db/b"), "alpha");
  EXPECT_TRUE(env.RenameFile("/db/a", "/db/c").IsIOError());
  ASSERT_TRUE(env.RemoveFile("/db/b").ok());
  EXPECT_TRUE(env.RemoveFile("/db/b").IsIOError());
  EXPECT_TRUE(Children(&env, "/db").empty());
  Status s = env.GetFileSize("/db/b", &size);
  ASSERT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("/db/b"), std::string::npos);
}

TEST(MemEnv, OpenHandlesSurviveRenameAndRemove) {
  MemEnv env;
  Put(&env, "f", "0123456789");
  std::unique_ptr<RandomAccessFile> random;
  ASSERT_TRUE(env.NewRandomAccessFile("f", &random).ok());
  ASSERT_TRUE(env.RenameFile("f", "g").ok());
  ASSERT_TRUE(env.RemoveFile("g").ok());
  char scratch[8];
  std::string_view got;
  ASSERT_TRUE(random->Read(7, 8, &got, scratch).ok());
  EXPECT_EQ(got, "789");
  ASSERT_TRUE(random->Read(20, 8, &got, scratch).ok());
  EXPECT_TRUE(got.empty());
}

TEST(MemEnv, TruncateAppendAndSkip) {
  MemEnv env;
  Put(&env, "f", "old contents");
  Put(&env, "f", "new");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env.NewAppendableFile("f", &file).ok());
  ASSERT_TRUE(file->Append("+more").ok());
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_EQ(ReadAll(&env, "f"), "new+more");
  EXPECT_EQ(env.sync_count(), 1u);
  std::unique_ptr<SequentialFile> seq;
  ASSERT_TRUE(env.NewSequentialFile("f", &seq).ok());
  ASSERT_TRUE(seq->Skip(4).ok());
  char scratch[16];
  std::string_view got;
  ASSERT_TRUE(seq->Read(sizeof(scratch), &got, scratch).ok());
  EXPECT_EQ(got, "more");
}

TEST(MemEnv, LockIsExclusiveUntilUnlocked) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env.LockFile("/db/LOCK", &lock).ok());
  EXPECT_TRUE(env.FileExists("/db/LOCK"));
  std::unique_ptr<FileLock> second;
  Status s = env.LockFile("/db/LOCK", &second);
  ASSERT_TRUE(s.IsBusy());
  EXPECT_NE(s.ToString().find("held by another process/opener"), std::string::npos);
  ASSERT_TRUE(env.UnlockFile(std::move(lock)).ok());
  ASSERT_TRUE(env.LockFile("/db/LOCK", &second).ok());
  ASSERT_TRUE(env.UnlockFile(std::move(second)).ok());
}

TEST(MemEnv, PreallocatedFileShowsZerosUntilClosed) {
  MemEnv env;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(&env, "wal", 64, &file).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  EXPECT_EQ(ReadAll(&env, "wal"), "abc" + std::string(61, '\0'));
  ASSERT_TRUE(file->Append(std::string(70, 'x')).ok());  // grows by another 64
  uint64_t size = 0;
  ASSERT_TRUE(env.GetFileSize("wal", &size).ok());
  EXPECT_EQ(size, 128u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadAll(&env, "wal"), "abc" + std::string(70, 'x'));
}

TEST(MemEnv, LoggerWritesLinesAndKeepsOld) {
  MemEnv env;
  Put(&env, "LOG", "before\n");
  std::shared_ptr<Logger> logger;
  ASSERT_TRUE(env.NewLogger("LOG", &logger).ok());
  logger->Log("hello");
  EXPECT_EQ(ReadAll(&env, "LOG.old"), "before\n");
  const std::string text = ReadAll(&env, "LOG");
  ASSERT_GE(text.size(), 7u);
  EXPECT_EQ(text.substr(text.size() - 7), " hello\n");
}

TEST(MemEnv, ConcurrentWritersAndReaders) {
  MemEnv env;
  constexpr int kThreads = 4;
  constexpr int kAppends = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&env, t] {
      const std::string path = "file" + std::to_string(t);
      std::unique_ptr<WritableFile> file;
      ASSERT_TRUE(env.NewWritableFile(path, &file).ok());
      for (int i = 0; i < kAppends; ++i) {
        ASSERT_TRUE(file->Append("0123456789").ok());
        uint64_t size = 0;
        ASSERT_TRUE(env.GetFileSize(path, &size).ok());
        ASSERT_EQ(size, 10u * (i + 1));
        std::vector<std::string> names;
        ASSERT_TRUE(env.GetChildren("", &names).ok());
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(ReadAll(&env, "file" + std::to_string(t)).size(), 10u * kAppends);
}

// Random creates, appends, renames and removes, checked against a std::map model.
TEST(MemEnv, MatchesAMapModelUnderRandomOperations) {
  Random rnd(test::TestSeed());
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  std::map<std::string, std::string> model;
  const uint64_t iterations = test::ScaledIterations(2000);
  for (uint64_t i = 0; i < iterations; ++i) {
    const std::string a = "/d/f" + std::to_string(rnd.Uniform(8));
    const std::string b = "/d/f" + std::to_string(rnd.Uniform(8));
    switch (rnd.Uniform(4)) {
      case 0: {
        const std::string data(rnd.Uniform(20), static_cast<char>('a' + rnd.Uniform(26)));
        Put(&env, a, data);
        model[a] = data;
        break;
      }
      case 1: {
        std::unique_ptr<WritableFile> file;
        ASSERT_TRUE(env.NewAppendableFile(a, &file).ok());
        ASSERT_TRUE(file->Append("+").ok());
        model[a] += "+";
        break;
      }
      case 2:
        EXPECT_EQ(env.RenameFile(a, b).ok(), model.count(a) > 0);
        if (model.count(a) > 0 && a != b) {
          model[b] = model[a];
          model.erase(a);
        }
        break;
      default:
        EXPECT_EQ(env.RemoveFile(a).ok(), model.erase(a) > 0);
    }
  }
  std::vector<std::string> expected_names;
  for (const auto& [path, data] : model) {
    expected_names.push_back(path.substr(3));
    EXPECT_EQ(ReadAll(&env, path), data) << path;
  }
  EXPECT_EQ(Children(&env, "/d"), expected_names);
}

}  // namespace
}  // namespace ziggydb
