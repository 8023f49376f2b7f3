// The `open` workload of `ziggy bench` (open_workload.h).
#include "tools/bench/open_workload.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "db/filename.h"
#include "env/counting_env.h"
#include "tools/cli_util.h"
#include "util/status_macros.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::bench {
namespace {

constexpr int kBatchKeys = 1000;
constexpr int kRounds = 5;  // Opens per kind; the median is reported

std::string KeyOf(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%016" PRIu64, i);
  return buf;
}

// Counts sequential opens and bytes on top of CountingEnv's random-access tallies.
class OpenCountingEnv final : public CountingEnv {
 public:
  explicit OpenCountingEnv(Env* target) : CountingEnv(target), target_(target) {}

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    std::unique_ptr<SequentialFile> file;
    ZIGGY_RETURN_IF_ERROR(target_->NewSequentialFile(path, &file));
    files_opened.fetch_add(1, std::memory_order_relaxed);
    *result = std::make_unique<File>(std::move(file), &sequential_bytes);
    return Status::OK();
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    Status s = CountingEnv::NewRandomAccessFile(path, result);
    if (s.ok()) files_opened.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  Status NewMappedRandomAccessFile(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result) override {
    Status s = CountingEnv::NewMappedRandomAccessFile(path, result);
    if (s.ok()) files_opened.fetch_add(1, std::memory_order_relaxed);
    return s;
  }

  std::atomic<uint64_t> files_opened{0};
  std::atomic<uint64_t> sequential_bytes{0};

 private:
  class File final : public SequentialFile {
   public:
    File(std::unique_ptr<SequentialFile> file, std::atomic<uint64_t>* bytes)
        : file_(std::move(file)), bytes_(bytes) {}
    Status Read(size_t n, std::string_view* result, char* scratch) override {
      Status s = file_->Read(n, result, scratch);
      if (s.ok()) bytes_->fetch_add(result->size(), std::memory_order_relaxed);
      return s;
    }
    Status Skip(uint64_t n) override { return file_->Skip(n); }

   private:
    std::unique_ptr<SequentialFile> file_;
    std::atomic<uint64_t>* bytes_;
  };
  Env* const target_;
};

struct DirSizes {
  uint64_t manifest_bytes = 0;
  uint64_t log_bytes = 0;
  uint64_t tables = 0;
};

Status Sizes(const std::string& db, DirSizes* sizes) {
  Env* env = Env::Default();
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env->GetChildren(db, &names));
  *sizes = DirSizes();
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) continue;
    uint64_t bytes = 0;
    if (!env->GetFileSize(db + "/" + name, &bytes).ok()) continue;
    if (type == FileType::kManifestFile) sizes->manifest_bytes += bytes;
    if (type == FileType::kLogFile) sizes->log_bytes += bytes;
    if (type == FileType::kTableFile) ++sizes->tables;
  }
  return Status::OK();
}

struct OpenSample {
  double ms = 0;
  uint64_t bytes_read = 0;
  uint64_t files_opened = 0;
};

// Opens db through a counting Env, then (untimed) waits for its background work and closes it.
Status TimedOpen(const std::string& db, OpenSample* sample) {
  OpenCountingEnv env(Env::Default());
  // The files present before Open: the ones whose reads count (a table Open writes is not read).
  std::vector<std::string> before;
  ZIGGY_RETURN_IF_ERROR(env.GetChildren(db, &before));
  Options options;
  options.env = &env;
  std::unique_ptr<DB> handle;
  const auto start = std::chrono::steady_clock::now();
  Status s = DB::Open(options, db, &handle);
  const auto end = std::chrono::steady_clock::now();
  ZIGGY_RETURN_IF_ERROR(s);
  sample->ms = std::chrono::duration<double, std::milli>(end - start).count();
  sample->files_opened = env.files_opened.load();
  sample->bytes_read = env.sequential_bytes.load();
  for (const std::string& name : before)
    sample->bytes_read += env.bytes_read(db + "/" + name);
  s = handle->WaitForBackgroundWork();
  Status closed = handle->Close();
  return s.ok() ? closed : s;
}

OpenSample Median(std::vector<OpenSample> samples) {
  std::sort(samples.begin(), samples.end(),
            [](const OpenSample& a, const OpenSample& b) { return a.ms < b.ms; });
  return samples[samples.size() / 2];
}

