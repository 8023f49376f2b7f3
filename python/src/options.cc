#include "options.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "int_arg.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

using Setter = std::function<void(py::handle, Options*)>;

// How an option is named in errors: also by its plyvel name, if it has one (_options.py).
std::string OptionName(const std::string& name) {
  static const auto* plyvel_names = new std::unordered_map<std::string, std::string>{
      {"memtable_bytes", "write_buffer_size"},
      {"block_cache_bytes", "lru_cache_size"},
      {"target_file_size", "max_file_size"},
      {"bloom_bits_per_key", "bloom_filter_bits"},
  };
  auto it = plyvel_names->find(name);
  if (it == plyvel_names->end()) return "option '" + name + "'";
  return "option '" + name + "' ('" + it->second + "')";
}

template <typename T>
T Integer(py::handle value, const std::string& name) {
  return IntArg<T>(value, OptionName(name));
}

bool Boolean(py::handle value, const std::string& name) {
  if (!PyBool_Check(value.ptr())) throw py::type_error("option '" + name + "' must be a bool");
  return value.cast<bool>();
}

CompressionType Compression(py::handle value) {
  if (value.is_none()) return CompressionType::kNone;
  const std::string name = py::str(value);
  if (name == "none") return CompressionType::kNone;
  if (name == "snappy") return CompressionType::kSnappy;
  if (name == "zstd") return CompressionType::kZstd;
  if (name == "lz4") return CompressionType::kLz4;
  throw py::value_error("'compression' must be None, 'snappy', 'zstd' or 'lz4', not '" + name +
                        "'");
}

WalRecoveryMode RecoveryMode(py::handle value) {
  const std::string name = py::str(value);
  if (name == "tolerate_corrupted_tail_records") {
    return WalRecoveryMode::kTolerateCorruptedTailRecords;
  }
  if (name == "absolute_consistency") return WalRecoveryMode::kAbsoluteConsistency;
  if (name == "point_in_time") return WalRecoveryMode::kPointInTimeRecovery;
  if (name == "skip_any_corrupted_records") return WalRecoveryMode::kSkipAnyCorruptedRecords;
  throw py::value_error(
      "'wal_recovery_mode' must be 'tolerate_corrupted_tail_records', 'absolute_consistency', "
      "'point_in_time' or 'skip_any_corrupted_records'");
}

template <typename T, typename Field>
std::pair<const std::string, Setter> IntField(const char* name, Field field) {
  return {name, [name, field](py::handle v, Options* o) { o->*field = Integer<T>(v, name); }};
}

std::pair<const std::string, Setter> BoolField(const char* name, bool Options::*field) {
  return {name, [name, field](py::handle v, Options* o) { o->*field = Boolean(v, name); }};
}

const std::unordered_map<std::string, Setter>& Setters() {
  static const auto* setters = new std::unordered_map<std::string, Setter>{
      BoolField("create_if_missing", &Options::create_if_missing),
      BoolField("error_if_exists", &Options::error_if_exists),
      BoolField("paranoid_checks", &Options::paranoid_checks),
      BoolField("use_mmap_reads", &Options::use_mmap_reads),
      BoolField("read_compactions", &Options::read_compactions),
      IntField<size_t>("memtable_bytes", &Options::memtable_bytes),
      IntField<int>("max_immutable_memtables", &Options::max_immutable_memtables),
      IntField<size_t>("max_write_group_bytes", &Options::max_write_group_bytes),
      IntField<size_t>("block_size", &Options::block_size),
      IntField<int>("block_restart_interval", &Options::block_restart_interval),
      IntField<int>("bloom_bits_per_key", &Options::bloom_bits_per_key),
      IntField<size_t>("block_cache_bytes", &Options::block_cache_bytes),
      IntField<size_t>("row_cache_bytes", &Options::row_cache_bytes),
      IntField<size_t>("memory_budget_bytes", &Options::memory_budget_bytes),
      IntField<int>("max_open_files", &Options::max_open_files),
      IntField<int>("max_background_jobs", &Options::max_background_jobs),
      IntField<int>("l0_compaction_trigger", &Options::l0_compaction_trigger),
      IntField<int>("l0_slowdown_trigger", &Options::l0_slowdown_trigger),
      IntField<int>("l0_stop_trigger", &Options::l0_stop_trigger),
      IntField<uint64_t>("target_file_size", &Options::target_file_size),
      IntField<int>("level_size_multiplier", &Options::level_size_multiplier),
      IntField<uint64_t>("max_bytes_for_level_base", &Options::max_bytes_for_level_base),
      IntField<uint64_t>("soft_pending_compaction_bytes", &Options::soft_pending_compaction_bytes),
      IntField<uint64_t>("hard_pending_compaction_bytes", &Options::hard_pending_compaction_bytes),
      IntField<uint64_t>("delayed_write_bytes_per_sec", &Options::delayed_write_bytes_per_sec),
      {"compression", [](py::handle v, Options* o) { o->compression = Compression(v); }},
      {"wal_recovery_mode",
       [](py::handle v, Options* o) { o->wal_recovery_mode = RecoveryMode(v); }},
  };
  return *setters;
}

}  // namespace

void ApplyOptions(const py::dict& settings, Options* options) {
  const auto& setters = Setters();
  for (auto [key, value] : settings) {
    const std::string name = py::str(key);
    auto it = setters.find(name);
    if (it == setters.end()) throw py::type_error("unknown option '" + name + "'");
    if (value.is_none() && name != "compression") continue;  // None: the engine's default
    it->second(value, options);
  }
}

}  // namespace ziggydb::python
