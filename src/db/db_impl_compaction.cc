// DBImpl compaction: the compaction thread, running one compaction (compaction.h picks it), and
// CompactRange. Design and crash-safety argument: docs/design/compaction.md.
//
// Order of a compaction: write every output table, sync each, sync the directory, then one
// LogAndApply edit that adds the outputs and removes the inputs. A crash before the edit is
// durable leaves the old Version (the outputs are unreferenced and deleted by the next Open); a
// crash after leaves the new one. Inputs are deleted by DeleteObsoleteFiles only once no live
// Version lists them.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/merging_iterator.h"
#include "table/table_builder.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// Entries merged between two checks of shutdown_requested_.
constexpr uint64_t kShutdownCheckEntries = 1024;
// A delayed writer sleeps once it owes at least this much delay: shorter sleeps cost more in
// wake-up overhead than they throttle.
constexpr uint64_t kMinDelaySleepMicros = 1000;

// Why writes are slowed or stopped. Indexes DBImpl::stall_cause_micros_ (not persisted).
enum class StallCause : uint8_t {
  kL0Slowdown = 0,
  kPendingBytesSlowdown = 1,
  kL0Stop = 2,
  kPendingBytesStop = 3,
  kNone = 4,
};
constexpr const char* kStallCauseNames[] = {"l0-slowdown", "pending-bytes-slowdown", "l0-stop",
                                            "pending-bytes-stop"};
static_assert(std::size(kStallCauseNames) == static_cast<size_t>(StallCause::kNone));

StallCause CurrentStall(const Version& version, const Options& options) {
  const int l0_files = version.NumFiles(0);
  const uint64_t pending =
      EstimatePendingCompactionBytes(version, options, ComputeLevelTargets(version, options));
  if (l0_files >= options.l0_stop_trigger) return StallCause::kL0Stop;
  if (options.hard_pending_compaction_bytes != 0 &&
      pending >= options.hard_pending_compaction_bytes) {
    return StallCause::kPendingBytesStop;
  }
  if (l0_files >= options.l0_slowdown_trigger) return StallCause::kL0Slowdown;
  if (options.soft_pending_compaction_bytes != 0 &&
      pending >= options.soft_pending_compaction_bytes) {
    return StallCause::kPendingBytesSlowdown;
  }
  return StallCause::kNone;
}

// `bytes` with printable ASCII kept and everything else as \xHH.
std::string Printable(std::string_view bytes) {
  std::string out;
  char buf[8];
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

struct DBImpl::CompactionOutput {
  FileMetaData meta;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;  // null between output tables
  uint64_t smallest_sequence = std::numeric_limits<uint64_t>::max();
  uint64_t largest_sequence = 0;
};

void DBImpl::CompactionThreadMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::unique_ptr<Compaction> c;
    bg_cv_.wait(lock, [&] {
      if (shutting_down_) return true;
      if (!bg_error_.ok() || compaction_running_ || manual_compactions_waiting_ > 0) return false;
      c = PickAutomaticCompaction();
      return c != nullptr;
    });
    if (shutting_down_) return;
    compaction_running_ = true;
    Status s = RunCompaction(c.get(), &lock);
    compaction_running_ = false;
    c.reset();  // unpins the input Version, so that its tables can go
    if (!s.ok() && !shutting_down_) SetBackgroundError(s);
    bg_cv_.notify_all();
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
}

std::unique_ptr<Compaction> DBImpl::PickAutomaticCompaction() {
  return PickCompaction(versions_->current(), options_, versions_->compact_pointers());
}

