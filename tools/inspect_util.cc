#include "tools/inspect_util.h"

#include <fmt/core.h>

#include "db/db_readonly.h"
#include "db/filename.h"
#include "db/recovery.h"
#include "tools/cli_util.h"
#include "util/comparator.h"
#include "wal/log_reader.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

class DamageForwarder final : public wal::Reader::Reporter {
 public:
  explicit DamageForwarder(const std::function<void(const LogDamage&)>* on_damage)
      : on_damage_(on_damage) {}
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    (*on_damage_)(LogDamage{offset, bytes, std::string(reason), at_tail});
  }

 private:
  const std::function<void(const LogDamage&)>* on_damage_;
};

Status OpenWith(const std::string& path, const Comparator* comparator, OpenedTable* table) {
  Env* env = Env::Default();
  Status s = env->GetFileSize(path, &table->file_bytes);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  // pread, never a mapping (env/mapped_file.h): a disk error while inspecting or verifying must
  // come back as a Status naming the file, not as SIGBUS.
  s = env->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  table->options.comparator = comparator;
  return TableReader::Open(table->options, std::move(file), table->file_bytes, &table->reader);
}

}  // namespace

Status ReadLog(const std::string& path, uint64_t log_number,
               const std::function<void(uint64_t, std::string_view)>& on_record,
               const std::function<void(const LogDamage&)>& on_damage, uint64_t* intact_end_bytes) {
  std::unique_ptr<SequentialFile> file;
  Status s = Env::Default()->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  DamageForwarder reporter(&on_damage);
  wal::Reader reader(std::move(file), log_number, &reporter);
  std::string record;
  while (reader.ReadRecord(&record))
    on_record(reader.last_record_offset(), record);
  if (intact_end_bytes != nullptr) *intact_end_bytes = reader.intact_end_offset();
  return reader.io_status();
}

Status HasNonZeroByte(const std::string& path, bool* non_zero) {
  std::unique_ptr<SequentialFile> file;
  Status s = Env::Default()->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  std::string scratch(64 << 10, '\0');
  *non_zero = false;
  while (!*non_zero) {
    std::string_view chunk;
    s = file->Read(scratch.size(), &chunk, scratch.data());
    if (!s.ok() || chunk.empty()) return s;
    *non_zero = chunk.find_first_not_of('\0') != std::string_view::npos;
  }
  return Status::OK();
}

bool FileNumberFromPath(std::string_view path, uint64_t* number, bool* is_manifest) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  FileNumber parsed{};
  FileType type{};
  if (!ParseFileName(name, &parsed, &type)) return false;
  if (type != FileType::kLogFile && type != FileType::kManifestFile &&
      type != FileType::kTableFile) {
    return false;
  }
  *number = raw(parsed);
  *is_manifest = type == FileType::kManifestFile;
  return true;
}

Status OpenTableFile(const std::string& path, OpenedTable* table) {
  table->internal_comparator = std::make_unique<InternalKeyComparator>(BytewiseComparator());
  table->internal_keys = true;
  Status s = OpenWith(path, table->internal_comparator.get(), table);
  if (s.IsInvalidArgument()) {
    // Written with another comparator: a bytewise table is still readable for inspection.
    table->internal_keys = false;
    Status bytewise = OpenWith(path, BytewiseComparator(), table);
    if (bytewise.ok()) return bytewise;
  }
  return s;
}

std::string DescribeInternalKey(std::string_view ikey) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(ikey, &parsed))
    return fmt::format("'{}' (not an internal key)", Escape(ikey));
  return fmt::format("'{}' @ {} {}", Escape(parsed.user_key), raw(parsed.sequence),
                     parsed.type == ValueType::kValue ? "put" : "del");
}

ReadOnlyRecovery::ReadOnlyRecovery() : icmp(BytewiseComparator()) {}
ReadOnlyRecovery::~ReadOnlyRecovery() = default;

Status RecoverReadOnly(const std::string& dbname, WalRecoveryMode mode, ReadOnlyRecovery* db) {
  Env* env = Env::Default();
  bool has_current = false;
  Status s = CheckFileExists(env, dbname, "CURRENT", &has_current);
  if (!s.ok()) return s;
  if (!has_current) return Status::NotFound("not a ZiggyDB directory (no CURRENT file)", dbname);
  // A reader's shared lock (DB::OpenReadOnly's): keeps a writer from changing the files under us,
  // lets other readers in, and writes nothing (no LOCK is created where there is none).
  s = DbReadLock::Acquire(dbname, &db->lock);
  if (!s.ok()) return s;
  db->versions = std::make_unique<VersionSet>(dbname, env, &db->icmp, nullptr);
  const Options defaults;
  RecoveryInputs inputs;
  inputs.wal.env = env;
  inputs.wal.dbname = dbname;
  inputs.wal.icmp = &db->icmp;
  inputs.wal.mode = mode;
  inputs.wal.memtable_bytes = defaults.memtable_bytes;
  // Leaves meta->file_bytes 0: no table, so the edit stays empty and nothing is written.
  inputs.wal.write_table = [db](const MemTable& mem, FileMetaData*) {
    db->wal_entries += mem.NumEntries();
    db->wal_memtable_bytes += mem.ApproximateMemoryBytes();
    return Status::OK();
  };
  s = RecoverDb(std::move(inputs), db->versions.get(), &db->wal);
  if (s.ok()) {
    db->manifest_name = ManifestFileName("", db->versions->ManifestFileNumber()).substr(1);
    s = env->GetFileSize(dbname + "/" + db->manifest_name, &db->manifest_bytes);
  }
  return s;
}

std::map<std::string, WalRecoveryMode> WalRecoveryModesByName() {
  std::map<std::string, WalRecoveryMode> modes;
  for (WalRecoveryMode mode :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    modes.emplace(WalRecoveryModeName(mode), mode);
  }
  return modes;
}

}  // namespace ziggydb::tools
