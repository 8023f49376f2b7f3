#include "env/kill_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ziggydb {
namespace {

struct ArmedPoint {
  std::string name;  // empty: nothing armed
  uint64_t pass = 1;
  std::atomic<uint64_t> passes{0};
};

ArmedPoint* ParseArmedPoint() {
  auto* armed = new ArmedPoint;
  const char* env = std::getenv("ZIGGY_KILL_POINT");
  if (env == nullptr || *env == '\0') return armed;
  const std::string_view value(env);
  const size_t at = value.find('@');
  const std::string_view name = value.substr(0, at);
  bool ok = false;
  for (std::string_view known : kKillPointNames)
    ok = ok || known == name;
  if (ok && at != std::string_view::npos) {
    const std::string_view n = value.substr(at + 1);
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), armed->pass);
    ok = ec == std::errc() && end == n.data() + n.size() && armed->pass > 0;
  }
  if (!ok) {
    std::fprintf(stderr, "ZIGGY_KILL_POINT='%s' names no kill point; none armed\n", env);
    return armed;
  }
  armed->name = std::string(name);
  return armed;
}

ArmedPoint& Armed() {
  // Never freed: a kill point may be passed by a background thread during exit.
  static ArmedPoint* const armed = ParseArmedPoint();
  return *armed;
}

void CountPass(ArmedPoint& armed) {
  if (armed.passes.fetch_add(1, std::memory_order_relaxed) + 1 == armed.pass)
    ::kill(::getpid(), SIGKILL);
}

}  // namespace

bool KillPointsCompiledIn() {
#ifdef ZIGGY_KILL_POINTS
  return true;
#else
  return false;
#endif
}

std::string_view KillPointFileKind(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base == "CURRENT") return "current";
  if (base.starts_with("MANIFEST-")) return "manifest";
  if (base.ends_with(".log")) return "wal";
  if (base.ends_with(".sst")) return "table";
  if (base.ends_with(".dbtmp")) return "temp";
  return "other";
}

void PassKillPoint(std::string_view op, std::string_view path) {
  ArmedPoint& armed = Armed();
  if (armed.name.empty()) return;
  const std::string_view kind = op == "syncdir" ? std::string_view("dir") : KillPointFileKind(path);
  const std::string_view name = armed.name;
  if (name.size() != op.size() + 1 + kind.size() || !name.starts_with(op) ||
      name[op.size()] != ':' || !name.ends_with(kind))
    return;
  CountPass(armed);
}

void PassNamedKillPoint(std::string_view name) {
  ArmedPoint& armed = Armed();
  if (!armed.name.empty() && armed.name == name) CountPass(armed);
}

}  // namespace ziggydb