Status Fill(const std::string& db, uint64_t keys, size_t value_bytes, bool progress) {
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> handle;
  ZIGGY_RETURN_IF_ERROR(DB::Open(options, db, &handle));
  const std::string value(value_bytes, 'v');
  WriteBatch batch;
  Status s;
  for (uint64_t i = 0; i < keys && s.ok(); ++i) {
    batch.Put(KeyOf(i), value);
    if ((i + 1) % kBatchKeys == 0 || i + 1 == keys) {
      s = handle->Write(WriteOptions(), batch);
      batch.Clear();
    }
    if (progress && (i + 1) % 5000000 == 0)
      tools::PrintToStderr("open: filled {} keys\n", tools::WithCommas(i + 1));
  }
  if (s.ok()) s = handle->WaitForBackgroundWork();
  Status closed = handle->Close();
  return s.ok() ? closed : s;
}

// The child: overwrites keys from a seeded start until kill_bytes of batches are written, tells
// the parent through `ready_fd`, and waits to be killed.
[[noreturn]] void KilledWriter(const std::string& db, uint64_t num, size_t value_bytes,
                               uint64_t kill_bytes, int ready_fd, uint64_t seed) {
  std::unique_ptr<DB> handle;
  if (!DB::Open(Options(), db, &handle).ok()) std::_Exit(1);
  const std::string value(value_bytes, 'k');
  uint64_t written = 0;
  uint64_t key = seed * uint64_t{7919};
  WriteBatch batch;
  while (written < kill_bytes) {
    for (int i = 0; i < kBatchKeys; ++i) {
      batch.Put(KeyOf(key++ % num), value);
      written += KeyOf(0).size() + value_bytes;
    }
    if (!handle->Write(WriteOptions(), batch).ok()) std::_Exit(1);
    batch.Clear();
  }
  const char byte = 1;
  if (write(ready_fd, &byte, 1) != 1) std::_Exit(1);
  for (;;)
    pause();
}

