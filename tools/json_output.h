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

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_JSON_OUTPUT_H_
