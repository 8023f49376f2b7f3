// The point-in-time restore log (pit_log.h).
#include "backup/pit_log.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {
namespace {

// Mid-log damage fails the restore; a torn end is where that log's writer stopped.
class ArchiveReporter final : public wal::Reader::Reporter {
 public:
  explicit ArchiveReporter(std::string path) : path_(std::move(path)) {}
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    if (at_tail || !status_.ok()) return;
    status_ = Status::Corruption(
        "damaged archived log at offset " + std::to_string(offset) + ": " + std::string(reason),
        path_);
  }
  const Status& status() const { return status_; }

 private:
  const std::string path_;
  Status status_;
};

// The archived logs numbered meta.log_number and up, ascending; NotFound if the first is not
// meta.log_number.
Status LogsAfterBackup(const BackupMeta& meta, const ArchiveListing& archive,
                       std::vector<FileNumber>* logs) {
  ZIGGY_RETURN_IF_ERROR(archive.status);
  for (FileNumber number : archive.logs) {
    if (raw(number) >= meta.log_number) logs->push_back(number);
  }
  if (logs->empty() || raw(logs->front()) != meta.log_number) {
    return Status::NotFound(
        "the log archive lacks the log backup " + std::to_string(meta.id) + " continues from",
        LogFileName(meta.wal_archive_dir, FileNumber{meta.log_number}));
  }
  return Status::OK();
}

// Appends to `out` the batches of one archived log that follow *next_sequence's predecessor,
// up to to_sequence; *done once a batch reaches past it.
Status CopyBatches(Env* env, const std::string& path, FileNumber number, const BackupMeta& meta,
                   uint64_t to_sequence, wal::Writer* out, uint64_t* last_sequence, bool* done) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewSequentialFile(path, &file));
  ArchiveReporter reporter(path);
  wal::Reader reader(std::move(file), raw(number), &reporter);
  std::string record;
  while (!*done && reader.ReadRecord(&record)) {
    WriteBatch batch;
    ZIGGY_RETURN_IF_ERROR(WriteBatchInternal::SetContents(&batch, record));
    const uint32_t count = WriteBatchInternal::Count(batch);
    if (count == 0) continue;
    if (!WriteBatchInternal::SequencesInRange(batch)) {
      return Status::Corruption("archived log holds a batch with sequence numbers out of range",
                                path);
    }
    const uint64_t first = raw(WriteBatchInternal::Sequence(batch));
    const uint64_t last = first + count - 1;
    if (last <= meta.sequence) continue;  // in the backup's tables already
    // The first batch after the backup too must start right after it: sequences S+1.. taken by
    // writes without WAL and flushed since are in no log and in none of the backup's tables.
    if (first != *last_sequence + 1) {
      return Status::Corruption("the archived logs do not continue from sequence " +
                                    std::to_string(*last_sequence) + ": the next batch holds " +
                                    std::to_string(first) + " to " + std::to_string(last) +
                                    " (a write without WAL, or a log deleted)",
                                path);
    }
    if (last > to_sequence) {
      *done = true;
      break;
    }
    ZIGGY_RETURN_IF_ERROR(out->AddRecord(record));
    *last_sequence = last;
    if (last == to_sequence) *done = true;
  }
  ZIGGY_RETURN_IF_ERROR(reporter.status());
  return reader.io_status();
}

}  // namespace

ArchiveListing ListArchive(Env* env, const BackupMeta& meta) {
  ArchiveListing archive;
  if (meta.wal_archive_dir.empty()) return archive;
  std::vector<std::string> names;
  archive.status = env->GetChildren(meta.wal_archive_dir, &names);
  if (!archive.status.ok()) return archive;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(name, &number, &type) && type == FileType::kLogFile) {
      archive.logs.push_back(number);
    }
  }
  std::sort(archive.logs.begin(), archive.logs.end());
  return archive;
}

FileNumber RestoredLogNumber(const BackupMeta& meta, const ArchiveListing& archive) {
  uint64_t number = meta.manifest_number + 1;
  if (archive.status.ok() && !archive.logs.empty()) {
    number = std::max(number, raw(archive.logs.back()) + 1);
  }
  return FileNumber{number};
}

Status WritePointInTimeLog(Env* env, const BackupMeta& meta, const ArchiveListing& archive,
                           uint64_t to_sequence, FileNumber number, const std::string& db_dir) {
  if (to_sequence < meta.sequence) {
    return Status::InvalidArgument(
        "backup " + std::to_string(meta.id) + " holds sequence " + std::to_string(meta.sequence) +
        ": it cannot be restored to the earlier sequence " + std::to_string(to_sequence));
  }
  if (to_sequence == meta.sequence) return Status::OK();
  if (meta.wal_archive_dir.empty()) {
    return Status::InvalidArgument("backup " + std::to_string(meta.id) +
                                   " was made without a log archive (Options::wal_archive_dir): "
                                   "it restores only to its own sequence " +
                                   std::to_string(meta.sequence));
  }
  std::vector<FileNumber> logs;
  ZIGGY_RETURN_IF_ERROR(LogsAfterBackup(meta, archive, &logs));
  const std::string path = LogFileName(db_dir, number);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
  wal::Writer writer(std::move(file), raw(number), 0);
  Status s = writer.AddHead(wal::LogHead{});
  uint64_t last_sequence = meta.sequence;
  bool done = false;
  for (size_t i = 0; s.ok() && !done && i < logs.size(); ++i) {
    s = CopyBatches(env, LogFileName(meta.wal_archive_dir, logs[i]), logs[i], meta, to_sequence,
                    &writer, &last_sequence, &done);
  }
  if (s.ok() && last_sequence < to_sequence && !done) {
    s = Status::InvalidArgument("the log archive reaches only sequence " +
                                    std::to_string(last_sequence) +
                                    " (later writes are in logs the DB has not archived yet)",
                                meta.wal_archive_dir);
  }
  if (s.ok()) s = writer.Sync();
  Status closed = writer.Close();
  if (s.ok()) s = closed;
  if (!s.ok()) env->RemoveFile(path).PermitUncheckedError();
  return s;
}

}  // namespace ziggydb
