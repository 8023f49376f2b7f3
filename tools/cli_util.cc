#include "tools/cli_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

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
  PrintToStderr("ziggy {}: {}: {}\n", command, what, status.ToString());
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

namespace {

Status ErrnoError(const std::string& what, int error) {
  return Status::IOError(what, std::strerror(error));
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status OutputFile::Create(const std::string& path, std::unique_ptr<OutputFile>* out) {
  if (path.empty()) return Status::InvalidArgument("the output file name is empty");
  struct stat st {};
  const bool exists = stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) return ErrnoError("cannot write " + path, EISDIR);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return ErrnoError("cannot open " + path, errno);
    out->reset(new OutputFile(path, "", file));
    return Status::OK();
  }
  // A symbolic link stays: the file it names is the one replaced.
  std::string target = path;
  if (struct stat link{}; exists && lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
    if (real == nullptr) return ErrnoError("cannot resolve " + path, errno);
    target = real.get();
  }
  // A replaced file keeps its mode; a new one gets 0666 less the umask, as fopen would give it.
  const mode_t mode = exists ? (st.st_mode & 07777) : 0666;
  std::random_device random;
  for (int attempt = 0;; ++attempt) {
    const std::string temp = fmt::format("{}.ziggy-tmp-{:08x}", target, random());
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && attempt < 100) continue;
    if (fd < 0) return ErrnoError("cannot create " + temp, errno);
    if (exists && fchmod(fd, mode) != 0) {
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      return ErrnoError("cannot chmod " + temp, error);
    }
    std::FILE* file = fdopen(fd, "wb");
    if (file == nullptr) {
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      return ErrnoError("cannot open " + temp, error);
    }
    out->reset(new OutputFile(target, temp, file));
    return Status::OK();
  }
}

OutputFile::~OutputFile() {
  Discard();
}

void OutputFile::Discard() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  if (!temp_.empty()) unlink(temp_.c_str());
}

Status OutputFile::Write(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return ErrnoError("cannot write " + (temp_.empty() ? path_ : temp_), errno);
  }
  return Status::OK();
}

Status OutputFile::Commit() {
  const std::string& name = temp_.empty() ? path_ : temp_;
  Status s;
  if (std::fflush(file_) != 0 || std::ferror(file_)) s = ErrnoError("cannot write " + name, errno);
  // fsync of a FIFO or a terminal fails with EINVAL: only a regular file needs it.
  if (s.ok() && !temp_.empty() && fsync(fileno(file_)) != 0) {
    s = ErrnoError("cannot sync " + name, errno);
  }
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (s.ok() && closed != 0) s = ErrnoError("cannot close " + name, errno);
  if (temp_.empty()) return s;
  if (s.ok() && std::rename(temp_.c_str(), path_.c_str()) != 0) {
    s = ErrnoError("cannot rename " + temp_ + " to " + path_, errno);
  }
  if (!s.ok()) {
    Discard();
    return s;
  }
  // The name is in place: nothing left to remove, and the directory sync makes it durable.
  temp_.clear();
  return Env::Default()->SyncDir(ParentDir(path_));
}

Status CheckInputFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::NotFound("no such file", path)
                           : ErrnoError("cannot stat " + path, errno);
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("is a directory, not a file", path);
  return Status::OK();
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
