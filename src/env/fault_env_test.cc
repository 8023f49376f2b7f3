#include "env/fault_env.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "env/preallocated_file.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

std::string ReadAll(Env* env, const std::string& path) {
  std::unique_ptr<RandomAccessFile> file;
  if (!env->NewRandomAccessFile(path, &file).ok()) return "<missing>";
  std::string out;
  std::string scratch(4096, '\0');
  while (true) {
    std::string_view got;
    EXPECT_TRUE(file->Read(out.size(), scratch.size(), &got, scratch.data()).ok());
    if (got.empty()) return out;
    out.append(got);
  }
}

// Creates dir/name with data, syncs it and (optionally) the directory.
void PutDurable(FaultInjectionEnv* env, const std::string& path, std::string_view data,
                bool sync_dir) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  if (sync_dir) {
    ASSERT_TRUE(env->SyncDir(path.substr(0, path.rfind('/'))).ok());
  }
}

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/db").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());  // the directory itself survives a power loss
  }
  FaultInjectionEnv env_;
};

TEST_F(FaultEnvTest, PowerLossDropsTheUnsyncedTail) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile("/db/log", &file).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(file->Append("synced|").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("lost").ok());
  ASSERT_TRUE(file->Flush().ok());
  EXPECT_EQ(ReadAll(&env_, "/db/log"), "synced|lost");  // readers see unsynced data
  file.reset();
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/log"), "synced|");
  EXPECT_EQ(env_.sync_count(), 1u);
}

TEST_F(FaultEnvTest, SyncedFileWithoutDirSyncVanishes) {
  PutDurable(&env_, "/db/old", "x", /*sync_dir=*/true);
  PutDurable(&env_, "/db/new", "data", /*sync_dir=*/false);
  env_.DropUnsyncedData();
  EXPECT_FALSE(env_.FileExists("/db/new"));
  EXPECT_TRUE(env_.FileExists("/db/old"));
}