Status DBImpl::RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock) {
  ZIGGY_ASSERT(compaction_running_);
  const uint64_t start_micros = env_->NowMicros();
  LevelCompactionStats& stats = compaction_stats_[c->output_level()];
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  char line[200];
  if (c->IsTrivialMove()) {
    const FileMetaData& file = *c->inputs(0).front();
    edit.AddFile(c->output_level(), file);
    ZIGGY_RETURN_IF_ERROR(bg_error_);
    ZIGGY_RETURN_IF_ERROR(versions_->LogAndApply(&edit, lock));
    ++stats.trivial_moves;
    std::snprintf(line, sizeof(line), "moved table %" PRIu64 " (%" PRIu64 " bytes) from L%d to L%d",
                  raw(file.number), file.file_bytes, c->start_level(), c->output_level());
    Log(line);
    return Status::OK();
  }
  const std::vector<SequenceNumber> snapshots = LiveSnapshotSequences();
  std::vector<FileMetaData> outputs;
  uint64_t dropped = 0;
  lock->unlock();
  Status s = WriteCompactionOutputs(c, snapshots, &outputs, &dropped);
  lock->lock();
  // After a background error the in-memory state may lag the MANIFEST: install nothing more.
  if (s.ok() && !bg_error_.ok()) s = bg_error_;
  if (!s.ok()) {
    RemoveCompactionOutputs(outputs);
  } else {
    for (const FileMetaData& out : outputs)
      edit.AddFile(c->output_level(), out);
    // A failed edit may still be durable: its outputs stay until the next Open sorts it out.
    s = versions_->LogAndApply(&edit, lock);
  }
  for (const FileMetaData& out : outputs)
    pending_outputs_.erase(out.number);
  if (!s.ok()) {
    Log("compaction L" + std::to_string(c->start_level()) + "->L" +
        std::to_string(c->output_level()) + " failed: " + s.ToString());
    return s;
  }
  uint64_t written = 0;
  for (const FileMetaData& out : outputs)
    written += out.file_bytes;
  ++stats.compactions;
  stats.read_bytes += c->InputBytes();
  stats.write_bytes += written;
  stats.micros += env_->NowMicros() - start_micros;
  std::snprintf(line, sizeof(line),
                "compacted L%d->L%d: %zu+%zu tables, %" PRIu64 " bytes in, %zu tables, %" PRIu64
                " bytes out, %" PRIu64 " entries dropped",
                c->start_level(), c->output_level(), c->inputs(0).size(), c->inputs(1).size(),
                c->InputBytes(), outputs.size(), written, dropped);
  Log(line);
  return Status::OK();
}

Status DBImpl::WriteCompactionOutputs(Compaction* c, const std::vector<SequenceNumber>& snapshots,
                                      std::vector<FileMetaData>* outputs,
                                      uint64_t* dropped_entries) {
  ReadOptions read_options;
  read_options.fill_cache = false;  // a compaction reads each block once
  std::vector<std::unique_ptr<Iterator>> children;
  std::vector<std::shared_ptr<const TableReader>> tables;  // keeps the readers open
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c->inputs(which)) {
      std::shared_ptr<const TableReader> table;
      ZIGGY_RETURN_IF_ERROR(table_cache_->FindTable(file->number, file->file_bytes, &table));
      children.push_back(table->NewIterator(read_options));
      tables.push_back(std::move(table));
    }
  }
  MergingIterator input(&icmp_, std::move(children));
  VersionGarbageCollector gc(icmp_.user_comparator(), snapshots, c);
  const Comparator* ucmp = icmp_.user_comparator();
  CompactionOutput out;
  std::string last_user_key;
  bool has_last = false;
  uint64_t entries = 0;
  Status s;
  for (input.SeekToFirst(); input.Valid(); input.Next()) {
    if (++entries % kShutdownCheckEntries == 0 &&
        shutdown_requested_.load(std::memory_order_relaxed)) {
      s = Status::Busy("compaction abandoned: the DB is closing");
      break;
    }
    ParsedInternalKey parsed;
    if (!ParseInternalKey(input.key(), &parsed)) {
      s = Status::Corruption("malformed internal key in a compaction input");
      break;
    }
    // Outputs end only between user keys: the versions of a key stay in one table.
    if (!has_last || ucmp->Compare(parsed.user_key, last_user_key) != 0) {
      const bool stop = c->ShouldStopBefore(input.key());
      if (out.builder != nullptr && (stop || out.builder->FileSize() >= c->target_file_bytes())) {
        s = FinishCompactionOutput(&out, outputs);
        if (!s.ok()) break;
      }
      last_user_key.assign(parsed.user_key);
      has_last = true;
    }
    if (gc.ShouldDrop(parsed)) continue;
    if (out.builder == nullptr) {
      s = OpenCompactionOutput(&out);
      if (!s.ok()) break;
      out.meta.smallest.assign(input.key());
    }
    out.builder->Add(input.key(), input.value());
    out.meta.largest.assign(input.key());
    out.smallest_sequence = std::min(out.smallest_sequence, raw(parsed.sequence));
    out.largest_sequence = std::max(out.largest_sequence, raw(parsed.sequence));
  }
  if (s.ok()) s = input.status();
  if (s.ok() && out.builder != nullptr) s = FinishCompactionOutput(&out, outputs);
  if (!s.ok() && out.builder != nullptr) {
    out.builder->Abandon();
    out.builder.reset();
    out.file.reset();
    env_->RemoveFile(TableFileName(dbname_, out.meta.number)).PermitUncheckedError();
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out.meta.number);
  }
  if (s.ok() && !outputs->empty()) s = env_->SyncDir(dbname_);
  *dropped_entries = gc.dropped_shadowed() + gc.dropped_tombstones();
  return s;
}

