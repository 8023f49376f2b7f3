// The recovery component (recovery.h). Rules per Options::wal_recovery_mode and for older logs:
// docs/design/recovery.md.
#include "db/recovery.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "db/version_set.h"
#include "db/write_batch_internal.h"
#include "util/assert.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace ziggydb {
namespace {

// One damaged stretch of a WAL, as the reader reported it, or an intact record that does not
// decode as a batch.
struct WalDamage {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string reason;
  bool at_tail = false;

  std::string Describe(const std::string& path) const {
    char buf[96];
    std::snprintf(buf, sizeof(buf), " at offset %" PRIu64 " (%" PRIu64 " bytes): ", offset, bytes);
    return path + buf + reason;
  }
};

class WalReporter final : public wal::Reader::Reporter {
 public:
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    damages_.push_back({offset, bytes, std::string(reason), at_tail});
  }
  // Damage reported since the last call, oldest first.
  std::vector<WalDamage> Take() { return std::exchange(damages_, {}); }

 private:
  std::vector<WalDamage> damages_;
};

// One run of ReplayWal: the inputs, the result being built, and the state carried across logs.
class WalReplay {
 public:
  WalReplay(const WalReplayInputs& in, WalReplayResult* result) : in_(in), result_(result) {}

  [[nodiscard]] Status Run();

 private:
  // What each log replayed so far held (index: position in result_->logs).
  struct ReplayedLog {
    uint64_t intact_end = 0;     // wal::Reader::intact_end_offset; 0: empty (no head, no record)
    bool holds_records = false;  // at least one intact record besides the head and markers
    // Tail damage in a log that was not the last: that log lost its tail, which is judged once
    // a later log shows that the WAL went on after it (CheckPreviousLog). A crash during an
    // earlier recovery leaves an empty newer log behind.
    std::string tail_damage;
    // Skip mode reported damage at this log's tail already: a later log's head disagreeing with
    // intact_end is that same tear, not another.
    bool tail_skipped = false;
  };

  [[nodiscard]] Status FindLogsToReplay();
  // Replays logs[index].
  [[nodiscard]] Status ReplayLog(size_t index);
  // Before anything of logs[index] is applied: checks, from its head, that the log replayed
  // before it is whole (docs/design/recovery.md, "Older logs"). `head` and `has_records` are what
  // the first read of logs[index] found.
  [[nodiscard]] Status CheckPreviousLog(size_t index, const std::optional<wal::LogHead>& head,
                                        bool has_records);
  // The log before logs[index] lost its tail (`where`): per the recovery mode, stop replay there,
  // skip on, or fail (Corruption if a later log says that log had been synced).
  [[nodiscard]] Status ResolveTornLog(size_t index, std::string where);
  // True if log `number` says every earlier log was synced: it holds the marker, or it is a
  // version-1 log (no head, some records), whose writers synced each log at the switch.
  [[nodiscard]] Status SaysEarlierLogsSynced(FileNumber number, bool* synced);
  // Tolerate mode only: true if mid-log `damage` in log `number` lies past every byte an intact
  // synced-bytes marker of that log declares durable, so it is the unsynced tail torn by a
  // crash, not damage to synced data (docs/format/wal.md, "Synced-bytes markers"). A log
  // without markers (format 1 or 2, or whose synced first page was damaged) never is.
  [[nodiscard]] Status InUnsyncedRegion(FileNumber number, const WalDamage& damage, bool* unsynced);
  // Applies the recovery mode to one piece of damage: an error fails recovery; OK goes on (or,
  // with stopped_, stops replay).
  [[nodiscard]] Status HandleWalDamage(const std::string& path, const WalDamage& damage,
                                       bool last_log);
  [[nodiscard]] Status ApplyBatch(const WriteBatch& batch);
  [[nodiscard]] Status FlushMemTable();
  // Records one dropped torn tail (LOG line: prefix + where + suffix), skipped damage, or the
  // place point-in-time recovery stopped.
  void Drop(std::string where, const std::string& prefix, const std::string& suffix = "");
  void Skip(std::string where, const std::string& prefix);
  void Stop(std::string where, const std::string& prefix);
  // Every log to replay, ascending.
  const std::vector<FileNumber>& logs() const { return result_->logs; }
  void Log(const std::string& line) const {
    if (in_.info_log != nullptr) in_.info_log->Log(line);
  }

