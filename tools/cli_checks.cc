#include "tools/cli_checks.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include <fmt/core.h>

namespace ziggydb::tools {

CLI::Validator IntegerRange(uint64_t min, uint64_t max) {
  const std::string description = fmt::format("INT in [{} - {}]", min, max);
  return CLI::Validator(
      [min, max](std::string& input) -> std::string {
        uint64_t value = 0;
        const char* end = input.data() + input.size();
        // from_chars takes digits only: no sign, no spaces, no base prefix.
        const auto [ptr, ec] = std::from_chars(input.data(), end, value);
        if (input.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
          return fmt::format("'{}' must be an integer from {} to {}", input, min, max);
        }
        // Leading zeros would make CLI11's base-0 conversion read octal.
        input = std::to_string(value);
        return {};
      },
      description);
}

namespace {

// A bound as a person writes it: "10000000" rather than "1e+07", "0.001" as is.
std::string BoundText(double bound) {
  if (bound == std::floor(bound) && std::fabs(bound) < 1e15) return fmt::format("{:.0f}", bound);
  return fmt::format("{}", bound);
}

}  // namespace

CLI::Validator FiniteRange(double min, double max) {
  const std::string description = fmt::format("FLOAT in [{} - {}]", BoundText(min), BoundText(max));
  return CLI::Validator(
      [min, max](std::string& input) -> std::string {
        double value = 0;
        const char* end = input.data() + input.size();
        // General format: no sign '+', no hex; but "nan" and "inf" parse, hence isfinite.
        const auto [ptr, ec] =
            std::from_chars(input.data(), end, value, std::chars_format::general);
        if (input.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) ||
            value < min || value > max) {
          return fmt::format("'{}' must be a number from {} to {}", input, BoundText(min),
                             BoundText(max));
        }
        input = fmt::format("{}", value);
        return {};
      },
      description);
}

}  // namespace ziggydb::tools
