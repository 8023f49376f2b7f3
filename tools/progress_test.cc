// Progress bars and Ctrl-C handling of the long ziggy commands.
#include "tools/progress.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace ziggydb::tools {
namespace {

TEST(Progress, HumanUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(uint64_t{3} << 30), "3.0 GiB");
  EXPECT_EQ(HumanDuration(0), "0:00");
  EXPECT_EQ(HumanDuration(7.4), "0:07");
  EXPECT_EQ(HumanDuration(3909), "1:05:09");
}

TEST(Progress, DisabledBarCountsAndDrawsNothing) {
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("x", 100, /*enabled=*/false, ProgressUnit::kBytes);
    bar.Advance(30);
    bar.Advance(12);
    EXPECT_EQ(bar.done(), 42u);
    EXPECT_EQ(bar.total(), 100u);
    bar.Finish();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, EnabledBarEndsItsLineOnce) {
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("verify", 2048, /*enabled=*/true, ProgressUnit::kBytes);
    bar.Advance(2048);
    bar.Finish();
    bar.Finish();
  }
  const std::string drawn = testing::internal::GetCapturedStderr();
  EXPECT_NE(drawn.find("verify ["), std::string::npos) << drawn;
  EXPECT_NE(drawn.find("100.0% 2.0 KiB/2.0 KiB"), std::string::npos) << drawn;
  EXPECT_EQ(drawn.back(), '\n');
  EXPECT_EQ(drawn.find('\n'), drawn.size() - 1) << "the line ended more than once";
}

// A stderr that cannot be written (`2>/dev/full`) loses the bar and nothing else: no exception,
// so no std::terminate from the destructor while a failing command unwinds.
TEST(Progress, UnwritableStderrNeitherThrowsNorAborts) {
  const int full = open("/dev/full", O_WRONLY);
  if (full < 0) GTEST_SKIP() << "no /dev/full";
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(dup2(full, STDERR_FILENO), STDERR_FILENO);
  close(full);
  bool threw = false;
  try {
    ProgressBar bar("dump", 1000, /*enabled=*/true, ProgressUnit::kBytes);
    bar.Advance(500);
    bar.Finish();
    ProgressBar unfinished("dump", 0, /*enabled=*/true);  // its destructor draws
    unfinished.Advance(7);
  } catch (...) {
    threw = true;
  }
  std::clearerr(stderr);
  ASSERT_EQ(dup2(saved, STDERR_FILENO), STDERR_FILENO);
  close(saved);
  EXPECT_FALSE(threw);
}

TEST(Progress, SignalsSetTheFlagOnlyInsideTheScope) {
  struct sigaction before = {};
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &before), 0);
  {
    const InterruptScope scope;
    EXPECT_FALSE(InterruptRequested());
    ASSERT_EQ(raise(SIGTERM), 0);  // handled: the process lives on
    EXPECT_TRUE(InterruptRequested());
  }
  struct sigaction after = {};
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler) << "the previous handler was not restored";
  const InterruptScope again;
  EXPECT_FALSE(InterruptRequested()) << "a new scope starts uninterrupted";
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_TRUE(InterruptRequested());
}

}  // namespace
}  // namespace ziggydb::tools
