// DBImpl WAL recovery: replays the logs the MANIFEST does not cover into memtables, writes them to
// L0 tables, and leaves the edit naming those tables for OpenImpl to commit. Rules per
// Options::wal_recovery_mode: docs/design/recovery.md.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "util/assert.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace ziggydb {
namespace {

const char* ModeName(WalRecoveryMode mode) {
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

}  // namespace

// One damaged stretch of a WAL, as the reader reported it, or an intact record that does not
// decode as a batch.
struct DBImpl::WalDamage {
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

// Replay state carried across the logs of one recovery.
struct DBImpl::RecoveryState {
  std::shared_ptr<MemTable> mem;  // null until a record arrives
  SequenceNumber max_sequence{};
  // Replay stopped at damage or at a torn older log: nothing after it is replayed.
  bool stopped = false;
  // What each log replayed so far held (index: position in the list of logs).
  struct ReplayedLog {
    uint64_t intact_end = 0;  // wal::Reader::intact_end_offset; 0: empty (no head, no record)
    // Tail damage in a log that was not the last: that log lost its tail, which is judged once
    // a later log shows that the WAL went on after it (CheckPreviousLog). A crash during an
    // earlier recovery leaves an empty newer log behind.
    std::string tail_damage;
  };
  std::vector<ReplayedLog> replayed;
};

namespace {

class WalReporter final : public wal::Reader::Reporter {
 public:
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    damages_.push_back({offset, bytes, std::string(reason), at_tail});
  }
  // Damage reported since the last call, oldest first.
  template <typename Damage>
  std::vector<Damage> Take() {
    std::vector<Damage> taken;
    for (auto& d : damages_)
      taken.push_back(Damage{d.offset, d.bytes, std::move(d.reason), d.at_tail});
    damages_.clear();
    return taken;
  }

 private:
  struct Report {
    uint64_t offset;
    uint64_t bytes;
    std::string reason;
    bool at_tail;
  };
  std::vector<Report> damages_;
};

}  // namespace

Status DBImpl::Recover(VersionEdit* edit) {
  ZIGGY_RETURN_IF_ERROR(versions_->Recover());
  ZIGGY_RETURN_IF_ERROR(CheckLiveTables());
  std::vector<FileNumber> logs;
  ZIGGY_RETURN_IF_ERROR(FindLogsToReplay(&logs));
  Log("recovering with wal_recovery_mode " + std::string(ModeName(options_.wal_recovery_mode)) +
      ": " + std::to_string(logs.size()) + " log(s) from number " +
      std::to_string(raw(versions_->LogNumber())));
  RecoveryState state;
  state.max_sequence = versions_->LastSequence();
  for (size_t i = 0; i < logs.size() && !state.stopped; ++i) {
    ZIGGY_RETURN_IF_ERROR(ReplayLog(logs, i, &state, edit));
  }
  for (const RecoveryState::ReplayedLog& log : state.replayed) {
    if (state.stopped || log.tail_damage.empty()) continue;
    // Only empty logs followed it: its torn tail is the end of the WAL.
    wal_tail_records_dropped_.fetch_add(1, std::memory_order_relaxed);
    Log("dropped a torn WAL tail: " + log.tail_damage);
  }
  if (state.mem != nullptr) ZIGGY_RETURN_IF_ERROR(FlushRecoveredMemTable(&state, edit));
  versions_->SetLastSequence(state.max_sequence);
  return Status::OK();
}

Status DBImpl::ReplayLog(const std::vector<FileNumber>& logs, size_t index, RecoveryState* state,
                         VersionEdit* edit) {
  const FileNumber number = logs[index];
  const bool last_log = index + 1 == logs.size();
  const std::string path = LogFileName(dbname_, number);
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(path, &file));
  WalReporter reporter;
  wal::Reader reader(std::move(file), raw(number), &reporter);
  std::string record;
  uint64_t records = 0;
  bool first_read = true;
  state->replayed.emplace_back();
  while (true) {
    const bool got = reader.ReadRecord(&record);
    if (first_read) {
      // The first read has seen the head (if any): judge the previous log before this one.
      first_read = false;
      ZIGGY_RETURN_IF_ERROR(CheckPreviousLog(logs, index, reader.head(), got, state));
      if (state->stopped) return Status::OK();
    }
    // Damage is reported before the record that follows it, so it is judged first.
    for (const WalDamage& damage : reporter.Take<WalDamage>()) {
      ZIGGY_RETURN_IF_ERROR(HandleWalDamage(path, damage, last_log, state));
      if (state->stopped) return Status::OK();
    }
    if (!got) break;
    WriteBatch batch;
    Status s = WriteBatchInternal::SetContents(&batch, record);
    if (s.ok() && WriteBatchInternal::Count(batch) == 0) continue;  // nothing to apply
    if (!s.ok() || raw(WriteBatchInternal::Sequence(batch)) == 0 ||
        WriteBatchInternal::Count(batch) - 1 >
            kMaxSequenceNumber - raw(WriteBatchInternal::Sequence(batch))) {
      // An intact record that is not a valid batch: judged like mid-log damage.
      WalDamage damage{reader.last_record_offset(), record.size(),
                       s.ok() ? "batch sequence numbers out of range" : std::string(s.message()),
                       false};
      ZIGGY_RETURN_IF_ERROR(HandleWalDamage(path, damage, last_log, state));
      if (state->stopped) return Status::OK();
      continue;
    }
    ZIGGY_RETURN_IF_ERROR(ApplyRecoveredBatch(batch, state, edit));
    ++records;
  }
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  state->replayed.back().intact_end = reader.intact_end_offset();
  Log("replayed " + std::to_string(records) + " record(s) from " + path);
  return Status::OK();
}

