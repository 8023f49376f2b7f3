#include "tools/cli_checks.h"

#include <charconv>
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

}  // namespace ziggydb::tools
