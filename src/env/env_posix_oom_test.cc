// The POSIX Env under std::bad_alloc: every allocation of a call that opens, creates or maps a
// file fails in turn, and the call must leave no file descriptor, no mapping and no file it
// created behind (env/posix_open_guard.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "env/mapped_file.h"
#include "env/posix_env.h"
#include "env/preallocated_file.h"
#include "testutil/failing_allocator.h"
#include "testutil/testutil.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

size_t OpenFdCount() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

bool Mapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(path) != std::string::npos;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(Env::Default()->NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append(data).ok());
  ASSERT_TRUE(file->Close().ok());
}

// Runs op with its n-th allocation failing, for n = 0, 1, ... until op runs through without the
// failure. After each failure: no descriptor more is open and after_failure() holds (checked
// with the injection off). op returns whether it succeeded; it must not keep what it opened.
void EveryAllocationFails(const std::function<bool()>& op,
                          const std::function<void(long n)>& after_failure) {
  for (long n = 0; n < 1000; ++n) {
    const size_t fds = OpenFdCount();
    bool threw = false;
    bool ok = false;
    test::ArmAllocationFailure(n);
    try {
      ok = op();
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    const bool injected = test::DisarmAllocationFailure();
    if (!injected) {
      EXPECT_TRUE(ok) << n;
      return;
    }
    EXPECT_TRUE(threw || !ok) << n;
    EXPECT_EQ(OpenFdCount(), fds) << "allocation " << n;
    after_failure(n);
  }
  ADD_FAILURE() << "never ran through";
}

TEST(PosixEnvOutOfMemory, CreatingAWritableFileLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.Join("new");
  for (const bool append : {false, true}) {
    EveryAllocationFails(
        [&] {
          std::unique_ptr<WritableFile> file;
          Status s = append ? Env::Default()->NewAppendableFile(path, &file)
                            : Env::Default()->NewWritableFile(path, &file);
          return s.ok();
        },
        [&](long n) { EXPECT_FALSE(Env::Default()->FileExists(path)) << n; });
    ASSERT_TRUE(Env::Default()->RemoveFile(path).ok());
  }
  // A file that was there already is kept.
  WriteFile(path, "old");
  EveryAllocationFails(
      [&] {
        std::unique_ptr<WritableFile> file;
        return Env::Default()->NewAppendableFile(path, &file).ok();
      },
      [&](long n) { EXPECT_TRUE(Env::Default()->FileExists(path)) << n; });
}

TEST(PosixEnvOutOfMemory, CreatingAPreallocatedFileLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.Join("000003.log");
  EveryAllocationFails(
      [&] {
        std::unique_ptr<WritableFile> file;
        return NewPreallocatedWritableFile(Env::Default(), path, uint64_t{1} << 20, &file).ok();
      },
      [&](long n) {
        EXPECT_FALSE(Env::Default()->FileExists(path)) << n;
        EXPECT_FALSE(Mapped(path)) << n;
      });
}

TEST(PosixEnvOutOfMemory, OpeningForReadingLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.Join("table");
  WriteFile(path, std::string(10000, 'x'));
  EveryAllocationFails(
      [&] {
        std::unique_ptr<SequentialFile> file;
        return Env::Default()->NewSequentialFile(path, &file).ok();
      },
      [](long) {});
  EveryAllocationFails(
      [&] {
        std::unique_ptr<RandomAccessFile> file;
        return Env::Default()->NewRandomAccessFile(path, &file).ok();
      },
      [](long) {});
  EveryAllocationFails(
      [&] {
        std::unique_ptr<RandomAccessFile> file;
        bool mapped = false;
        return NewMappedRandomAccessFile(Env::Default(), path, &file, &mapped).ok();
      },
      [&](long n) { EXPECT_FALSE(Mapped(path)) << n; });
}

TEST(PosixEnvOutOfMemory, ListingADirectoryLeavesNothing) {
  test::TempDir dir;
  for (int i = 0; i < 20; ++i)
    WriteFile(dir.Join("f" + std::to_string(i)), "x");
  EveryAllocationFails(
      [&] {
        std::vector<std::string> names;
        return Env::Default()->GetChildren(dir.path(), &names).ok();
      },
      [](long) {});
}

TEST(PosixEnvOutOfMemory, OpeningTheInfoLogLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.Join("LOG");
  EveryAllocationFails(
      [&] {
        std::shared_ptr<Logger> logger;
        return Env::Default()->NewLogger(path, &logger).ok();
      },
      [](long) {});
}

}  // namespace
}  // namespace ziggydb
