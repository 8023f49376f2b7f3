// Fuzz target for the YCSB workload properties parser (`ziggy bench --workload FILE`,
// tools/bench/ycsb_spec.h): the input is a whole properties file.
//
// Whatever the bytes, parsing must end in OK or InvalidArgument, and an accepted spec must hold
// what the benchmark relies on: proportions in [0, 1] summing to 1, at least one record, a value
// size and scan length within their limits, at least one thread; and the parse must not depend
// on the source name beyond the error text.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/bench/ycsb_spec.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ziggydb;  // NOLINT: a fuzz entry point, not a header
  using bench::YcsbSpec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  YcsbSpec spec;
  const Status s = bench::ParseYcsbProperties(text, "fuzz", &spec);
  ZIGGY_ASSERT(s.ok() || s.IsInvalidArgument());
  YcsbSpec again;
  ZIGGY_ASSERT(bench::ParseYcsbProperties(text, "other", &again).ok() == s.ok());
  if (!s.ok()) return 0;

  double sum = 0;
  for (const double p : spec.proportions) {
    ZIGGY_ASSERT(p >= 0 && p <= 1);
    sum += p;
  }
  ZIGGY_ASSERT(std::fabs(sum - 1) < 1e-9);
  ZIGGY_ASSERT(spec.proportions == again.proportions);
  ZIGGY_ASSERT(spec.record_count >= 1);
  ZIGGY_ASSERT(spec.value_bytes() <= bench::kValueBytesMax);
  ZIGGY_ASSERT(spec.max_scan_length >= 1 && spec.max_scan_length <= bench::kMaxScanLengthMax);
  ZIGGY_ASSERT(spec.thread_count >= 1);
  ZIGGY_ASSERT(!spec.Describe().empty());
  return 0;
}