  const WalReplayInputs& in_;
  WalReplayResult* const result_;
  std::shared_ptr<MemTable> mem_;  // null until a record arrives
  // Replay stopped at damage or at a torn older log: nothing after it is replayed.
  bool stopped_ = false;
  std::vector<ReplayedLog> replayed_;
  uint64_t last_replayed_sequence_ = 0;  // of the last batch applied; 0 before the first
};

Status WalReplay::Run() {
  result_->max_sequence = in_.last_sequence;
  ZIGGY_RETURN_IF_ERROR(FindLogsToReplay());
  Log("recovering with wal_recovery_mode " + std::string(WalRecoveryModeName(in_.mode)) + ": " +
      std::to_string(logs().size()) + " log(s) from number " + std::to_string(raw(in_.log_number)));
  for (size_t i = 0; i < logs().size() && !stopped_; ++i)
    ZIGGY_RETURN_IF_ERROR(ReplayLog(i));
  for (ReplayedLog& log : replayed_) {
    if (stopped_ || log.tail_damage.empty()) continue;
    // Only empty logs followed it: its torn tail is the end of the WAL.
    Drop(std::move(log.tail_damage), "dropped a torn WAL tail: ");
  }
  if (mem_ != nullptr) ZIGGY_RETURN_IF_ERROR(FlushMemTable());
  return Status::OK();
}

Status WalReplay::FindLogsToReplay() {
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(in_.env->GetChildren(in_.dbname, &names));
  std::vector<FileNumber>& logs = result_->logs;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) continue;
    // Numbers of files the MANIFEST does not know yet (a WAL started after the last edit, an
    // unfinished table) must never be handed out again.
    in_.mark_file_number_used(number);
    if (type == FileType::kLogFile && raw(number) >= raw(in_.log_number)) logs.push_back(number);
  }
  std::sort(logs.begin(), logs.end());
  // The log the MANIFEST names was created (and its name synced) before the edit naming it, and
  // is deleted only after a later edit raises the log number: it must be here.
  if (raw(in_.log_number) != 0 && (logs.empty() || logs.front() != in_.log_number)) {
    return Status::Corruption("a WAL the MANIFEST needs is missing",
                              LogFileName(in_.dbname, in_.log_number));
  }
  return Status::OK();
}

Status WalReplay::ReplayLog(size_t index) {
  const FileNumber number = logs()[index];
  const bool last_log = index + 1 == logs().size();
  const std::string path = LogFileName(in_.dbname, number);
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(in_.env->NewSequentialFile(path, &file));
  WalReporter reporter;
  wal::Reader reader(std::move(file), raw(number), &reporter);
  std::string record;
  uint64_t records = 0;
  bool first_read = true;
  replayed_.emplace_back();
  while (true) {
    const bool got = reader.ReadRecord(&record);
    if (first_read) {
      // The first read has seen the head (if any): judge the previous log before this one.
      first_read = false;
      ZIGGY_RETURN_IF_ERROR(CheckPreviousLog(index, reader.head(), got));
      if (stopped_) return Status::OK();
      result_->records_per_log.push_back(0);
    }
    // Damage is reported before the record that follows it, so it is judged first.
    for (WalDamage& damage : reporter.Take()) {
      bool unsynced = false;
      ZIGGY_RETURN_IF_ERROR(InUnsyncedRegion(number, damage, &unsynced));
      if (unsynced) {
        // A torn tail, though intact data follows: the log ends at the damage.
        damage.at_tail = true;
        damage.reason += " (past every byte this log declares synced: its unsynced tail)";
        ZIGGY_RETURN_IF_ERROR(HandleWalDamage(path, damage, last_log));
        replayed_.back().intact_end = damage.offset;
        Log("replayed " + std::to_string(records) + " record(s) from " + path);
        return Status::OK();
      }
      ZIGGY_RETURN_IF_ERROR(HandleWalDamage(path, damage, last_log));
      if (stopped_) return Status::OK();
    }
    if (!got) break;
    replayed_.back().holds_records = true;
    WriteBatch batch;
    Status s = WriteBatchInternal::SetContents(&batch, record);
    if (s.ok() && WriteBatchInternal::Count(batch) == 0) continue;  // nothing to apply
    // The WAL is in sequence order (commit_pipeline.h, invariant 1): a batch that does not
    // start past every one replayed before it was never written so (and would put a second
    // entry at a key and sequence the memtable holds).
    const bool in_range = s.ok() && WriteBatchInternal::SequencesInRange(batch);
    const uint64_t first = in_range ? raw(WriteBatchInternal::Sequence(batch)) : 0;
    if (!in_range || first <= last_replayed_sequence_) {
      // An intact record that is not a valid batch: judged like mid-log damage.
      std::string what = !s.ok()     ? std::string(s.message())
                         : !in_range ? "batch sequence numbers out of range"
                                     : "batch sequence numbers go back: " + std::to_string(first) +
                                           " after " + std::to_string(last_replayed_sequence_);
      WalDamage damage{reader.last_record_offset(), record.size(), std::move(what), false};
      ZIGGY_RETURN_IF_ERROR(HandleWalDamage(path, damage, last_log));
      if (stopped_) return Status::OK();
      continue;
    }
    ZIGGY_RETURN_IF_ERROR(ApplyBatch(batch));
    ++records;
    ++result_->records_replayed;
    ++result_->records_per_log.back();
  }
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  replayed_.back().intact_end = reader.intact_end_offset();
  Log("replayed " + std::to_string(records) + " record(s) from " + path);
  return Status::OK();
}

