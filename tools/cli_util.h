// Shared pieces of the `ziggy` subcommands: exit codes, opening a DB with a clear error, printing
// bytes safely, generated keys and values. Progress bars and Ctrl-C: tools/progress.h.
//
// Thread safety: ValueSource is immutable after construction (share it).
#ifndef ZIGGYDB_TOOLS_CLI_UTIL_H_
#define ZIGGYDB_TOOLS_CLI_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/core.h>

#include "tools/progress.h"
#include "util/histogram.h"
#include "ziggydb/db.h"
#include "ziggydb/status.h"

namespace ziggydb::tools {

// Process exit codes, one table for every subcommand (docs/cli.md, "Exit codes").
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,          // bad arguments or options, unknown command, an operation the mode forbids
  kNotFound = 2,       // the DB, a file, a key (`get`) or a backup that was named does not exist
  kCorruption = 3,     // damaged bytes: verify, inspect, a read that hit a bad checksum, ...
  kError = 4,          // I/O error, the DB is busy (held by another process), any other failure
  kInterrupted = 130,  // stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)
};
inline int ToInt(ExitCode code) {
  return static_cast<int>(code);
}

// A message to stderr. Unlike fmt::print, never throws for a stderr that cannot be written
// (2>/dev/full): the message is lost, and neither the command's work nor its exit code changes.
template <typename... Args>
void PrintToStderr(fmt::format_string<Args...> format, Args&&... args) {
  const std::string text = fmt::format(format, std::forward<Args>(args)...);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

// The exit code of a failed Status: NotFound -> kNotFound, Corruption -> kCorruption,
// InvalidArgument and NotSupported -> kUsage, everything else (IOError, Busy) -> kError.
// OK -> kOk.
ExitCode ExitCodeFor(const Status& status);

// Prints "ziggy <command>: <what>: <status>" to stderr and returns ExitCodeFor(status).
ExitCode ReportError(std::string_view command, std::string_view what, const Status& status);

// Opens the DB at `path`. Without `create`, a missing DB is an error rather than a new empty DB.
// On failure prints the reason to stderr and returns it.
Status OpenDb(std::string_view command, const std::string& path, bool create,
              std::unique_ptr<DB>* db, Options options = Options());

// DB::OpenReadOnly of the DB at `path` (nothing written; refused while a writer holds the DB).
// On failure prints the reason to stderr and returns it.
Status OpenDbReadOnly(std::string_view command, const std::string& path, std::unique_ptr<DB>* db,
                      const Options& options = Options());

// A file that appears at `path` whole or not at all (dump --out, get --value-file): written to a
// new temporary file beside it, created exclusively (O_EXCL, so never a file or link someone else
// placed there), then Commit syncs it, renames it onto `path` and syncs the directory. Destroyed
// without a successful Commit, it removes the temporary file. A `path` that exists and is not a
// regular file (a FIFO, /dev/stdout) is written in place instead: there is nothing to replace.
// A regular file replaced keeps its permission bits; a symbolic link to one has its target
// replaced (the link stays), a dangling link is replaced by the file. The directory must be
// writable (the temporary file is made there), even when `path` itself is.
class OutputFile {
 public:
  // Creates the temporary file. Errors name the file and carry errno's text.
  static Status Create(const std::string& path, std::unique_ptr<OutputFile>* out);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  std::FILE* stream() const { return file_; }
  // fwrite of all of `bytes`; IOError with errno's text.
  Status Write(std::string_view bytes);
  // Flushes, fsyncs and closes the file, renames it onto the path and fsyncs the directory. On
  // failure the temporary file is removed (the path keeps what it held).
  Status Commit();

 private:
  OutputFile(std::string path, std::string temp, std::FILE* file)
      : path_(std::move(path)), temp_(std::move(temp)), file_(file) {}
  void Discard();

  const std::string path_;
  std::string temp_;  // empty: written in place, or renamed into place
  std::FILE* file_;
};

// A file named as a command's input (put --value-file, dump-wal FILE, dump-sst FILE): NotFound
// if it does not exist (exit 2, like restore-dump --from-dump and a missing DB), InvalidArgument
// if it is a directory (exit 1), OK otherwise (reading it may still fail).
Status CheckInputFile(const std::string& path);

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

// "12,345,678"
std::string WithCommas(uint64_t n);
// "p50 1.2 us  p95 ...": latency percentiles of a histogram of nanoseconds, in microseconds.
std::string LatencySummary(const Histogram& latency_ns);
inline double NsToUs(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}
// "1.23x" = numerator / denominator, or "-" unless both are positive (a rate of a failed or
// skipped run is 0).
std::string RatioText(double numerator, double denominator);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_CLI_UTIL_H_
