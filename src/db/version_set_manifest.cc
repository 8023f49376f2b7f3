// VersionSet's MANIFEST I/O: creating, replaying and appending to it (docs/format/manifest.md).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <new>
#include <utility>

#include "db/filename.h"
#include "db/version_set.h"
#include "env/kill_point.h"
#include "util/assert.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

// Receives MANIFEST damage from the log reader. Only a torn tail is acceptable (a crash while
// appending the last edit); the first other damage is kept and fails recovery.
class ManifestReporter final : public wal::Reader::Reporter {
 public:
  explicit ManifestReporter(std::string path) : path_(std::move(path)) {}
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    if (at_tail) {
      tail_dropped_ = true;
      return;
    }
    if (status_.ok()) {
      char detail[96];
      std::snprintf(detail, sizeof(detail), " at offset %" PRIu64 " (%" PRIu64 " bytes): ", offset,
                    bytes);
      status_ = Status::Corruption("damaged MANIFEST record", path_ + detail + std::string(reason));
    }
  }
  const Status& status() const { return status_; }
  bool tail_dropped() const { return tail_dropped_; }

 private:
  const std::string path_;
  Status status_;
  bool tail_dropped_ = false;
};

// Folds the counters an edit sets into *totals (later edits win).
void MergeCounters(const VersionEdit& edit, VersionEdit* totals) {
  if (edit.log_number()) totals->SetLogNumber(*edit.log_number());
  if (edit.next_file_number()) totals->SetNextFileNumber(*edit.next_file_number());
  if (edit.last_sequence()) totals->SetLastSequence(*edit.last_sequence());
  for (const auto& [level, key] : edit.compact_pointers())
    totals->SetCompactPointer(level, key);
}

Status CheckFormatVersion(const VersionEdit& edit, bool first, const std::string& path) {
  if (!edit.format_version()) {
    if (first) return Status::Corruption("MANIFEST's first edit lacks a format version", path);
    return Status::OK();
  }
  if (*edit.format_version() > kManifestFormatVersion) {
    return Status::NotSupported(
        "MANIFEST format version " + std::to_string(*edit.format_version()) +
            " is newer than this build supports (" + std::to_string(kManifestFormatVersion) + ")",
        path);
  }
  if (*edit.format_version() == 0) return Status::Corruption("MANIFEST format version 0", path);
  return Status::OK();
}

}  // namespace

Status VersionSet::CreateNew(Env* env, const std::string& dbname,
                             const InternalKeyComparator& icmp) {
  constexpr FileNumber kFirstManifest{1};
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName(icmp.user_comparator()->Name());
  edit.SetLogNumber(FileNumber{0});
  edit.SetNextFileNumber(FileNumber{raw(kFirstManifest) + 1});
  edit.SetLastSequence(SequenceNumber{0});
  std::string record;
  edit.EncodeTo(&record);

  const std::string path = ManifestFileName(dbname, kFirstManifest);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
  wal::Writer writer(std::move(file), raw(kFirstManifest), 0);
  Status s = writer.AddRecord(record);
  if (s.ok()) s = writer.Sync();
  if (s.ok()) s = writer.Close();
  // The MANIFEST's name is durable before CURRENT may name it.
  if (s.ok()) s = env->SyncDir(dbname);
  if (s.ok()) ZIGGY_DB_KILL_POINT("db:manifest-written");
  if (s.ok()) s = SetCurrentFile(env, dbname, kFirstManifest);
  if (!s.ok()) {
    // CURRENT may be in place (SetCurrentFile's directory sync failed): its removal is made
    // durable first, and the MANIFEST goes only once no CURRENT can name it.
    const std::string current = CurrentFileName(dbname);
    Status removed = env->FileExists(current) ? env->RemoveFile(current) : Status::OK();
    if (removed.ok()) removed = env->SyncDir(dbname);
    if (removed.ok() && env->RemoveFile(path).ok()) env->SyncDir(dbname).PermitUncheckedError();
  }
  return s;
}

