// RocksDB (Debian's librocksdb-dev) behind the bench adapter: write_buffer_size, an LRU block
// cache and a 10-bit bloom filter in BlockBasedTableOptions, no compression; ticker-only
// statistics for the stall time. With EngineConfig::transactions the store is opened as an
// OptimisticTransactionDB: each transaction takes its snapshot at Begin (set_snapshot), reads
// through it, and Commit fails with Busy (or TryAgain, when the memtables no longer hold the
// history to check) if a key it wrote was written after that snapshot: snapshot isolation.
#include <chrono>
#include <memory>
#include <thread>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>
#include <rocksdb/write_batch.h>

#include "tools/bench/engine.h"

namespace ziggydb::bench {
namespace {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  return Status::IOError(s.ToString());
}

rocksdb::Slice ToRocksSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

class RocksDbTxn final : public EngineTxn {
 public:
  explicit RocksDbTxn(rocksdb::Transaction* txn) : txn_(txn) {
    read_options_.snapshot = txn_->GetSnapshot();
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromRocks(txn_->Get(read_options_, ToRocksSlice(key), value));
  }
  Status Put(std::string_view key, std::string_view value) override {
    return FromRocks(txn_->Put(ToRocksSlice(key), ToRocksSlice(value)));
  }
  Status Commit() override {
    const rocksdb::Status s = txn_->Commit();
    if (s.IsBusy() || s.IsTryAgain()) return Status::Busy("rocksdb commit", s.ToString());
    return FromRocks(s);
  }
  Status Rollback() override { return FromRocks(txn_->Rollback()); }

 private:
  std::unique_ptr<rocksdb::Transaction> txn_;
  rocksdb::ReadOptions read_options_;
};

class RocksDbEngine final : public Engine {
 public:
  std::string_view name() const override { return "rocksdb"; }

  Status Open(const std::string& dir, const EngineConfig& config) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.compression = rocksdb::kNoCompression;
    options.bottommost_compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(config.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(config.bloom_bits_per_key));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (config.row_cache_bytes > 0)
      options.row_cache = rocksdb::NewLRUCache(config.row_cache_bytes);
    // Tickers only (no histograms or timers): what StallMicros reads, at per-core counter cost.
    statistics_ = rocksdb::CreateDBStatistics();
    statistics_->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
    options.statistics = statistics_;
    write_options_.sync = config.sync;
    rocksdb::Status s;
    if (config.transactions) {
      rocksdb::OptimisticTransactionDB* txn_db = nullptr;
      s = rocksdb::OptimisticTransactionDB::Open(options, dir, &txn_db);
      txn_db_ = txn_db;
      db_.reset(txn_db);  // a StackableDB: plain calls go to the base DB
    } else {
      rocksdb::DB* db = nullptr;
      s = rocksdb::DB::Open(options, dir, &db);
      txn_db_ = nullptr;
      db_.reset(db);
    }
    return FromRocks(s);
  }
  Status Put(std::string_view key, std::string_view value) override {
    return FromRocks(db_->Put(write_options_, ToRocksSlice(key), ToRocksSlice(value)));
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromRocks(db_->Get(read_options_, ToRocksSlice(key), value));
  }
  Status Delete(std::string_view key) override {
    return FromRocks(db_->Delete(write_options_, ToRocksSlice(key)));
  }
  Status WriteBatch(const std::vector<KeyValue>& updates) override {
    rocksdb::WriteBatch batch;
    for (const KeyValue& kv : updates) {
      rocksdb::Status s = batch.Put(ToRocksSlice(kv.key), ToRocksSlice(kv.value));
      if (!s.ok()) return FromRocks(s);
    }
    return FromRocks(db_->Write(write_options_, &batch));
  }
  Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
    *read = 0;
    if (!reverse) {
      it->Seek(ToRocksSlice(start));
    } else if (start.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(ToRocksSlice(start));
    }
    for (; it->Valid() && *read < count; ++*read) {
      if (reverse) {
        it->Prev();
      } else {
        it->Next();
      }
    }
    return FromRocks(it->status());
  }
  Status Flush() override { return FromRocks(db_->Flush(rocksdb::FlushOptions())); }
  // RocksDB 7.8 has no call that waits for compactions; poll the properties that say whether
  // one runs or is due (twice in a row, so that a pick between two polls is not missed).
  Status WaitForBackgroundWork() override {
    int idle_polls = 0;
    while (idle_polls < 2) {
      uint64_t busy = 0;
      for (const char* property :
           {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
            "rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        uint64_t value = 0;
        if (!db_->GetIntProperty(property, &value)) {
          return Status::NotSupported(std::string("rocksdb property ") + property);
        }
        busy += value;
      }
      idle_polls = busy == 0 ? idle_polls + 1 : 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Status::OK();
  }
  std::vector<TxnIsolation> TxnIsolations() const override { return {TxnIsolation::kSnapshot}; }
  Status BeginTransaction(const TxnOptions& options, std::unique_ptr<EngineTxn>* txn) override {
    txn->reset();
    if (txn_db_ == nullptr) return Status::InvalidArgument("rocksdb: not opened for transactions");
    if (options.isolation != TxnIsolation::kSnapshot) {
      return Status::NotSupported("rocksdb optimistic transactions", "snapshot isolation only");
    }
    rocksdb::OptimisticTransactionOptions txn_options;
    txn_options.set_snapshot = true;
    *txn = std::make_unique<RocksDbTxn>(txn_db_->BeginTransaction(write_options_, txn_options));
    return Status::OK();
  }
  Status Close() override {
    rocksdb::Status s = db_ != nullptr ? db_->Close() : rocksdb::Status::OK();
    txn_db_ = nullptr;
    db_.reset();
    return FromRocks(s);
  }
  std::string Stats() override {
    std::string stats;
    if (db_ != nullptr) db_->GetProperty("rocksdb.levelstats", &stats);
    return stats;
  }
  uint64_t StallMicros() override {
    return statistics_ != nullptr ? statistics_->getTickerCount(rocksdb::STALL_MICROS) : 0;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::OptimisticTransactionDB* txn_db_ = nullptr;  // db_ itself when opened for transactions
  std::shared_ptr<rocksdb::Statistics> statistics_;
  rocksdb::WriteOptions write_options_;
  rocksdb::ReadOptions read_options_;
};

}  // namespace

std::unique_ptr<Engine> NewRocksDbEngine() {
  return std::make_unique<RocksDbEngine>();
}

}  // namespace ziggydb::bench
