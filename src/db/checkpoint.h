// Checkpoints: a directory that opens as a DB holding exactly one Version of a live DB, and the
// pieces the backup engine (src/backup) shares with it.
//
// What a checkpoint holds (docs/design/checkpoint.md):
//   - every table of the pinned Version, hard-linked (copied when the target is on another file
//     system or the Env cannot link);
//   - MANIFEST-<n>: one snapshot edit of that Version, log number 0 (no log belongs to it), last
//     sequence the one its tables reach (every write up to it is in them, none after), next file
//     number n + 2 (n + 1 stays free for the one log a point-in-time restore adds, see backup.h);
//   - CURRENT, written last.
// Unflushed data is flushed first (the memtables are not carried in a copied log tail), so the
// checkpoint holds every write acknowledged before the call, and possibly later ones.
// Crash safety: CURRENT is written (temp file + rename, synced) only once every other file and
// the directory are synced; a directory left by a crash holds tables and a MANIFEST but no
// CURRENT, which DB::Open refuses ("holds DB files but no CURRENT").
#ifndef ZIGGYDB_DB_CHECKPOINT_H_
#define ZIGGYDB_DB_CHECKPOINT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/dbformat.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Env;
class Version;

// A table of the pinned Version.
struct LiveTable {
  FileNumber number{};
  uint64_t file_bytes = 0;
};

// One Version of a DB, pinned: while `pin` is held, the DB deletes none of `tables`.
struct LiveFiles {
  Env* env = nullptr;
  std::string dbname;
  std::shared_ptr<const Version> pin;
  std::vector<LiveTable> tables;
  // The encoded snapshot edit for the fresh MANIFEST (see above), named manifest_number.
  std::string manifest_record;
  FileNumber manifest_number{};
  // The tables hold every write up to this sequence and none after: the DB's state right after
  // it.
  SequenceNumber sequence{};
  // The source DB's MANIFEST log number: its logs numbered from here on hold the writes made
  // after `sequence` (what a point-in-time restore replays from the archive).
  FileNumber log_number{};
  // Options::wal_archive_dir of the source DB (empty: logs are not archived).
  std::string wal_archive_dir;
  // The source DB's identity (db/db_identity.h; empty if it has none).
  std::string db_identity;
};

// Copies `from` to `to` (created, synced), reading in large blocks. `observe`, when set, sees
// every block read, in order (for a checksum); a non-OK status from it stops the copy and is
// returned. A failure removes `to`.
[[nodiscard]] Status CopyFileSynced(Env* env, const std::string& from, const std::string& to,
                                    const std::function<Status(std::string_view)>& observe = {});
// CopyFileSynced without the sync: for a caller that copies many files and then syncs them all
// (SyncFile), so that their writeback overlaps.
[[nodiscard]] Status CopyFileUnsynced(Env* env, const std::string& from, const std::string& to,
                                      const std::function<Status(std::string_view)>& observe = {});
// Makes the file at `path` durable (its bytes; the directory entry is the caller's).
[[nodiscard]] Status SyncFile(Env* env, const std::string& path);

// Writes MANIFEST-<number> holding the one record to directory `dir`, synced. A failure removes
// it.
[[nodiscard]] Status WriteManifestFile(Env* env, const std::string& dir, FileNumber number,
                                       std::string_view record);

// The directory holding `path` ("." for a bare name); trailing slashes are ignored.
std::string ParentDirectory(std::string path);

// Makes checkpoint `dir` (which must not exist; its parent must) from `files`. A failure
// removes what it created.
[[nodiscard]] Status WriteCheckpoint(const LiveFiles& files, const std::string& dir);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_CHECKPOINT_H_
