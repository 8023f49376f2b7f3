// YcsbSpec: one YCSB core workload (operation mix, request distribution, record layout), built in
// (ycsba..ycsbf, the same as the files in tools/bench/workloads/) or read from a YCSB-style
// properties file.
//
// Properties grammar: one `key=value` per line (whitespace around both trimmed); blank lines and
// lines starting with '#' or '!' are ignored. Keys (YCSB's names; defaults are YCSB
// CoreWorkload's):
//   recordcount, operationcount            unsigned integers
//   readproportion, updateproportion, insertproportion, scanproportion,
//   readmodifywriteproportion              numbers in [0, 1]; at least one > 0; normalized to sum 1
//   requestdistribution                    uniform | zipfian | latest          (default uniform)
//   maxscanlength                          integer >= 1                        (default 1000)
//   scanlengthdistribution                 uniform | zipfian                   (default uniform)
//   fieldcount, fieldlength                integers >= 1                       (default 10, 100)
//   threadcount                            integer >= 1                        (default 1)
//   insertorder                            hashed | ordered                    (default hashed)
//   workload                               must name CoreWorkload (accepted for YCSB files)
//   readallfields, writeallfields          true (every read and write moves the whole record)
// Anything else is an error naming the line and the key.
#ifndef ZIGGYDB_TOOLS_BENCH_YCSB_SPEC_H_
#define ZIGGYDB_TOOLS_BENCH_YCSB_SPEC_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb::bench {

// Operation types of the run phase; also indexes per-type arrays.
enum class YcsbOp : uint8_t {
  kRead = 0,
  kUpdate = 1,
  kInsert = 2,
  kScan = 3,
  kReadModifyWrite = 4
};
inline constexpr size_t kYcsbOpCount = 5;
// "read", "update", "insert", "scan", "rmw"
std::string_view YcsbOpName(YcsbOp op);

enum class RequestDistribution : uint8_t { kUniform, kZipfian, kLatest };
std::string_view DistributionName(RequestDistribution d);
// False for an unknown name.
bool ParseDistribution(std::string_view name, RequestDistribution* out);

struct YcsbSpec {
  std::string name;  // "ycsba", or a properties file's name without directory and extension
  uint64_t record_count = 100'000;
  uint64_t operation_count = 100'000;
  // Indexed by YcsbOp; sum to 1 after Normalize().
  std::array<double, kYcsbOpCount> proportions = {0.95, 0.05, 0, 0, 0};
  RequestDistribution request_distribution = RequestDistribution::kUniform;
  uint32_t max_scan_length = 1000;
  bool scan_length_zipfian = false;  // else uniform in [1, max_scan_length]
  uint32_t field_count = 10;
  uint32_t field_length = 100;
  int thread_count = 1;
  bool hashed_keys = true;

  size_t value_bytes() const { return size_t{field_count} * field_length; }
  double proportion(YcsbOp op) const { return proportions[static_cast<size_t>(op)]; }
  // Checks ranges and scales the proportions to sum to 1.
  [[nodiscard]] Status Normalize();
  // "50% read, 50% update; zipfian"
  std::string Describe() const;
};

// Limits on what a spec may ask for.
inline constexpr uint32_t kMaxScanLengthMax = 1'000'000;
inline constexpr uint64_t kValueBytesMax = uint64_t{16} << 20;

// The built-in workloads A..F ("ycsba".."ycsbf"), in order.
const std::vector<YcsbSpec>& BuiltinYcsbSpecs();
// nullptr when `name` is not built in.
const YcsbSpec* FindBuiltinYcsbSpec(std::string_view name);

// Applies the properties in `text` onto *spec (so unset keys keep their values), then
// Normalize()s. `source` names the text in errors ("workloada:3: unknown key 'foo' ...").
[[nodiscard]] Status ParseYcsbProperties(std::string_view text, std::string_view source,
                                         YcsbSpec* spec);
// Reads `path` and parses it over YCSB's defaults; spec->name becomes the file's stem.
[[nodiscard]] Status LoadYcsbPropertiesFile(const std::string& path, YcsbSpec* spec);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_YCSB_SPEC_H_
