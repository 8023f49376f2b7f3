// ziggy_capi_bench: what the C API costs over the C++ API, per operation, in one process.
//
// fillrandom: puts of random keys into a fresh DB; readrandom: gets of random existing keys from
// that DB once flushed to tables. The C loops are in capi_ops.c, compiled as C; the C++ loops
// here do the same through ziggydb::DB. Both sides drive the same DB object (the C handle's), in
// alternating chunks of keys, so that drift on a shared machine (page cache, CPU frequency,
// neighbours) hits both alike, and time is the calling thread's CPU time; the median over the
// rounds is reported. What differs is the C
// layer: argument conversion, the error-string protocol and, for ziggydb_get, the malloc()ed
// copy of each value (ziggydb_get_pinned reuses one buffer instead).
//
// usage: ziggy_capi_bench [--num=N] [--rounds=R] [--value_size=B] [--dir=DIR]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "c/c_handles.h"
#include "capi_ops.h"
#include "ziggydb/c.h"
#include "ziggydb/db.h"

namespace {

constexpr size_t kKeyBytes = 16;

struct Config {
  size_t num = 200000;
  int rounds = 3;
  size_t value_bytes = 100;
  std::string dir = "/tmp/ziggy_capi_bench";
};

bool ParseFlag(const char* arg, const char* name, std::string* value) {
  size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) != 0 || arg[len] != '=') return false;
  *value = arg + len + 1;
  return true;
}

// n distinct keys of kKeyBytes decimal digits, in random order, packed.
std::string ShuffledKeys(size_t n, uint32_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::string keys(n * kKeyBytes, '\0');
  char buf[kKeyBytes + 1];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(buf, sizeof(buf), "%016zu", order[i]);
    std::memcpy(&keys[i * kKeyBytes], buf, kKeyBytes);
  }
  return keys;
}

ziggydb_t* OpenFresh(const std::string& path) {
  ziggydb_options_t* options = ziggydb_options_create();
  char* err = nullptr;
  ziggydb_destroy_db(options, path.c_str(), &err);
  ziggydb_free(err);
  err = nullptr;
  ziggydb_options_set_create_if_missing(options, 1);
  ziggydb_t* db = ziggydb_open(options, path.c_str(), &err);
  ziggydb_options_destroy(options);
  if (db == nullptr) {
    std::fprintf(stderr, "ziggy_capi_bench: open %s: %s\n", path.c_str(), err);
    std::exit(1);
  }
  return db;
}

void CloseAndDestroy(ziggydb_t* db, const std::string& path) {
  ziggydb_close(db);
  ziggydb_options_t* options = ziggydb_options_create();
  char* err = nullptr;
  ziggydb_destroy_db(options, path.c_str(), &err);
  ziggydb_free(err);
  ziggydb_options_destroy(options);
}

size_t CppFill(ziggydb::DB* db, const char* keys, size_t n, std::string_view value) {
  ziggydb::WriteOptions options;
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) {
    if (!db->Put(options, std::string_view(keys + i * kKeyBytes, kKeyBytes), value).ok()) {
      failed++;
    }
  }
  return failed;
}

size_t CppRead(ziggydb::DB* db, const char* keys, size_t n) {
  ziggydb::ReadOptions options;
  std::string value;
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    if (db->Get(options, std::string_view(keys + i * kKeyBytes, kKeyBytes), &value).ok()) {
      found++;
    }
  }
  return found;
}

