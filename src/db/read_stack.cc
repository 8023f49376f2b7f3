#include "db/read_stack.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "db/db_iter.h"
#include "db/db_statistics.h"
#include "db/filename.h"
#include "db/internal_filter_policy.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "table/bloom.h"

namespace ziggydb {
namespace {

enum class LookupState : uint8_t { kNotFound, kFound, kDeleted, kBadKey };

// What a DB iterator reads from, kept alive for as long as it exists: the state, and the L0
// tables it opened (deeper levels pin theirs in their level iterators). With a read-compaction
// callback, each seek is charged to the state's Version.
struct ReadPins final : IteratorPins {
  void OnSeek(std::string_view user_key) override {
    if (read_compaction_due != nullptr && state->version()->ChargeSeek(user_key)) {
      (*read_compaction_due)();
    }
  }

  std::shared_ptr<const SuperVersion> state;
  std::vector<std::shared_ptr<const TableReader>> tables;
  const ReadStack::ReadCompactionDue* read_compaction_due = nullptr;
};

}  // namespace

// A copy into a string, or a pin into a PinnableValue.
class ReadStack::ValueSink {
 public:
  explicit ValueSink(std::string* copy) : copy_(copy) {}
  explicit ValueSink(PinnableValue* pin) : pin_(pin) {}

  // Looks the key up in `mem`; true if the memtable decided (found or deleted: *status).
  bool FromMemtable(const std::shared_ptr<MemTable>& mem, const LookupKey& lookup,
                    Status* status) const {
    // An empty memtable (the mutable one after open or a switch) is skipped without probing its
    // key filter, sized for a full memtable: a cache miss on every read otherwise. The count is
    // enough: a writer counts an entry before its sequence is published, and the caller loaded
    // the read's sequence before this (super_version.h, invariant 3), so an entry the read may
    // see is counted.
    if (mem->Empty()) return false;
    if (copy_ != nullptr) return mem->Get(lookup, copy_, status);
    std::string_view found;
    if (!mem->Get(lookup, &found, status)) return false;
    if (status->ok()) pin_->Pin(found, mem);
    return true;
  }
  // Where a row cache lookup writes the value: the caller's string, or a buffer the pin then
  // owns (the cache keeps nothing pinned).
  std::string* row_cache_value() { return copy_ != nullptr ? copy_ : &row_cache_copy_; }
  // After a row cache lookup wrote row_cache_value().
  void FoundInRowCache() {
    if (pin_ != nullptr) pin_->Assign(std::move(row_cache_copy_));
  }
  // A table entry's value, valid while the table's block is held.
  void FoundInTable(std::string_view value) {
    if (copy_ != nullptr) {
      copy_->assign(value);
    } else {
      table_value_ = value;
    }
  }
  // Where TableCache::Get leaves the table and block to pin (null when copying), asked once per
  // table looked in. Get sets the block only when the value's block is one it owns, so a block a
  // table searched before left there is dropped first: it would be pinned with another table's
  // value.
  std::shared_ptr<const TableReader>* table_pin() { return copy_ != nullptr ? nullptr : &table_; }
  std::shared_ptr<const Block>* block_pin() {
    if (copy_ != nullptr) return nullptr;
    block_.reset();
    return &block_;
  }
  // After FoundInTable (not after FoundInRowCache): hands the value and its pins over. The
  // block is released before the table (it may view the table's mapping).
  void Finish() {
    if (pin_ != nullptr) pin_->Pin(table_value_, std::move(table_), std::move(block_));
  }

