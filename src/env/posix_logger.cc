// The POSIX info-log file (NewPosixLogger in env/posix_env.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "env/posix_env.h"
#include "env/posix_file.h"
#include "env/posix_open_guard.h"
#include "util/assert.h"
#include "util/mutex.h"

namespace ziggydb {
namespace {

// Lines longer than this are cut, so one Log call stays one bounded write.
constexpr size_t kLogLineBytesMax = 64 * 1024;

int OpenLogFile(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

// "YYYY/MM/DD-HH:MM:SS.uuuuuu <tid> " for now, in UTC.
std::string LinePrefix() {
  const auto now = std::chrono::system_clock::now();
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(micros / 1000000);
  struct tm parts;
  gmtime_r(&seconds, &parts);
  char prefix[96];
  const int n = std::snprintf(prefix, sizeof(prefix), "%04d/%02d/%02d-%02d:%02d:%02d.%06d %ld ",
                              parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                              parts.tm_min, parts.tm_sec, static_cast<int>(micros % 1000000),
                              static_cast<long>(gettid()));
  ZIGGY_ASSERT(n > 0 && static_cast<size_t>(n) < sizeof(prefix));
  return std::string(prefix, static_cast<size_t>(n));
}

// Logging is best effort: a failed write or rotation drops lines rather than failing the DB.
class PosixLogger final : public Logger {
 public:
  PosixLogger(std::string path, int fd, uint64_t rotate_bytes)
      : path_(std::move(path)), fd_(fd), rotate_bytes_(rotate_bytes) {}
  ~PosixLogger() override { close(fd_); }

  void Log(std::string_view text) override {
    std::string line = LinePrefix();
    line.append(text.substr(0, kLogLineBytesMax));
    line.push_back('\n');
    MutexLock guard(&mu_);
    if (reopen_pending_ || (file_bytes_ > 0 && file_bytes_ + line.size() > rotate_bytes_)) {
      Rotate();
    }
    const char* data = line.data();
    size_t left = line.size();
    while (left > 0) {
      const ssize_t written = write(fd_, data, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        return;
      }
      data += written;
      left -= static_cast<size_t>(written);
      file_bytes_ += static_cast<uint64_t>(written);
    }
  }

 private:
  // The current file becomes path.old and a new one path. The current file stays open until the
  // new one is: if the rename fails, lines go on into it (nothing truncated) and rotation is
  // tried again after another rotate_bytes_; if the open fails, lines go on into path.old and
  // every line tries the open again.
  void Rotate() REQUIRES(mu_) {
    if (!reopen_pending_) {
      if (std::rename(path_.c_str(), (path_ + ".old").c_str()) != 0) {
        file_bytes_ = 0;
        return;
      }
      reopen_pending_ = true;
    }
    const int fd = OpenLogFile(path_);
    if (fd < 0) return;
    close(fd_);
    fd_ = fd;
    file_bytes_ = 0;
    reopen_pending_ = false;
  }

  const std::string path_;
  Mutex mu_;
  int fd_ GUARDED_BY(mu_);  // always open: the current file, or path.old while reopen_pending_
  const uint64_t rotate_bytes_;
  uint64_t file_bytes_ GUARDED_BY(mu_) = 0;
  bool reopen_pending_ GUARDED_BY(mu_) = false;
};

}  // namespace

Status NewPosixLogger(const std::string& path, uint64_t rotate_bytes,
                      std::shared_ptr<Logger>* result) {
  ZIGGY_ASSERT(rotate_bytes > 0);
  if (std::rename(path.c_str(), (path + ".old").c_str()) != 0 && errno != ENOENT) {
    return posix::ErrnoError("rename old info log", path, errno);
  }
  const int fd = OpenLogFile(path);
  if (fd < 0) return posix::ErrnoError("open info log", path, errno);
  posix::OpenGuard guard(fd);  // closed if the allocation below throws
  *result = std::make_shared<PosixLogger>(path, fd, rotate_bytes);
  guard.Release();
  return Status::OK();
}

}  // namespace ziggydb
