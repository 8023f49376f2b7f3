// DBImpl::CreateCheckpoint and the pinned live-file set it and the backup engine copy
// (checkpoint.h; docs/design/checkpoint.md).
#include <utility>

#include "db/checkpoint.h"
#include "db/db_impl.h"
#include "util/out_of_memory.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::GetLiveFiles(bool flush_first, LiveFiles* files) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  // Everything acknowledged before the call goes to tables; writes made meanwhile may too.
  if (flush_first) ZIGGY_RETURN_IF_ERROR(Flush());
  MutexLock lock(&mu_);
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  // INVARIANT: the tables of the current Version hold exactly the writes of the logs numbered
  // below versions_->LogNumber(): those up to flushed_sequence_ (memtables are flushed oldest
  // first, and a flush installs its Version and sets flushed_sequence_ in one hold of mu_).
  std::shared_ptr<const Version> version = versions_->current();
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName(icmp_.user_comparator()->Name());
  // No log belongs to a checkpoint; 0 also spares Open the check for the log it would name.
  edit.SetLogNumber(FileNumber{0});
  const FileNumber manifest_number = versions_->next_file_number();
  // manifest_number + 1 is left free for the log of a point-in-time restore (checkpoint.h).
  edit.SetNextFileNumber(FileNumber{raw(manifest_number) + 2});
  const SequenceNumber sequence = flushed_sequence_;
  files->tables.clear();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version->files(level)) {
      edit.AddFile(level, *file);
      files->tables.push_back({file->number, file->file_bytes});
    }
  }
  edit.SetLastSequence(sequence);
  files->manifest_record.clear();
  edit.EncodeTo(&files->manifest_record);
  files->env = env_;
  files->dbname = dbname_;
  files->pin = std::move(version);
  files->manifest_number = manifest_number;
  files->sequence = sequence;
  files->log_number = versions_->LogNumber();
  files->wal_archive_dir = options_.wal_archive_dir;
  files->db_identity = db_identity_;
  return Status::OK();
}

Status DBImpl::CreateCheckpoint(const std::string& dir) {
  // Out of memory it returns IOError "out of memory": WriteCheckpoint removes what it made as
  // the exception passes, and a checkpoint made whole stays so even if its LOG line fails.
  Status s;
  LiveFiles files;
  uint64_t start_micros = 0;
  Status made = CatchOutOfMemory("DB::CreateCheckpoint", [&] {
    ZIGGY_RETURN_IF_ERROR(GetLiveFiles(/*flush_first=*/true, &files));
    start_micros = env_->NowMicros();
    s = WriteCheckpoint(files, dir);
    return s;
  });
  if (!made.ok() && s.ok()) return made;  // failed before WriteCheckpoint returned
  try {
    Log("event=checkpoint dir=" + dir + " tables=" + std::to_string(files.tables.size()) +
        " sequence=" + std::to_string(raw(files.sequence)) +
        " micros=" + std::to_string(env_->NowMicros() - start_micros) +
        (s.ok() ? "" : " status=\"" + s.ToString() + "\""));
  } catch (...) {
    // Out of memory for the line: only the LOG line is lost.
  }
  return s;
}

}  // namespace ziggydb