Status WalReplay::CheckPreviousLog(size_t index, const std::optional<wal::LogHead>& head,
                                   bool has_records) {
  ZIGGY_ASSERT(replayed_.size() == index + 1);
  // The logs before the first are in tables; a head naming no predecessor was written by
  // recovery, which left no older log to replay.
  if (index == 0 || (head.has_value() && head->previous_log_number == 0)) return Status::OK();
  const std::string path = LogFileName(in_.dbname, logs()[index]);
  // The log before this one. Logs between it and this one hold no record: files whose creation
  // failed (their head unwritten or unsynced) and whose removal failed too. Such a log was never
  // the live log, so no write went to it; one that holds a record is damage.
  size_t previous = index;
  if (head.has_value()) {
    const auto begin = logs().begin();
    const auto end = begin + static_cast<ptrdiff_t>(index);
    const auto named = std::find(begin, end, FileNumber{head->previous_log_number});
    if (named == end) {
      return Status::Corruption("WAL " + path + " follows log " +
                                std::to_string(head->previous_log_number) + ", which is missing");
    }
    previous = static_cast<size_t>(named - begin);
    for (size_t k = previous + 1; k < index; ++k) {
      const std::string between = LogFileName(in_.dbname, logs()[k]);
      if (replayed_[k].holds_records) {
        return Status::Corruption("WAL " + path + " follows log " +
                                  std::to_string(head->previous_log_number) + ", but log " +
                                  between + " lies between");
      }
      if (replayed_[k].intact_end > 0) {
        Log("passing over " + between + ": a WAL whose start failed (a head, no record)");
      }
    }
    // A log that holds no record and says its predecessor held fewer bytes than it does was
    // never the live log: its creation failed and the predecessor took more writes afterwards.
    // The log that followed it, if any, names that predecessor and is judged against it.
    if (!has_records && head->previous_log_bytes < replayed_[previous].intact_end) {
      Log("passing over " + path + ": a WAL whose start failed (a head, no record)");
      return Status::OK();
    }
  } else {
    // An empty log (its head never reached the disk) shows nothing yet; a log with records but
    // no head (format 1) continues the last log that held anything.
    if (!has_records) return Status::OK();
    while (previous > 0 && replayed_[previous - 1].intact_end == 0)
      --previous;
    if (previous == 0) return Status::OK();
    --previous;
  }
  ReplayedLog& before = replayed_[previous];
  std::string torn = std::exchange(before.tail_damage, {});
  if (head.has_value() && head->previous_log_bytes != before.intact_end && !before.tail_skipped) {
    torn = LogFileName(in_.dbname, logs()[previous]) + " ends after " +
           std::to_string(before.intact_end) + " intact bytes, but " + path + " says it held " +
           std::to_string(head->previous_log_bytes);
  }
  if (torn.empty()) return Status::OK();
  return ResolveTornLog(index, std::move(torn));
}

