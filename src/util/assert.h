// Project assertions. Two tiers:
//   ZIGGY_ASSERT(cond)  — always on, in every build: cheap checks of our own invariants at module
//                         boundaries. A failure is a bug in ZiggyDB, never bad input: bytes read
//                         from disk are validated and reported as Status::Corruption instead.
//   ZIGGY_DASSERT(cond) — the expensive tier (full sortedness, re-decoding what was just encoded),
//                         on when ZIGGY_DEBUG_CHECKS is defined (the debug, asan and fuzz
//                         presets; the tsan and release presets leave it off).
#ifndef ZIGGYDB_UTIL_ASSERT_H_
#define ZIGGYDB_UTIL_ASSERT_H_

namespace ziggydb::detail {
[[noreturn]] void AssertionFailed(const char* condition, const char* file, int line);
}  // namespace ziggydb::detail

#define ZIGGY_ASSERT(cond)                                           \
  do {                                                               \
    if (!(cond)) [[unlikely]] {                                      \
      ::ziggydb::detail::AssertionFailed(#cond, __FILE__, __LINE__); \
    }                                                                \
  } while (false)

#ifdef ZIGGY_DEBUG_CHECKS
#define ZIGGY_DASSERT(cond) ZIGGY_ASSERT(cond)
inline constexpr bool kZiggyDebugChecks = true;
#else
#define ZIGGY_DASSERT(cond) \
  do {                      \
    (void)sizeof(cond);     \
  } while (false)
inline constexpr bool kZiggyDebugChecks = false;
#endif

#endif  // ZIGGYDB_UTIL_ASSERT_H_