// Forks the killed writer and waits until it has written and been killed.
Status KillAWriter(const std::string& db, uint64_t num, size_t value_bytes, uint64_t kill_bytes,
                   uint64_t seed) {
  int fds[2];
  if (pipe(fds) != 0) return Status::IOError("pipe", std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::IOError("fork", std::strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    KilledWriter(db, num, value_bytes, kill_bytes, fds[1], seed);
  }
  close(fds[1]);
  char byte = 0;
  const bool ready = read(fds[0], &byte, 1) == 1;
  close(fds[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return ready ? Status::OK() : Status::IOError("the writer failed before it was killed");
}

nlohmann::json SampleJson(const OpenSample& s) {
  return {{"open_ms", s.ms}, {"bytes_read", s.bytes_read}, {"files_opened", s.files_opened}};
}

// What <store>.filled says: the store holds this dataset.
std::string FilledMark(const BenchConfig& config) {
  return fmt::format("{} keys x {} B\n", config.num, config.value_bytes);
}

Status Measure(const std::string& store, const BenchConfig& config, int rounds, nlohmann::json* j) {
  // The first Open replays what the fill's last log held and warms the page cache; the clean
  // rounds then find an empty log.
  OpenSample sample;
  ZIGGY_RETURN_IF_ERROR(TimedOpen(store, &sample));
  DirSizes clean_sizes;
  ZIGGY_RETURN_IF_ERROR(Sizes(store, &clean_sizes));
  std::vector<OpenSample> clean;
  for (int i = 0; i < rounds; ++i) {
    ZIGGY_RETURN_IF_ERROR(TimedOpen(store, &sample));
    clean.push_back(sample);
  }
  const uint64_t kill_bytes = 3 * Options().memtable_bytes;
  std::vector<OpenSample> killed;
  DirSizes kill_sizes;
  for (int i = 0; i < rounds; ++i) {
    ZIGGY_RETURN_IF_ERROR(KillAWriter(store, config.num, config.value_bytes, kill_bytes,
                                      config.seed + static_cast<uint64_t>(i)));
    ZIGGY_RETURN_IF_ERROR(Sizes(store, &kill_sizes));
    ZIGGY_RETURN_IF_ERROR(TimedOpen(store, &sample));
    killed.push_back(sample);
  }
  (*j)["tables"] = clean_sizes.tables;
  (*j)["manifest_bytes"] = clean_sizes.manifest_bytes;
  (*j)["rounds"] = rounds;
  (*j)["clean"] = SampleJson(Median(clean));
  (*j)["kill"] = SampleJson(Median(killed));
  (*j)["kill"]["log_bytes_at_open"] = kill_sizes.log_bytes;
  (*j)["kill"]["written_bytes"] = kill_bytes;
  return Status::OK();
}

}  // namespace

nlohmann::json RunOpenWorkload(const std::string& engine, const BenchConfig& config,
                               const std::string& db_dir, bool keep) {
  nlohmann::json j = {{"kind", "open"},
                      {"engine", engine},
                      {"workload", kOpenWorkload},
                      {"num", config.num},
                      {"value_bytes", config.value_bytes}};
  if (engine != "ziggydb") {
    j["ok"] = true;
    j["skipped"] = true;
    j["note"] = "measured for ZiggyDB only (through its counting Env)";
    return j;
  }
  const std::string store = fmt::format("{}/ziggydb-open-{}", db_dir, config.num);
  const std::string mark = store + ".filled";
  std::string held;
  {
    std::ifstream in(mark);
    std::getline(in, held, '\0');
  }
  std::error_code ec;
  Status s;
  const bool reuse = held == FilledMark(config) && std::filesystem::exists(store, ec);
  if (!reuse) {
    std::filesystem::remove_all(store, ec);
    std::filesystem::remove(mark, ec);
    std::filesystem::create_directories(db_dir, ec);
    tools::PrintToStderr("ziggydb: filling {} keys for open (untimed)\n",
                         tools::WithCommas(config.num));
    s = Fill(store, config.num, config.value_bytes, config.progress);
    if (s.ok() && keep) {
      std::ofstream out(mark);
      out << FilledMark(config);
    }
  } else {
    tools::PrintToStderr("ziggydb: open reuses the {}-key store {} (kept by --keep)\n",
                         tools::WithCommas(config.num), store);
  }
  if (s.ok()) s = Measure(store, config, kRounds, &j);
  if (!keep) {
    std::filesystem::remove_all(store, ec);
    std::filesystem::remove(mark, ec);
  }
  j["ok"] = s.ok();
  j["skipped"] = false;
  if (!s.ok()) j["error"] = s.ToString();
  return j;
}

void PrintOpenTable(const std::vector<nlohmann::json>& lines) {
  fmt::print(
      "\nopen: DB::Open after a clean close and after a SIGKILLed writer (median of {} rounds; "
      "bytes read and files opened by Open itself)\n",
      kRounds);
  fmt::print("{:<8} {:>12} {:>7} {:>10} | {:>10} {:>12} {:>6} | {:>10} {:>10} {:>12} {:>6}\n",
             "engine", "keys", "tables", "MANIFEST", "clean ms", "bytes read", "files",
             "log at kill", "kill ms", "bytes read", "files");
  for (const nlohmann::json& j : lines) {
    if (j.value("kind", "") != "open" || !j.value("ok", false)) continue;
    if (j.value("skipped", false)) {
      fmt::print("{:<8} {}\n", j.value("engine", ""), j.value("note", ""));
      continue;
    }
    const nlohmann::json& clean = j["clean"];
    const nlohmann::json& kill = j["kill"];
    fmt::print(
        "{:<8} {:>12} {:>7} {:>10} | {:>10.2f} {:>12} {:>6} | {:>10} {:>10.2f} {:>12} {:>6}\n",
        j.value("engine", ""), tools::WithCommas(j.value("num", uint64_t{0})),
        j.value("tables", uint64_t{0}), tools::WithCommas(j.value("manifest_bytes", uint64_t{0})),
        clean.value("open_ms", 0.0), tools::WithCommas(clean.value("bytes_read", uint64_t{0})),
        clean.value("files_opened", uint64_t{0}),
        tools::WithCommas(kill.value("log_bytes_at_open", uint64_t{0})), kill.value("open_ms", 0.0),
        tools::WithCommas(kill.value("bytes_read", uint64_t{0})),
        kill.value("files_opened", uint64_t{0}));
  }
}

}  // namespace ziggydb::bench
