// Progress and interruption of the long `ziggy` commands (verify, compact, load, and the
// backup, restore, repair, dump commands): a one-line progress bar on stderr with a rate and an
// ETA, drawn only on a terminal, and Ctrl-C turned into a flag the command polls so that it
// stops at a clean point, says how far it got and exits with ExitCode::kInterrupted
// (docs/cli.md, "Long commands").
//
// Thread safety: ProgressBar::Advance may be called from any thread; Finish from one thread
// once the others stopped advancing. InterruptRequested is async-signal-safe to set and may be
// read from any thread.
#ifndef ZIGGYDB_TOOLS_PROGRESS_H_
#define ZIGGYDB_TOOLS_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>

namespace ziggydb::tools {

// While an InterruptScope lives, SIGINT and SIGTERM only set the flag InterruptRequested reads
// (the command polls it between units of work). The handler is installed with SA_RESETHAND: a
// second Ctrl-C gets the default action and ends a command that does not stop. The destructor
// restores the previous handlers (the flag stays as it was, for the command's report). One scope
// at a time.
class InterruptScope {
 public:
  InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  ~InterruptScope();

 private:
  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
};

// True once SIGINT or SIGTERM arrived under an InterruptScope (false if none was installed).
bool InterruptRequested();

// What a ProgressBar counts: bytes (shown as KiB/MiB/GiB, rate in bytes/s) or items (rate in
// items/s, e.g. keys or tables).
enum class ProgressUnit : uint8_t { kBytes, kItems };

// One line on stderr, redrawn at most every 100 ms by Advance's caller:
//   verify [#########.....................]  31.0% 312.5 MiB/1.0 GiB 104.2 MiB/s ETA 0:07
// With a total of 0 (unknown) there is no bar, percentage or ETA. Disabled (counting only) when
// `enabled` is false: commands pass StderrIsTty() (or a --progress flag that forces it), so by
// default piped or redirected output never holds progress lines.
class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total, bool enabled,
              ProgressUnit unit = ProgressUnit::kItems);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();  // Finish()

  // Neither throws nor fails: a write error on stderr (e.g. `2>/dev/full`) drops the line.
  void Advance(uint64_t n = 1) noexcept;
  // Draws the final state and ends the line (once; later calls do nothing).
  void Finish() noexcept;
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  uint64_t total() const { return total_; }
  double elapsed_seconds() const;

 private:
  void Draw(uint64_t done) noexcept;
  std::string FormatLine(uint64_t done) const;

  const std::string label_;
  const uint64_t total_;
  const ProgressUnit unit_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<uint64_t> done_{0};
  // Relaxed: only throttles redraws; the exchange picks one drawing thread per period.
  std::atomic<int64_t> last_draw_ns_{0};
  std::atomic<bool> finished_{false};
};

// True when stderr is a terminal: the default for every progress bar.
bool StderrIsTty();

// "1.5 MiB", "312 B": bytes for humans (binary units, one decimal).
std::string HumanBytes(uint64_t bytes);
// "1:05:09", "0:07": a duration in whole seconds.
std::string HumanDuration(double seconds);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_PROGRESS_H_
