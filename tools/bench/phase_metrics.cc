#include "tools/bench/phase_metrics.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "tools/cli_util.h"
#include "util/assert.h"

namespace ziggydb::bench {
namespace {

using Clock = std::chrono::steady_clock;

ProcIoBytes ReadProcIo() {
  std::ifstream in("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  ProcIoBytes bytes;
  while (in >> name >> value) {
    if (name == "write_bytes:") bytes.dirtied = value;
    if (name == "cancelled_write_bytes:") bytes.cancelled = value;
    if (name == "read_bytes:") bytes.fetched = value;
  }
  return bytes;
}

// Bytes dirtied between two readings and not cancelled since, clamped at 0.
uint64_t NetWrittenBytes(const ProcIoBytes& begin, const ProcIoBytes& end) {
  const uint64_t dirtied = end.dirtied >= begin.dirtied ? end.dirtied - begin.dirtied : 0;
  const uint64_t cancelled = end.cancelled >= begin.cancelled ? end.cancelled - begin.cancelled : 0;
  return dirtied > cancelled ? dirtied - cancelled : 0;
}

// Bytes of fd's data ranges below `size`, walked with SEEK_DATA/SEEK_HOLE: sparse holes and
// preallocated (unwritten) space do not count, data still in the page cache does (ext4 and xfs
// look there for unwritten extents). It forces no writeback: asking FIEMAP instead needs
// FIEMAP_FLAG_SYNC to see such data, and that wrote every engine's live WAL to disk after each
// phase, charging the next phase's write amplification for bytes that would have been deleted
// unwritten. False if lseek fails.
bool DataRangeBytes(int fd, uint64_t size, uint64_t* bytes) {
  *bytes = 0;
  off_t position = 0;
  while (static_cast<uint64_t>(position) < size) {
    const off_t data = ::lseek(fd, position, SEEK_DATA);
    if (data < 0) return errno == ENXIO;  // ENXIO: no data after position
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) return false;
    *bytes += std::min<uint64_t>(static_cast<uint64_t>(hole), size) - static_cast<uint64_t>(data);
    position = hole;
  }
  return true;
}

// What a regular file holds: its data ranges up to its size, so that neither sparse holes nor
// preallocated space (inside the size, as ZiggyDB's WAL, or beyond it with FALLOC_FL_KEEP_SIZE,
// as RocksDB's) count, capped by its allocated blocks (a file system without SEEK_DATA reports
// the whole file as data). 0 for anything else or a file that vanished.
uint64_t FileBytesHoldingData(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  struct stat st {};
  uint64_t bytes = 0;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const uint64_t allocated = std::min(static_cast<uint64_t>(st.st_blocks) * 512, size);
    bytes = DataRangeBytes(fd, size, &bytes) ? std::min(bytes, allocated) : allocated;
  }
  ::close(fd);
  return bytes;
}

// end - begin of a counter, 0 when it went backwards (unavailable at the end).
uint64_t Delta(uint64_t begin, uint64_t end) {
  return end >= begin ? end - begin : 0;
}

}  // namespace

PhaseCost PhaseCost::Between(const ResourceSnapshot& begin, const ResourceSnapshot& end,
                             uint64_t db_bytes) {
  PhaseCost cost;
  cost.disk_write_bytes = NetWrittenBytes(begin.io, end.io);
  cost.cancelled_write_bytes =
      end.io.cancelled >= begin.io.cancelled ? end.io.cancelled - begin.io.cancelled : 0;
  cost.cpu_seconds = end.cpu_seconds - begin.cpu_seconds;
  cost.stall_seconds = end.stall_micros >= begin.stall_micros
                           ? static_cast<double>(end.stall_micros - begin.stall_micros) / 1e6
                           : 0;
  cost.db_bytes = db_bytes;
  cost.fetched_bytes = Delta(begin.io.fetched, end.io.fetched);
  cost.major_faults = Delta(begin.major_faults, end.major_faults);
  cost.device_reads = Delta(begin.device_reads, end.device_reads);
  return cost;
}

ResourceSnapshot TakeSnapshot(Engine* engine, const std::string& device_dir) {
  ResourceSnapshot snapshot;
  snapshot.io = ReadProcIo();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    auto seconds = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    snapshot.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    snapshot.major_faults = static_cast<uint64_t>(usage.ru_majflt);
  }
  snapshot.stall_micros = engine != nullptr ? engine->StallMicros() : 0;
  if (!device_dir.empty()) snapshot.device_reads = DeviceReadsCompleted(device_dir);
  return snapshot;
}

uint64_t DeviceReadsCompleted(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  // The first field of a block device's stat file: read requests completed.
  std::ifstream in(fmt::format("/sys/dev/block/{}:{}/stat", major(st.st_dev), minor(st.st_dev)));
  uint64_t reads = 0;
  return in >> reads ? reads : 0;
}

Status SettleBackgroundWork(Engine* engine, double quiet_seconds, PhaseCost* cost) {
  ZIGGY_ASSERT(quiet_seconds > 0);
  constexpr double kQuietBytesPerSecond = 1 << 20;
  constexpr int kQuietPolls = 4;  // the quiet window, polled in quarters
  const auto poll = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(quiet_seconds / kQuietPolls));
  const auto quiet_bytes_per_poll =
      static_cast<uint64_t>(kQuietBytesPerSecond * quiet_seconds / kQuietPolls);
  const Clock::time_point start = Clock::now();
  const ProcIoBytes start_bytes = ReadProcIo();
  Status s = engine->WaitForBackgroundWork();
  ProcIoBytes last_bytes = ReadProcIo();
  int quiet_polls = 0;
  while (s.ok() && quiet_polls < kQuietPolls) {
    if (Clock::now() - start > std::chrono::minutes(10)) {
      s = Status::Busy("background work still writing after 10 minutes");
      break;
    }
    std::this_thread::sleep_for(poll);
    // Quiet means nothing being dirtied, whether or not it will be cancelled.
    const ProcIoBytes bytes = ReadProcIo();
    quiet_polls = bytes.dirtied - last_bytes.dirtied < quiet_bytes_per_poll ? quiet_polls + 1 : 0;
    last_bytes = bytes;
  }
  cost->settle_write_bytes = NetWrittenBytes(start_bytes, last_bytes);
  cost->settle_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

uint64_t DirBytesOnDisk(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // Files may vanish under a running compaction; skip those.
    total += FileBytesHoldingData(it->path().string());
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
    MutexLock lock(&mu_);
    stop_ = true;
  }
  stop_requested_.NotifyAll();
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
      MutexLock lock(&mu_);
      while (!stop_) {
        if (!stop_requested_.WaitUntil(&mu_, tick)) break;
      }
      stopping = stop_;
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
      tools::PrintToStderr("{}: {} s, {} ops, {} ops/s\n", label_, second, tools::WithCommas(done),
                           tools::WithCommas(static_cast<uint64_t>(rate)));
    }
    last_time = now;
    last_done = done;
  }
}

}  // namespace ziggydb::bench
