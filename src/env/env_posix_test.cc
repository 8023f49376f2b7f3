#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "env/posix_env.h"
#include "env/preallocated_file.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

std::string ReadWhole(Env* env, const std::string& path) {
  std::unique_ptr<SequentialFile> file;
  EXPECT_TRUE(env->NewSequentialFile(path, &file).ok());
  std::string out;
  std::vector<char> scratch(1000);
  while (true) {
    std::string_view chunk;
    EXPECT_TRUE(file->Read(scratch.size(), &chunk, scratch.data()).ok());
    if (chunk.empty()) break;
    out.append(chunk);
  }
  return out;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(Env* env, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
}

TEST(PosixEnv, WritesThenReadsSequentiallyAndAtOffsets) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("data");
  std::string expected;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  // Small appends accumulate in the buffer, a large one bypasses it; order must be preserved.
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    expected += piece;
    ASSERT_TRUE(file->Append(piece).ok());
  }
  const std::string big(200 * 1024, 'b');
  expected += big;
  ASSERT_TRUE(file->Append(big).ok());
  ASSERT_TRUE(file->Append("tail").ok());
  expected += "tail";
  ASSERT_TRUE(file->Close().ok());

  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  EXPECT_EQ(size, expected.size());
  EXPECT_EQ(ReadWhole(env, path), expected);

  std::unique_ptr<RandomAccessFile> random;
  ASSERT_TRUE(env->NewRandomAccessFile(path, &random).ok());
  char scratch[16];
  std::string_view got;
  ASSERT_TRUE(random->Read(4, 5, &got, scratch).ok());
  EXPECT_EQ(got, expected.substr(4, 5));
  ASSERT_TRUE(random->Read(expected.size() - 2, 10, &got, scratch).ok());
  EXPECT_EQ(got, "il");  // short read at the end of the file
}

TEST(PosixEnv, SequentialSkipAndAppendableFile) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("log");
  WriteFile(env, path, "hello");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewAppendableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(" world").ok());
  ASSERT_TRUE(file->Close().ok());
  std::unique_ptr<SequentialFile> seq;
  ASSERT_TRUE(env->NewSequentialFile(path, &seq).ok());
  ASSERT_TRUE(seq->Skip(6).ok());
  char scratch[32];
  std::string_view got;
  ASSERT_TRUE(seq->Read(sizeof(scratch), &got, scratch).ok());
  EXPECT_EQ(got, "world");
}

TEST(PosixEnv, RenameRemoveChildrenAndDirs) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string sub = dir.Join("sub");
  ASSERT_TRUE(env->CreateDir(sub).ok());
  ASSERT_TRUE(env->CreateDir(sub).ok());  // existing directory is fine
  WriteFile(env, sub + "/a", "A");
  WriteFile(env, sub + "/b", "B");
  ASSERT_TRUE(env->RenameFile(sub + "/a", sub + "/b").ok());  // replaces b
  EXPECT_FALSE(env->FileExists(sub + "/a"));
  EXPECT_EQ(ReadWhole(env, sub + "/b"), "A");
  WriteFile(env, sub + "/c", "C");
  std::vector<std::string> names;
  ASSERT_TRUE(env->GetChildren(sub, &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(env->SyncDir(sub).ok());
  EXPECT_FALSE(env->RemoveDir(sub).ok());  // not empty
  ASSERT_TRUE(env->RemoveFile(sub + "/b").ok());
  ASSERT_TRUE(env->RemoveFile(sub + "/c").ok());
  EXPECT_TRUE(env->RemoveDir(sub).ok());
  EXPECT_FALSE(env->FileExists(sub));
}

TEST(PosixEnv, ErrorsNameThePathAndTheCause) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string missing = dir.Join("missing");
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(missing, &file);
  ASSERT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find(missing), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("No such file"), std::string::npos) << s.ToString();
  uint64_t size = 0;
  EXPECT_TRUE(env->GetFileSize(missing, &size).IsIOError());
  EXPECT_TRUE(env->RemoveFile(missing).IsIOError());
  EXPECT_TRUE(env->RenameFile(missing, dir.Join("x")).IsIOError());
  EXPECT_TRUE(env->SyncDir(missing).IsIOError());
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(missing, &names).IsNotFound());
}