Status WalReplay::ResolveTornLog(size_t index, std::string where) {
  switch (in_.mode) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return Status::Corruption("an older WAL lost its tail (absolute-consistency)", where);
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      Skip(std::move(where), "replaying on past a torn older WAL: ");
      return Status::OK();
    case WalRecoveryMode::kPointInTimeRecovery:
      Stop(std::move(where), "point-in-time recovery stops at a torn older WAL: ");
      return Status::OK();
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      break;
  }
  // A torn older log is the end of the WAL if nothing after it was synced: a sync write syncs
  // every older log first, and the first one in each log writes the marker before its record.
  for (size_t i = index; i < logs().size(); ++i) {
    bool synced = false;
    ZIGGY_RETURN_IF_ERROR(SaysEarlierLogsSynced(logs()[i], &synced));
    if (synced) {
      return Status::Corruption("an older WAL lost data after it was synced",
                                where + "; " + LogFileName(in_.dbname, logs()[i]) +
                                    " records that every log before it was synced");
    }
  }
  Drop(std::move(where), "the WAL ends at the torn tail of an older log: ",
       "; the " + std::to_string(logs().size() - index) +
           " later log(s) hold only unsynced writes and are not replayed");
  stopped_ = true;
  return Status::OK();
}

Status WalReplay::SaysEarlierLogsSynced(FileNumber number, bool* synced) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(in_.env->NewSequentialFile(LogFileName(in_.dbname, number), &file));
  wal::Reader reader(std::move(file), raw(number), nullptr);
  std::string record;
  bool has_records = false;
  while (!reader.earlier_logs_synced() && reader.ReadRecord(&record))
    has_records = true;
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  *synced = reader.earlier_logs_synced() || (has_records && !reader.head().has_value());
  return Status::OK();
}

Status WalReplay::InUnsyncedRegion(FileNumber number, const WalDamage& damage, bool* unsynced) {
  *unsynced = false;
  if (in_.mode != WalRecoveryMode::kTolerateCorruptedTailRecords || damage.at_tail) {
    return Status::OK();
  }
  // Every marker counts, those after the damage too: the largest declares the most that was
  // ever synced (that the disk still shows).
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(in_.env->NewSequentialFile(LogFileName(in_.dbname, number), &file));
  wal::Reader reader(std::move(file), raw(number), nullptr);
  std::string record;
  while (reader.ReadRecord(&record)) {
  }
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  const std::optional<uint64_t>& synced = reader.declared_synced_bytes();
  *unsynced = synced.has_value() && *synced <= damage.offset;
  return Status::OK();
}

Status WalReplay::HandleWalDamage(const std::string& path, const WalDamage& damage, bool last_log) {
  std::string where = damage.Describe(path);
  switch (in_.mode) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return Status::Corruption("damaged WAL record (absolute-consistency)", where);
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      if (!damage.at_tail) return Status::Corruption("damaged WAL record mid-log", where);
      if (last_log) {
        Drop(std::move(where), "dropped a torn WAL tail: ");
      } else {
        replayed_.back().tail_damage = std::move(where);
      }
      return Status::OK();
    case WalRecoveryMode::kPointInTimeRecovery:
      Stop(std::move(where), "point-in-time recovery stops at damage: ");
      return Status::OK();
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      if (damage.at_tail && !last_log) replayed_.back().tail_skipped = true;
      Skip(std::move(where), "skipped damaged WAL bytes: ");
      return Status::OK();
  }
  return Status::Corruption("unknown wal_recovery_mode");
}

void WalReplay::Drop(std::string where, const std::string& prefix, const std::string& suffix) {
  Log(prefix + where + suffix);
  ++result_->tail_records_dropped;
  result_->dropped.push_back(std::move(where));
}

void WalReplay::Skip(std::string where, const std::string& prefix) {
  Log(prefix + where);
  ++result_->records_skipped;
  result_->skipped.push_back(std::move(where));
}

void WalReplay::Stop(std::string where, const std::string& prefix) {
  Log(prefix + where);
  result_->stopped_at = std::move(where);
  stopped_ = true;
}

