#include "db/filename.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>

#include "env/kill_point.h"
#include "util/assert.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

std::string NumberedName(const std::string& dbname, FileNumber number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06" PRIu64 ".%s", raw(number), suffix);
  return dbname + buf;
}

// Parses a whole string of decimal digits into *value; false if empty, not all digits, or over
// 64 bits.
bool ParseDecimal(std::string_view digits, uint64_t* value) {
  if (digits.empty()) return false;
  uint64_t result = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (UINT64_MAX - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

// Upper bound on CURRENT's size: "MANIFEST-" + 20 digits + "\n" fits easily.
constexpr size_t kMaxCurrentFileBytes = 64;

}  // namespace

std::string LogFileName(const std::string& dbname, FileNumber number) {
  return NumberedName(dbname, number, "log");
}
std::string TableFileName(const std::string& dbname, FileNumber number) {
  return NumberedName(dbname, number, "sst");
}
std::string TempFileName(const std::string& dbname, FileNumber number) {
  return NumberedName(dbname, number, "dbtmp");
}
std::string ManifestFileName(const std::string& dbname, FileNumber number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06" PRIu64, raw(number));
  return dbname + buf;
}
std::string CurrentFileName(const std::string& dbname) {
  return dbname + "/CURRENT";
}
std::string LockFileName(const std::string& dbname) {
  return dbname + "/LOCK";
}
std::string IdentityFileName(const std::string& dbname) {
  return dbname + "/IDENTITY";
}
std::string InfoLogFileName(const std::string& dbname) {
  return dbname + "/LOG";
}
std::string OldInfoLogFileName(const std::string& dbname) {
  return dbname + "/LOG.old";
}

DirectoryContents ClassifyDirectory(const std::vector<std::string>& names) {
  DirectoryContents contents;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) {
      contents.foreign_file = name;
    } else if (type == FileType::kCurrentFile) {
      contents.has_current = true;
    } else if (type == FileType::kLogFile || type == FileType::kTableFile ||
               (type == FileType::kManifestFile && raw(number) != 1)) {
      contents.db_file = name;
    }
  }
  return contents;
}

bool ParseFileName(std::string_view name, FileNumber* number, FileType* type) {
  uint64_t value = 0;
  if (name == "CURRENT") {
    *type = FileType::kCurrentFile;
  } else if (name == "LOCK") {
    *type = FileType::kLockFile;
  } else if (name == "IDENTITY") {
    *type = FileType::kIdentityFile;
  } else if (name == "LOG" || name == "LOG.old") {
    *type = FileType::kInfoLogFile;
  } else if (name.starts_with("MANIFEST-")) {
    if (!ParseDecimal(name.substr(9), &value) || value > kMaxFileNumber) return false;
    *type = FileType::kManifestFile;
  } else {
    const size_t dot = name.find('.');
    if (dot == std::string_view::npos || !ParseDecimal(name.substr(0, dot), &value) ||
        value > kMaxFileNumber) {
      return false;
    }
    const std::string_view suffix = name.substr(dot + 1);
    if (suffix == "log") {
      *type = FileType::kLogFile;
    } else if (suffix == "sst") {
      *type = FileType::kTableFile;
    } else if (suffix == "dbtmp") {
      *type = FileType::kTempFile;
    } else {
      return false;
    }
  }
  *number = FileNumber{value};
  return true;
}

Status SetCurrentFile(Env* env, const std::string& dbname, FileNumber manifest_number) {
  const std::string manifest = ManifestFileName(dbname, manifest_number);
  const std::string contents = manifest.substr(dbname.size() + 1) + "\n";
  const std::string temp = TempFileName(dbname, manifest_number);
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(temp, &file);
  if (s.ok()) s = file->Append(contents);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok()) ZIGGY_DB_KILL_POINT("db:current-temp-written");
  if (s.ok()) s = env->RenameFile(temp, CurrentFileName(dbname));
  if (s.ok()) {
    s = env->SyncDir(dbname);
    if (s.ok()) ZIGGY_DB_KILL_POINT("db:current-renamed");
  } else {
    env->RemoveFile(temp).PermitUncheckedError();
  }
  return s;
}

Status CheckFileExists(Env* env, const std::string& dir, const std::string& name, bool* exists) {
  return CheckPathExists(env, dir + "/" + name, exists);
}

Status CheckPathExists(Env* env, const std::string& path, bool* exists) {
  *exists = false;
  if (env->FileExists(path)) {
    *exists = true;
    return Status::OK();
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::vector<std::string> names;
  Status listed = env->GetChildren(dir, &names);
  if (listed.IsNotFound()) return Status::OK();
  if (!listed.ok()) return listed;
  if (std::find(names.begin(), names.end(), name) != names.end()) {
    return Status::IOError(path,
                           "listed in its directory but not accessible (permission or I/O "
                           "error)");
  }
  return Status::OK();
}

bool MayExist(Env* env, const std::string& path) {
  bool exists = false;
  return !CheckPathExists(env, path, &exists).ok() || exists;
}

Status ReadCurrentFile(Env* env, const std::string& dbname, std::string* manifest) {
  const std::string path = CurrentFileName(dbname);
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  char scratch[kMaxCurrentFileBytes + 1];
  std::string_view data;
  s = file->Read(sizeof(scratch), &data, scratch);
  if (!s.ok()) return s;
  FileNumber number{};
  FileType type{};
  if (data.size() < 2 || data.size() > kMaxCurrentFileBytes || data.back() != '\n' ||
      !ParseFileName(data.substr(0, data.size() - 1), &number, &type) ||
      type != FileType::kManifestFile) {
    return Status::Corruption("CURRENT does not name a MANIFEST", path);
  }
  manifest->assign(data.data(), data.size() - 1);
  return Status::OK();
}

}  // namespace ziggydb
