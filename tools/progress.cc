#include "tools/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/core.h>

#include "tools/cli_util.h"

namespace ziggydb::tools {
namespace {

// Set by the signal handler, read by the command's thread(s). A lock-free atomic is
// async-signal-safe; relaxed suffices: it carries no data, only "stop soon".
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true, std::memory_order_relaxed);
}

void Install(int signal, struct sigaction* previous) {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the next signal of this kind gets the default action (a second Ctrl-C kills).
  action.sa_flags = SA_RESETHAND;
  sigaction(signal, &action, previous);
}

// Progress output never fails a command: a stderr that cannot be written (a full disk, a
// vanished terminal) loses the line and nothing else. Not fmt::print, which throws on a write
// error, and a throw from ~ProgressBar during unwinding would end the process (std::terminate)
// before the command removed what it created.
void WriteStderr(std::string_view text) noexcept {
  if (std::fwrite(text.data(), 1, text.size(), stderr) != text.size()) std::clearerr(stderr);
  if (std::fflush(stderr) != 0) std::clearerr(stderr);
}

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted.store(false, std::memory_order_relaxed);
  Install(SIGINT, &previous_int_);
  Install(SIGTERM, &previous_term_);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

bool InterruptRequested() {
  return g_interrupted.load(std::memory_order_relaxed);
}

bool StderrIsTty() {
  return isatty(STDERR_FILENO) == 1;
}

std::string HumanBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string HumanDuration(double seconds) {
  const uint64_t total = seconds > 0 ? static_cast<uint64_t>(seconds + 0.5) : 0;
  const uint64_t hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, minutes, secs);
  return fmt::format("{}:{:02}", minutes, secs);
}

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled, ProgressUnit unit)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  Finish();
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::Advance(uint64_t n) noexcept {
  const uint64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  if (!enabled_ || finished_.load(std::memory_order_relaxed)) return;
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

void ProgressBar::Finish() noexcept {
  if (!enabled_ || finished_.exchange(true, std::memory_order_relaxed)) return;
  Draw(done());
  WriteStderr("\n");
}

void ProgressBar::Draw(uint64_t done) noexcept {
  // The line is decoration: an allocation failure while formatting it skips one redraw.
  try {
    WriteStderr(FormatLine(done));
  } catch (...) {
  }
}

std::string ProgressBar::FormatLine(uint64_t done) const {
  const double seconds = elapsed_seconds();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const bool bytes = unit_ == ProgressUnit::kBytes;
  auto amount = [bytes](uint64_t n) { return bytes ? HumanBytes(n) : WithCommas(n); };
  const std::string speed =
      bytes ? HumanBytes(static_cast<uint64_t>(rate)) + "/s" : fmt::format("{:.0f}/s", rate);
  std::string line = "\r" + label_ + " ";
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const int filled = static_cast<int>(fraction * kWidth);
    line += fmt::format("[{}{}] {:5.1f}% {}/{} {}", std::string(filled, '#'),
                        std::string(kWidth - filled, '.'), fraction * 100.0, amount(done),
                        amount(total_), speed);
    if (rate > 0 && done < total_) {
      line += " ETA " + HumanDuration(static_cast<double>(total_ - done) / rate);
    }
  } else {
    line += fmt::format("{} {}", amount(done), speed);
  }
  // ESC[K (erase to the end of the line) wipes what a longer previous line left; the bar is drawn
  // only on a terminal.
  return line + "\x1b[K";
}

}  // namespace ziggydb::tools
