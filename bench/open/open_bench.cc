// ziggy_open_bench: what DB::Open costs as the DB grows (docs/benchmarks.md, "Open").
//
//   ziggy_open_bench fill --db D --keys N     N keys in ascending order, 100-byte values, default
//                                             options, batches of 1000, then a clean close
//   ziggy_open_bench open --db D [--rounds R] [--kill-bytes B]
//       clean: R times DB::Open after a clean close (median), then
//       kill:  R times: a forked child opens D, overwrites existing keys until B bytes of batches
//              are written (default: 3 memtable budgets), reports and is SIGKILLed; DB::Open then
//              replays what its logs hold (median).
// Each Open is measured through an Env that counts files opened and bytes read (sequential
// reads: MANIFEST and logs; random-access reads, mapped ones included: tables). After each Open
// the background work it started is waited for before Close, so that no measurement inherits a
// compaction from the one before.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "db/filename.h"
#include "env/counting_env.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {
namespace {

constexpr size_t kValueBytes = 100;
constexpr int kBatchKeys = 1000;

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
    Status s = target_->NewSequentialFile(path, &file);
    if (!s.ok()) return s;
    files_opened.fetch_add(1, std::memory_order_relaxed);
    *result = std::make_unique<File>(std::move(file), &sequential_bytes);
    return s;
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

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "open_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

struct DirSizes {
  uint64_t manifest_bytes = 0;
  uint64_t log_bytes = 0;
  int tables = 0;
};

DirSizes Sizes(const std::string& db) {
  Env* env = Env::Default();
  std::vector<std::string> names;
  if (Status s = env->GetChildren(db, &names); !s.ok()) Die("list " + db, s);
  DirSizes sizes;
  for (const std::string& name : names) {
    FileNumber number{};
    FileType type{};
    if (!ParseFileName(name, &number, &type)) continue;
    uint64_t bytes = 0;
    if (!env->GetFileSize(db + "/" + name, &bytes).ok()) continue;
    if (type == FileType::kManifestFile) sizes.manifest_bytes += bytes;
    if (type == FileType::kLogFile) sizes.log_bytes += bytes;
    if (type == FileType::kTableFile) ++sizes.tables;
  }
  return sizes;
}

struct OpenSample {
  double ms = 0;
  uint64_t bytes_read = 0;
  uint64_t files_opened = 0;
};

// Opens db through a counting Env, then closes it cleanly (not timed).
OpenSample TimedOpen(const std::string& db) {
  OpenCountingEnv env(Env::Default());
  // The files present before Open: the ones whose reads count (a table Open writes is not read).
  std::vector<std::string> before;
  if (Status s = env.GetChildren(db, &before); !s.ok()) Die("list " + db, s);
  Options options;
  options.env = &env;
  std::unique_ptr<DB> handle;
  const auto start = std::chrono::steady_clock::now();
  Status s = DB::Open(options, db, &handle);
  const auto end = std::chrono::steady_clock::now();
  if (!s.ok()) Die("open " + db, s);
  OpenSample sample;
  sample.ms = std::chrono::duration<double, std::milli>(end - start).count();
  sample.files_opened = env.files_opened.load();
  sample.bytes_read = env.sequential_bytes.load();
  for (const std::string& name : before)
    sample.bytes_read += env.bytes_read(db + "/" + name);
  // Whatever Open left to do in the background (a compaction of the L0 tables replay wrote) is
  // done before the next measurement, untimed and uncounted.
  if (Status waited = handle->WaitForBackgroundWork(); !waited.ok()) Die("wait " + db, waited);
  if (Status closed = handle->Close(); !closed.ok()) Die("close " + db, closed);
  return sample;
}

OpenSample Median(std::vector<OpenSample> samples) {
  std::sort(samples.begin(), samples.end(),
            [](const OpenSample& a, const OpenSample& b) { return a.ms < b.ms; });
  return samples[samples.size() / 2];
}

void Print(const char* kind, const OpenSample& m, const DirSizes& before, int rounds) {
  std::printf("%-6s open_ms=%.2f bytes_read=%" PRIu64 " files_opened=%" PRIu64
              " manifest_bytes=%" PRIu64 " log_bytes_at_open=%" PRIu64 " tables=%d rounds=%d\n",
              kind, m.ms, m.bytes_read, m.files_opened, before.manifest_bytes, before.log_bytes,
              before.tables, rounds);
}

int Fill(const std::string& db, uint64_t keys) {
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> handle;
  if (Status s = DB::Open(options, db, &handle); !s.ok()) Die("open " + db, s);
  const std::string value(kValueBytes, 'v');
  WriteBatch batch;
  for (uint64_t i = 0; i < keys; ++i) {
    batch.Put(KeyOf(i), value);
    if ((i + 1) % kBatchKeys == 0 || i + 1 == keys) {
      if (Status s = handle->Write(WriteOptions(), batch); !s.ok()) Die("write", s);
      batch.Clear();
    }
    if ((i + 1) % 5000000 == 0) std::fprintf(stderr, "fill: %" PRIu64 " keys\n", i + 1);
  }
  if (Status s = handle->WaitForBackgroundWork(); !s.ok()) Die("wait", s);
  if (Status s = handle->Close(); !s.ok()) Die("close", s);
  return 0;
}

// The child: overwrites keys from a random start until kill_bytes of batches are written, tells
// the parent through `ready_fd`, and waits to be killed.
[[noreturn]] void KilledWriter(const std::string& db, uint64_t kill_bytes, int ready_fd,
                               unsigned seed) {
  Options options;
  std::unique_ptr<DB> handle;
  if (Status s = DB::Open(options, db, &handle); !s.ok()) Die("child open " + db, s);
  const std::string value(kValueBytes, 'k');
  uint64_t written = 0;
  uint64_t key = seed * uint64_t{7919};
  WriteBatch batch;
  while (written < kill_bytes) {
    for (int i = 0; i < kBatchKeys; ++i) {
      batch.Put(KeyOf(key++ % 1000000), value);
      written += KeyOf(0).size() + kValueBytes;
    }
    if (Status s = handle->Write(WriteOptions(), batch); !s.ok()) Die("child write", s);
    batch.Clear();
  }
  const char byte = 1;
  if (write(ready_fd, &byte, 1) != 1) std::_Exit(1);
  for (;;)
    pause();
}

int Measure(const std::string& db, int rounds, uint64_t kill_bytes) {
  // The first Open replays what the last writer's log held (Close does not flush a memtable its
  // WAL holds) and warms the page cache; the clean rounds then find an empty log.
  TimedOpen(db);
  const DirSizes clean_sizes = Sizes(db);
  std::vector<OpenSample> clean;
  for (int i = 0; i < rounds; ++i)
    clean.push_back(TimedOpen(db));
  Print("clean", Median(clean), clean_sizes, rounds);

  std::vector<OpenSample> killed;
  DirSizes kill_sizes;
  for (int i = 0; i < rounds; ++i) {
    int fds[2];
    if (pipe(fds) != 0) Die("pipe", Status::IOError(std::strerror(errno)));
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) Die("fork", Status::IOError(std::strerror(errno)));
    if (pid == 0) {
      close(fds[0]);
      KilledWriter(db, kill_bytes, fds[1], static_cast<unsigned>(i + 1));
    }
    close(fds[1]);
    char byte = 0;
    const bool ready = read(fds[0], &byte, 1) == 1;
    close(fds[0]);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!ready) Die("child", Status::IOError("the writer failed before it was killed"));
    kill_sizes = Sizes(db);
    killed.push_back(TimedOpen(db));
  }
  Print("kill", Median(killed), kill_sizes, rounds);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: ziggy_open_bench fill --db D --keys N\n"
               "       ziggy_open_bench open --db D [--rounds R] [--kill-bytes B]\n");
  return 1;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  std::string db;
  uint64_t keys = 0;
  int rounds = 5;
  uint64_t kill_bytes = 3 * Options().memtable_bytes;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--db") {
      db = value;
    } else if (flag == "--keys") {
      keys = std::strtoull(value, nullptr, 10);
    } else if (flag == "--rounds") {
      rounds = std::atoi(value);
    } else if (flag == "--kill-bytes") {
      kill_bytes = std::strtoull(value, nullptr, 10);
    } else {
      return Usage();
    }
  }
  if (db.empty() || rounds < 1) return Usage();
  if (command == "fill" && keys > 0) return Fill(db, keys);
  if (command == "open") return Measure(db, rounds, kill_bytes);
  return Usage();
}

}  // namespace
}  // namespace ziggydb

int main(int argc, char** argv) {
  return ziggydb::Main(argc, argv);
}
