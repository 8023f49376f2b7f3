// Generated datasets: writing N keys (GeneratedKey) with deterministic values (ValueSource) and
// reading them back with checks. WriteDataset is the one writer of generated data: `load` and
// `demo` reach it through FillDataset, `ziggy bench` through its engine adapters.
#ifndef ZIGGYDB_TOOLS_DATASET_H_
#define ZIGGYDB_TOOLS_DATASET_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cli_util.h"
#include "util/histogram.h"
#include "ziggydb/db.h"
#include "ziggydb/status.h"

namespace ziggydb::tools {

// Key numbers 0 .. num-1, ascending, or shuffled by `seed` (the same seed, the same order).
// Holds 8 bytes per key: for small datasets (bench); `load` uses KeyPermutation.
std::vector<uint64_t> KeyOrder(uint64_t num, bool shuffle, uint64_t seed);

// A seeded random order of 0 .. num-1 in constant memory, so `load --num 10^12` needs no 8 TB
// table: a bijection of [0, num) computed per index, a 4-round Feistel network keyed by `seed`
// over the smallest even-bit power of two at or above num, walked through its cycle until the
// value falls below num (fewer than 4 steps on average). shuffle false: the identity.
class KeyPermutation {
 public:
  KeyPermutation(uint64_t num, bool shuffle, uint64_t seed);
  uint64_t operator()(uint64_t i) const;  // i < num

 private:
  uint64_t Encrypt(uint64_t x) const;

  uint64_t num_;
  bool shuffle_;
  unsigned half_bits_ = 1;
  uint64_t half_mask_ = 1;
  uint64_t round_keys_[4] = {};
};

// Where WriteDataset puts each group of generated updates. `keys` and `values` are parallel, hold
// 1 .. batch entries, and are valid only during the call.
class DatasetSink {
 public:
  virtual ~DatasetSink() = default;
  virtual Status Write(std::span<const std::string> keys, std::span<const std::string> values) = 0;
};

// Writes operations [begin, end): operation i puts key number key_of(i) (called once per
// operation, in order) with values.ValueFor of that number, `batch` operations per sink call.
// Stops at the first failed call and returns its status, or early with OK once
// InterruptRequested() (tools/progress.h).
Status WriteDataset(uint64_t begin, uint64_t end, uint32_t batch,
                    const std::function<uint64_t(uint64_t)>& key_of, const ValueSource& values,
                    DatasetSink* sink);

struct FillSpec {
  uint64_t num = 0;  // keys 0 .. num-1, each written once
  size_t value_bytes = 100;
  bool random_order = true;  // a seeded shuffle; false: ascending
  bool sync = false;         // WriteOptions::sync on every write
  uint32_t batch = 1;        // updates per DB::Write (1: DB::Put)
  uint64_t seed = 1;         // order and values
  bool progress = false;     // progress bar on stderr
};

struct ReadSpec {
  uint64_t num = 0;          // reads of random keys among 0 .. num-1 (each read once)
  size_t value_bytes = 100;  // as filled
  uint64_t seed = 1;         // as filled (the values), and the read order
  bool missing = false;      // read keys that were never written instead
  bool progress = false;
};

struct PhaseResult {
  uint64_t ops = 0;
  uint64_t bytes = 0;  // user key + value bytes moved
  double seconds = 0;
  Histogram latency_ns;       // per operation (per DB::Write for batches)
  uint64_t found = 0;         // reads: keys found
  uint64_t wrong_values = 0;  // reads: found with a value other than the one written
  Status status;              // the first failure; the phase stops there
};

// Both stop early, with result.ops below spec.num and an OK status, once InterruptRequested().
PhaseResult FillDataset(DB* db, const FillSpec& spec);
PhaseResult ReadDataset(DB* db, const ReadSpec& spec);

// "  fillrandom  200,000 ops in 1.23 s: 162,000 ops/s, 18.9 MB/s; p50 ... max ..."
void PrintPhase(std::string_view name, const PhaseResult& result);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_DATASET_H_
