// IDENTITY: which line of descent a DB directory's files belong to (docs/format/manifest.md).
//
// Format: 32 lowercase hex digits (a random 128-bit number) and '\n'. A DB gets one when it is
// created (or first opened for writing without one), and a checkpoint and a restored DB get a
// fresh one: their file numbers go on from where their source's MANIFEST stood, as the source's
// own do, so two DBs can write different tables under one name. The backup engine shares a table
// by name and size only between backups of one identity (include/ziggydb/backup.h).
#ifndef ZIGGYDB_DB_DB_IDENTITY_H_
#define ZIGGYDB_DB_DB_IDENTITY_H_

#include <string>

#include "ziggydb/status.h"

namespace ziggydb {

class Env;

// A new random identity.
std::string NewDbIdentity();
// The identity stored in `dir`, or "" when there is no IDENTITY or it does not hold one (a torn
// write: the next writable Open replaces it). Errors other than a missing file are returned.
[[nodiscard]] Status ReadDbIdentity(Env* env, const std::string& dir, std::string* identity);
// The temporary file WriteDbIdentity writes first (<dir>/000000.dbtmp: number 0 is never drawn).
std::string IdentityTempFileName(const std::string& dir);
// Writes <dir>/IDENTITY holding `identity` (replacing any) through a temporary file: written,
// synced, renamed over IDENTITY, then `dir` synced. On a failure before the rename the temporary
// file is removed and any previous IDENTITY is untouched.
[[nodiscard]] Status WriteDbIdentity(Env* env, const std::string& dir, const std::string& identity);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_IDENTITY_H_
