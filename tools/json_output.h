// `--json` output of the `ziggy` subcommands: one JSON object per line on stdout (docs/cli.md,
// "JSON output"). Byte strings from the DB (keys) go in as their escaped form (ASCII, lossless);
// any other text that is not UTF-8 (a path, say) has its bad bytes replaced by U+FFFD rather than
// failing the dump.
#ifndef ZIGGYDB_TOOLS_JSON_OUTPUT_H_
#define ZIGGYDB_TOOLS_JSON_OUTPUT_H_

#include <cstdio>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace ziggydb::tools {

inline void PrintJson(const nlohmann::json& object) {
  fmt::print("{}\n", object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::fflush(stdout);
}

// The number under `key`, or 0 when the field is absent or not a number (the lines of skipped or
// failed runs lack most fields).
inline double JsonNumber(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_JSON_OUTPUT_H_
