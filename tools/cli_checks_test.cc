// The numeric option validators: each option ends up holding exactly the value that was checked,
// never NaN or an infinity.
#include "tools/cli_checks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ziggydb::tools {
namespace {

// Parses `args` (without the program name) for an app with one option --n bound to *value.
template <typename T>
bool Parse(const std::string& args, const CLI::Validator& validator, T* value) {
  CLI::App app;
  app.add_option("--n", *value)->transform(validator);
  try {
    app.parse(args, /*program_name_included=*/false);
    return true;
  } catch (const CLI::ParseError&) {
    return false;
  }
}

TEST(IntegerRange, LeadingZerosAreDecimalNotOctal) {
  uint64_t value = 0;
  ASSERT_TRUE(Parse("--n 010", NonNegativeInteger(), &value));
  EXPECT_EQ(value, 10u);
  ASSERT_TRUE(Parse("--n 0009", IntegerRange(1, 100), &value));
  EXPECT_EQ(value, 9u);
  ASSERT_TRUE(Parse("--n 0", NonNegativeInteger(), &value));
  EXPECT_EQ(value, 0u);
  int threads = 0;  // a signed option
  ASSERT_TRUE(Parse("--n 010", IntegerRange(1, 64), &threads));
  EXPECT_EQ(threads, 10);
  std::optional<uint32_t> id;
  ASSERT_TRUE(Parse("--n 010", IntegerRange(1, UINT32_MAX), &id));
  EXPECT_EQ(id, 10u);
}

TEST(IntegerRange, RefusesWhatIsNotPlainDecimal) {
  uint64_t value = 0;
  for (const char* text :
       {"0x10", "-1", "+1", "1e3", "1.0", "' 1'", "'1 '", "''", "abc", "18446744073709551616"}) {
    EXPECT_FALSE(Parse(std::string("--n ") + text, NonNegativeInteger(), &value)) << text;
  }
}

TEST(IntegerRange, RefusesOutOfRangeAndKeepsTheBounds) {
  uint64_t value = 0;
  EXPECT_FALSE(Parse("--n 0", IntegerRange(1, 64), &value));
  EXPECT_FALSE(Parse("--n 65", IntegerRange(1, 64), &value));
  EXPECT_FALSE(Parse("--n 0100", IntegerRange(1, 64), &value));  // 100, not octal 64
  ASSERT_TRUE(Parse("--n 64", IntegerRange(1, 64), &value));
  EXPECT_EQ(value, 64u);
  ASSERT_TRUE(Parse("--n 18446744073709551615", NonNegativeInteger(), &value));
  EXPECT_EQ(value, UINT64_MAX);
  std::string text = "-1";
  EXPECT_EQ(IntegerRange(0, 5)(text), "'-1' must be an integer from 0 to 5");
}

TEST(FiniteRange, RefusesNanAndInfinity) {
  double value = 1;
  for (const char* text : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e400", "0x1p3", "+1",
                           "''", "1s", "' 1'"}) {
    EXPECT_FALSE(Parse(std::string("--n ") + text, FiniteRange(0, 1e9), &value)) << text;
  }
  std::optional<double> seconds;
  EXPECT_FALSE(Parse("--n nan", FiniteRange(0, 1e7), &seconds));
  std::string text = "nan";
  EXPECT_EQ(FiniteRange(0.001, 86400)(text), "'nan' must be a number from 0.001 to 86400");
}

TEST(FiniteRange, KeepsTheValueChecked) {
  double value = 0;
  ASSERT_TRUE(Parse("--n 0.5", FiniteRange(0.001, 86400), &value));
  EXPECT_EQ(value, 0.5);
  ASSERT_TRUE(Parse("--n 1e-3", FiniteRange(0.001, 86400), &value));
  EXPECT_EQ(value, 0.001);
  ASSERT_TRUE(Parse("--n 010", FiniteRange(0, 100), &value));
  EXPECT_EQ(value, 10.0);
  ASSERT_TRUE(Parse("--n 86400", FiniteRange(0.001, 86400), &value));
  EXPECT_EQ(value, 86400.0);
  EXPECT_FALSE(Parse("--n 86400.5", FiniteRange(0.001, 86400), &value));
  EXPECT_FALSE(Parse("--n 0", FiniteRange(0.001, 86400), &value));
  EXPECT_FALSE(Parse("--n -1", FiniteRange(0, 86400), &value));
  std::optional<double> seconds;
  ASSERT_TRUE(Parse("--n 0", FiniteRange(0, 1e7), &seconds));
  EXPECT_EQ(seconds, 0.0);
}

}  // namespace
}  // namespace ziggydb::tools
