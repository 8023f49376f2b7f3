// ZiggyDB behind the bench adapter. Transactions are ziggydb::Transaction at either isolation
// level, with the adapter's WriteOptions (sync as configured).
#include <cstdlib>
#include <memory>

#include "tools/bench/engine.h"
#include "ziggydb/db.h"
#include "ziggydb/statistics.h"
#include "ziggydb/transaction.h"

namespace ziggydb::bench {
namespace {

class ZiggyTxn final : public EngineTxn {
 public:
  explicit ZiggyTxn(std::unique_ptr<Transaction> txn) : txn_(std::move(txn)) {}
  Status Get(std::string_view key, std::string* value) override {
    return txn_->Get(ReadOptions(), key, value);
  }
  Status Put(std::string_view key, std::string_view value) override {
    return txn_->Put(key, value);
  }
  Status Commit() override { return txn_->Commit(); }
  Status Rollback() override { return txn_->Rollback(); }

 private:
  std::unique_ptr<Transaction> txn_;
};

class ZiggyEngine final : public Engine {
 public:
  std::string_view name() const override { return "ziggydb"; }

  Status Open(const std::string& dir, const EngineConfig& config) override {
    Options options;
    options.create_if_missing = true;
    options.memtable_bytes = config.write_buffer_bytes;
    options.block_cache_bytes = config.block_cache_bytes;
    options.bloom_bits_per_key = config.bloom_bits_per_key;
    options.compression = CompressionType::kNone;
    options.memory_budget_bytes = config.memory_budget_bytes;
    options.row_cache_bytes = config.row_cache_bytes;
    if (std::getenv("ZIGGY_BENCH_STATISTICS") != nullptr) options.statistics = CreateStatistics();
    write_options_.sync = config.sync;
    return DB::Open(options, dir, &db_);
  }
  Status Put(std::string_view key, std::string_view value) override {
    return db_->Put(write_options_, key, value);
  }
  Status Get(std::string_view key, std::string* value) override {
    return db_->Get(read_options_, key, value);
  }
  Status Delete(std::string_view key) override { return db_->Delete(write_options_, key); }
  Status WriteBatch(const std::vector<KeyValue>& updates) override {
    ziggydb::WriteBatch batch;
    for (const KeyValue& kv : updates)
      batch.Put(kv.key, kv.value);
    return db_->Write(write_options_, batch);
  }
  Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) override {
    std::unique_ptr<Iterator> it = db_->NewIterator(read_options_);
    *read = 0;
    if (reverse) {
      start.empty() ? it->SeekToLast() : it->SeekForPrev(start);
    } else {
      it->Seek(start);
    }
    for (; it->Valid() && *read < count; ++*read)
      reverse ? it->Prev() : it->Next();
    return it->status();
  }
  std::vector<TxnIsolation> TxnIsolations() const override {
    return {TxnIsolation::kSnapshot, TxnIsolation::kSerializable};
  }
  Status BeginTransaction(const TxnOptions& options, std::unique_ptr<EngineTxn>* txn) override {
    TransactionOptions txn_options;
    txn_options.isolation = options.isolation == TxnIsolation::kSnapshot
                                ? IsolationLevel::kSnapshot
                                : IsolationLevel::kSerializable;
    std::unique_ptr<Transaction> t = db_->BeginTransaction(write_options_, txn_options);
    if (t == nullptr) return Status::InvalidArgument("ziggydb: BeginTransaction failed");
    *txn = std::make_unique<ZiggyTxn>(std::move(t));
    return Status::OK();
  }
  Status Flush() override { return db_->Flush(); }
  Status WaitForBackgroundWork() override { return db_->WaitForBackgroundWork(); }
  Status Close() override {
    if (db_ == nullptr) return Status::OK();
    Status s = db_->Close();
    db_.reset();
    return s;
  }
  std::string Stats() override {
    std::string stats;
    if (db_ != nullptr) db_->GetProperty("ziggydb.stats", &stats);
    return stats;
  }
  uint64_t StallMicros() override {
    std::string micros;
    if (db_ == nullptr || !db_->GetProperty("ziggydb.stall-micros", &micros)) return 0;
    return std::strtoull(micros.c_str(), nullptr, 10);
  }

 private:
  std::unique_ptr<DB> db_;
  WriteOptions write_options_;
  ReadOptions read_options_;
};

}  // namespace

std::unique_ptr<Engine> NewZiggyEngine() {
  return std::make_unique<ZiggyEngine>();
}

}  // namespace ziggydb::bench
