// DBImpl point reads and iterators: the state published by InstallSuperVersion, pinned without
// mu_, read by reads_ (read_stack.h).
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/db_iter.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  return GetImpl(options, key, value);
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, PinnableValue* value) {
  value->Reset();
  return GetImpl(options, key, value);
}

template <typename Value>
Status DBImpl::GetImpl(const ReadOptions& options, std::string_view key, Value* value) {
  if (Status open = CheckOpen(); !open.ok()) return open;
  const SuperVersionPin state = super_versions_.Pin();
  SequenceNumber sequence{};
  ZIGGY_RETURN_IF_ERROR(ReadSequence(options, &sequence));
  return reads_.Get(options, *state, key, sequence, value);
}

// Called after the read state is pinned, never before (super_version.h, invariant 3).
Status DBImpl::ReadSequence(const ReadOptions& options, SequenceNumber* sequence) const {
  *sequence = super_versions_.LastSequence();
  if (options.snapshot == nullptr) return Status::OK();
  // This DB's snapshots (and its transactions') are taken under the mutex that publishes.
  const SequenceNumber wanted{options.snapshot->sequence()};
  if (wanted > *sequence) return ForeignSnapshot(wanted, *sequence);
  *sequence = wanted;
  return Status::OK();
}

void DBImpl::InstallSuperVersion() {
  std::vector<std::shared_ptr<MemTable>> imms;
  imms.reserve(imm_.size());
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it)
    imms.push_back(it->mem);
  super_versions_.Install(
      std::make_shared<const SuperVersion>(mem_, std::move(imms), versions_->current()));
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  if (Status open = CheckOpen(); !open.ok()) return NewErrorIterator(std::move(open));
  const SuperVersionPin state = super_versions_.Pin();
  SequenceNumber sequence{};
  if (Status s = ReadSequence(options, &sequence); !s.ok()) return NewErrorIterator(std::move(s));
  return reads_.NewIterator(options, state.shared(), sequence,
                            options_.read_compactions ? &read_compaction_due_ : nullptr);
}

}  // namespace ziggydb