TEST(PosixEnv, UnlockingAForeignOrNullLockIsInvalidArgument) {
  class ForeignLock final : public FileLock {};
  Env* env = Env::Default();
  EXPECT_TRUE(env->UnlockFile(nullptr).IsInvalidArgument());
  EXPECT_TRUE(env->UnlockFile(std::make_unique<ForeignLock>()).IsInvalidArgument());
}

// Only ENOENT is "not found": a regular file where a directory should be (ENOTDIR) is an IOError
// that says so, for listing and for the lock. (EACCES cannot be produced as root; the DB's
// handling of it is tested through an Env in db_open_test.cc.)
TEST(PosixEnv, NotADirectoryIsAnIOErrorNamingTheCause) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string file = dir.Join("file");
  WriteFile(env, file, "x");
  std::vector<std::string> names;
  for (const std::string& path : {file, file + "/below"}) {
    Status s = env->GetChildren(path, &names);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find("Not a directory"), std::string::npos) << s.ToString();
  }
  std::unique_ptr<FileLock> lock;
  Status s = env->LockFile(file + "/LOCK", &lock);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("Not a directory"), std::string::npos) << s.ToString();
  // A failed open leaves the in-process lock table clean: the path is not "held".
  EXPECT_TRUE(env->LockFile(file + "/LOCK", &lock).IsIOError());
}

TEST(PosixEnv, FailedWriteIsStickyAndSaysDataMayBeLost) {
  Env* env = Env::Default();
  std::unique_ptr<WritableFile> file;
  // /dev/full fails every write with ENOSPC.
  ASSERT_TRUE(env->NewAppendableFile("/dev/full", &file).ok());
  ASSERT_TRUE(file->Append("buffered").ok());
  Status first = file->Sync();
  ASSERT_TRUE(first.IsIOError());
  EXPECT_NE(first.ToString().find("/dev/full"), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    Status later = i == 0 ? file->Append("x") : (i == 1 ? file->Flush() : file->Sync());
    ASSERT_TRUE(later.IsIOError());
    EXPECT_NE(later.ToString().find("may be lost"), std::string::npos) << later.ToString();
  }
  EXPECT_TRUE(file->Close().IsIOError());
}

TEST(PosixEnv, PreallocateKeepsTheVisibleSize) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("wal");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Preallocate(1 << 20).ok());
  ASSERT_TRUE(file->Sync().ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  EXPECT_EQ(size, 3u);
  ASSERT_TRUE(file->Close().ok());
}

TEST(PosixEnv, PreallocatedFileIsZeroFilledWrittenInPlaceAndTrimmedOnClose) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("wal");
  constexpr uint64_t kReserveBytes = 4096;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(env, path, kReserveBytes, &file).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  EXPECT_EQ(size, kReserveBytes);
  ASSERT_TRUE(file->Append("record1").ok());
  ASSERT_TRUE(file->Sync().ok());
  std::string contents = ReadWhole(env, path);
  ASSERT_EQ(contents.size(), kReserveBytes);
  EXPECT_EQ(contents.substr(0, 7), "record1");
  EXPECT_EQ(contents.find_first_not_of('\0', 7), std::string::npos);  // the tail reads as zeros

  // Writing past the reservation grows it by another step.
  const std::string big(kReserveBytes + 100, 'z');
  ASSERT_TRUE(file->Append(big).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  EXPECT_GE(size, 7 + big.size());
  EXPECT_EQ(size % kReserveBytes, 0u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadWhole(env, path), "record1" + big);
}

