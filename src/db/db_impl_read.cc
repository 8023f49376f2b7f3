// DBImpl point reads and iterators: the state published by InstallSuperVersion, pinned without
// mu_, read by reads_ (read_stack.h).
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/db_iter.h"
#include "db/db_statistics.h"

namespace ziggydb {

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  const StatsTimer timer(env_, stats_, HistogramType::kGetMicros);
  if (Status open = CheckOpen(); !open.ok()) return open;
  Status s = GetImpl(options, key, value);
  if (stats_ != nullptr && s.ok()) {
    stats_->RecordTick(Ticker::kKeysRead);
    stats_->RecordTick(Ticker::kBytesRead, value->size());
  }
  return s;
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, PinnableValue* value) {
  const StatsTimer timer(env_, stats_, HistogramType::kGetMicros);
  value->Reset();
  if (Status open = CheckOpen(); !open.ok()) return open;
  Status s = GetImpl(options, key, value);
  if (stats_ != nullptr && s.ok()) {
    stats_->RecordTick(Ticker::kKeysRead);
    stats_->RecordTick(Ticker::kBytesRead, value->size());
  }
  return s;
}

template <typename Value>
Status DBImpl::GetImpl(const ReadOptions& options, std::string_view key, Value* value) {
  const SuperVersionPin state = super_versions_.Pin();
  // After the pin (super_version.h, invariant 3).
  const SequenceNumber sequence = options.snapshot != nullptr
                                      ? SequenceNumber{options.snapshot->sequence()}
                                      : super_versions_.LastSequence();
  const LookupKey lookup(key, sequence);
  return reads_.Get(options, *state, lookup, value);
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
  // After the pin (super_version.h, invariant 3).
  const SequenceNumber sequence = options.snapshot != nullptr
                                      ? SequenceNumber{options.snapshot->sequence()}
                                      : super_versions_.LastSequence();
  std::unique_ptr<Iterator> iter = reads_.NewIterator(options, state.shared(), sequence);
  if (stats_ != nullptr) iter = NewStatisticsIterator(std::move(iter), env_, stats_);
  return iter;
}

}  // namespace ziggydb