Status DBImpl::CheckPreviousLog(const std::vector<FileNumber>& logs, size_t index,
                                const std::optional<wal::LogHead>& head, bool has_records,
                                RecoveryState* state) {
  ZIGGY_ASSERT(state->replayed.size() == index + 1);
  // The logs before the first are in tables; a head naming no predecessor was written by
  // recovery, which left no older log to replay.
  if (index == 0 || (head.has_value() && head->previous_log_number == 0)) return Status::OK();
  const std::string path = LogFileName(dbname_, logs[index]);
  // The log before this one. Logs between it and this one must be empty: files whose creation
  // failed before their head was written.
  size_t previous = index;
  if (head.has_value()) {
    const auto named = std::find(logs.begin(), logs.begin() + static_cast<ptrdiff_t>(index),
                                 FileNumber{head->previous_log_number});
    if (named == logs.begin() + static_cast<ptrdiff_t>(index)) {
      return Status::Corruption("WAL " + path + " follows log " +
                                std::to_string(head->previous_log_number) + ", which is missing");
    }
    previous = static_cast<size_t>(named - logs.begin());
    for (size_t k = previous + 1; k < index; ++k) {
      if (state->replayed[k].intact_end > 0) {
        return Status::Corruption("WAL " + path + " follows log " +
                                  std::to_string(head->previous_log_number) + ", but log " +
                                  LogFileName(dbname_, logs[k]) + " lies between");
      }
    }
  } else {
    // An empty log (its head never reached the disk) shows nothing yet; a log with records but
    // no head (format 1) continues the last log that held anything.
    if (!has_records) return Status::OK();
    while (previous > 0 && state->replayed[previous - 1].intact_end == 0)
      --previous;
    if (previous == 0) return Status::OK();
    --previous;
  }
  RecoveryState::ReplayedLog& before = state->replayed[previous];
  std::string torn = std::move(before.tail_damage);
  before.tail_damage.clear();
  if (head.has_value() && head->previous_log_bytes != before.intact_end) {
    torn = LogFileName(dbname_, logs[previous]) + " ends after " +
           std::to_string(before.intact_end) + " intact bytes, but " + path + " says it held " +
           std::to_string(head->previous_log_bytes);
  }
  if (torn.empty()) return Status::OK();
  return ResolveTornLog(logs, index, std::move(torn), state);
}