 private:
  std::string* const copy_ = nullptr;
  PinnableValue* const pin_ = nullptr;
  std::string_view table_value_;
  std::shared_ptr<const TableReader> table_;
  std::shared_ptr<const Block> block_;
  std::string row_cache_copy_;
};

ReadStack::ReadStack(const Options& options, std::string dbname, Env* env,
                     const InternalKeyComparator* icmp, Statistics* stats, int reserved_files,
                     BlockCacheConfig cache)
    : dbname_(std::move(dbname)), env_(env), icmp_(icmp), stats_(stats) {
  if (options.bloom_bits_per_key > 0) {
    user_filter_policy_ = NewBloomFilterPolicy(options.bloom_bits_per_key);
    filter_policy_ = std::make_unique<InternalFilterPolicy>(user_filter_policy_.get());
  }
  if (cache.budgeted) {
    block_cache_ = std::make_unique<BlockCache>(cache.capacity_bytes, kBlockCacheShardBits,
                                                /*charge_pinned_evictions=*/true);
  } else if (cache.capacity_bytes > 0) {
    block_cache_ = std::make_unique<BlockCache>(cache.capacity_bytes);
  }
  table_options_.comparator = icmp_;
  table_options_.filter_policy = filter_policy_.get();
  table_options_.block_size = options.block_size;
  // Internal keys end in their 8-byte trailer: tables store it as a varint (format 2).
  table_options_.keys_end_in_fixed64 = true;
  table_options_.block_restart_interval = options.block_restart_interval;
  table_options_.compression = options.compression;
  table_options_.block_cache = block_cache_.get();
  table_options_.statistics = stats_;
  table_options_.clock = env;
  table_cache_ = std::make_unique<TableCache>(dbname_, env, &table_options_,
                                              std::max(options.max_open_files - reserved_files, 1),
                                              options.use_mmap_reads);
  if (options.row_cache_bytes > 0) row_cache_ = std::make_unique<RowCache>(options.row_cache_bytes);
}

Status ReadStack::Get(const ReadOptions& options, const SuperVersion& state, std::string_view key,
                      SequenceNumber sequence, std::string* value) const {
  return CountedGet(options, state, key, sequence, value);
}

Status ReadStack::Get(const ReadOptions& options, const SuperVersion& state, std::string_view key,
                      SequenceNumber sequence, PinnableValue* value) const {
  value->Reset();
  return CountedGet(options, state, key, sequence, value);
}

template <typename Value>
Status ReadStack::CountedGet(const ReadOptions& options, const SuperVersion& state,
                             std::string_view key, SequenceNumber sequence, Value* value) const {
  const StatsTimer timer(env_, stats_, HistogramType::kGetMicros);
  const LookupKey lookup(key, sequence);
  ValueSink sink(value);
  Status s = GetInto(options, state, lookup, sequence, &sink);
  if (stats_ != nullptr && s.ok()) {
    stats_->RecordTick(Ticker::kKeysRead);
    stats_->RecordTick(Ticker::kBytesRead, value->size());
  }
  return s;
}

Status ReadStack::GetInto(const ReadOptions& options, const SuperVersion& state,
                          const LookupKey& lookup, SequenceNumber sequence, ValueSink* sink) const {
  // Whether this Get may look in the row cache is decided before the memtables are searched,
  // so that the slot's lines load while they are.
  RowCacheProbe probe;
  if (row_cache_ != nullptr) {
    probe.decision = RowCache::Decide();
    if (probe.decision.lookup) {
      probe.hash = RowCache::HashKey(lookup.user_key());
      row_cache_->Prefetch(probe.hash);
    }
  }
  Status s;
  bool in_memtable = sink->FromMemtable(state.mem(), lookup, &s);
  for (size_t i = 0; i < state.imms().size() && !in_memtable; ++i)
    in_memtable = sink->FromMemtable(state.imms()[i], lookup, &s);
  RecordTick(stats_, in_memtable ? Ticker::kMemtableHits : Ticker::kMemtableMisses);
  if (in_memtable) return s;
  return GetFromTables(options, *state.version(), lookup, sequence, probe, sink);
}

Status ReadStack::GetFromTables(const ReadOptions& options, const Version& version,
                                const LookupKey& lookup, SequenceNumber sequence,
                                const RowCacheProbe& probe, ValueSink* sink) const {
  // The callback captures only a pointer to this, so the std::function keeps its callable
  // inline instead of allocating on every Get.
  struct TableLookup {
    const Comparator* ucmp;
    const LookupKey* lookup;
    ValueSink* sink;
    uint64_t hash;                  // of the user key, for the row cache
    RowCache* row_cache = nullptr;  // set while the entry found is to be cached
    uint64_t file_number = 0;
    LookupState state = LookupState::kNotFound;
    Status status;

    void OnEntry(std::string_view found_key, std::string_view found_value) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(found_key, &parsed)) {
        state = LookupState::kBadKey;
      } else if (ucmp->Compare(parsed.user_key, lookup->user_key()) == 0) {
        const bool deleted = parsed.type != ValueType::kValue;
        if (row_cache != nullptr)
          row_cache->Insert(file_number, parsed.user_key, hash, deleted, found_value);
        if (!deleted) {
          sink->FoundInTable(found_value);
          state = LookupState::kFound;
        } else {
          state = LookupState::kDeleted;
        }
      }
    }
  } ctx{icmp_->user_comparator(), &lookup, sink, probe.hash};
  TableLookup* const c = &ctx;
  const std::function<void(std::string_view, std::string_view)> on_entry =
      [c](std::string_view key, std::string_view found_value) { c->OnEntry(key, found_value); };
  bool looked_up = false;  // one outcome per Get, however many tables the cache was asked for
  bool hit = false;
  version.ForEachTableForKey(lookup.internal_key(), [&](int, const FileMetaData& file) {
    // The cache holds a table's newest entry of a key: the answer only for a read that sees all
    // of the table.
    c->row_cache = nullptr;
    if (probe.decision.lookup && raw(sequence) >= raw(file.largest_sequence)) {
      looked_up = true;
      switch (row_cache_->Lookup(raw(file.number), lookup.user_key(), probe.hash,
                                 sink->row_cache_value())) {
        case RowCache::Result::kValue:
          sink->FoundInRowCache();
          c->state = LookupState::kFound;
          hit = true;
          return false;
        case RowCache::Result::kDeletion:
          c->state = LookupState::kDeleted;
          hit = true;
          return false;
        case RowCache::Result::kMiss:
          break;
      }
      // Only what this read verified, and not for reads that asked to leave caches alone.
      if (probe.decision.admit && options.fill_cache && options.verify_checksums) {
        c->row_cache = row_cache_.get();
        c->file_number = raw(file.number);
      }
    }
    c->status = table_cache_->Get(options, file.number, file.file_bytes, lookup.internal_key(),
                                  on_entry, sink->table_pin(), sink->block_pin());
    if (c->status.ok() && c->state == LookupState::kBadKey) {
      c->status = Status::Corruption("malformed internal key in table",
                                     TableFileName(dbname_, file.number));
    }
    return c->status.ok() && c->state == LookupState::kNotFound;  // on to the next table
  });
  if (looked_up) {
    RowCache::Record(hit);
    RecordTick(stats_, hit ? Ticker::kRowCacheHits : Ticker::kRowCacheMisses);
  }
  if (!ctx.status.ok()) return ctx.status;
  if (ctx.state != LookupState::kFound) return Status::NotFound("");
  if (!hit) sink->Finish();
  return Status::OK();
}

