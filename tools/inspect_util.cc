#include "tools/inspect_util.h"

#include <fmt/core.h>

#include "db/filename.h"
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
               const std::function<void(const LogDamage&)>& on_damage) {
  std::unique_ptr<SequentialFile> file;
  Status s = Env::Default()->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  DamageForwarder reporter(&on_damage);
  wal::Reader reader(std::move(file), log_number, &reporter);
  std::string record;
  while (reader.ReadRecord(&record))
    on_record(reader.last_record_offset(), record);
  return reader.io_status();
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

Status ReplayManifest(const std::string& dbname, std::string* manifest_path,
                      const std::function<void(const VersionEdit&)>& on_edit) {
  std::string manifest;
  Status s = ReadCurrentFile(Env::Default(), dbname, &manifest);
  if (!s.ok()) return s;
  const std::string path = dbname + "/" + manifest;
  *manifest_path = path;
  uint64_t number = 0;
  bool is_manifest = false;
  if (!FileNumberFromPath(path, &number, &is_manifest) || !is_manifest) {
    return Status::Corruption("CURRENT does not name a MANIFEST", manifest);
  }
  Status damage;
  s = ReadLog(
      path, number,
      [&](uint64_t offset, std::string_view record) {
        if (!damage.ok()) return;
        VersionEdit edit;
        Status d = edit.DecodeFrom(record);
        if (!d.ok()) {
          damage = Status::Corruption(fmt::format("{} at offset {}", path, offset), d.message());
          return;
        }
        on_edit(edit);
      },
      [&](const LogDamage& d) {
        if (!damage.ok()) return;
        if (d.at_tail) {
          // A torn last edit is the trace of a crash while appending it; recovery ignores it.
          fmt::print("note: {} ends in a torn record at offset {} ({} bytes); recovery drops it\n",
                     path, d.offset, d.bytes);
          return;
        }
        damage = Status::Corruption(
            fmt::format("{} at offset {} ({} bytes)", path, d.offset, d.bytes), d.reason);
      });
  if (!s.ok()) return s;
  return damage;
}

}  // namespace ziggydb::tools
