// ziggy_capi_bench: what the C API costs over the C++ API, per operation, in one process.
//
// fillrandom: puts of random keys into a fresh DB; readrandom: gets of random existing keys from
// a DB flushed to tables (with the block cache warm after the first round). Each round runs the
// C++ loop and the C loop (capi_ops.c, compiled as C) on the same kind of DB, alternating which
// goes first; the median of the rounds is reported. Both sides drive the same engine objects
// (the C handle's DB), so the difference is the C layer: argument conversion, the error string
// protocol and, for ziggydb_get, the malloc()ed copy of each value (ziggydb_get_pinned avoids it).
//
// usage: ziggy_capi_bench [--num=N] [--rounds=R] [--value_size=B] [--dir=DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

size_t CppFill(ziggydb::DB* db, const std::string& keys, size_t n, std::string_view value) {
  ziggydb::WriteOptions options;
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) {
    if (!db->Put(options, std::string_view(keys).substr(i * kKeyBytes, kKeyBytes), value).ok()) {
      failed++;
    }
  }
  return failed;
}

size_t CppRead(ziggydb::DB* db, const std::string& keys, size_t n) {
  ziggydb::ReadOptions options;
  std::string value;
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    if (db->Get(options, std::string_view(keys).substr(i * kKeyBytes, kKeyBytes), &value).ok()) {
      found++;
    }
  }
  return found;
}

template <typename Fn>
double NanosPerOp(size_t n, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / static_cast<double>(n);
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
  const std::string read_path = config.dir + "/read";

  std::vector<double> fill_cpp, fill_c, read_cpp, read_c, read_pinned;
  for (int round = 0; round < config.rounds; round++) {
    // Alternate the order so that drift (page cache, CPU frequency, neighbours) hits both sides.
    for (int k = 0; k < 2; k++) {
      bool c_side = (k == 0) == (round % 2 == 1);
      ziggydb_t* db = OpenFresh(fill_path);
      double ns = NanosPerOp(n, [&] {
        size_t failed =
            c_side ? CApiFill(db, fill_keys.data(), kKeyBytes, n, value.data(), value.size())
                   : CppFill(db->db.get(), fill_keys, n, value);
        Check(failed == 0, "a put failed");
      });
      (c_side ? fill_c : fill_cpp).push_back(ns);
      CloseAndDestroy(db, fill_path);
    }
  }

  ziggydb_t* db = OpenFresh(read_path);
  Check(CppFill(db->db.get(), fill_keys, n, value) == 0, "a put failed");
  Check(db->db->Flush().ok() && db->db->WaitForBackgroundWork().ok(), "flush failed");
  for (int round = 0; round < config.rounds; round++) {
    for (int k = 0; k < 3; k++) {
      int side = (k + round) % 3;  // 0: C++, 1: C ziggydb_get, 2: C ziggydb_get_pinned
      double ns = NanosPerOp(n, [&] {
        size_t found = side == 0   ? CppRead(db->db.get(), read_keys, n)
                       : side == 1 ? CApiRead(db, read_keys.data(), kKeyBytes, n)
                                   : CApiReadPinned(db, read_keys.data(), kKeyBytes, n);
        Check(found == n, "a read missed");
      });
      (side == 0 ? read_cpp : side == 1 ? read_c : read_pinned).push_back(ns);
    }
  }
  CloseAndDestroy(db, read_path);

  std::printf("ziggy_capi_bench: %zu keys of %zu bytes, values of %zu bytes, median of %d rounds\n",
              n, kKeyBytes, config.value_bytes, config.rounds);
  std::printf("%-28s %12s %12s %8s\n", "operation", "C++ ns/op", "C ns/op", "C/C++");
  auto row = [](const char* name, double cpp, double c) {
    std::printf("%-28s %12.1f %12.1f %8.3f\n", name, cpp, c, c / cpp);
  };
  row("fillrandom (ziggydb_put)", Median(fill_cpp), Median(fill_c));
  row("readrandom (ziggydb_get)", Median(read_cpp), Median(read_c));
  row("readrandom (get_pinned)", Median(read_cpp), Median(read_pinned));
  return 0;
}
