#include "db/table_output.h"

#include <algorithm>
#include <utility>

#include "db/filename.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

PendingOutput::PendingOutput(PendingOutput&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), number_(other.number_) {}

PendingOutput& PendingOutput::operator=(PendingOutput&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    number_ = other.number_;
  }
  return *this;
}

PendingOutput::~PendingOutput() {
  Release();
}

void PendingOutput::Release() {
  if (owner_ != nullptr) owner_->Unregister(number_);
  owner_ = nullptr;
}

PendingOutputs::~PendingOutputs() {
  ZIGGY_ASSERT(numbers_.empty());
}

PendingOutput PendingOutputs::Register(FileNumber number) {
  MutexLock lock(&mu_);
  const bool inserted = numbers_.insert(number).second;
  ZIGGY_ASSERT(inserted);  // numbers are drawn from one counter and never reused
  return PendingOutput(this, number);
}

bool PendingOutputs::Contains(FileNumber number) const {
  MutexLock lock(&mu_);
  return numbers_.contains(number);
}

void PendingOutputs::AddTo(std::set<FileNumber>* numbers) const {
  MutexLock lock(&mu_);
  numbers->insert(numbers_.begin(), numbers_.end());
}

void PendingOutputs::Unregister(FileNumber number) {
  MutexLock lock(&mu_);
  const size_t erased = numbers_.erase(number);
  ZIGGY_ASSERT(erased == 1);
}

Status TableOutput::Create(const TableOutputContext& context, FileNumber number,
                           std::unique_ptr<TableOutput>* output) {
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(context.env->NewWritableFile(TableFileName(context.dbname, number), &file));
  *output = std::make_unique<TableOutput>(context, number, std::move(file));
  return Status::OK();
}

TableOutput::TableOutput(const TableOutputContext& context, FileNumber number,
                         std::unique_ptr<WritableFile> file)
    : context_(context),
      file_(std::move(file)),
      builder_(std::make_unique<TableBuilder>(*context_.table_options, file_.get())) {
  meta_.number = number;
}

TableOutput::~TableOutput() {
  if (finished_ || removed_) return;
  builder_->Abandon();
  Remove();
}

void TableOutput::Add(std::string_view key, std::string_view value, SequenceNumber sequence) {
  ZIGGY_ASSERT(!finished_ && !removed_);
  const bool first = builder_->NumEntries() == 0;
  const bool tombstone =
      static_cast<uint8_t>(ExtractTag(key)) == static_cast<uint8_t>(ValueType::kDeletion);
  if (tombstone || (!first && ExtractUserKey(key) == ExtractUserKey(meta_.largest)))
    ++meta_.reclaimable_entries;
  if (first) meta_.smallest.assign(key);
  meta_.largest.assign(key);
  smallest_sequence_ = std::min(smallest_sequence_, raw(sequence));
  largest_sequence_ = std::max(largest_sequence_, raw(sequence));
  builder_->Add(key, value);
}

Status TableOutput::Finish(FileMetaData* meta) {
  ZIGGY_ASSERT(!finished_ && !removed_ && builder_->NumEntries() > 0);
  builder_->SetSequenceRange(smallest_sequence_, largest_sequence_);
  Status s = builder_->Finish();
  if (s.ok()) s = file_->Sync();
  if (s.ok()) s = file_->Close();
  meta_.file_bytes = builder_->FileSize();
  meta_.num_entries = builder_->NumEntries();
  meta_.smallest_sequence = SequenceNumber{smallest_sequence_};
  meta_.largest_sequence = SequenceNumber{largest_sequence_};
  if (s.ok() && context_.verify) {
    // Read back what was just written: footer and meta blocks, through the table cache.
    std::shared_ptr<const TableReader> table;
    s = context_.table_cache->FindTable(meta_.number, meta_.file_bytes, &table);
  }
  if (!s.ok()) {
    Remove();
    return s;
  }
  finished_ = true;
  file_.reset();
  *meta = meta_;
  return Status::OK();
}

void TableOutput::Remove() {
  ZIGGY_ASSERT(!removed_);
  removed_ = true;
  file_.reset();  // closes it (a failed Close leaves nothing more to do)
  RemoveTable(context_, meta_.number);
}

void RemoveTable(const TableOutputContext& context, FileNumber number) {
  context.table_cache->Evict(number);
  context.env->RemoveFile(TableFileName(context.dbname, number)).PermitUncheckedError();
}

}  // namespace ziggydb
