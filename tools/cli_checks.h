// Range checks for the numeric options of the `ziggy` subcommands.
#ifndef ZIGGYDB_TOOLS_CLI_CHECKS_H_
#define ZIGGYDB_TOOLS_CLI_CHECKS_H_

#include <cstdint>
#include <limits>

#include <CLI/CLI.hpp>

namespace ziggydb::tools {

// Accepts a decimal integer in [min, max], else fails with "must be an integer from MIN to MAX".
// Unsigned options need it rather than CLI::Range: CLI11 converts them with strtoull, which turns
// "-1" into 2^64-1, so a Range reaching the type's maximum would accept it.
CLI::Validator IntegerRange(uint64_t min, uint64_t max);

// Any value of a 64-bit unsigned option (seeds, counts where 0 means "all").
inline CLI::Validator NonNegativeInteger() {
  return IntegerRange(0, std::numeric_limits<uint64_t>::max());
}

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_CLI_CHECKS_H_
