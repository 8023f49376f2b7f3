// DB identity files (db_identity.h).
#include "db/db_identity.h"

#include <cstdio>
#include <memory>
#include <random>
#include <string_view>

#include "db/filename.h"
#include "util/status_macros.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

constexpr size_t kIdentityDigits = 32;

bool IsIdentity(std::string_view text) {
  if (text.size() != kIdentityDigits) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string NewDbIdentity() {
  std::random_device random;
  std::string identity;
  for (size_t i = 0; i < kIdentityDigits / 8; ++i) {
    char word[9];
    std::snprintf(word, sizeof(word), "%08x", static_cast<unsigned>(random()));
    identity += word;
  }
  return identity;
}

Status ReadDbIdentity(Env* env, const std::string& dir, std::string* identity) {
  identity->clear();
  // Asked first: the POSIX Env reports a missing file as an IOError ("No such file"). Only a
  // missing file is "no identity"; one that cannot be looked at is an error (the caller must not
  // replace an IDENTITY it could not read).
  bool exists = false;
  ZIGGY_RETURN_IF_ERROR(CheckFileExists(env, dir, "IDENTITY", &exists));
  if (!exists) return Status::OK();
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewSequentialFile(IdentityFileName(dir), &file));
  char buffer[kIdentityDigits + 2];
  std::string_view read;
  ZIGGY_RETURN_IF_ERROR(file->Read(sizeof(buffer), &read, buffer));
  if (read.size() == kIdentityDigits + 1 && read.back() == '\n' &&
      IsIdentity(read.substr(0, kIdentityDigits))) {
    identity->assign(read.substr(0, kIdentityDigits));
  }
  return Status::OK();
}

std::string IdentityTempFileName(const std::string& dir) {
  return TempFileName(dir, FileNumber{0});
}

Status WriteDbIdentity(Env* env, const std::string& dir, const std::string& identity) {
  // Never rewritten in place: a crash (or a failure) part way through leaves the old IDENTITY or
  // none, never a torn one. Number 0 is never drawn, so the temporary name is IDENTITY's alone;
  // a leftover is deleted as an obsolete temporary file by the next Open.
  const std::string temp = IdentityTempFileName(dir);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(temp, &file));
  Status s = file->Append(identity + "\n");
  if (s.ok()) s = file->Sync();
  Status closed = file->Close();
  if (s.ok()) s = closed;
  file.reset();
  if (s.ok()) s = env->RenameFile(temp, IdentityFileName(dir));
  if (!s.ok()) {
    env->RemoveFile(temp).PermitUncheckedError();
    return s;
  }
  return env->SyncDir(dir);
}

}  // namespace ziggydb