// Runs `body` in a forked child whose files may not grow past limit_bytes (RLIMIT_FSIZE: a
// reservation or write beyond it fails with EFBIG, as one on a full disk fails with ENOSPC) and
// returns its exit code: 0 when body returned 0, else the step body reported failing.
int RunWithFileSizeLimit(uint64_t limit_bytes, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);  // the error, not the signal
    const rlimit limit{limit_bytes, limit_bytes};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(100);
    _exit(body());
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

// Space short of the requested reservation: the file reserves what fits (halving the request),
// and works; with less than the smallest reservation it is a plain appending file. A write that
// truly does not fit fails as an IOError.
TEST(PosixEnv, PreallocatedFileReservesWhatFitsOrFallsBackToAppending) {
  test::TempDir dir;
  Env* env = Env::Default();
  constexpr uint64_t kRequestBytes = uint64_t{64} << 20;
  const std::string record(1000, 'r');
  const auto write_and_check = [&](const std::string& path, uint64_t limit_bytes,
                                   bool expect_reservation) {
    std::unique_ptr<WritableFile> file;
    if (!NewPreallocatedWritableFile(env, path, kRequestBytes, &file).ok()) return 1;
    uint64_t size = 0;
    if (!env->GetFileSize(path, &size).ok()) return 2;
    if (expect_reservation ? (size == 0 || size > limit_bytes) : size != 0) return 3;
    if (!file->Append(record).ok() || !file->Sync().ok()) return 4;
    if (file->Append(std::string(limit_bytes, 'x')).ok() && file->Sync().ok()) return 5;
    file->Close().PermitUncheckedError();
    std::unique_ptr<SequentialFile> in;
    if (!env->NewSequentialFile(path, &in).ok()) return 6;
    std::string scratch(record.size(), '\0');
    std::string_view got;
    if (!in->Read(record.size(), &got, scratch.data()).ok() || got != record) return 7;
    return 0;
  };
  constexpr uint64_t kRoomBytes = uint64_t{1} << 20;
  EXPECT_EQ(
      RunWithFileSizeLimit(kRoomBytes,
                           [&] { return write_and_check(dir.Join("reserved"), kRoomBytes, true); }),
      0);
  constexpr uint64_t kTooLittleBytes = uint64_t{100} << 10;
  EXPECT_EQ(RunWithFileSizeLimit(
                kTooLittleBytes,
                [&] { return write_and_check(dir.Join("plain"), kTooLittleBytes, false); }),
            0);
}

// Bytes of address space this process has mapped (VmSize), 0 if unknown.
uint64_t MappedAddressSpaceBytes() {
  std::istringstream status(ReadTextFile("/proc/self/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmSize:")) return std::stoull(line.substr(7)) * 1024;  // "... kB"
  }
  return 0;
}

// A reservation that cannot be mapped (mmap fails: here no address space is left for it) makes
// an ordinary appending file rather than failing the log's creation.
TEST(PosixEnv, PreallocatedFileThatCannotBeMappedIsAPlainFile) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "an address-space limit breaks the sanitizer's own mappings";
#endif
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("000005.log");
  const pid_t pid = fork();
  if (pid == 0) {
    const uint64_t mapped = MappedAddressSpaceBytes();
    if (mapped == 0) _exit(100);
    // Room for malloc, not for the 64 MiB mapping.
    const rlimit limit{mapped + (uint64_t{16} << 20), RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(101);
    std::unique_ptr<WritableFile> file;
    if (!NewPreallocatedWritableFile(env, path, uint64_t{64} << 20, &file).ok()) _exit(1);
    if (!file->Append("record").ok() || !file->Sync().ok() || !file->Close().ok()) _exit(2);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadWhole(env, path), "record");
}