TEST_F(FaultEnvTest, UnsyncedRenameAndRemoveRevert) {
  PutDurable(&env_, "/db/CURRENT", "1", /*sync_dir=*/false);
  PutDurable(&env_, "/db/doomed", "d", /*sync_dir=*/true);
  PutDurable(&env_, "/db/CURRENT.tmp", "2", /*sync_dir=*/true);
  ASSERT_TRUE(env_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(env_.RemoveFile("/db/doomed").ok());
  EXPECT_EQ(ReadAll(&env_, "/db/CURRENT"), "2");
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/CURRENT"), "1");
  EXPECT_EQ(ReadAll(&env_, "/db/CURRENT.tmp"), "2");
  EXPECT_TRUE(env_.FileExists("/db/doomed"));

  // The same steps followed by SyncDir stick.
  ASSERT_TRUE(env_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(env_.RemoveFile("/db/doomed").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/CURRENT"), "2");
  EXPECT_FALSE(env_.FileExists("/db/CURRENT.tmp"));
  EXPECT_FALSE(env_.FileExists("/db/doomed"));
}

TEST_F(FaultEnvTest, DirSyncOnlyCoversItsOwnDirectory) {
  ASSERT_TRUE(env_.CreateDir("/other").ok());
  ASSERT_TRUE(env_.SyncDir("/").ok());  // /other itself survives: only its names are at stake
  PutDurable(&env_, "/other/f", "o", /*sync_dir=*/false);
  PutDurable(&env_, "/db/f", "d", /*sync_dir=*/true);  // syncs /db only
  env_.DropUnsyncedData();
  EXPECT_TRUE(env_.FileExists("/db/f"));
  EXPECT_FALSE(env_.FileExists("/other/f"));
}

// A directory's name is durable once its parent is synced, like a file's: until then a power
// loss takes it with everything in it, synced files and subdirectories included.
TEST_F(FaultEnvTest, ADirectoryWhoseParentWasNotSyncedVanishesWithItsFiles) {
  ASSERT_TRUE(env_.CreateDir("/new/sub").ok());
  PutDurable(&env_, "/new/f", "f", /*sync_dir=*/true);
  PutDurable(&env_, "/new/sub/g", "g", /*sync_dir=*/true);
  ASSERT_TRUE(env_.SyncDir("/new").ok());  // /new/sub's name: durable in /new, /new's is not
  env_.DropUnsyncedData();
  EXPECT_FALSE(env_.FileExists("/new"));
  EXPECT_FALSE(env_.FileExists("/new/sub"));
  EXPECT_FALSE(env_.FileExists("/new/f"));
  EXPECT_FALSE(env_.FileExists("/new/sub/g"));
  // Synced in its parent, it survives, and so does what was made durable in it.
  ASSERT_TRUE(env_.CreateDir("/new/sub").ok());
  PutDurable(&env_, "/new/sub/g", "g", /*sync_dir=*/true);
  ASSERT_TRUE(env_.SyncDir("/new").ok());
  ASSERT_TRUE(env_.SyncDir("/").ok());
  // A removal is undone until the parent is synced.
  ASSERT_TRUE(env_.CreateDir("/new/gone").ok());
  ASSERT_TRUE(env_.SyncDir("/new").ok());
  ASSERT_TRUE(env_.RemoveDir("/new/gone").ok());
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/new/sub/g"), "g");
  EXPECT_TRUE(env_.FileExists("/new/gone"));
  // A durable removal takes the directory's durable files along: made again under that name, it
  // starts empty even before it is synced.
  PutDurable(&env_, "/new/gone/old", "o", /*sync_dir=*/true);
  ASSERT_TRUE(env_.RemoveFile("/new/gone/old").ok());
  ASSERT_TRUE(env_.RemoveDir("/new/gone").ok());
  ASSERT_TRUE(env_.SyncDir("/new").ok());
  ASSERT_TRUE(env_.CreateDir("/new/gone").ok());
  ASSERT_TRUE(env_.SyncDir("/new").ok());
  env_.DropUnsyncedData();
  EXPECT_TRUE(env_.FileExists("/new/gone"));
  EXPECT_FALSE(env_.FileExists("/new/gone/old"));
}

// A power loss after a journal commit that took a directory's name changes: they survive (all
// of them), while another directory's are undone.
TEST_F(FaultEnvTest, APowerLossMayKeepADirectorysUnsyncedNameChanges) {
  ASSERT_TRUE(env_.CreateDir("/other").ok());
  ASSERT_TRUE(env_.SyncDir("/").ok());
  PutDurable(&env_, "/db/gone", "g", /*sync_dir=*/true);
  PutDurable(&env_, "/db/new", "n", /*sync_dir=*/false);
  ASSERT_TRUE(env_.RemoveFile("/db/gone").ok());
  PutDurable(&env_, "/other/f", "o", /*sync_dir=*/false);
  env_.DropUnsyncedDataKeeping([](const std::string&, uint64_t) { return uint64_t{0}; },
                               [](const std::string& dir) { return dir == "/db"; });
  EXPECT_EQ(ReadAll(&env_, "/db/new"), "n");
  EXPECT_FALSE(env_.FileExists("/db/gone"));
  EXPECT_FALSE(env_.FileExists("/other/f"));
}

TEST_F(FaultEnvTest, FailedSyncIsStickyAndDoesNotCount) {
  std::unique_ptr<WritableFile> log;
  std::unique_ptr<WritableFile> other;
  ASSERT_TRUE(env_.NewWritableFile("/db/000007.log", &log).ok());
  ASSERT_TRUE(env_.NewWritableFile("/db/MANIFEST", &other).ok());
  ASSERT_TRUE(log->Append("record").ok());
  env_.InjectError(FaultOp::kSync, ".log");
  Status first = log->Sync();
  ASSERT_TRUE(first.IsIOError());
  EXPECT_NE(first.ToString().find("injected sync fault"), std::string::npos);
  EXPECT_EQ(env_.sync_count(), 0u);
  EXPECT_EQ(env_.injected_error_count(), 1u);
  // The rule is used up, but the file stays failed: no sync may pretend the data is safe.
  for (int i = 0; i < 3; ++i) {
    Status later = i == 0 ? log->Append("more") : (i == 1 ? log->Flush() : log->Sync());
    ASSERT_TRUE(later.IsIOError());
    EXPECT_NE(later.ToString().find("may be lost"), std::string::npos) << later.ToString();
  }
  EXPECT_TRUE(log->Close().IsIOError());
  ASSERT_TRUE(other->Append("edit").ok());
  EXPECT_TRUE(other->Sync().ok());  // other files are unaffected
  EXPECT_EQ(env_.sync_count(), 1u);
  // A fresh log file (what a reopened DB would create) works.
  ASSERT_TRUE(env_.NewWritableFile("/db/000008.log", &log).ok());
  ASSERT_TRUE(log->Append("r").ok());
  EXPECT_TRUE(log->Sync().ok());
}

TEST_F(FaultEnvTest, InjectedErrorsMatchOpPathAndCountAndChangeNothing) {
  PutDurable(&env_, "/db/a", "A", /*sync_dir=*/true);
  env_.InjectError(FaultOp::kRename, "/db/a", 2);
  EXPECT_TRUE(env_.RenameFile("/db/a", "/db/b").IsIOError());
  EXPECT_TRUE(env_.RenameFile("/db/a", "/db/b").IsIOError());
  EXPECT_TRUE(env_.FileExists("/db/a"));
  EXPECT_TRUE(env_.RenameFile("/db/a", "/db/b").ok());  // count used up

  env_.InjectError(FaultOp::kRemove, "b");
  EXPECT_TRUE(env_.RemoveFile("/db/b").IsIOError());
  EXPECT_TRUE(env_.FileExists("/db/b"));
  env_.InjectError(FaultOp::kSyncDir, "/db");
  EXPECT_TRUE(env_.SyncDir("/db").IsIOError());
  env_.InjectError(FaultOp::kCreate, "new");
  std::unique_ptr<WritableFile> file;
  EXPECT_TRUE(env_.NewWritableFile("/db/new", &file).IsIOError());
  EXPECT_FALSE(env_.FileExists("/db/new"));
  EXPECT_TRUE(env_.NewWritableFile("/db/fine", &file).ok());
  env_.InjectError(FaultOp::kAppend, "fine");
  EXPECT_TRUE(file->Append("x").IsIOError());
  EXPECT_EQ(ReadAll(&env_, "/db/fine"), "");

  env_.InjectError(FaultOp::kRead, "/db/b", 5);
  std::unique_ptr<RandomAccessFile> random;
  ASSERT_TRUE(env_.NewRandomAccessFile("/db/b", &random).ok());
  char scratch[4];
  std::string_view got;
  EXPECT_TRUE(random->Read(0, 1, &got, scratch).IsIOError());
  env_.ClearErrors();
  ASSERT_TRUE(random->Read(0, 1, &got, scratch).ok());
  EXPECT_EQ(got, "A");
  EXPECT_EQ(env_.injected_error_count(), 7u);
}

// Looks that change nothing fail too: a file the directory lists but that cannot be opened or
// stat'ed (FileExists then says false, as access(2) does), a directory that cannot be listed.
TEST_F(FaultEnvTest, OpenStatAndListFaultsLeaveTheFileListed) {
  PutDurable(&env_, "/db/a", "A", /*sync_dir=*/true);
  env_.MakeInaccessible("/db/a");
  EXPECT_FALSE(env_.FileExists("/db/a"));
  uint64_t size = 0;
  EXPECT_TRUE(env_.GetFileSize("/db/a", &size).IsIOError());
  std::unique_ptr<SequentialFile> sequential;
  EXPECT_TRUE(env_.NewSequentialFile("/db/a", &sequential).IsIOError());
  std::unique_ptr<RandomAccessFile> random;
  EXPECT_TRUE(env_.NewRandomAccessFile("/db/a", &random).IsIOError());
  std::vector<std::string> names;
  ASSERT_TRUE(env_.GetChildren("/db", &names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"a"});
  env_.InjectError(FaultOp::kList, "/db");
  EXPECT_TRUE(env_.GetChildren("/db", &names).IsIOError());
  EXPECT_EQ(env_.injected_error_count(), 5u);
  EXPECT_EQ(env_.open_file_count(), 0u);
  env_.ClearErrors();
  EXPECT_EQ(ReadAll(&env_, "/db/a"), "A");
  ASSERT_TRUE(env_.GetFileSize("/db/a", &size).ok());
  EXPECT_EQ(size, 1u);
}

TEST_F(FaultEnvTest, FlipByteAndTruncateSurvivePowerLoss) {
  PutDurable(&env_, "/db/t", "abcdef", /*sync_dir=*/true);
  ASSERT_TRUE(env_.FlipByte("/db/t", 1, 0x20).ok());
  ASSERT_TRUE(env_.Truncate("/db/t", 4).ok());
  EXPECT_EQ(ReadAll(&env_, "/db/t"), "aBcd");
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/t"), "aBcd");
  EXPECT_TRUE(env_.FlipByte("/db/t", 4).IsInvalidArgument());
  EXPECT_TRUE(env_.Truncate("/db/t", 5).IsInvalidArgument());
  EXPECT_TRUE(env_.FlipByte("/db/none", 0).IsIOError());
}

TEST_F(FaultEnvTest, PreallocatedLogEndsInZerosAfterPowerLoss) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(&env_, "/db/1.log", 32, &file).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(file->Append("kept").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("gone").ok());
  file.reset();
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/1.log"), "kept" + std::string(28, '\0'));
}

TEST_F(FaultEnvTest, PartialWritebackKeepsAChosenPrefixOfEachFilesUnsyncedBytes) {
  std::unique_ptr<WritableFile> older;
  std::unique_ptr<WritableFile> newer;
  ASSERT_TRUE(NewPreallocatedWritableFile(&env_, "/db/1.log", 32, &older).ok());
  ASSERT_TRUE(env_.NewWritableFile("/db/2.log", &newer).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(older->Append("sync|").ok());
  ASSERT_TRUE(older->Sync().ok());
  ASSERT_TRUE(older->Append("abcdef").ok());
  ASSERT_TRUE(newer->Append("0123456789").ok());
  older.reset();
  newer.reset();
  std::vector<std::pair<std::string, uint64_t>> asked;
  env_.DropUnsyncedDataKeeping([&](const std::string& path, uint64_t unsynced_bytes) {
    asked.emplace_back(path, unsynced_bytes);
    return path == "/db/1.log" ? uint64_t{2} : uint64_t{100};  // more than there is: all of it
  });
  EXPECT_EQ(asked,
            (std::vector<std::pair<std::string, uint64_t>>{{"/db/1.log", 6}, {"/db/2.log", 10}}));
  // The older file lost its tail after "ab"; the newer kept everything.
  EXPECT_EQ(ReadAll(&env_, "/db/1.log"), "sync|ab" + std::string(25, '\0'));
  EXPECT_EQ(ReadAll(&env_, "/db/2.log"), "0123456789");
  // What survived counts as durable: a second power loss keeps it.
  env_.DropUnsyncedData();
  EXPECT_EQ(ReadAll(&env_, "/db/2.log"), "0123456789");
}

TEST_F(FaultEnvTest, PowerLossReleasesLocks) {
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env_.LockFile("/db/LOCK", &lock).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  env_.DropUnsyncedData();
  std::unique_ptr<FileLock> reopened;
  ASSERT_TRUE(env_.LockFile("/db/LOCK", &reopened).ok());
  ASSERT_TRUE(env_.UnlockFile(std::move(lock)).ok());  // the dead holder's unlock is harmless
  std::unique_ptr<FileLock> third;
  EXPECT_TRUE(env_.LockFile("/db/LOCK", &third).IsBusy());
  ASSERT_TRUE(env_.UnlockFile(std::move(reopened)).ok());
}

// Random appends, syncs and crashes: after each crash the file holds exactly
// what it held at its last successful Sync.
TEST_F(FaultEnvTest, RandomCrashesKeepExactlyTheSyncedBytes) {
  Random rnd(test::TestSeed());
  const uint64_t rounds = test::ScaledIterations(50);
  std::string durable;  // model of the synced contents
  for (uint64_t round = 0; round < rounds; ++round) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewAppendableFile("/db/f", &file).ok());
    ASSERT_TRUE(env_.SyncDir("/db").ok());
    std::string current = durable;
    const uint64_t steps = 1 + rnd.Uniform(20);
    for (uint64_t step = 0; step < steps; ++step) {
      const std::string piece(rnd.Skewed(10), static_cast<char>('a' + rnd.Uniform(26)));
      ASSERT_TRUE(file->Append(piece).ok());
      current += piece;
      if (rnd.OneIn(3)) {
        ASSERT_TRUE(file->Sync().ok());
        durable = current;
      }
    }
    ASSERT_TRUE(ReadAll(&env_, "/db/f") == current) << "round " << round;
    file.reset();
    env_.DropUnsyncedData();
    const std::string recovered = ReadAll(&env_, "/db/f");
    ASSERT_EQ(recovered.size(), durable.size()) << "round " << round;
    ASSERT_TRUE(recovered == durable) << "round " << round;
  }
}

}  // namespace
}  // namespace ziggydb