Status WalReplay::ApplyBatch(const WriteBatch& batch) {
  if (mem_ == nullptr) mem_ = std::make_shared<MemTable>(*in_.icmp);
  Status inserted = WriteBatchInternal::InsertInto(batch, mem_.get());
  ZIGGY_ASSERT(inserted.ok());  // SetContents and SequencesInRange accepted it
  const uint64_t last =
      raw(WriteBatchInternal::Sequence(batch)) + WriteBatchInternal::Count(batch) - 1;
  last_replayed_sequence_ = last;
  result_->max_sequence = SequenceNumber{std::max(raw(result_->max_sequence), last)};
  if (mem_->ApproximateMemoryBytes() >= in_.memtable_bytes) return FlushMemTable();
  return Status::OK();
}

Status WalReplay::FlushMemTable() {
  ZIGGY_ASSERT(mem_ != nullptr);
  FileMetaData meta;
  ZIGGY_RETURN_IF_ERROR(in_.new_file_number(&meta.number));
  ++result_->memtables_written;
  ZIGGY_RETURN_IF_ERROR(in_.write_table(*mem_, &meta));
  if (meta.file_bytes > 0) {
    Log("recovered " + std::to_string(mem_->NumEntries()) + " entries into L0 table " +
        std::to_string(raw(meta.number)));
    result_->edit.AddFile(0, meta);
  }
  mem_.reset();
  return Status::OK();
}

}  // namespace

const char* WalRecoveryModeName(WalRecoveryMode mode) {
  switch (mode) {
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      return "tolerate-corrupted-tail-records";
    case WalRecoveryMode::kAbsoluteConsistency:
      return "absolute-consistency";
    case WalRecoveryMode::kPointInTimeRecovery:
      return "point-in-time";
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      return "skip-any-corrupted-records";
  }
  return "unknown";
}

Status ReplayWal(const WalReplayInputs& inputs, WalReplayResult* result) {
  return WalReplay(inputs, result).Run();
}

Status CheckLiveTables(Env* env, const std::string& dbname, const Version& version) {
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : version.files(level)) {
      const std::string path = TableFileName(dbname, file->number);
      uint64_t bytes = 0;
      if (Status s = env->GetFileSize(path, &bytes); !s.ok()) {
        // Only a table that is not there is damage; EACCES or EIO say nothing about the bytes
        // (and Corruption would send the operator to RepairDB). The listing tells them apart
        // (a failed stat and a failed access(2) look alike).
        std::vector<std::string> names;
        if (!env->GetChildren(dbname, &names).ok()) return s;
        const std::string name = path.substr(dbname.size() + 1);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          return Status::Corruption("a live table is missing", path);
        }
        return s;
      }
      if (bytes != file->file_bytes) {
        return Status::Corruption("a live table has size " + std::to_string(bytes) +
                                      ", the MANIFEST says " + std::to_string(file->file_bytes),
                                  path);
      }
    }
  }
  return Status::OK();
}

Status RecoverDb(RecoveryInputs inputs, VersionSet* versions, WalReplayResult* result) {
  ZIGGY_RETURN_IF_ERROR(versions->Recover());
  ZIGGY_RETURN_IF_ERROR(CheckLiveTables(inputs.wal.env, inputs.wal.dbname, *versions->current()));
  inputs.wal.log_number = versions->LogNumber();
  inputs.wal.last_sequence = versions->LastSequence();
  inputs.wal.new_file_number = [versions](FileNumber* number) {
    return versions->NewFileNumber(number);
  };
  inputs.wal.mark_file_number_used = [versions](FileNumber n) { versions->MarkFileNumberUsed(n); };
  ZIGGY_RETURN_IF_ERROR(ReplayWal(inputs.wal, result));
  // A file in the directory numbered near the limit (a stray log) moved the counter past what
  // VersionSet::Recover accepts: refused now, before this Open records it and the next refuses.
  if (raw(versions->next_file_number()) > kMaxFileNumber - VersionSet::kFileNumbersKeptFree) {
    return Status::Corruption(
        "a file in the DB directory leaves no room for new file numbers (next file number " +
            std::to_string(raw(versions->next_file_number())) + ")",
        inputs.wal.dbname);
  }
  versions->SetLastSequence(result->max_sequence);
  return Status::OK();
}

}  // namespace ziggydb
