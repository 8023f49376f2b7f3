#include "tools/bench/memory_cap.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "tools/cli_util.h"

namespace ziggydb::bench {
namespace {

constexpr const char* kV1Root = "/sys/fs/cgroup/memory";
constexpr const char* kV2Root = "/sys/fs/cgroup";

// Writes `text` to a cgroup control file in one write, as the kernel expects.
Status WriteControl(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) return Status::IOError("cannot open " + path, std::strerror(errno));
  out << text << std::flush;
  if (!out) return Status::IOError("cannot write '" + text + "' to " + path, std::strerror(errno));
  return Status::OK();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Groups left by runs that were killed (an out-of-memory kill inside the cap skips the
// destructor): "ziggy-bench-<pid>" with no process <pid>. rmdir fails on a group still in use.
void RemoveStaleGroups(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "ziggy-bench-";
    if (!entry.is_directory(ec) || !name.starts_with(kPrefix)) continue;
    if (std::filesystem::exists("/proc/" + name.substr(kPrefix.size()), ec)) continue;
    if (::rmdir(entry.path().c_str()) == 0) {
      tools::PrintToStderr("ziggy bench: removed the memory cgroup of a killed run: {}\n",
                           entry.path().string());
    }
  }
}

}  // namespace

std::string MemoryGroupOf(std::string_view proc_cgroup, bool* v2) {
  std::string unified;
  bool have_unified = false;
  std::istringstream in{std::string(proc_cgroup)};
  std::string line;
  while (std::getline(in, line)) {
    // hierarchy-id:controllers:path, the path may hold ':'.
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty() && line.compare(0, first, "0") == 0) {
      unified = path;
      have_unified = true;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ','))
      if (name == "memory") {
        *v2 = false;
        return path;
      }
  }
  *v2 = have_unified;
  return unified;
}

Status MemoryCap::Create(uint64_t limit_bytes, std::unique_ptr<MemoryCap>* cap) {
  cap->reset();
  bool v2 = false;
  const std::string group = MemoryGroupOf(ReadFile("/proc/self/cgroup"), &v2);
  const std::string root = v2 ? kV2Root : kV1Root;
  if (group.empty() || !std::filesystem::exists(root + "/cgroup.procs")) {
    return Status::NotSupported("no memory cgroup hierarchy", std::string("neither ") + kV1Root +
                                                                  " nor " + kV2Root + " (unified)");
  }
  if (v2 && ReadFile(root + "/cgroup.controllers").find("memory") == std::string::npos) {
    return Status::NotSupported("the unified cgroup hierarchy has no memory controller", root);
  }
  // v2 allows processes in leaves only: the new group is a sibling of the current one.
  const std::string parent = v2 ? std::filesystem::path(root + group).parent_path().string() : root;
  RemoveStaleGroups(parent);
  const std::string dir = fmt::format("{}/ziggy-bench-{}", parent, ::getpid());
  std::error_code ec;
  if (!std::filesystem::create_directory(dir, ec)) {
    return Status::IOError("cannot create memory cgroup " + dir,
                           ec ? ec.message() : "it exists already");
  }
  std::unique_ptr<MemoryCap> made(new MemoryCap(dir, root + group, v2));
  Status s = WriteControl(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"),
                          std::to_string(limit_bytes));
  if (s.ok() && v2) s = WriteControl(dir + "/memory.swap.max", "0");
  if (s.ok()) s = WriteControl(dir + "/cgroup.procs", std::to_string(::getpid()));
  if (!s.ok()) return s;  // the destructor removes the group
  *cap = std::move(made);
  return Status::OK();
}

MemoryCap::~MemoryCap() {
  // Back home first: a group with a process in it cannot be removed.
  WriteControl(home_ + "/cgroup.procs", std::to_string(::getpid())).PermitUncheckedError();
  if (::rmdir(dir_.c_str()) != 0) {
    tools::PrintToStderr("ziggy bench: cannot remove memory cgroup {}: {}\n", dir_,
                         std::strerror(errno));
  }
}

Status MemoryCap::DropCache() {
  if (v2_) {
    // Ask for far more than the group holds; the kernel reclaims what it can and says EAGAIN.
    Status s = WriteControl(dir_ + "/memory.reclaim", std::to_string(uint64_t{1} << 40));
    return s.ok() || s.ToString().find(std::strerror(EAGAIN)) != std::string::npos ? Status::OK()
                                                                                   : s;
  }
  Status s = WriteControl(dir_ + "/memory.force_empty", "0");
  return s.ok() || s.ToString().find(std::strerror(EBUSY)) != std::string::npos ? Status::OK() : s;
}

uint64_t MemoryCap::UsageBytes() const {
  std::ifstream in(dir_ + (v2_ ? "/memory.current" : "/memory.usage_in_bytes"));
  uint64_t bytes = 0;
  return in >> bytes ? bytes : 0;
}

}  // namespace ziggydb::bench
