// backup_bench: checkpoint time and backup throughput (full and incremental) of ZiggyDB, next to
// a plain `cp` (+ sync) of the same DB files and, when built with librocksdb-dev, RocksDB's
// Checkpoint and BackupEngine on a DB loaded with the same keys, in one run.
//
//   backup_bench --dir SCRATCH [--keys N] [--value-bytes B] [--incremental-percent P]
//                [--rounds R] [--engines ziggydb,rocksdb]
//
// Each engine loads N keys ("k" + 15 digits, random values of B bytes, batches of 1000, no
// sync), flushes and waits for its compactions, then:
//   checkpoint   the median of 3 checkpoints into new directories (hard links);
//   cp           `cp` of the tables, MANIFEST and CURRENT plus `sync` of the copies (the floor
//                for a backup, which must make its copies durable);
//   full         a backup into an empty backup directory (flushing first), MB/s of DB bytes;
//   incremental  P% more keys written and flushed, then a second backup: its time and the bytes
//                it added to the backup directory.
// cp and full run R times each, alternately, with the source's pages first evicted (cold: what
// a backup of a DB larger than memory reads from disk) and then read once (warm), after a
// `sync` so that no step inherits another's writeback and with the previous copy removed
// (median per cell). Prints one markdown table (docs/benchmarks.md).
#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ziggydb/backup.h"
#include "ziggydb/db.h"
#include "ziggydb/write_batch.h"

#if ZIGGY_BENCH_HAVE_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/utilities/checkpoint.h>
#endif

namespace {

namespace fs = std::filesystem;

struct Args {
  std::string dir;
  uint64_t keys = 1000000;
  size_t value_bytes = 100;
  double incremental_percent = 1.0;
  int rounds = 1;
  std::string engines = "ziggydb,rocksdb";
};

// Median seconds of cp and of the full backup, with a cold and a warm page cache.
struct CopyTimes {
  double cp_cold = 0;
  double full_cold = 0;
  double cp_warm = 0;
  double full_warm = 0;
};

struct Row {
  std::string engine;
  uint64_t db_bytes = 0;
  double checkpoint_seconds = 0;
  CopyTimes copy;
  double incremental_seconds = 0;
  uint64_t incremental_bytes = 0;
};

double Seconds(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

// The bytes of the DB's tables: what a backup copies (besides one small MANIFEST). Logs are left
// out: a ZiggyDB log reserves its size up front.
uint64_t TableBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".sst") total += entry.file_size();
  return total;
}

void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "backup_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%015llu", static_cast<unsigned long long>(i));
  return buf;
}

// Calls put(key, value) for keys [from, to), values random from a fixed seed per key range.
void Generate(uint64_t from, uint64_t to, size_t value_bytes,
              const std::function<void(const std::string&, const std::string&)>& put) {
  std::mt19937_64 rng(from * 7919 + 1);
  std::string value(value_bytes, '\0');
  for (uint64_t i = from; i < to; ++i) {
    for (size_t j = 0; j < value_bytes; j += 8) {
      const uint64_t r = rng();
      std::memcpy(value.data() + j, &r, std::min<size_t>(8, value_bytes - j));
    }
    put(Key(i), value);
  }
}

// `cp` of the files a backup needs (tables, MANIFEST, CURRENT) and `sync` of the copies: the
// floor for a backup that must make its copies durable.
double CpSeconds(const std::string& from, const std::string& to) {
  const std::string command = "mkdir -p '" + to + "' && cp '" + from + "'/*.sst '" + from +
                              "'/MANIFEST-* '" + from + "'/CURRENT '" + to + "' && sync '" + to +
                              "'/*";
  return Seconds([&] { Check(std::system(command.c_str()) == 0, "cp failed: " + command); });
}

// Drops the page cache's copy of every file in dir (clean pages only: the caller syncs first).
void EvictFiles(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const int fd = open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

// Reads every file in dir once, so that the page cache holds it.
void WarmFiles(const std::string& dir) {
  std::vector<char> buf(size_t{1} << 20);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const int fd = open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    while (read(fd, buf.data(), buf.size()) > 0) {
    }
    close(fd);
  }
}