Status DBImpl::OpenCompactionOutput(CompactionOutput* out) {
  ZIGGY_ASSERT(out->builder == nullptr);
  out->meta = FileMetaData();
  out->smallest_sequence = std::numeric_limits<uint64_t>::max();
  out->largest_sequence = 0;
  {
    std::lock_guard<std::mutex> guard(mu_);
    out->meta.number = versions_->NewFileNumber();
    pending_outputs_.insert(out->meta.number);
  }
  Status s = env_->NewWritableFile(TableFileName(dbname_, out->meta.number), &out->file);
  if (!s.ok()) {
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out->meta.number);
    return s;
  }
  out->builder = std::make_unique<TableBuilder>(table_options_, out->file.get());
  return Status::OK();
}

Status DBImpl::FinishCompactionOutput(CompactionOutput* out, std::vector<FileMetaData>* outputs) {
  ZIGGY_ASSERT(out->builder != nullptr && out->builder->NumEntries() > 0);
  out->builder->SetSequenceRange(out->smallest_sequence, out->largest_sequence);
  Status s = out->builder->Finish();
  if (s.ok()) s = out->file->Sync();
  if (s.ok()) s = out->file->Close();
  out->meta.file_bytes = out->builder->FileSize();
  out->meta.smallest_sequence = SequenceNumber{out->smallest_sequence};
  out->meta.largest_sequence = SequenceNumber{out->largest_sequence};
  out->builder.reset();
  out->file.reset();
  if (s.ok() && options_.paranoid_checks) {
    // Read back what was just written: footer and meta blocks, through the table cache.
    std::shared_ptr<const TableReader> table;
    s = table_cache_->FindTable(out->meta.number, out->meta.file_bytes, &table);
  }
  if (!s.ok()) {
    table_cache_->Evict(out->meta.number);
    env_->RemoveFile(TableFileName(dbname_, out->meta.number)).PermitUncheckedError();
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out->meta.number);
    return s;
  }
  ZIGGY_DASSERT(icmp_.Compare(out->meta.smallest, out->meta.largest) <= 0);
  outputs->push_back(out->meta);
  return Status::OK();
}

void DBImpl::RemoveCompactionOutputs(const std::vector<FileMetaData>& outputs) {
  for (const FileMetaData& out : outputs) {
    table_cache_->Evict(out.number);
    env_->RemoveFile(TableFileName(dbname_, out.number)).PermitUncheckedError();
  }
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  ZIGGY_RETURN_IF_ERROR(Flush());
  std::unique_lock<std::mutex> lock(mu_);
  ++manual_compactions_waiting_;
  bg_cv_.wait(lock, [this] { return !compaction_running_ || !bg_error_.ok(); });
  --manual_compactions_waiting_;
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  compaction_running_ = true;
  Status s;
  // Level by level: each step moves the range's tables of one level into the next level that
  // holds the range (or the last); the last level is then rewritten in place, which drops what
  // the snapshots released since it was written no longer need.
  for (int level = 0; level < kNumLevels && s.ok(); ++level) {
    std::unique_ptr<Compaction> c =
        PickManualCompaction(versions_->current(), options_, level, begin, end);
    if (c == nullptr) continue;
    s = RunCompaction(c.get(), &lock);
    c.reset();  // unpins the input Version, so that its tables can go
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
  compaction_running_ = false;
  if (!s.ok() && !shutting_down_) SetBackgroundError(s);
  bg_cv_.notify_all();
  return s;
}

Status DBImpl::ThrottleWrites(std::unique_lock<std::mutex>* lock, uint64_t bytes) {
  bool delayed = false;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const StallCause cause = CurrentStall(*versions_->current(), options_);
    if (cause == StallCause::kNone) return Status::OK();
    const size_t index = static_cast<size_t>(cause);
    if (cause == StallCause::kL0Stop || cause == StallCause::kPendingBytesStop) {
      // A stop always has a compaction to wait for: its cause gives some level a score >= 1.
      ++stall_cause_count_[index];
      const uint64_t start_micros = env_->NowMicros();
      bg_cv_.wait(*lock);
      const uint64_t waited = env_->NowMicros() - start_micros;
      stall_cause_micros_[index] += waited;
      stall_micros_.fetch_add(waited, std::memory_order_relaxed);
      continue;
    }
    if (delayed) return Status::OK();  // one delay per write; a stop is still honoured above
    delayed = true;
    ++stall_cause_count_[index];
    delay_debt_micros_ += bytes * 1'000'000 / options_.delayed_write_bytes_per_sec;
    if (delay_debt_micros_ < kMinDelaySleepMicros) continue;
    const uint64_t sleep_micros = delay_debt_micros_;
    delay_debt_micros_ = 0;
    lock->unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_micros));
    lock->lock();
    stall_cause_micros_[index] += sleep_micros;
    stall_micros_.fetch_add(sleep_micros, std::memory_order_relaxed);
  }
}

