// DBImpl compaction: the compaction threads (max_background_jobs - 1), each running one
// compaction at a time that conflicts with none of the others (compaction.h picks it), and
// CompactRange, which runs alone. Design and crash-safety argument: docs/design/compaction.md.
//
// Order of a compaction: write every output table, sync each, sync the directory, then one
// LogAndApply edit that adds the outputs and removes the inputs. A crash before the edit is
// durable leaves the old Version (the outputs are unreferenced and deleted by the next Open); a
// crash after leaves the new one. Inputs are deleted by DeleteObsoleteFiles only once no live
// Version lists them.
#include <algorithm>
#include <functional>
#include <limits>
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
}  // namespace

struct DBImpl::CompactionOutput {
  FileMetaData meta;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;  // null between output tables
  uint64_t smallest_sequence = std::numeric_limits<uint64_t>::max();
  uint64_t largest_sequence = 0;
};

void DBImpl::StartCompactionThreads() {
  ZIGGY_ASSERT(compaction_threads_.empty());
  // One of the background jobs is the flush thread (bg_thread_).
  const int threads = options_.max_background_jobs - 1;
  ZIGGY_ASSERT(threads >= 1);  // Options::Validate: max_background_jobs >= 2
  for (int i = 0; i < threads; ++i)
    compaction_threads_.emplace_back([this] { CompactionThreadMain(); });
}

void DBImpl::CompactionThreadMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::unique_ptr<Compaction> c;
    bg_cv_.wait(lock, [&] {
      if (shutting_down_) return true;
      if (!bg_error_.ok() || manual_compaction_running_ || manual_compactions_waiting_ > 0) {
        return false;
      }
      c = PickAutomaticCompaction();
      return c != nullptr;
    });
    if (shutting_down_) return;
    // INVARIANT: c conflicts with no running compaction; registered before mu_ is released, so
    // no other thread can pick any of its inputs or its key range at the levels it spans.
    compactions_in_progress_.Add(c.get());
    ++compactions_running_;
    peak_compactions_running_ = std::max(peak_compactions_running_, compactions_running_);
    Status s = RunCompaction(c.get(), &lock);
    // c is still registered: listeners hear of it before WaitForBackgroundWork can return.
    DeliverEvents(&lock);
    compactions_in_progress_.Remove(c.get());
    --compactions_running_;
    c.reset();  // unpins the input Version, so that its tables can go
    if (!s.ok() && !shutting_down_) SetBackgroundError(s);
    // Wakes CompactRange callers waiting for compactions_running_ == 0, stalled writers, the
    // flush thread held by a full L0, and the other compaction threads (work may have appeared).
    bg_cv_.notify_all();
    ReportBackgroundError();
    DeliverEvents(&lock);
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
}

Status DBImpl::WaitForBackgroundWork() {
  std::unique_lock<std::mutex> lock(mu_);
  // bg_cv_ is notified after every flush and every compaction.
  bg_cv_.wait(lock, [this] {
    if (!bg_error_.ok() || shutting_down_) return true;
    if (!imm_.empty() || compactions_running_ > 0 || manual_compactions_waiting_ > 0) return false;
    // With nothing running, a level scoring >= 1 always yields a pick (nothing can conflict), so
    // the compaction threads are about to start it.
    const Version& version = *versions_->current();
    const auto scores = ComputeScores(version, options_, ComputeLevelTargets(version, options_));
    return *std::max_element(scores.begin(), scores.end()) < 1.0;
  });
  return bg_error_;
}

std::unique_ptr<Compaction> DBImpl::PickAutomaticCompaction() {
  return PickCompaction(versions_->current(), options_, versions_->compact_pointers(),
                        compactions_in_progress_);
}

void DBImpl::TEST_SetCompactionHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> guard(mu_);
  compaction_test_hook_ = std::move(hook);
}

std::array<std::string, kNumLevels> DBImpl::TEST_CompactPointers() {
  std::lock_guard<std::mutex> guard(mu_);
  return *versions_->compact_pointers();
}