// CPU time of the calling thread, in nanoseconds: on a shared machine, time spent descheduled
// would otherwise land on whichever side happened to be running (background flushes run on other
// threads and are not counted for either side).
double ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <typename Fn>
double CpuNanos(Fn&& fn) {
  double start = ThreadCpuNanos();
  fn();
  return ThreadCpuNanos() - start;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ziggy_capi_bench: %s\n", what);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; i++) {
    std::string v;
    if (ParseFlag(argv[i], "--num", &v)) {
      config.num = std::strtoull(v.c_str(), nullptr, 10);
    } else if (ParseFlag(argv[i], "--rounds", &v)) {
      config.rounds = std::atoi(v.c_str());
    } else if (ParseFlag(argv[i], "--value_size", &v)) {
      config.value_bytes = std::strtoull(v.c_str(), nullptr, 10);
    } else if (ParseFlag(argv[i], "--dir", &v)) {
      config.dir = v;
    } else {
      std::fprintf(stderr, "usage: %s [--num=N] [--rounds=R] [--value_size=B] [--dir=DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  Check(config.num > 0 && config.rounds > 0, "--num and --rounds must be positive");
  std::error_code ec;
  std::filesystem::create_directories(config.dir, ec);
  Check(!ec, "cannot create --dir");
  const size_t n = config.num;
  const std::string fill_keys = ShuffledKeys(n, 1);
  const std::string read_keys = ShuffledKeys(n, 2);
  const std::string value(config.value_bytes, 'v');
  const std::string fill_path = config.dir + "/fill";

  // Each round: one fresh DB filled by both sides in alternating chunks of kChunk keys (ABBA
  // order), so that both write into the same DB state at nearly the same moment; then the three
  // read loops over the filled, flushed DB, alternating the same way. Times are summed per side.
  std::vector<double> fill_cpp, fill_c, read_cpp, read_c, read_pinned;
  constexpr size_t kChunk = 1000;
  for (int round = 0; round < config.rounds; round++) {
    ziggydb_t* db = OpenFresh(fill_path);
    double ns[2] = {0, 0};
    size_t ops[2] = {0, 0};
    for (size_t begin = 0, chunk = 0; begin < n; begin += kChunk, chunk++) {
      size_t count = std::min(kChunk, n - begin);
      // ABBA: chunk 0 C++, 1 C, 2 C, 3 C++, ...
      int side = ((chunk + 1) / 2) % 2;
      const char* keys = fill_keys.data() + begin * kKeyBytes;
      ns[side] += CpuNanos([&] {
        size_t failed = side == 1 ? CApiFill(db, keys, kKeyBytes, count, value.data(), value.size())
                                  : CppFill(db->db.get(), keys, count, value);
        Check(failed == 0, "a put failed");
      });
      ops[side] += count;
    }
    fill_cpp.push_back(ns[0] / static_cast<double>(ops[0]));
    fill_c.push_back(ns[1] / static_cast<double>(ops[1]));
    Check(db->db->Flush().ok() && db->db->WaitForBackgroundWork().ok(), "flush failed");

    double read_ns[3] = {0, 0, 0};
    size_t read_ops[3] = {0, 0, 0};
    for (size_t begin = 0, chunk = 0; begin < n; begin += kChunk, chunk++) {
      size_t count = std::min(kChunk, n - begin);
      const char* keys = read_keys.data() + begin * kKeyBytes;
      for (int k = 0; k < 3; k++) {
        int side = static_cast<int>((chunk + static_cast<size_t>(k)) % 3);
        read_ns[side] += CpuNanos([&] {
          size_t found = side == 0   ? CppRead(db->db.get(), keys, count)
                         : side == 1 ? CApiRead(db, keys, kKeyBytes, count)
                                     : CApiReadPinned(db, keys, kKeyBytes, count);
          Check(found == count, "a read missed");
        });
        read_ops[side] += count;
      }
    }
    read_cpp.push_back(read_ns[0] / static_cast<double>(read_ops[0]));
    read_c.push_back(read_ns[1] / static_cast<double>(read_ops[1]));
    read_pinned.push_back(read_ns[2] / static_cast<double>(read_ops[2]));
    CloseAndDestroy(db, fill_path);
  }

  std::printf("ziggy_capi_bench: %zu keys of %zu bytes, values of %zu bytes, %d rounds\n", n,
              kKeyBytes, config.value_bytes, config.rounds);
  std::printf("%-28s %14s %14s %14s\n", "operation", "C++ cpu ns/op", "C cpu ns/op",
              "C/C++ (range)");
  // ns/op: medians over the rounds; C/C++: the median of the rounds' ratios, then their range.
  auto row = [](const char* name, const std::vector<double>& cpp, const std::vector<double>& c) {
    std::vector<double> ratios;
    for (size_t i = 0; i < cpp.size(); i++)
      ratios.push_back(c[i] / cpp[i]);
    auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
    std::printf("%-28s %14.1f %14.1f %6.3f (%.3f-%.3f)\n", name, Median(cpp), Median(c),
                Median(ratios), *lo, *hi);
  };
  row("fillrandom (ziggydb_put)", fill_cpp, fill_c);
  row("readrandom (ziggydb_get)", read_cpp, read_c);
  row("readrandom (get_pinned)", read_cpp, read_pinned);
  return 0;
}
