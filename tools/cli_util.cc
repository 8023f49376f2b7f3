#include "tools/cli_util.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "db/filename.h"
#include "tools/wal_archive_options.h"
#include "util/escape.h"
#include "util/random.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {

ExitCode ExitCodeFor(const Status& status) {
  if (status.ok()) return ExitCode::kOk;
  if (status.IsNotFound()) return ExitCode::kNotFound;
  if (status.IsCorruption()) return ExitCode::kCorruption;
  if (status.IsInvalidArgument() || status.IsNotSupported()) return ExitCode::kUsage;
  return ExitCode::kError;
}

ExitCode ReportError(std::string_view command, std::string_view what, const Status& status) {
  fmt::print(stderr, "ziggy {}: {}: {}\n", command, what, status.ToString());
  return ExitCodeFor(status);
}

Status OpenDb(std::string_view command, const std::string& path, bool create,
              std::unique_ptr<DB>* db, Options options) {
  if (path.empty()) {
    Status s = Status::InvalidArgument("--db is empty");
    ReportError(command, "cannot open the DB", s);
    return s;
  }
  options.create_if_missing = create;
  ApplyWalArchiveOptions(&options);
  Status s = DB::Open(options, path, db);
  // Open says InvalidArgument for a directory that holds no DB; for the CLI that is "not found".
  if (s.IsInvalidArgument() && !create && !Env::Default()->FileExists(CurrentFileName(path)))
    s = Status::NotFound(s.message());
  if (!s.ok()) ReportError(command, "cannot open the DB at '" + path + "'", s);
  return s;
}

Status OpenDbReadOnly(std::string_view command, const std::string& path, std::unique_ptr<DB>* db,
                      const Options& options) {
  Status s =
      path.empty() ? Status::InvalidArgument("--db is empty") : DB::OpenReadOnly(options, path, db);
  if (!s.ok()) ReportError(command, "cannot open the DB at '" + path + "' read-only", s);
  return s;
}

std::string Escape(std::string_view bytes) {
  return EscapeBytes(bytes);
}

std::string GeneratedKey(uint64_t i) {
  std::string out;
  GeneratedKey(i, &out);
  return out;
}

void GeneratedKey(uint64_t i, std::string* out) {
  // 15 digits hold every i below 10^15, far past any dataset a run can write.
  out->assign(kGeneratedKeyBytes, '0');
  (*out)[0] = 'k';
  for (size_t pos = kGeneratedKeyBytes - 1; pos > 0 && i > 0; --pos, i /= 10)
    (*out)[pos] = static_cast<char>('0' + i % 10);
}

std::string MissingKey(uint64_t i) {
  return GeneratedKey(i) + ".";
}

ValueSource::ValueSource(uint64_t seed, size_t value_bytes) : value_bytes_(value_bytes) {
  Random rnd(seed);
  pool_ = rnd.Bytes(kPoolBytes + value_bytes);
}

std::string ValueSource::ValueFor(uint64_t i) const {
  std::string out;
  ValueFor(i, &out);
  return out;
}

void ValueSource::ValueFor(uint64_t i, std::string* out) const {
  // A multiplicative hash spreads neighbouring keys over the pool.
  const size_t offset = static_cast<size_t>((i * 0x9e3779b97f4a7c15ULL) >> 44) % kPoolBytes;
  out->assign(pool_, offset, value_bytes_);
  const size_t stamp_bytes = std::min(value_bytes_, sizeof(i));
  std::memcpy(out->data(), &i, stamp_bytes);
}

std::string RatioText(double numerator, double denominator) {
  return numerator > 0 && denominator > 0 ? fmt::format("{:.2f}x", numerator / denominator) : "-";
}

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string LatencySummary(const Histogram& latency_ns) {
  return fmt::format("p50 {:.2f} us  p95 {:.2f} us  p99 {:.2f} us  max {:.2f} us",
                     NsToUs(latency_ns.Percentile(50)), NsToUs(latency_ns.Percentile(95)),
                     NsToUs(latency_ns.Percentile(99)), NsToUs(latency_ns.Max()));
}

}  // namespace ziggydb::tools
