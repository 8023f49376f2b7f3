// Range checks for the numeric options of the `ziggy` subcommands.
//
// Register each with Option::transform, never Option::check: CLI11 (2.1) hands a check a copy of
// the text and then converts the original itself, integers with strtoull/strtoll in base 0 (so
// "010" is 8 and "0x10" is 16) and floating-point numbers with strtold (so "nan" and "inf" pass
// any comparison). These validators rewrite the text to the canonical form of the value they
// checked, so the option holds exactly that value.
#ifndef ZIGGYDB_TOOLS_CLI_CHECKS_H_
#define ZIGGYDB_TOOLS_CLI_CHECKS_H_

#include <cstdint>
#include <limits>

#include <CLI/CLI.hpp>

namespace ziggydb::tools {

// Accepts a decimal integer in [min, max], else fails with "must be an integer from MIN to MAX";
// rewrites it as plain decimal ("010" -> "10"). Use it for signed options too (all of ours are
// non-negative): unlike CLI::Range it accepts no sign, so strtoull cannot wrap "-1" to 2^64-1.
CLI::Validator IntegerRange(uint64_t min, uint64_t max);

// Any value of a 64-bit unsigned option (seeds, counts where 0 means "all").
inline CLI::Validator NonNegativeInteger() {
  return IntegerRange(0, std::numeric_limits<uint64_t>::max());
}

// Accepts a finite decimal number in [min, max], else fails with "must be a number from MIN to
// MAX"; rewrites it in the shortest form that reads back as the same double. CLI::Range cannot
// refuse "nan": every comparison with NaN is false.
CLI::Validator FiniteRange(double min, double max);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_CLI_CHECKS_H_
