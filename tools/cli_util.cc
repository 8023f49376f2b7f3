#include "tools/cli_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "util/escape.h"
#include "util/random.h"

namespace ziggydb::tools {

ExitCode ReportError(std::string_view command, std::string_view what, const Status& status) {
  fmt::print(stderr, "ziggy {}: {}: {}\n", command, what, status.ToString());
  return status.IsCorruption() ? ExitCode::kCorruption : ExitCode::kError;
}

Status OpenDb(std::string_view command, const std::string& path, bool create,
              std::unique_ptr<DB>* db, Options options) {
  if (path.empty()) {
    Status s = Status::InvalidArgument("--db is empty");
    ReportError(command, "cannot open the DB", s);
    return s;
  }
  options.create_if_missing = create;
  Status s = DB::Open(options, path, db);
  if (!s.ok()) ReportError(command, "cannot open the DB at '" + path + "'", s);
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

bool StderrIsTty() {
  return isatty(STDERR_FILENO) == 1;
}

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  Finish();
}

void ProgressBar::Advance(uint64_t n) {
  const uint64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  if (!enabled_) return;
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - start_)
                             .count();
  int64_t last = last_draw_ns_.load(std::memory_order_relaxed);
  constexpr int64_t kRedrawNs = 100'000'000;
  if (now_ns - last < kRedrawNs) return;
  // Only the thread that wins the exchange draws, so lines never interleave.
  if (!last_draw_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) return;
  Draw(done);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(done_.load(std::memory_order_relaxed));
  fmt::print(stderr, "\n");
}

void ProgressBar::Draw(uint64_t done) {
  constexpr int kWidth = 30;
  const double fraction =
      total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const int filled = static_cast<int>(fraction * kWidth);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  fmt::print(stderr, "\r{} [{}{}] {:5.1f}% {}/{} {:.0f} ops/s ", label_, std::string(filled, '#'),
             std::string(kWidth - filled, '.'), fraction * 100.0, WithCommas(done),
             WithCommas(total_), rate);
  std::fflush(stderr);
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
