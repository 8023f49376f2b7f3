#pragma once

// Path rules of the in-memory file system. RecordingEnv (whose logs are replayed into a MemEnv)
// and the crash-state enumerator (tests/crashstate) name directories by them too, so all three
// agree on what a path's directory is.

#include <string>
#include <string_view>

namespace ziggydb::mem_path {

// Without trailing slashes; "." is the relative root "" (ParentDir's name for it). A view into
// dir (or a literal).
inline std::string_view NormalizeDir(std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.remove_suffix(1);
  return dir == "." ? std::string_view() : dir;
}

// "a/b/c" -> "a/b"; "/c" -> "/"; "c" -> "" (the relative root). A view into path (or a literal):
// MemEnv's directory scans compare it against every name, so it allocates nothing.
inline std::string_view ParentDir(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace ziggydb::mem_path