Status DBImpl::ResolveTornLog(const std::vector<FileNumber>& logs, size_t index, std::string where,
                              RecoveryState* state) {
  switch (options_.wal_recovery_mode) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return Status::Corruption("an older WAL lost its tail (absolute-consistency)", where);
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      wal_records_skipped_.fetch_add(1, std::memory_order_relaxed);
      Log("replaying on past a torn older WAL: " + where);
      return Status::OK();
    case WalRecoveryMode::kPointInTimeRecovery:
      Log("point-in-time recovery stops at a torn older WAL: " + where);
      state->stopped = true;
      return Status::OK();
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      break;
  }
  // A torn older log is the end of the WAL if nothing after it was synced: a sync write syncs
  // every older log first, and the first one in each log writes the marker before its record.
  for (size_t i = index; i < logs.size(); ++i) {
    bool synced = false;
    ZIGGY_RETURN_IF_ERROR(SaysEarlierLogsSynced(logs[i], &synced));
    if (synced) {
      return Status::Corruption("an older WAL lost data after it was synced",
                                where + "; " + LogFileName(dbname_, logs[i]) +
                                    " records that every log before it was synced");
    }
  }
  wal_tail_records_dropped_.fetch_add(1, std::memory_order_relaxed);
  Log("the WAL ends at the torn tail of an older log: " + where + "; the " +
      std::to_string(logs.size() - index) +
      " later log(s) hold only unsynced writes and are not replayed");
  state->stopped = true;
  return Status::OK();
}

Status DBImpl::SaysEarlierLogsSynced(FileNumber number, bool* synced) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(LogFileName(dbname_, number), &file));
  wal::Reader reader(std::move(file), raw(number), nullptr);
  std::string record;
  bool has_records = false;
  while (!reader.earlier_logs_synced() && reader.ReadRecord(&record))
    has_records = true;
  ZIGGY_RETURN_IF_ERROR(reader.io_status());
  *synced = reader.earlier_logs_synced() || (has_records && !reader.head().has_value());
  return Status::OK();
}

Status DBImpl::HandleWalDamage(const std::string& path, const WalDamage& damage, bool last_log,
                               RecoveryState* state) {
  const std::string where = damage.Describe(path);
  switch (options_.wal_recovery_mode) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return Status::Corruption("damaged WAL record (absolute-consistency)", where);
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      if (!damage.at_tail) return Status::Corruption("damaged WAL record mid-log", where);
      if (last_log) {
        wal_tail_records_dropped_.fetch_add(1, std::memory_order_relaxed);
        Log("dropped a torn WAL tail: " + where);
      } else {
        state->replayed.back().tail_damage = where;
      }
      return Status::OK();
    case WalRecoveryMode::kPointInTimeRecovery:
      Log("point-in-time recovery stops at damage: " + where);
      state->stopped = true;
      return Status::OK();
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      wal_records_skipped_.fetch_add(1, std::memory_order_relaxed);
      Log("skipped damaged WAL bytes: " + where);
      return Status::OK();
  }
  return Status::Corruption("unknown wal_recovery_mode");
}

Status DBImpl::ApplyRecoveredBatch(const WriteBatch& batch, RecoveryState* state,
                                   VersionEdit* edit) {
  if (state->mem == nullptr) state->mem = std::make_shared<MemTable>(icmp_);
  Status inserted = WriteBatchInternal::InsertInto(batch, state->mem.get());
  ZIGGY_ASSERT(inserted.ok());  // SetContents validated it
  const uint64_t last =
      raw(WriteBatchInternal::Sequence(batch)) + WriteBatchInternal::Count(batch) - 1;
  state->max_sequence = SequenceNumber{std::max(raw(state->max_sequence), last)};
  if (state->mem->ApproximateMemoryBytes() >= options_.memtable_bytes) {
    return FlushRecoveredMemTable(state, edit);
  }
  return Status::OK();
}

Status DBImpl::FlushRecoveredMemTable(RecoveryState* state, VersionEdit* edit) {
  ZIGGY_ASSERT(state->mem != nullptr);
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  ZIGGY_RETURN_IF_ERROR(WriteLevel0Table(*state->mem, &meta));
  if (meta.file_bytes > 0) {
    Log("recovered " + std::to_string(state->mem->NumEntries()) + " entries into L0 table " +
        std::to_string(raw(meta.number)));
    edit->AddFile(0, meta);
  }
  state->mem.reset();
  return Status::OK();
}

}  // namespace ziggydb