Status DBImpl::RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock) {
  ZIGGY_ASSERT(compactions_running_ > 0);
  if (compaction_test_hook_) {
    // c is registered: while mu_ is released nothing else can take its inputs or key range.
    const std::function<void()> hook = compaction_test_hook_;
    lock->unlock();
    hook();
    lock->lock();
  }
  const uint64_t start_micros = env_->NowMicros();
  CompactionJobInfo info = MakeCompactionJobInfo(*c);
  NotifyCompactionBegin(info);  // delivered once mu_ is released (a trivial move: by the caller)
  LevelCompactionStats& stats = compaction_stats_[c->output_level()];
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  if (c->IsTrivialMove()) {
    const FileMetaData& file = *c->inputs(0).front();
    edit.AddFile(c->output_level(), file);
    Status s = bg_error_;
    if (s.ok()) s = versions_->LogAndApply(&edit, lock);
    info.duration_micros = env_->NowMicros() - start_micros;
    // Every begin has its end, a failed move's included.
    info.status = s;
    if (s.ok()) {
      ++stats.trivial_moves;
      info.output_file_numbers.push_back(raw(file.number));
    }
    NotifyCompactionCompleted(info);  // logs event=trivial_move or compaction_failed
    return s;
  }
  const std::vector<SequenceNumber> snapshots = LiveSnapshotSequences();
  std::vector<FileMetaData> outputs;
  uint64_t dropped = 0;
  const EventQueue::Batch begin_events = events_.TakeMine();
  lock->unlock();
  events_.Deliver(begin_events);
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
  info.duration_micros = env_->NowMicros() - start_micros;
  if (!s.ok()) {
    info.status = s;
    NotifyCompactionCompleted(info);  // logs event=compaction_failed
    return s;
  }
  uint64_t written = 0;
  for (const FileMetaData& out : outputs)
    written += out.file_bytes;
  ++stats.compactions;
  stats.read_bytes += c->InputBytes();
  stats.write_bytes += written;
  stats.micros += info.duration_micros;
  for (const FileMetaData& out : outputs)
    info.output_file_numbers.push_back(raw(out.number));
  info.write_bytes = written;
  info.dropped_entries = dropped;
  NotifyCompactionCompleted(info);  // logs event=compaction_finished
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
  // A value that every reader sees, with nothing older left of its key and nothing below the
  // output, is written with sequence 0: its key's trailer then takes one byte in a table
  // (docs/format/internal_key.md, "Sequence 0"). Sequence 0 sorts after every newer version.
  const bool zero_sequences = c->OutputIsBottommost();
  std::string zeroed_key;
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
      const uint64_t output_bytes = out.builder != nullptr ? out.builder->FileSize() : 0;
      if (c->ShouldStopBefore(input.key(), output_bytes)) {
        s = FinishCompactionOutput(&out, outputs);
        if (!s.ok()) break;
      }
      last_user_key.assign(parsed.user_key);
      has_last = true;
    }
    if (gc.ShouldDrop(parsed)) continue;
    std::string_view key = input.key();
    if (zero_sequences && parsed.type == ValueType::kValue && raw(parsed.sequence) != 0 &&
        gc.KeptEntryVisibleToAll()) {
      parsed.sequence = SequenceNumber{0};
      zeroed_key.clear();
      AppendInternalKey(&zeroed_key, parsed);
      key = zeroed_key;
    }
    if (out.builder == nullptr) {
      s = OpenCompactionOutput(&out);
      if (!s.ok()) break;
      out.meta.smallest.assign(key);
    }
    out.builder->Add(key, input.value());
    out.meta.largest.assign(key);
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
  // Automatic compactions start no new work while a manual one waits: the count only falls.
  bg_cv_.wait(lock, [this] { return compactions_running_ == 0 || !bg_error_.ok(); });
  --manual_compactions_waiting_;
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  ZIGGY_ASSERT(!manual_compaction_running_);
  manual_compaction_running_ = true;
  ++compactions_running_;
  peak_compactions_running_ = std::max(peak_compactions_running_, compactions_running_);
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
    DeliverEvents(&lock);
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
  --compactions_running_;
  ZIGGY_ASSERT(compactions_running_ == 0);
  manual_compaction_running_ = false;
  if (!s.ok() && !shutting_down_) SetBackgroundError(s);
  bg_cv_.notify_all();
  ReportBackgroundError();
  DeliverEvents(&lock);
  return s;
}

}  // namespace ziggydb