// A log synced every few records takes the pwrite and zero-ahead detours of the mapped writer
// (posix_mapped_file.h); one appended in bulk stores through the mapping. Whatever the mix, the
// file holds exactly the appended bytes followed by zeros, keeps its reserved size while open,
// and is trimmed to the data on Close.
TEST(PosixEnv, PreallocatedFileKeepsItsBytesAcrossMappedStoresPwritesAndZeroAhead) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("wal");
  constexpr uint64_t kReserveBytes = 256 * 1024;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(NewPreallocatedWritableFile(env, path, kReserveBytes, &file).ok());
  Random rnd(test::TestSeed());
  std::string expected;
  for (int step = 0; step < 400; ++step) {
    const bool bulk = rnd.OneIn(8);  // an unsynced run long enough to leave the synced page
    const size_t bytes = bulk ? 5000 + rnd.Uniform(9000) : 1 + rnd.Uniform(1500);
    std::string data(bytes, '\0');
    for (char& c : data)
      c = static_cast<char>('a' + rnd.Uniform(26));
    ASSERT_TRUE(file->Append(data).ok());
    expected += data;
    if (!bulk && !rnd.OneIn(4)) {
      ASSERT_TRUE(file->Sync().ok());
    }
    if (step % 50 == 49) {
      const std::string contents = ReadWhole(env, path);
      ASSERT_EQ(contents.size() % kReserveBytes, 0u);
      ASSERT_EQ(contents.substr(0, expected.size()), expected) << "step " << step;
      EXPECT_EQ(contents.find_first_not_of('\0', expected.size()), std::string::npos);
    }
  }
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadWhole(env, path), expected);
}

TEST(PosixEnv, LockExcludesASecondOpenerInThisProcess) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env->LockFile(path, &lock).ok());
  std::unique_ptr<FileLock> second;
  Status s = env->LockFile(path, &second);
  ASSERT_TRUE(s.IsBusy());
  EXPECT_NE(s.ToString().find("held by another process/opener"), std::string::npos);
  ASSERT_TRUE(env->UnlockFile(std::move(lock)).ok());
  ASSERT_TRUE(env->LockFile(path, &second).ok());
  ASSERT_TRUE(env->UnlockFile(std::move(second)).ok());
}

// Exit code of a forked child that tries to take the lock: 0 taken, 1 refused, 2 other error.
int ChildTryLock(const std::string& path) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<FileLock> lock;
    Status s = Env::Default()->LockFile(path, &lock);
    _exit(s.ok() ? 0 : (s.IsBusy() ? 1 : 2));
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

TEST(PosixEnv, LockExcludesAnotherProcess) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env->LockFile(path, &lock).ok());
  EXPECT_EQ(ChildTryLock(path), 1);
  ASSERT_TRUE(env->UnlockFile(std::move(lock)).ok());
  EXPECT_EQ(ChildTryLock(path), 0);

  // A child holding the lock (this process's lock table knows nothing of it): flock refuses us.
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<FileLock> child_lock;
    const char locked = Env::Default()->LockFile(path, &child_lock).ok() ? 'y' : 'n';
    (void)!write(to_parent[1], &locked, 1);
    char done;
    (void)!read(to_child[0], &done, 1);  // hold the lock until the parent has tried
    _exit(0);
  }
  char locked = 0;
  ASSERT_EQ(read(to_parent[0], &locked, 1), 1);
  ASSERT_EQ(locked, 'y');
  Status s = env->LockFile(path, &lock);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  ASSERT_EQ(write(to_child[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]})
    close(fd);
  // The child's exit released its flock.
  ASSERT_TRUE(env->LockFile(path, &lock).ok());
  ASSERT_TRUE(env->UnlockFile(std::move(lock)).ok());
}

// Checks "YYYY/MM/DD-HH:MM:SS.uuuuuu <tid> <text>" and extracts text.
bool ParseLogLine(const std::string& line, std::string* text) {
  const std::string_view shape = "dddd/dd/dd-dd:dd:dd.dddddd ";
  if (line.size() < shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const bool ok = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(line[i])) != 0
                                    : line[i] == shape[i];
    if (!ok) return false;
  }
  size_t pos = shape.size();
  const size_t tid_begin = pos;
  while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos])) != 0)
    ++pos;
  if (pos == tid_begin || pos >= line.size() || line[pos] != ' ') return false;
  *text = line.substr(pos + 1);
  return true;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);)
    lines.push_back(line);
  return lines;
}

