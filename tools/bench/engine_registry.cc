// The engines compiled in: ZIGGY_BENCH_HAVE_<ENGINE> is defined by tools/CMakeLists.txt when the
// engine's library was found.
#include "tools/bench/engine.h"

namespace ziggydb::bench {

std::vector<std::string> AvailableEngines() {
  std::vector<std::string> names = {"ziggydb"};
#ifdef ZIGGY_BENCH_HAVE_ROCKSDB
  names.emplace_back("rocksdb");
#endif
#ifdef ZIGGY_BENCH_HAVE_LEVELDB
  names.emplace_back("leveldb");
#endif
#ifdef ZIGGY_BENCH_HAVE_LMDB
  names.emplace_back("lmdb");
#endif
  return names;
}

std::unique_ptr<Engine> NewEngine(std::string_view name) {
  if (name == "ziggydb") return NewZiggyEngine();
#ifdef ZIGGY_BENCH_HAVE_ROCKSDB
  if (name == "rocksdb") return NewRocksDbEngine();
#endif
#ifdef ZIGGY_BENCH_HAVE_LEVELDB
  if (name == "leveldb") return NewLevelDbEngine();
#endif
#ifdef ZIGGY_BENCH_HAVE_LMDB
  if (name == "lmdb") return NewLmdbEngine();
#endif
  return nullptr;
}

}  // namespace ziggydb::bench
