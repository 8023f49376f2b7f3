// DBImpl point reads: the memtable, the immutable memtables newest first, then the tables of the
// current Version (L0 newest first, then one table per deeper level), at the read's sequence.
#include <array>
#include <functional>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/db_iter.h"
#include "db/db_statistics.h"
#include "db/filename.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

enum class LookupState : uint8_t { kNotFound, kFound, kDeleted, kBadKey };

// What a DB iterator reads from: kept alive for as long as the iterator exists.
struct ReadPins final : IteratorPins {
  std::vector<std::shared_ptr<MemTable>> mems;  // mutable first, then immutables newest first
  std::shared_ptr<const Version> version;
  std::vector<std::shared_ptr<const TableReader>> tables;
};

}  // namespace

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

Status DBImpl::GetImpl(const ReadOptions& options, std::string_view key, std::string* value) {
  std::shared_ptr<MemTable> mem;
  // imm_ never holds more than max_immutable_memtables.
  std::array<std::shared_ptr<MemTable>, kMaxImmutableMemtablesRange.max> imms;
  size_t num_imms = 0;
  std::shared_ptr<const Version> version;
  SequenceNumber sequence{};
  {
    MutexLock lock(&mu_);
    sequence = options.snapshot != nullptr ? SequenceNumber{options.snapshot->sequence()}
                                           : versions_->LastSequence();
    mem = mem_;
    ZIGGY_ASSERT(imm_.size() <= imms.size());
    for (auto it = imm_.rbegin(); it != imm_.rend(); ++it)
      imms[num_imms++] = it->mem;
    version = versions_->current();
  }
  const LookupKey lookup(key, sequence);
  Status s;
  bool in_memtable = mem->Get(lookup, value, &s);
  for (size_t i = 0; i < num_imms && !in_memtable; ++i)
    in_memtable = imms[i]->Get(lookup, value, &s);
  RecordTick(stats_, in_memtable ? Ticker::kMemtableHits : Ticker::kMemtableMisses);
  if (in_memtable) return s;
  return GetFromTables(options, *version, lookup, value);
}

Status DBImpl::GetFromTables(const ReadOptions& options, const Version& version,
                             const LookupKey& lookup, std::string* value) {
  // The callbacks capture only a pointer to this, so each std::function keeps its callable
  // inline instead of allocating on every Get.
  struct TableLookup {
    const Comparator* ucmp;
    const LookupKey* lookup;
    std::string* value;
    LookupState state = LookupState::kNotFound;
    Status status;

    void OnEntry(std::string_view found_key, std::string_view found_value) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(found_key, &parsed)) {
        state = LookupState::kBadKey;
      } else if (ucmp->Compare(parsed.user_key, lookup->user_key()) == 0) {
        if (parsed.type == ValueType::kValue) {
          value->assign(found_value);
          state = LookupState::kFound;
        } else {
          state = LookupState::kDeleted;
        }
      }
    }
  } ctx{icmp_.user_comparator(), &lookup, value};
  TableLookup* const c = &ctx;
  const std::function<void(std::string_view, std::string_view)> on_entry =
      [c](std::string_view key, std::string_view found_value) { c->OnEntry(key, found_value); };
  const auto* on_entry_ptr = &on_entry;
  TableCache* const tables = table_cache_.get();
  const ReadOptions* const read_options = &options;
  const std::string* const dbname = &dbname_;
  version.ForEachTableForKey(lookup.internal_key(), [=](int, const FileMetaData& file) {
    c->status = tables->Get(*read_options, file.number, file.file_bytes, c->lookup->internal_key(),
                            *on_entry_ptr);
    if (c->status.ok() && c->state == LookupState::kBadKey) {
      c->status = Status::Corruption("malformed internal key in table",
                                     TableFileName(*dbname, file.number));
    }
    return c->status.ok() && c->state == LookupState::kNotFound;  // on to the next table
  });
  if (!ctx.status.ok()) return ctx.status;
  if (ctx.state == LookupState::kFound) return Status::OK();
  return Status::NotFound("");
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  if (Status open = CheckOpen(); !open.ok()) return NewErrorIterator(std::move(open));
  auto pins = std::make_unique<ReadPins>();
  SequenceNumber sequence{};
  {
    MutexLock lock(&mu_);
    sequence = options.snapshot != nullptr ? SequenceNumber{options.snapshot->sequence()}
                                           : versions_->LastSequence();
    pins->mems.push_back(mem_);
    for (auto it = imm_.rbegin(); it != imm_.rend(); ++it)
      pins->mems.push_back(it->mem);
    pins->version = versions_->current();
  }
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& mem : pins->mems)
    children.push_back(mem->NewIterator());
  // L0 tables overlap: one child each. Each deeper level is one sorted run: one child that
  // opens its tables as the iteration reaches them.
  for (const auto& file : pins->version->files(0)) {
    std::shared_ptr<const TableReader> table;
    Status s = table_cache_->FindTable(file->number, file->file_bytes, &table);
    if (!s.ok()) return NewErrorIterator(std::move(s));
    children.push_back(table->NewIterator(options));
    pins->tables.push_back(std::move(table));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (pins->version->files(level).empty()) continue;
    children.push_back(NewLevelIterator(&icmp_, pins->version, level, table_cache_.get(), options));
  }
  auto merged = std::make_unique<MergingIterator>(&icmp_, std::move(children));
  std::unique_ptr<Iterator> iter =
      NewDBIterator(icmp_.user_comparator(), std::move(pins), std::move(merged), sequence, options);
  if (stats_ != nullptr) iter = NewStatisticsIterator(std::move(iter), env_, stats_);
  return iter;
}

}  // namespace ziggydb
