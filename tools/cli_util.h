// Shared pieces of the `ziggy` subcommands: exit codes, opening a DB with a clear error, printing
// bytes safely, generated keys and values, and a progress bar.
//
// Thread safety: ValueSource is immutable after construction (share it); ProgressBar is
// thread-safe (Advance is one relaxed atomic add).
#ifndef ZIGGYDB_TOOLS_CLI_UTIL_H_
#define ZIGGYDB_TOOLS_CLI_UTIL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/histogram.h"
#include "ziggydb/db.h"
#include "ziggydb/status.h"

namespace ziggydb::tools {

// Process exit codes of every subcommand (docs/cli.md).
enum class ExitCode : int {
  kOk = 0,
  kNotFound = 1,    // `get` of an absent key
  kError = 2,       // bad arguments, I/O errors, a DB that cannot be opened
  kCorruption = 3,  // verify / dump found damaged bytes
};
inline int ToInt(ExitCode code) {
  return static_cast<int>(code);
}

// Prints "ziggy <command>: <what>: <status>" to stderr and returns kCorruption for Corruption,
// kError otherwise.
ExitCode ReportError(std::string_view command, std::string_view what, const Status& status);

// Opens the DB at `path`. Without `create`, a missing DB is an error rather than a new empty DB.
// On failure prints the reason to stderr and returns it.
Status OpenDb(std::string_view command, const std::string& path, bool create,
              std::unique_ptr<DB>* db, Options options = Options());

// `bytes` with printable ASCII kept and everything else (and '\\') as \xHH escapes.
std::string Escape(std::string_view bytes);

// Key number i of a generated dataset: "k" + 15 decimal digits (16 bytes), so keys sort by number.
inline constexpr size_t kGeneratedKeyBytes = 16;
std::string GeneratedKey(uint64_t i);
// The same into *out, reusing its buffer (no allocation once it has grown to 16 bytes).
void GeneratedKey(uint64_t i, std::string* out);
// A key ordered between GeneratedKey(i) and GeneratedKey(i + 1), so never present.
std::string MissingKey(uint64_t i);

// Values of a generated dataset: deterministic in (seed, i), so a reader can check what it reads.
class ValueSource {
 public:
  ValueSource(uint64_t seed, size_t value_bytes);
  // The value for key i: a window of a random pool, its first 8 bytes replaced by i.
  std::string ValueFor(uint64_t i) const;
  // Fills *out with ValueFor(i) without reallocating when its capacity suffices.
  void ValueFor(uint64_t i, std::string* out) const;
  size_t value_bytes() const { return value_bytes_; }

 private:
  static constexpr size_t kPoolBytes = size_t{1} << 20;
  std::string pool_;  // kPoolBytes + value_bytes_ random bytes
  size_t value_bytes_;
};

// A one-line progress bar on stderr, redrawn at most every 100 ms from Advance's caller.
// Disabled (every call a no-op beyond counting) when `enabled` is false.
class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total, bool enabled);
  ~ProgressBar();  // finishes the line
  void Advance(uint64_t n = 1);
  void Finish();

 private:
  void Draw(uint64_t done);

  const std::string label_;
  const uint64_t total_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> last_draw_ns_{0};
  bool finished_ = false;
};

// True when stderr is a terminal (progress bars default on then).
bool StderrIsTty();

// "12,345,678"
std::string WithCommas(uint64_t n);
// "p50 1.2 us  p95 ...": latency percentiles of a histogram of nanoseconds, in microseconds.
std::string LatencySummary(const Histogram& latency_ns);
inline double NsToUs(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_CLI_UTIL_H_
