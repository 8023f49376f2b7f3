// LevelDB (Debian's libleveldb-dev) behind the bench adapter: write_buffer_size, an LRU block
// cache and a 10-bit bloom filter, no compression.
#include <memory>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "tools/bench/engine.h"

namespace ziggydb::bench {
namespace {

Status FromLevel(const leveldb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  return Status::IOError(s.ToString());
}

leveldb::Slice ToLevelSlice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}

class LevelDbEngine final : public Engine {
 public:
  std::string_view name() const override { return "leveldb"; }

  Status Open(const std::string& dir, const EngineConfig& config) override {
    cache_.reset(leveldb::NewLRUCache(config.block_cache_bytes));
    filter_.reset(leveldb::NewBloomFilterPolicy(config.bloom_bits_per_key));
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.block_cache = cache_.get();
    options.filter_policy = filter_.get();
    options.compression = leveldb::kNoCompression;
    write_options_.sync = config.sync;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir, &db);
    db_.reset(db);
    return FromLevel(s);
  }
  Status Put(std::string_view key, std::string_view value) override {
    return FromLevel(db_->Put(write_options_, ToLevelSlice(key), ToLevelSlice(value)));
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromLevel(db_->Get(read_options_, ToLevelSlice(key), value));
  }
  Status Delete(std::string_view key) override {
    return FromLevel(db_->Delete(write_options_, ToLevelSlice(key)));
  }
  Status WriteBatch(const std::vector<KeyValue>& updates) override {
    leveldb::WriteBatch batch;
    for (const KeyValue& kv : updates)
      batch.Put(ToLevelSlice(kv.key), ToLevelSlice(kv.value));
    return FromLevel(db_->Write(write_options_, &batch));
  }
  Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options_));
    *read = 0;
    if (!reverse) {
      it->Seek(ToLevelSlice(start));
    } else if (start.empty()) {
      it->SeekToLast();
    } else {
      // LevelDB has no SeekForPrev: seek, then step back unless the key is exactly `start`.
      it->Seek(ToLevelSlice(start));
      if (!it->Valid()) {
        it->SeekToLast();
      } else if (it->key().compare(ToLevelSlice(start)) != 0) {
        it->Prev();
      }
    }
    for (; it->Valid() && *read < count; ++*read) {
      if (reverse) {
        it->Prev();
      } else {
        it->Next();
      }
    }
    return FromLevel(it->status());
  }
  // LevelDB has no public flush; compacting an empty range pushes the memtable out.
  Status Flush() override {
    db_->CompactRange(nullptr, nullptr);
    return Status::OK();
  }
  Status Close() override {
    db_.reset();
    return Status::OK();
  }
  std::string Stats() override {
    std::string stats;
    if (db_ != nullptr) db_->GetProperty("leveldb.stats", &stats);
    return stats;
  }

 private:
  // Declared before db_ so they outlive it.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_options_;
  leveldb::ReadOptions read_options_;
};

}  // namespace

std::unique_ptr<Engine> NewLevelDbEngine() {
  return std::make_unique<LevelDbEngine>();
}

}  // namespace ziggydb::bench