// The state before each timed copy: no dirty pages anywhere, the last copy gone, the source cold
// or warm.
void Prepare(const std::string& source, const std::string& last_copy, bool warm) {
  fs::remove_all(last_copy);
  sync();
  if (warm) {
    WarmFiles(source);
  } else {
    EvictFiles(source);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// cp and `backup(dir)` (a full backup into the new directory dir) of db, cold then warm, rounds
// times each, alternately. The last warm backup stays in `keep_backup_dir`.
CopyTimes MeasureCopies(const std::string& db, const std::string& root, int rounds,
                        const std::function<void(const std::string&)>& backup,
                        const std::string& keep_backup_dir) {
  std::vector<double> cp_cold, full_cold, cp_warm, full_warm;
  const std::string cp_dir = root + "/cp-copy";
  const std::string scratch_backup = root + "/backup-scratch";
  for (bool warm : {false, true}) {
    for (int i = 0; i < rounds; ++i) {
      Prepare(db, cp_dir, warm);
      (warm ? cp_warm : cp_cold).push_back(CpSeconds(db, cp_dir));
      const bool last = warm && i + 1 == rounds;
      const std::string target = last ? keep_backup_dir : scratch_backup;
      Prepare(db, cp_dir, warm);
      fs::remove_all(scratch_backup);
      (warm ? full_warm : full_cold).push_back(Seconds([&] { backup(target); }));
    }
  }
  fs::remove_all(scratch_backup);
  fs::remove_all(cp_dir);
  sync();
  return CopyTimes{Median(cp_cold), Median(full_cold), Median(cp_warm), Median(full_warm)};
}

double Median3(const std::function<double(int)>& run) {
  std::vector<double> times{run(0), run(1), run(2)};
  std::sort(times.begin(), times.end());
  return times[1];
}

Row RunZiggy(const Args& args) {
  using namespace ziggydb;
  Row row;
  row.engine = "ZiggyDB";
  const std::string root = args.dir + "/ziggydb";
  fs::remove_all(root);
  fs::create_directories(root);
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  Check(DB::Open(options, root + "/db", &db).ok(), "ziggydb open");
  auto load = [&](uint64_t from, uint64_t to) {
    WriteBatch batch;
    Generate(from, to, args.value_bytes, [&](const std::string& k, const std::string& v) {
      batch.Put(k, v);
      if (batch.Count() >= 1000) {
        Check(db->Write(WriteOptions(), batch).ok(), "ziggydb write");
        batch.Clear();
      }
    });
    Check(db->Write(WriteOptions(), batch).ok(), "ziggydb write");
    Check(db->Flush().ok(), "ziggydb flush");
    Check(db->WaitForBackgroundWork().ok(), "ziggydb wait");
  };
  load(0, args.keys);
  row.db_bytes = TableBytes(root + "/db");
  row.checkpoint_seconds = Median3([&](int i) {
    const std::string dir = root + "/checkpoint" + std::to_string(i);
    return Seconds([&] { Check(db->CreateCheckpoint(dir).ok(), "ziggydb checkpoint"); });
  });
  uint32_t id = 0;
  row.copy = MeasureCopies(
      root + "/db", root, args.rounds,
      [&](const std::string& dir) {
        std::unique_ptr<BackupEngine> full;
        Check(BackupEngine::Open(dir, BackupEngineOptions(), &full).ok(), "engine open");
        Check(full->CreateNewBackup(db.get(), true, &id).ok(), "full backup");
      },
      root + "/backup");
  std::unique_ptr<BackupEngine> engine;
  Check(BackupEngine::Open(root + "/backup", BackupEngineOptions(), &engine).ok(), "engine open");
  const uint64_t before = DirBytes(root + "/backup");
  load(args.keys, args.keys + static_cast<uint64_t>(args.keys * args.incremental_percent / 100));
  row.incremental_seconds = Seconds(
      [&] { Check(engine->CreateNewBackup(db.get(), true, &id).ok(), "incremental backup"); });
  row.incremental_bytes = DirBytes(root + "/backup") - before;
  Check(db->Close().ok(), "ziggydb close");
  return row;
}

#if ZIGGY_BENCH_HAVE_ROCKSDB
Row RunRocks(const Args& args) {
  Row row;
  row.engine = "RocksDB";
  const std::string root = args.dir + "/rocksdb";
  fs::remove_all(root);
  fs::create_directories(root);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::Open(options, root + "/db", &raw).ok(), "rocksdb open");
  std::unique_ptr<rocksdb::DB> db(raw);
  auto load = [&](uint64_t from, uint64_t to) {
    rocksdb::WriteBatch batch;
    Generate(from, to, args.value_bytes, [&](const std::string& k, const std::string& v) {
      batch.Put(k, v);
      if (batch.Count() >= 1000) {
        Check(db->Write(rocksdb::WriteOptions(), &batch).ok(), "rocksdb write");
        batch.Clear();
      }
    });
    Check(db->Write(rocksdb::WriteOptions(), &batch).ok(), "rocksdb write");
    Check(db->Flush(rocksdb::FlushOptions()).ok(), "rocksdb flush");
    // No WaitForCompact in RocksDB 7.8: poll until no compaction runs or is pending.
    uint64_t running = 1, pending = 1;
    while (running > 0 || pending > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      db->GetIntProperty("rocksdb.num-running-compactions", &running);
      db->GetIntProperty("rocksdb.compaction-pending", &pending);
    }
  };
  load(0, args.keys);
  row.db_bytes = TableBytes(root + "/db");
  rocksdb::Checkpoint* checkpoint_raw = nullptr;
  Check(rocksdb::Checkpoint::Create(db.get(), &checkpoint_raw).ok(), "rocksdb checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(checkpoint_raw);
  row.checkpoint_seconds = Median3([&](int i) {
    const std::string dir = root + "/checkpoint" + std::to_string(i);
    return Seconds([&] { Check(checkpoint->CreateCheckpoint(dir).ok(), "rocksdb checkpoint"); });
  });
  auto open_engine = [](const std::string& dir) {
    rocksdb::BackupEngine* raw_engine = nullptr;
    Check(rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(dir), rocksdb::Env::Default(),
                                      &raw_engine)
              .ok(),
          "rocksdb backup engine");
    return std::unique_ptr<rocksdb::BackupEngine>(raw_engine);
  };
  row.copy = MeasureCopies(
      root + "/db", root, args.rounds,
      [&](const std::string& dir) {
        Check(open_engine(dir)->CreateNewBackup(db.get(), /*flush_before_backup=*/true).ok(),
              "rocks full");
      },
      root + "/backup");
  std::unique_ptr<rocksdb::BackupEngine> engine = open_engine(root + "/backup");
  const uint64_t before = DirBytes(root + "/backup");
  load(args.keys, args.keys + static_cast<uint64_t>(args.keys * args.incremental_percent / 100));
  row.incremental_seconds =
      Seconds([&] { Check(engine->CreateNewBackup(db.get(), true).ok(), "rocks incremental"); });
  row.incremental_bytes = DirBytes(root + "/backup") - before;
  Check(db->Close().ok(), "rocksdb close");
  return row;
}
#endif

void Print(const Args& args, const std::vector<Row>& rows) {
  std::printf("%llu keys, %zu-byte values, incremental = %.2f%% more keys, median of %d\n\n",
              static_cast<unsigned long long>(args.keys), args.value_bytes,
              args.incremental_percent, args.rounds);
  std::printf(
      "| engine | table MiB | checkpoint s | cache | cp + sync s (MB/s) | full backup s (MB/s) | "
      "full / cp | incremental s | incremental MiB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& row : rows) {
    const double mb = static_cast<double>(row.db_bytes) / 1e6;
    for (bool warm : {false, true}) {
      const double cp = warm ? row.copy.cp_warm : row.copy.cp_cold;
      const double full = warm ? row.copy.full_warm : row.copy.full_cold;
      std::printf("| %s | %.0f | %.3f | %s | %.2f (%.0f) | %.2f (%.0f) | %.2f | %.3f | %.1f |\n",
                  row.engine.c_str(), static_cast<double>(row.db_bytes) / (1 << 20),
                  row.checkpoint_seconds, warm ? "warm" : "cold", cp, mb / cp, full, mb / full,
                  full / cp, row.incremental_seconds,
                  static_cast<double>(row.incremental_bytes) / (1 << 20));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--dir") {
      args.dir = value;
    } else if (flag == "--keys") {
      args.keys = std::stoull(value);
    } else if (flag == "--value-bytes") {
      args.value_bytes = std::stoul(value);
    } else if (flag == "--incremental-percent") {
      args.incremental_percent = std::stod(value);
    } else if (flag == "--rounds") {
      args.rounds = std::max(1, std::stoi(value));
    } else if (flag == "--engines") {
      args.engines = value;
    } else {
      std::fprintf(stderr, "backup_bench: unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  if (args.dir.empty() || argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: backup_bench --dir SCRATCH [--keys N] [--value-bytes B] "
                 "[--incremental-percent P] [--rounds R] [--engines ziggydb,rocksdb]\n");
    return 1;
  }
  std::vector<Row> rows;
  if (args.engines.find("ziggydb") != std::string::npos) rows.push_back(RunZiggy(args));
#if ZIGGY_BENCH_HAVE_ROCKSDB
  if (args.engines.find("rocksdb") != std::string::npos) rows.push_back(RunRocks(args));
#endif
  Print(args, rows);
  return 0;
}
