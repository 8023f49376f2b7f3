// Helpers for tests: scratch directories, reproducible seeds, whole-file reads.
#ifndef ZIGGYDB_TESTS_TESTUTIL_TESTUTIL_H_
#define ZIGGYDB_TESTS_TESTUTIL_TESTUTIL_H_

#include <cstdint>
#include <string>

namespace ziggydb {
class Env;
}

namespace ziggydb::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The seed for a randomized test: $ZIGGY_TEST_SEED if set, else derived from the clock. Printed
// (with the test's name) so a failing run can be replayed with ZIGGY_TEST_SEED=<seed>.
uint64_t TestSeed();

// Scales a randomized test's iteration count: $ZIGGY_TEST_SCALE (default 1) times base. `make
// stress` raises it.
uint64_t ScaledIterations(uint64_t base);

// True in the ASan and TSan builds (GCC's macros; the sanitizer presets use GCC). There a model
// test's iteration runs ~3-10x slower (the sanitizer and the debug-tier checks), so the longest
// ones run a third of their iterations; the release stage of `make test` runs them all.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif

// The whole content of `path` read through `env`; empty if it cannot be opened (a read error
// ends the content where it occurred).
std::string ReadAll(Env* env, const std::string& path);

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_TESTUTIL_TESTUTIL_H_
