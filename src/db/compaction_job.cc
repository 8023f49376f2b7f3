#include "db/compaction_job.h"

#include <utility>

#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

CompactionJob::CompactionJob(CompactionJobContext context, Compaction* c,
                             std::vector<SequenceNumber> snapshots)
    : context_(std::move(context)), compaction_(c), snapshots_(std::move(snapshots)) {}

Status CompactionJob::Run() {
  ZIGGY_ASSERT(!ran_);
  ran_ = true;
  if (compaction_->IsTrivialMove()) return Status::OK();
  Status s = Merge();
  if (s.ok() && !outputs_.empty()) s = context_.output.env->SyncDir(context_.output.dbname);
  if (!s.ok()) RemoveOutputs();
  return s;
}

void CompactionJob::AddToEdit(VersionEdit* edit) const {
  ZIGGY_ASSERT(ran_);
  compaction_->AddInputDeletions(edit);
  if (compaction_->IsTrivialMove()) {
    edit->AddFile(compaction_->output_level(), *compaction_->inputs(0).front());
    return;
  }
  for (const FileMetaData& out : outputs_)
    edit->AddFile(compaction_->output_level(), out);
}

void CompactionJob::RemoveOutputs() {
  for (const FileMetaData& out : outputs_)
    RemoveTable(context_.output, out.number);
  outputs_.clear();
  write_bytes_ = 0;
}

Status CompactionJob::Merge() {
  ReadOptions read_options;
  read_options.fill_cache = false;  // a compaction reads each block once
  // One child per L0 input (they overlap); the inputs of a level >= 1 are a sorted run, read one
  // table at a time: a compaction over many tables holds one of them open, not all.
  std::vector<std::unique_ptr<Iterator>> children;
  std::vector<std::shared_ptr<const TableReader>> tables;  // keeps the L0 readers open
  for (int which = 0; which < 2; ++which) {
    const Version::FileList& files = compaction_->inputs(which);
    if (files.empty()) continue;
    const int level = which == 0 ? compaction_->start_level() : compaction_->output_level();
    if (level >= 1) {
      children.push_back(
          NewTableRunIterator(context_.icmp, files, context_.table_cache, read_options));
      continue;
    }
    for (const auto& file : files) {
      std::shared_ptr<const TableReader> table;
      ZIGGY_RETURN_IF_ERROR(
          context_.table_cache->FindTable(file->number, file->file_bytes, &table));
      children.push_back(table->NewIterator(read_options));
      tables.push_back(std::move(table));
    }
  }
  MergingIterator input(context_.icmp, std::move(children));
  const Comparator* ucmp = context_.icmp->user_comparator();
  VersionGarbageCollector gc(ucmp, snapshots_, compaction_->BottommostForKeyFn());
  std::unique_ptr<TableOutput> output;  // null between output tables
  std::string last_user_key;
  bool has_last = false;
  uint64_t entries = 0;
  // A value that every reader sees, with nothing older left of its key and nothing below the
  // output, is written with sequence 0: its key's trailer then takes one byte in a table
  // (docs/format/internal_key.md, "Sequence 0"). Sequence 0 sorts after every newer version.
  const bool zero_sequences = compaction_->OutputIsBottommost();
  std::string zeroed_key;
  Status s;
  for (input.SeekToFirst(); input.Valid(); input.Next()) {
    if (++entries % kShutdownCheckEntries == 0 &&
        context_.shutdown_requested->load(std::memory_order_relaxed)) {
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
      const uint64_t output_bytes = output != nullptr ? output->FileSize() : 0;
      if (compaction_->ShouldStopBefore(input.key(), output_bytes) && output != nullptr) {
        s = FinishOutput(&output);
        if (!s.ok()) break;
      }
      last_user_key.assign(parsed.user_key);
      has_last = true;
    }
    const bool drop = gc.ShouldDrop(parsed);
    if (gc.input_out_of_order()) {
      s = Status::Corruption("compaction input holds a key's versions out of order",
                             std::string(parsed.user_key));
      break;
    }
    if (drop) continue;
    std::string_view key = input.key();
    if (zero_sequences && parsed.type == ValueType::kValue && raw(parsed.sequence) != 0 &&
        gc.KeptEntryVisibleToAll()) {
      parsed.sequence = SequenceNumber{0};
      zeroed_key.clear();
      AppendInternalKey(&zeroed_key, parsed);
      key = zeroed_key;
    }
    if (output == nullptr) {
      PendingOutput pending;
      s = context_.new_output(&pending);
      if (!s.ok()) break;
      pending_.push_back(std::move(pending));
      s = TableOutput::Create(context_.output, pending_.back().number(), &output);
      if (!s.ok()) break;
    }
    output->Add(key, input.value(), parsed.sequence);
  }
  if (s.ok()) s = input.status();
  if (s.ok() && output != nullptr) s = FinishOutput(&output);
  // On failure an unfinished output removes its file as it goes.
  dropped_entries_ = gc.dropped_shadowed() + gc.dropped_tombstones();
  return s;
}

Status CompactionJob::FinishOutput(std::unique_ptr<TableOutput>* output) {
  FileMetaData meta;
  Status s = (*output)->Finish(&meta);
  output->reset();
  ZIGGY_RETURN_IF_ERROR(s);
  ZIGGY_DASSERT(context_.icmp->Compare(meta.smallest, meta.largest) <= 0);
  write_bytes_ += meta.file_bytes;
  outputs_.push_back(std::move(meta));
  return Status::OK();
}

}  // namespace ziggydb
