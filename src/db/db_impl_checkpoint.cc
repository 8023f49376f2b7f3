// DBImpl::CreateCheckpoint and the pinned live-file set it and the backup engine copy
// (checkpoint.h; docs/design/checkpoint.md).
#include <algorithm>
#include <utility>

#include "db/checkpoint.h"
#include "db/db_impl.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::GetLiveFiles(LiveFiles* files) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  // Everything acknowledged before the call goes to tables; writes made meanwhile may too.
  ZIGGY_RETURN_IF_ERROR(Flush());
  MutexLock lock(&mu_);
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  // INVARIANT: the tables of one Version hold exactly the writes of the logs numbered below
  // versions_->LogNumber(), a prefix of the sequence (memtables are flushed oldest first).
  std::shared_ptr<const Version> version = versions_->current();
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName(icmp_.user_comparator()->Name());
  // No log belongs to a checkpoint; 0 also spares Open the check for the log it would name.
  edit.SetLogNumber(FileNumber{0});
  const FileNumber manifest_number = versions_->next_file_number();
  // manifest_number + 1 is left free for the log of a point-in-time restore (checkpoint.h).
  edit.SetNextFileNumber(FileNumber{raw(manifest_number) + 2});
  SequenceNumber sequence{0};
  files->tables.clear();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version->files(level)) {
      edit.AddFile(level, *file);
      files->tables.push_back({file->number, file->file_bytes});
      sequence = SequenceNumber{std::max(raw(sequence), raw(file->largest_sequence))};
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
  return Status::OK();
}

Status DBImpl::CreateCheckpoint(const std::string& dir) {
  LiveFiles files;
  ZIGGY_RETURN_IF_ERROR(GetLiveFiles(&files));
  const uint64_t start_micros = env_->NowMicros();
  Status s = WriteCheckpoint(files, dir);
  Log("event=checkpoint dir=" + dir + " tables=" + std::to_string(files.tables.size()) +
      " sequence=" + std::to_string(raw(files.sequence)) +
      " micros=" + std::to_string(env_->NowMicros() - start_micros) +
      (s.ok() ? "" : " status=\"" + s.ToString() + "\""));
  return s;
}

}  // namespace ziggydb
