#include "tools/bench/phase_metrics.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "tools/cli_util.h"

namespace ziggydb::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ProcWriteBytes() {
  std::ifstream in("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value)
    if (name == "write_bytes:") return value;
  return 0;
}

double CpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

PhaseCost PhaseCost::Between(const ResourceSnapshot& begin, const ResourceSnapshot& end,
                             uint64_t db_bytes) {
  PhaseCost cost;
  cost.disk_write_bytes = end.disk_write_bytes >= begin.disk_write_bytes
                              ? end.disk_write_bytes - begin.disk_write_bytes
                              : 0;
  cost.cpu_seconds = end.cpu_seconds - begin.cpu_seconds;
  cost.stall_seconds = end.stall_micros >= begin.stall_micros
                           ? static_cast<double>(end.stall_micros - begin.stall_micros) / 1e6
                           : 0;
  cost.db_bytes = db_bytes;
  return cost;
}

ResourceSnapshot TakeSnapshot(Engine* engine) {
  ResourceSnapshot snapshot;
  snapshot.disk_write_bytes = ProcWriteBytes();
  snapshot.cpu_seconds = CpuSeconds();
  snapshot.stall_micros = engine != nullptr ? engine->StallMicros() : 0;
  return snapshot;
}

uint64_t DirBytesOnDisk(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    // Files may vanish under a running compaction; skip those.
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total +=
          std::min(static_cast<uint64_t>(st.st_blocks) * 512, static_cast<uint64_t>(st.st_size));
    }
  }
  return total;
}

double Ratio(uint64_t numerator, uint64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

ThroughputMonitor::ThroughputMonitor(std::string label, std::function<uint64_t()> done, bool print)
    : label_(std::move(label)), done_(std::move(done)), print_(print) {
  thread_ = std::thread([this] { Loop(); });
}

ThroughputMonitor::~ThroughputMonitor() {
  Stop();
}

std::vector<double> ThroughputMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return timeline_;
}

void ThroughputMonitor::Loop() {
  const Clock::time_point start = Clock::now();
  Clock::time_point last_time = start;
  uint64_t last_done = 0;
  for (int second = 1;; ++second) {
    const Clock::time_point tick = start + std::chrono::seconds(second);
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      stopping = cv_.wait_until(lock, tick, [this] { return stop_; });
    }
    const Clock::time_point now = Clock::now();
    const uint64_t done = done_();
    const double interval = std::chrono::duration<double>(now - last_time).count();
    if (stopping) {
      // The last partial second, unless it is empty or too short to be a rate.
      if (done > last_done && interval > 0.05) {
        timeline_.push_back(static_cast<double>(done - last_done) / interval);
      }
      return;
    }
    const double rate = static_cast<double>(done - last_done) / interval;
    timeline_.push_back(rate);
    if (print_) {
      fmt::print(stderr, "{}: {} s, {} ops, {} ops/s\n", label_, second, tools::WithCommas(done),
                 tools::WithCommas(static_cast<uint64_t>(rate)));
    }
    last_time = now;
    last_done = done;
  }
}

}  // namespace ziggydb::bench
