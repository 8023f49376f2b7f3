// Names of the files in a DB directory, and the atomic switch of CURRENT.
//
//   <number:06>.log      write-ahead log            MANIFEST-<number:06>  version edit log
//   <number:06>.sst      table                      CURRENT               names the live MANIFEST
//   <number:06>.dbtmp    temporary (CURRENT swap)   LOCK                  held while open
//   LOG, LOG.old         human-readable info log
// Every numbered file draws from one counter (VersionSet::NewFileNumber), so numbers never repeat.
#ifndef ZIGGYDB_DB_FILENAME_H_
#define ZIGGYDB_DB_FILENAME_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Env;

// Persisted only through file names — never reorder the names above.
enum class FileType : uint8_t {
  kLogFile,
  kTableFile,
  kManifestFile,
  kCurrentFile,
  kLockFile,
  kInfoLogFile,  // LOG and LOG.old
  kTempFile,
  kIdentityFile,
};

std::string LogFileName(const std::string& dbname, FileNumber number);
std::string TableFileName(const std::string& dbname, FileNumber number);
std::string ManifestFileName(const std::string& dbname, FileNumber number);
std::string TempFileName(const std::string& dbname, FileNumber number);
std::string CurrentFileName(const std::string& dbname);
std::string LockFileName(const std::string& dbname);
std::string IdentityFileName(const std::string& dbname);
std::string InfoLogFileName(const std::string& dbname);
std::string OldInfoLogFileName(const std::string& dbname);

// Recognises a directory entry's name. *number is 0 for the unnumbered files. False for names
// that are not ours (including numbers with a sign, spaces or above kMaxFileNumber).
[[nodiscard]] bool ParseFileName(std::string_view name, FileNumber* number, FileType* type);

// What a directory listing says about the DB in it, without reading any file.
struct DirectoryContents {
  bool has_current = false;
  std::string db_file;       // a log, table or later MANIFEST: a DB lives (or lived) here
  std::string foreign_file;  // a name that is not ours
};
// LOCK, LOG, IDENTITY, temp files and MANIFEST-000001 alone are what an interrupted creation
// leaves: they name no db_file.
DirectoryContents ClassifyDirectory(const std::vector<std::string>& names);

// Points CURRENT at MANIFEST-<manifest_number> atomically: writes "MANIFEST-xxxxxx\n" to
// <manifest_number>.dbtmp, syncs it, renames it over CURRENT, syncs the directory. The caller
// must have synced the MANIFEST and the directory naming it. On a failure before the rename the
// temporary file is removed and CURRENT still names the previous MANIFEST (or is still absent);
// when the directory sync after the rename fails, CURRENT already names the new MANIFEST (and a
// power loss may still bring the old CURRENT back): the caller must treat it as possibly live.
[[nodiscard]] Status SetCurrentFile(Env* env, const std::string& dbname,
                                    FileNumber manifest_number);

// Whether <dir>/<name> exists (*exists), where "missing" must not be confused with "cannot be
// looked at": Env::FileExists (access(2) on POSIX) says false for EACCES and EIO too. When it
// says false the directory listing decides: not listed means missing (OK, *exists false; also
// when the directory is missing); listed means the file is there but inaccessible (IOError); a
// listing that fails returns its error.
[[nodiscard]] Status CheckFileExists(Env* env, const std::string& dir, const std::string& name,
                                     bool* exists);
// CheckFileExists of a path as given: its directory is what precedes the last '/' ("/" for
// "/name", "." for a bare name).
[[nodiscard]] Status CheckPathExists(Env* env, const std::string& path, bool* exists);
// For a rollback deciding what it created: false only when CheckPathExists finds the path
// missing. One that cannot be looked at may be the user's, so it counts as there (and stays).
bool MayExist(Env* env, const std::string& path);

// Reads CURRENT and returns the MANIFEST name it holds (without the directory). Corruption if
// CURRENT is empty, lacks its newline, or names no MANIFEST; IOError if it cannot be read.
[[nodiscard]] Status ReadCurrentFile(Env* env, const std::string& dbname, std::string* manifest);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_FILENAME_H_