std::unique_ptr<Iterator> ReadStack::NewIterator(
    const ReadOptions& options, std::shared_ptr<const SuperVersion> state, SequenceNumber sequence,
    const ReadCompactionDue* read_compaction_due) const {
  auto pins = std::make_unique<ReadPins>();
  pins->state = std::move(state);
  pins->read_compaction_due = read_compaction_due;
  const SuperVersion& sv = *pins->state;
  const std::shared_ptr<const Version>& version = sv.version();
  std::vector<std::unique_ptr<Iterator>> children;
  children.reserve(1 + sv.imms().size() + version->files(0).size() + kNumLevels - 1);
  pins->tables.reserve(version->files(0).size());
  children.push_back(sv.mem()->NewIterator());
  for (const auto& mem : sv.imms())
    children.push_back(mem->NewIterator());
  // L0 tables overlap: one child each. Each deeper level is one sorted run: one child that
  // opens its tables as the iteration reaches them.
  for (const auto& file : version->files(0)) {
    std::shared_ptr<const TableReader> table;
    Status s = table_cache_->FindTable(file->number, file->file_bytes, &table);
    if (!s.ok()) return NewErrorIterator(std::move(s));
    children.push_back(table->NewIterator(options));
    pins->tables.push_back(std::move(table));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (version->files(level).empty()) continue;
    children.push_back(NewLevelIterator(icmp_, version, level, table_cache_.get(), options));
  }
  auto merged = std::make_unique<MergingIterator>(icmp_, std::move(children));
  std::unique_ptr<Iterator> iter = NewDBIterator(icmp_->user_comparator(), std::move(pins),
                                                 std::move(merged), sequence, options);
  if (stats_ != nullptr) iter = NewStatisticsIterator(std::move(iter), env_, stats_);
  return iter;
}

Status ForeignSnapshot(SequenceNumber wanted, SequenceNumber last) {
  return Status::InvalidArgument("ReadOptions::snapshot is not a snapshot of this DB",
                                 "its sequence " + std::to_string(raw(wanted)) +
                                     " is past the DB's " + std::to_string(raw(last)));
}

}  // namespace ziggydb