TEST(PosixLogger, StampsEachLineAndKeepsThePreviousFileAsOld) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("LOG");
  WriteFile(env, path, "previous run\n");
  std::shared_ptr<Logger> logger;
  ASSERT_TRUE(env->NewLogger(path, &logger).ok());
  logger->Log("opened db");
  logger->Log("second");
  logger.reset();
  EXPECT_EQ(ReadTextFile(path + ".old"), "previous run\n");
  const std::vector<std::string> lines = SplitLines(ReadTextFile(path));
  ASSERT_EQ(lines.size(), 2u);
  std::string text;
  ASSERT_TRUE(ParseLogLine(lines[0], &text)) << lines[0];
  EXPECT_EQ(text, "opened db");
  ASSERT_TRUE(ParseLogLine(lines[1], &text)) << lines[1];
  EXPECT_EQ(text, "second");
}

TEST(PosixLogger, RotatesPastTheLimitAndNeverInterleavesLines) {
  test::TempDir dir;
  const std::string path = dir.Join("LOG");
  constexpr uint64_t kRotateBytes = 4096;
  std::shared_ptr<Logger> logger;
  ASSERT_TRUE(NewPosixLogger(path, kRotateBytes, &logger).ok());
  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLinesPerThread; ++i)
        logger->Log("thread " + std::to_string(t) + " line " + std::to_string(i) + " payload");
    });
  }
  for (auto& thread : threads)
    thread.join();
  logger.reset();
  const std::string current = ReadTextFile(path);
  const std::string old = ReadTextFile(path + ".old");
  EXPECT_LE(current.size(), kRotateBytes);
  EXPECT_LE(old.size(), kRotateBytes);
  EXPECT_FALSE(old.empty());  // 800 lines of ~60 bytes cannot fit in 4 KiB: it rotated
  for (const std::string& text : {old, current}) {
    for (const std::string& line : SplitLines(text)) {
      std::string text;
      ASSERT_TRUE(ParseLogLine(line, &text)) << line;
      EXPECT_EQ(text.rfind("thread ", 0), 0u) << text;
      EXPECT_EQ(text.substr(text.size() - 8), " payload") << text;
    }
  }
}

// A rotation whose rename fails (here LOG.old is a non-empty directory) keeps writing to the
// current file: no line is lost to a truncation.
TEST(PosixLogger, AFailedRotationTruncatesNothing) {
  test::TempDir dir;
  const std::string path = dir.Join("LOG");
  std::shared_ptr<Logger> logger;
  ASSERT_TRUE(NewPosixLogger(path, 256, &logger).ok());
  ASSERT_EQ(mkdir((path + ".old").c_str(), 0755), 0);
  WriteFile(Env::Default(), path + ".old/keep", "x");
  constexpr int kLines = 20;  // ~60 bytes each: several rotations due
  for (int i = 0; i < kLines; ++i)
    logger->Log("line " + std::to_string(i));
  logger.reset();
  const std::vector<std::string> lines = SplitLines(ReadTextFile(path));
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  std::string text;
  ASSERT_TRUE(ParseLogLine(lines.front(), &text));
  EXPECT_EQ(text, "line 0");
}

TEST(PosixEnv, ClocksAdvance) {
  Env* env = Env::Default();
  const uint64_t a = env->NowMicros();
  const uint64_t b = env->NowMicros();
  EXPECT_LE(a, b);
  EXPECT_GT(env->WallMicros(), uint64_t{1600000000} * 1000000);  // after September 2020
}

}  // namespace
}  // namespace ziggydb