Status VersionSet::Recover() {
  // Missing is damage; unreadable (permission, I/O) is an IOError, not a reason for RepairDB.
  bool exists = false;
  ZIGGY_RETURN_IF_ERROR(CheckFileExists(env_, dbname_, "CURRENT", &exists));
  if (!exists) return Status::Corruption("CURRENT is missing", dbname_);
  std::string manifest_name;
  ZIGGY_RETURN_IF_ERROR(ReadCurrentFile(env_, dbname_, &manifest_name));
  FileNumber manifest_number{};
  FileType type{};
  const bool parsed = ParseFileName(manifest_name, &manifest_number, &type);
  ZIGGY_ASSERT(parsed && type == FileType::kManifestFile);  // ReadCurrentFile checked it
  const std::string path = dbname_ + "/" + manifest_name;
  ZIGGY_RETURN_IF_ERROR(CheckFileExists(env_, dbname_, manifest_name, &exists));
  if (!exists) {
    return Status::Corruption("CURRENT names a MANIFEST that does not exist", path);
  }

  VersionBuilder builder(icmp_, Version(icmp_));
  VersionEdit totals;
  ZIGGY_RETURN_IF_ERROR(ReplayManifest(path, &builder, &totals));
  if (!totals.log_number() || !totals.next_file_number() || !totals.last_sequence()) {
    return Status::Corruption("MANIFEST lacks the log number, next file number or last sequence",
                              path);
  }
  if (raw(*totals.last_sequence()) > kMaxSequenceNumber) {
    return Status::Corruption("MANIFEST last sequence out of range", path);
  }
  std::shared_ptr<const Version> version;
  Status s = builder.Finish(&version);
  if (!s.ok()) return Status::Corruption(std::string(s.message()), path);

  for (const auto& [level, key] : totals.compact_pointers()) {
    compact_pointers_[level] = key;
    persisted_compact_pointers_[level] = key;
  }
  // The next number is past the counter and every number in use. Each is at most kMaxFileNumber
  // (the decoder and ParseFileName check), but one at the limit would leave the DB no number for
  // its next log or MANIFEST, and a counter past the limit would be written that no Open reads.
  uint64_t next = raw(*totals.next_file_number());
  std::set<FileNumber> live;
  version->AddLiveFiles(&live);
  for (const FileNumber used :
       {manifest_number, *totals.log_number(), live.empty() ? FileNumber{0} : *live.rbegin()}) {
    next = std::max(next, raw(used) + 1);
  }
  if (next > kMaxFileNumber - kFileNumbersKeptFree) {
    return Status::Corruption("MANIFEST leaves no room for new file numbers (next file number " +
                                  std::to_string(next) + ")",
                              path);
  }
  next_file_number_ = next;
  last_sequence_ = *totals.last_sequence();
  log_number_ = *totals.log_number();
  manifest_file_number_ = manifest_number;
  Install(std::move(version));
  Log("recovered " + path + (manifest_tail_dropped_ ? " (dropped a torn last record)" : "") +
      ": log number " + std::to_string(raw(log_number_)) + ", next file " +
      std::to_string(next_file_number_) + ", last sequence " + std::to_string(raw(last_sequence_)));
  return Status::OK();
}

Status VersionSet::ReplayManifest(const std::string& path, VersionBuilder* builder,
                                  VersionEdit* totals) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(path, &file));
  FileNumber number{};
  FileType type{};
  const bool parsed = ParseFileName(path.substr(dbname_.size() + 1), &number, &type);
  ZIGGY_ASSERT(parsed);
  ManifestReporter reporter(path);
  wal::Reader reader(std::move(file), raw(number), &reporter);
  std::string record;
  bool first = true;
  uint32_t format_version = 0;  // of the first edit, which CheckFormatVersion requires to name one
  const std::string user_comparator = icmp_->user_comparator()->Name();
  while (reader.ReadRecord(&record) && reporter.status().ok()) {
    const std::string where = path + " at offset " + std::to_string(reader.last_record_offset());
    VersionEdit edit;
    Status s = edit.DecodeFrom(record);
    if (!s.ok()) return Status::Corruption(std::string(s.message()), where);
    ZIGGY_RETURN_IF_ERROR(CheckFormatVersion(edit, first, where));
    if (first) format_version = *edit.format_version();
    if (format_version < kCompactPointerFormatVersion && !edit.compact_pointers().empty()) {
      return Status::Corruption(
          "compact pointer in a version " + std::to_string(format_version) + " MANIFEST", where);
    }
    if (format_version < kEntryCountsFormatVersion &&
        std::any_of(edit.added_files().begin(), edit.added_files().end(),
                    [](const auto& added) { return added.second.num_entries > 0; })) {
      return Status::Corruption(
          "table entry counts in a version " + std::to_string(format_version) + " MANIFEST", where);
    }
    if (edit.comparator_name() && *edit.comparator_name() != user_comparator) {
      return Status::InvalidArgument("comparator mismatch: the DB uses " + *edit.comparator_name() +
                                         ", the options give " + user_comparator,
                                     path);
    }
    s = builder->Apply(edit);
    if (!s.ok()) return Status::Corruption(std::string(s.message()), where);
    MergeCounters(edit, totals);
    first = false;
    ++manifest_edits_replayed_;
  }
  ZIGGY_RETURN_IF_ERROR(reporter.status());
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  if (first) return Status::Corruption("MANIFEST holds no intact edit", path);
  manifest_tail_dropped_ = reporter.tail_dropped();
  return Status::OK();
}

void VersionSet::WriteSnapshot(std::string* record) const {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName(icmp_->user_comparator()->Name());
  edit.SetLogNumber(log_number_);
  edit.SetNextFileNumber(FileNumber{next_file_number_});
  edit.SetLastSequence(last_sequence_);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : current_->files(level))
      edit.AddFile(level, *file);
  }
  for (int level = 0; level < kNumLevels; ++level) {
    if (!persisted_compact_pointers_[level].empty()) {
      edit.SetCompactPointer(level, persisted_compact_pointers_[level]);
    }
  }
  edit.EncodeTo(record);
}