bool DBImpl::HoldFlushWhileL0Full(std::unique_lock<std::mutex>* lock) {
  if (versions_->current()->NumFiles(0) < options_.l0_stop_trigger) return false;
  const size_t index = static_cast<size_t>(StallCause::kL0Stop);
  ++stall_cause_count_[index];
  Log("L0 reached the stop trigger: flushes wait for a compaction");
  const uint64_t start_micros = env_->NowMicros();
  bg_cv_.wait(*lock, [this] {
    return shutting_down_ || !bg_error_.ok() ||
           versions_->current()->NumFiles(0) < options_.l0_stop_trigger;
  });
  stall_cause_micros_[index] += env_->NowMicros() - start_micros;
  return true;
}

std::string DBImpl::LevelStatsString() const {
  const Version& version = *versions_->current();
  const LevelTargets targets = ComputeLevelTargets(version, options_);
  const auto scores = ComputeScores(version, options_, targets);
  const uint64_t flushed = flush_bytes_.load(std::memory_order_relaxed);
  // W-Amp of a level: bytes written into it / bytes flushed from memtables; the sum row is the
  // DB's write amplification (WAL excluded).
  std::string out =
      "level files        bytes  score       target    read-bytes   write-bytes  w-amp  "
      "compactions moves\n";
  char line[200];
  uint64_t total_files = 0, total_bytes = 0, total_read = 0, total_written = flushed;
  for (int level = 0; level < kNumLevels; ++level) {
    const LevelCompactionStats& stats = compaction_stats_[level];
    const uint64_t written = level == 0 ? flushed : stats.write_bytes;
    if (level != 0) total_written += stats.write_bytes;
    total_files += version.NumFiles(level);
    total_bytes += version.LevelBytes(level);
    total_read += stats.read_bytes;
    std::snprintf(line, sizeof(line),
                  "L%d%s  %5d %12" PRIu64 " %6.2f %12" PRIu64 " %13" PRIu64 " %13" PRIu64
                  " %6.2f %12" PRIu64 " %5" PRIu64 "\n",
                  level, level == targets.base_level ? "*" : " ", version.NumFiles(level),
                  version.LevelBytes(level), scores[level],
                  level == 0 ? uint64_t{0} : targets.target_bytes[level], stats.read_bytes, written,
                  flushed == 0 ? 0.0 : static_cast<double>(written) / static_cast<double>(flushed),
                  stats.compactions, stats.trivial_moves);
    out += line;
  }
  std::snprintf(
      line, sizeof(line),
      "sum  %6" PRIu64 " %12" PRIu64 "        %12s %13" PRIu64 " %13" PRIu64
      " %6.2f\n"
      "(* = base level; w-amp = bytes written into the level / bytes flushed)\n"
      "pending compaction bytes: %" PRIu64 "\n",
      total_files, total_bytes, "", total_read, total_written,
      flushed == 0 ? 0.0 : static_cast<double>(total_written) / static_cast<double>(flushed),
      EstimatePendingCompactionBytes(version, options_, targets));
  out += line;
  for (size_t i = 0; i < stall_cause_count_.size(); ++i) {
    std::snprintf(line, sizeof(line), "stall %s: %" PRIu64 " writes, %" PRIu64 " micros\n",
                  kStallCauseNames[i], stall_cause_count_[i], stall_cause_micros_[i]);
    out += line;
  }
  return out;
}

std::string DBImpl::SstablesString() const {
  const Version& version = *versions_->current();
  std::string out;
  char line[128];
  for (int level = 0; level < kNumLevels; ++level) {
    if (version.NumFiles(level) == 0) continue;
    out += "--- level " + std::to_string(level) + " ---\n";
    for (const auto& file : version.files(level)) {
      ParsedInternalKey smallest;
      ParsedInternalKey largest;
      if (!ParseInternalKey(file->smallest, &smallest) ||
          !ParseInternalKey(file->largest, &largest)) {
        continue;  // VersionEdit::DecodeFrom rejects such keys: never in a Version
      }
      std::snprintf(line, sizeof(line),
                    " %" PRIu64 ": %" PRIu64 " bytes, seq [%" PRIu64 ", %" PRIu64 "], keys [",
                    raw(file->number), file->file_bytes, raw(file->smallest_sequence),
                    raw(file->largest_sequence));
      out += line;
      out += "'" + Printable(smallest.user_key) + "' @ " + std::to_string(raw(smallest.sequence)) +
             " .. '" + Printable(largest.user_key) + "' @ " +
             std::to_string(raw(largest.sequence)) + "]\n";
    }
  }
  return out;
}

}  // namespace ziggydb
