// Engine: the small adapter interface `ziggy bench` drives, one implementation per storage engine
// (ZiggyDB always; RocksDB, LevelDB and LMDB when their Debian dev packages are installed).
//
// Every engine gets the same EngineConfig, mapped onto its own knobs as closely as it has them:
// write buffer (memtable) bytes, block cache bytes, bloom bits per key, no compression, and the
// sync flag for every write. Errors come back as ziggydb::Status so the harness handles all
// engines alike.
//
// Thread safety: after Open, Put/Get/Delete/WriteBatch/Scan/BeginTransaction may be called from
// many threads at once; Open, Flush and Close from one thread while no other call runs. An
// EngineTxn is used by the thread that began it only.
#ifndef ZIGGYDB_TOOLS_BENCH_ENGINE_H_
#define ZIGGYDB_TOOLS_BENCH_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb::bench {

struct EngineConfig {
  size_t write_buffer_bytes = size_t{64} << 20;
  size_t block_cache_bytes = size_t{32} << 20;
  int bloom_bits_per_key = 10;
  bool sync = false;  // WriteOptions::sync (RocksDB/LevelDB), !MDB_NOSYNC (LMDB) on every write
  // LMDB maps the whole file: its ceiling on the DB size. Sparse, so only what is used costs.
  uint64_t lmdb_map_bytes = uint64_t{64} << 30;
  // Open with transaction support where it is a different kind of store (RocksDB:
  // OptimisticTransactionDB); ZiggyDB and LMDB always have it.
  bool transactions = false;
  // ZiggyDB only: Options::memory_budget_bytes (one cap on memtables, block cache and pins; the
  // two sizes above are then upper bounds inside it). 0: no budget.
  size_t memory_budget_bytes = 0;
  // ZiggyDB's Options::row_cache_bytes and RocksDB's row_cache (an LRU cache of that size);
  // LevelDB and LMDB have none. 0: none.
  size_t row_cache_bytes = 0;
};

// The isolation a transaction asks for. RocksDB's optimistic transactions offer snapshot
// isolation only (commit validates the written keys); LMDB is serializable only (one writer at
// a time).
enum class TxnIsolation : uint8_t { kSnapshot, kSerializable };
// "snapshot", "serializable"
inline std::string_view TxnIsolationName(TxnIsolation isolation) {
  return isolation == TxnIsolation::kSnapshot ? "snapshot" : "serializable";
}

struct TxnOptions {
  TxnIsolation isolation = TxnIsolation::kSnapshot;
  // The transaction will only read: LMDB then takes a read transaction instead of the single
  // writer's lock. The others ignore it (their read-only transactions commit without validation).
  bool read_only = false;
};

// One transaction, reading from a snapshot taken at its beginning and buffering its writes until
// Commit. Destroying it uncommitted rolls it back.
class EngineTxn {
 public:
  virtual ~EngineTxn() = default;
  // The value at the snapshot, or the transaction's own write; NotFound when absent.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // OK when applied; Busy on a conflict (nothing applied: the caller retries with a new
  // transaction); any other status is an error.
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

struct KeyValue {
  std::string_view key;
  std::string_view value;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // "ziggydb", "rocksdb", ...
  virtual std::string_view name() const = 0;

  // Opens (creating) the store in directory `dir`, which exists and is empty or holds a store of
  // this engine opened with the same config.
  virtual Status Open(const std::string& dir, const EngineConfig& config) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // NotFound when absent.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Applies every update atomically in one write (one transaction for LMDB).
  virtual Status WriteBatch(const std::vector<KeyValue>& updates) = 0;

  // Ordered scans, for readseq, readreverse, seekrandom and YCSB E.
  // Positions at the first key >= start (reverse: the last key <= start; an empty start means
  // the end of the key space) and reads up to `count` entries, setting *read to the number read.
  virtual Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) = 0;

  // Writes buffered data to the engine's tables (a memtable flush), so reads measure tables.
  virtual Status Flush() = 0;
  // Closes; Open may be called again afterwards.
  virtual Status Close() = 0;
  // Engine-specific statistics text, or empty.
  virtual std::string Stats() { return {}; }
  // Waits until the engine reports no flush or compaction running or due, where it can tell
  // (ZiggyDB, RocksDB); returns at once otherwise (SettleBackgroundWork also waits for the
  // process's disk writes to stop, which covers LevelDB).
  virtual Status WaitForBackgroundWork() { return Status::OK(); }
  // Cumulative microseconds writes were delayed or stopped by the engine's own throttling since
  // Open, where the engine reports it (ZiggyDB, RocksDB); 0 otherwise (LevelDB's 1 ms slowdowns
  // and stops are not exposed; LMDB does not throttle).
  virtual uint64_t StallMicros() { return 0; }

  // The isolation levels BeginTransaction accepts; empty when the engine has no transactions
  // (LevelDB).
  virtual std::vector<TxnIsolation> TxnIsolations() const { return {}; }
  // Precondition: opened with EngineConfig::transactions, options.isolation in TxnIsolations().
  virtual Status BeginTransaction(const TxnOptions& options, std::unique_ptr<EngineTxn>* txn) {
    (void)options;
    txn->reset();
    return Status::NotSupported(name(), "has no transactions");
  }
};

// Names of the engines compiled into this binary, "ziggydb" first.
std::vector<std::string> AvailableEngines();
// A new engine by name; nullptr if it is not compiled in.
std::unique_ptr<Engine> NewEngine(std::string_view name);

// Constructors of the individual adapters (each defined in its own engine_<name>.cc).
std::unique_ptr<Engine> NewZiggyEngine();
std::unique_ptr<Engine> NewRocksDbEngine();
std::unique_ptr<Engine> NewLevelDbEngine();
std::unique_ptr<Engine> NewLmdbEngine();

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_ENGINE_H_