void VersionSet::AddChangedCompactPointers(VersionEdit* edit) const {
  for (int level = 0; level < kNumLevels; ++level) {
    // The picker only ever advances a pointer to a table's largest key: never back to empty.
    ZIGGY_ASSERT(!compact_pointers_[level].empty() || persisted_compact_pointers_[level].empty());
    if (compact_pointers_[level] != persisted_compact_pointers_[level]) {
      edit->SetCompactPointer(level, compact_pointers_[level]);
    }
  }
}

Status VersionSet::OpenNewManifest(std::unique_ptr<wal::Writer>* writer, FileNumber* number) const {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewWritableFile(ManifestFileName(dbname_, *number), &file));
  *writer = std::make_unique<wal::Writer>(std::move(file), raw(*number), 0);
  return Status::OK();
}

Status VersionSet::LogAndApply(VersionEdit* edit, Mutex* mu) {
  mu->AssertHeld();
  // One MANIFEST write at a time: the edit below is built against the Version it will replace.
  while (manifest_write_in_progress_)
    manifest_write_done_.Wait(mu);
  if (!edit->log_number()) edit->SetLogNumber(log_number_);
  ZIGGY_ASSERT(raw(*edit->log_number()) >= raw(log_number_));
  ZIGGY_ASSERT(raw(*edit->log_number()) < next_file_number_);

  const bool new_manifest =
      manifest_writer_ == nullptr || manifest_file_bytes_ >= manifest_roll_bytes_;
  FileNumber manifest_number = manifest_file_number_;
  std::string snapshot;
  if (new_manifest) {
    ZIGGY_RETURN_IF_ERROR(NewFileNumber(&manifest_number));
    WriteSnapshot(&snapshot);  // the state before this edit, with the counters just drawn
  }
  edit->SetNextFileNumber(FileNumber{next_file_number_});
  edit->SetLastSequence(last_sequence_);
  AddChangedCompactPointers(edit);
  VersionBuilder builder(icmp_, *current_);
  ZIGGY_RETURN_IF_ERROR(builder.Apply(*edit));
  std::shared_ptr<const Version> version;
  ZIGGY_RETURN_IF_ERROR(builder.Finish(&version));
  std::string record;
  edit->EncodeTo(&record);
  ZIGGY_DASSERT(VersionEdit().DecodeFrom(record).ok());
  // What the steps after the durable write need is allocated now (see LogAndApply's contract).
  std::map<int, std::string> persisted_pointers = edit->compact_pointers();
  ReserveInstall();

  std::unique_ptr<wal::Writer> writer = std::move(manifest_writer_);
  manifest_write_in_progress_ = true;
  Status s;
  bool out_of_memory = false;
  {
    MutexUnlock unlock(mu);
    // INVARIANT: only this thread touches `writer` while the mutex is released.
    try {
      Status written;
      if (new_manifest) {
        if (writer != nullptr) writer->Close().PermitUncheckedError();
        written = OpenNewManifest(&writer, &manifest_number);
        if (written.ok()) written = writer->AddRecord(snapshot);
      }
      if (written.ok()) written = writer->AddRecord(record);
      if (written.ok()) written = writer->Sync();
      // A new MANIFEST's name is durable before CURRENT may name it.
      if (written.ok() && new_manifest) written = env_->SyncDir(dbname_);
      if (written.ok() && new_manifest) {
        ZIGGY_DB_KILL_POINT("db:manifest-written");
        written = SetCurrentFile(env_, dbname_, manifest_number);
      }
      s = std::move(written);
    } catch (const std::bad_alloc&) {
      out_of_memory = true;  // its Status is built below, once the write is marked over
    }
  }
  manifest_write_in_progress_ = false;
  manifest_write_done_.NotifyAll();

  if (out_of_memory || !s.ok()) {
    // The MANIFEST may now end in a partial record or a state we did not install: never append
    // to it again. A new MANIFEST that CURRENT may already name is left in place. Marked first:
    // what follows allocates, and may throw.
    manifest_in_doubt_ = true;
    if (out_of_memory) s = Status::IOError("out of memory", "writing the MANIFEST");
    Log("MANIFEST write failed: " + s.ToString());
    return s;
  }
  if (new_manifest) manifest_in_doubt_ = false;  // CURRENT names a MANIFEST of the state in memory
  manifest_writer_ = std::move(writer);
  manifest_file_number_ = manifest_number;
  manifest_file_bytes_ = manifest_writer_->file_bytes();
  log_number_ = *edit->log_number();
  for (auto& [level, key] : persisted_pointers)
    persisted_compact_pointers_[level].swap(key);
  Install(std::move(version));
  return Status::OK();
}

}  // namespace ziggydb
