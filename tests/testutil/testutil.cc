#include "testutil/testutil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/env.h"

namespace ziggydb::test {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/ziggydb-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

uint64_t TestSeed() {
  uint64_t seed = 0;
  if (const char* env = std::getenv("ZIGGY_TEST_SEED"); env != nullptr) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::fprintf(stderr, "[ seed ] %s.%s ZIGGY_TEST_SEED=%llu\n",
               info != nullptr ? info->test_suite_name() : "?",
               info != nullptr ? info->name() : "?", static_cast<unsigned long long>(seed));
  return seed;
}

uint64_t ScaledIterations(uint64_t base) {
  uint64_t scale = 1;
  if (const char* env = std::getenv("ZIGGY_TEST_SCALE"); env != nullptr) {
    scale = std::strtoull(env, nullptr, 10);
    if (scale == 0) scale = 1;
  }
  return base * scale;
}

std::string ReadAll(Env* env, const std::string& path) {
  std::unique_ptr<SequentialFile> file;
  if (!env->NewSequentialFile(path, &file).ok()) return "";
  std::string out;
  std::string scratch(1 << 16, '\0');
  std::string_view got;
  while (file->Read(scratch.size(), &got, scratch.data()).ok() && !got.empty())
    out.append(got);
  return out;
}

}  // namespace ziggydb::test
