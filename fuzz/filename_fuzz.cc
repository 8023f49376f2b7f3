// Fuzz target for the DB directory's names and CURRENT (src/db/filename.cc): a listing's entries
// (ParseFileName, ClassifyDirectory) and CURRENT's bytes (ReadCurrentFile), all read from disk.
//
// Input: the bytes of CURRENT, which are also the directory listing split at each '\n'.
// Whatever the bytes:
//   - a recognised name's canonical form (<number:06>.log and the rest) is recognised as the
//     same file; CURRENT, LOCK, LOG and LOG.old only as themselves;
//   - ClassifyDirectory reports CURRENT exactly when it is listed, and only unrecognised names as
//     foreign;
//   - ReadCurrentFile gives OK or Corruption, and OK only for a MANIFEST name plus '\n'.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/filename.h"
#include "env/mem_env.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

constexpr const char* kDb = "/d";

// The name a DB gives the file (type, number), without the directory.
std::string CanonicalName(FileType type, FileNumber number) {
  const std::string db(kDb);
  switch (type) {
    case FileType::kLogFile:
      return LogFileName(db, number).substr(db.size() + 1);
    case FileType::kTableFile:
      return TableFileName(db, number).substr(db.size() + 1);
    case FileType::kManifestFile:
      return ManifestFileName(db, number).substr(db.size() + 1);
    case FileType::kTempFile:
      return TempFileName(db, number).substr(db.size() + 1);
    case FileType::kCurrentFile:
      return "CURRENT";
    case FileType::kLockFile:
      return "LOCK";
    case FileType::kInfoLogFile:
      return "LOG";
    case FileType::kIdentityFile:
      return "IDENTITY";
  }
  return "";
}

void CheckName(std::string_view name) {
  FileNumber number{};
  FileType type{};
  if (!ParseFileName(name, &number, &type)) return;
  FileNumber again_number{};
  FileType again_type{};
  ZIGGY_ASSERT(ParseFileName(CanonicalName(type, number), &again_number, &again_type));
  ZIGGY_ASSERT(again_type == type && raw(again_number) == raw(number));
  if (type == FileType::kCurrentFile) ZIGGY_ASSERT(name == "CURRENT");
  if (type == FileType::kLockFile) ZIGGY_ASSERT(name == "LOCK");
  if (type == FileType::kIdentityFile) ZIGGY_ASSERT(name == "IDENTITY");
  if (type == FileType::kInfoLogFile) ZIGGY_ASSERT(name == "LOG" || name == "LOG.old");
}

void CheckListing(std::string_view bytes) {
  std::vector<std::string> names;
  bool current = false;
  size_t start = 0;
  while (start <= bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    names.emplace_back(bytes.substr(start, end - start));
    current = current || names.back() == "CURRENT";
    CheckName(names.back());
    start = end + 1;
  }
  const DirectoryContents contents = ClassifyDirectory(names);
  ZIGGY_ASSERT(contents.has_current == current);
  FileNumber number{};
  FileType type{};
  if (!contents.foreign_file.empty()) {
    ZIGGY_ASSERT(!ParseFileName(contents.foreign_file, &number, &type));
  }
  if (!contents.db_file.empty()) ZIGGY_ASSERT(ParseFileName(contents.db_file, &number, &type));
}

void CheckCurrent(std::string_view bytes) {
  MemEnv env;
  std::unique_ptr<WritableFile> file;
  ZIGGY_ASSERT(env.CreateDir(kDb).ok());
  ZIGGY_ASSERT(env.NewWritableFile(CurrentFileName(kDb), &file).ok());
  ZIGGY_ASSERT(file->Append(bytes).ok() && file->Close().ok());
  std::string manifest;
  const Status s = ReadCurrentFile(&env, kDb, &manifest);
  ZIGGY_ASSERT(s.ok() || s.IsCorruption());
  if (!s.ok()) return;
  ZIGGY_ASSERT(std::string(bytes) == manifest + "\n");
  FileNumber number{};
  FileType type{};
  ZIGGY_ASSERT(ParseFileName(manifest, &number, &type) && type == FileType::kManifestFile);
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ziggydb::CheckListing(bytes);
  ziggydb::CheckCurrent(bytes);
  return 0;
}
