// stats, dump-wal, dump-sst: read-only views of a DB and of its files. stats recovers the DB the
// way Open does, in its read-only form (RecoverReadOnly), and prints its shape and what recovery
// would do; it writes nothing.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/version_edit.h"
#include "db/write_batch_internal.h"
#include "table/format.h"
#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/inspect_util.h"
#include "tools/json_output.h"
#include "util/prometheus_text.h"
#include "ziggydb/env.h"

namespace ziggydb::tools {
namespace {

struct InspectArgs {
  std::string db;
  std::string file;
  uint64_t log_number = 0;  // 0: from the file name
  size_t value_bytes_max = 32;
  bool verify = false;
  bool no_entries = false;
  bool prometheus = false;
  bool json = false;
  double watch_seconds = 0;  // 0: print once
};

void PrintStatsText(const ReadOnlyRecovery& db) {
  const VersionSet& versions = *db.versions;
  fmt::print("last sequence: {}\nlog number: {}\nnext file number: {}\nmanifest: {} ({} bytes)\n",
             raw(versions.LastSequence()), raw(versions.LogNumber()),
             raw(versions.next_file_number()), db.manifest_name, db.manifest_bytes);
  fmt::print("wal logs: {}\nwal records: {}\nwal entries not in tables: {} ({} memtable bytes)\n",
             db.wal.logs.size(), db.wal.records_replayed, db.wal_entries, db.wal_memtable_bytes);
  fmt::print("wal tail records dropped: {}\nwal records skipped: {}\n", db.wal.tail_records_dropped,
             db.wal.records_skipped);
  const Version& version = *versions.current();
  for (int level = 0; level < kNumLevels; ++level) {
    fmt::print("level {}: {} files, {} bytes\n", level, version.NumFiles(level),
               version.LevelBytes(level));
  }
}

void PrintStatsPrometheus(const ReadOnlyRecovery& db) {
  const VersionSet& versions = *db.versions;
  const Version& version = *versions.current();
  PrometheusText page;
  page.Family("ziggydb_level_files", "gauge", "Table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_files", {{"level", std::to_string(level)}},
                static_cast<uint64_t>(version.NumFiles(level)));
  page.Family("ziggydb_level_bytes", "gauge", "Bytes of the table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_bytes", {{"level", std::to_string(level)}},
                version.LevelBytes(level));
  auto gauge = [&page](const char* name, const char* help, uint64_t value) {
    page.Family(name, "gauge", help);
    page.Sample(name, value);
  };
  gauge("ziggydb_l0_files", "Table files in L0.", static_cast<uint64_t>(version.NumFiles(0)));
  gauge("ziggydb_last_sequence", "The last sequence number recovery finds.",
        raw(versions.LastSequence()));
  gauge("ziggydb_manifest_bytes", "Bytes of the live MANIFEST.", db.manifest_bytes);
  gauge("ziggydb_wal_logs", "WAL files recovery would replay.", db.wal.logs.size());
  gauge("ziggydb_wal_records", "WAL records recovery would replay.", db.wal.records_replayed);
  gauge("ziggydb_wal_entries", "Entries in the WALs not yet in tables.", db.wal_entries);
  gauge("ziggydb_wal_tail_records_dropped", "Torn WAL tails recovery would drop.",
        db.wal.tail_records_dropped);
  gauge("ziggydb_wal_records_skipped", "Damaged WAL stretches recovery would skip.",
        db.wal.records_skipped);
  fmt::print("{}", page.text());
}

// The fields of the text form, as one object (docs/cli.md, "stats").
void PrintStatsJson(const ReadOnlyRecovery& db) {
  const VersionSet& versions = *db.versions;
  const Version& version = *versions.current();
  nlohmann::json levels = nlohmann::json::array();
  for (int level = 0; level < kNumLevels; ++level) {
    levels.push_back({{"level", level},
                      {"files", version.NumFiles(level)},
                      {"bytes", version.LevelBytes(level)}});
  }
  PrintJson({{"last_sequence", raw(versions.LastSequence())},
             {"log_number", raw(versions.LogNumber())},
             {"next_file_number", raw(versions.next_file_number())},
             {"manifest", {{"name", db.manifest_name}, {"bytes", db.manifest_bytes}}},
             {"wal",
              {{"logs", db.wal.logs.size()},
               {"records", db.wal.records_replayed},
               {"entries_not_in_tables", db.wal_entries},
               {"memtable_bytes", db.wal_memtable_bytes},
               {"tail_records_dropped", db.wal.tail_records_dropped},
               {"records_skipped", db.wal.records_skipped}}},
             {"levels", std::move(levels)}});
}

// Recovers the DB read-only (nothing written) and prints what it finds.
ExitCode PrintStatsOnce(const InspectArgs& args) {
  ReadOnlyRecovery db;
  Status s = RecoverReadOnly(args.db, Options().wal_recovery_mode, &db);
  if (!s.ok()) return ReportError("stats", args.db, s);
  if (args.prometheus) {
    PrintStatsPrometheus(db);
  } else if (args.json) {
    PrintStatsJson(db);
  } else {
    PrintStatsText(db);
  }
  std::fflush(stdout);
  return ExitCode::kOk;
}

ExitCode RunStats(const InspectArgs& args) {
  if (args.watch_seconds <= 0) return PrintStatsOnce(args);
  // Recover and print every watch_seconds until interrupted; an interrupt is a normal end.
  const InterruptScope interrupt;
  const auto period = std::chrono::duration<double>(args.watch_seconds);
  while (!InterruptRequested()) {
    const auto next = std::chrono::steady_clock::now() + period;
    if (!args.prometheus && !args.json) fmt::print("--- {} ---\n", std::time(nullptr));
    const ExitCode code = PrintStatsOnce(args);
    if (code != ExitCode::kOk) return code;
    while (!InterruptRequested() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ExitCode::kOk;
}

std::string ValuePreview(std::string_view value, size_t bytes_max) {
  if (value.size() <= bytes_max) return "'" + Escape(value) + "'";
  return fmt::format("'{}'... ({} bytes)", Escape(value.substr(0, bytes_max)), value.size());
}

// Prints each update of a batch, one line each.
class BatchPrinter final : public WriteBatch::Handler {
 public:
  BatchPrinter(uint64_t sequence, size_t value_bytes_max)
      : sequence_(sequence), value_bytes_max_(value_bytes_max) {}
  void Put(std::string_view key, std::string_view value) override {
    fmt::print("    {} put '{}' = {}\n", sequence_++, Escape(key),
               ValuePreview(value, value_bytes_max_));
  }
  void Delete(std::string_view key) override {
    fmt::print("    {} del '{}'\n", sequence_++, Escape(key));
  }

 private:
  uint64_t sequence_;
  const size_t value_bytes_max_;
};

// Prints one WAL record; false if it does not decode as a batch.
bool PrintWalRecord(uint64_t offset, std::string_view record, size_t value_bytes_max) {
  WriteBatch batch;
  Status s = WriteBatchInternal::SetContents(&batch, record);
  if (!s.ok()) {
    fmt::print("offset {}: CORRUPTION: intact record of {} bytes is not a write batch: {}\n",
               offset, record.size(), s.ToString());
    return false;
  }
  const uint64_t sequence = raw(WriteBatchInternal::Sequence(batch));
  fmt::print("offset {}: sequence {} count {} ({} bytes)\n", offset, sequence,
             WriteBatchInternal::Count(batch), record.size());
  BatchPrinter printer(sequence, value_bytes_max);
  s = batch.Iterate(&printer);
  return s.ok();
}

bool PrintManifestRecord(uint64_t offset, std::string_view record) {
  VersionEdit edit;
  Status s = edit.DecodeFrom(record);
  if (!s.ok()) {
    fmt::print("offset {}: CORRUPTION: record is not a version edit: {}\n", offset, s.ToString());
    return false;
  }
  fmt::print("offset {}: version edit\n{}\n", offset, edit.DebugString());
  return true;
}

ExitCode RunDumpWal(const InspectArgs& args) {
  if (Status s = CheckInputFile(args.file); !s.ok()) return ReportError("dump-wal", args.file, s);
  uint64_t number = args.log_number;
  bool is_manifest = false;
  uint64_t parsed = 0;
  if (FileNumberFromPath(args.file, &parsed, &is_manifest) && number == 0) number = parsed;
  if (number == 0) {
    return ReportError("dump-wal", args.file,
                       Status::InvalidArgument(
                           "cannot tell the log number from the file name; pass --log-number"));
  }
  uint64_t records = 0;
  bool bad = false;
  bool torn_tail = false;
  uint64_t intact_end_bytes = 0;
  Status s = ReadLog(
      args.file, number,
      [&](uint64_t offset, std::string_view record) {
        ++records;
        const bool ok = is_manifest ? PrintManifestRecord(offset, record)
                                    : PrintWalRecord(offset, record, args.value_bytes_max);
        bad = bad || !ok;
      },
      [&](const LogDamage& damage) {
        fmt::print("offset {}: {}: {} damaged bytes: {}\n", damage.offset,
                   damage.at_tail ? "TORN TAIL" : "CORRUPTION", damage.bytes, damage.reason);
        if (damage.at_tail) {
          torn_tail = true;
        } else {
          bad = true;
        }
      },
      &intact_end_bytes);
  if (!s.ok()) return ReportError("dump-wal", "reading " + args.file, s);
  // Not one intact fragment, yet not the zeros of an unused log: the bytes are not a log, or
  // were written with another log number (each fragment carries it).
  bool non_zero = false;
  if (intact_end_bytes == 0) s = HasNonZeroByte(args.file, &non_zero);
  if (!s.ok()) return ReportError("dump-wal", "reading " + args.file, s);
  if (non_zero) {
    return ReportError(
        "dump-wal", args.file,
        Status::Corruption("not a log numbered " + std::to_string(number) +
                           ": no intact record (another file, or pass the right --log-number)"));
  }
  fmt::print("{} records{}{}\n", records, torn_tail ? ", torn tail (recovery drops it)" : "",
             bad ? ", CORRUPTION found" : "");
  return bad ? ExitCode::kCorruption : ExitCode::kOk;
}

void PrintProperties(const TableProperties& p) {
  fmt::print("properties:\n");
  fmt::print("  entries: {}\n  raw key bytes: {}\n  raw value bytes: {}\n", p.num_entries,
             p.raw_key_bytes, p.raw_value_bytes);
  fmt::print("  data blocks: {} ({} bytes)\n  index bytes: {}\n  filter bytes: {} ({})\n",
             p.num_data_blocks, p.data_bytes, p.index_bytes, p.filter_bytes,
             p.filter_policy_name.empty() ? "none" : p.filter_policy_name);
  fmt::print("  smallest key: {}\n  largest key: {}\n", DescribeInternalKey(p.smallest_key),
             DescribeInternalKey(p.largest_key));
  fmt::print("  sequence range: [{}, {}]\n  created (unix s): {}\n", p.smallest_sequence,
             p.largest_sequence, p.creation_time_unix_seconds);
  fmt::print("  format version: {}\n  comparator: {}\n  compression: {}\n", p.format_version,
             p.comparator_name, static_cast<int>(p.compression));
}

// Prints the index: separator -> handle of each data block.
Status PrintIndex(const OpenedTable& table) {
  const BlockHandle& index = table.reader->index_handle();
  fmt::print("index (block at offset {}, {} bytes):\n", index.offset, index.size);
  std::unique_ptr<Iterator> it = table.reader->NewIndexIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view value = it->value();
    BlockHandle handle;
    const std::string key =
        table.internal_keys ? DescribeInternalKey(it->key()) : "'" + Escape(it->key()) + "'";
    if (!handle.DecodeFrom(&value)) return Status::Corruption("bad block handle in the index");
    fmt::print("  {} -> offset {} size {}\n", key, handle.offset, handle.size);
  }
  return it->status();
}

ExitCode RunDumpSst(const InspectArgs& args) {
  if (Status s = CheckInputFile(args.file); !s.ok()) return ReportError("dump-sst", args.file, s);
  OpenedTable table;
  Status s = OpenTableFile(args.file, &table);
  if (!s.ok()) return ReportError("dump-sst", "opening " + args.file, s);
  fmt::print("table {} ({} bytes{})\n", args.file, table.file_bytes,
             table.internal_keys ? "" : ", bytewise keys");
  PrintProperties(table.reader->properties());
  s = PrintIndex(table);
  if (!s.ok()) return ReportError("dump-sst", "reading the index of " + args.file, s);
  if (!args.no_entries) {
    fmt::print("entries:\n");
    ReadOptions options;
    options.fill_cache = false;
    std::unique_ptr<Iterator> it = table.reader->NewIterator(options);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key =
          table.internal_keys ? DescribeInternalKey(it->key()) : "'" + Escape(it->key()) + "'";
      fmt::print("  {} = {}\n", key, ValuePreview(it->value(), args.value_bytes_max));
    }
    if (!it->status().ok()) return ReportError("dump-sst", "reading entries", it->status());
  }
  if (args.verify) {
    s = table.reader->VerifyChecksums();
    if (!s.ok()) return ReportError("dump-sst", "verifying " + args.file, s);
    fmt::print("checksums: all blocks OK\n");
  }
  return ExitCode::kOk;
}

}  // namespace

void RegisterInspectCommands(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<InspectArgs>();

  CLI::App* stats = app->add_subcommand(
      "stats",
      "Recover the DB read-only (nothing written) and print its shape: sequence, MANIFEST, WALs "
      "not yet in tables, files and bytes per level");
  AddDbOption(stats, &args->db);
  CLI::Option* prometheus =
      stats->add_flag("--prometheus", args->prometheus,
                      "Print the same as Prometheus gauges (text exposition format 0.0.4)");
  stats
      ->add_flag("--json", args->json,
                 "Print one JSON object (one per line with --watch; docs/cli.md)")
      ->excludes(prometheus);
  stats
      ->add_option("--watch", args->watch_seconds,
                   "Recover and print again every SECONDS until interrupted")
      ->transform(FiniteRange(0.001, 86400));
  stats->callback([args, exit_code] { *exit_code = ToInt(RunStats(*args)); });

  CLI::App* wal = app->add_subcommand(
      "dump-wal", "Print every record of a WAL (or MANIFEST) file, and any damage with its offset");
  wal->add_option("file", args->file, "Log file (NNNNNN.log or MANIFEST-NNNNNN)")->required();
  wal->add_option("--log-number", args->log_number, "Log number when the name does not tell it")
      ->transform(NonNegativeInteger());
  wal->add_option("--value-bytes", args->value_bytes_max, "Value bytes shown per update")
      ->default_val(32)
      ->transform(NonNegativeInteger());
  wal->callback([args, exit_code] { *exit_code = ToInt(RunDumpWal(*args)); });

  CLI::App* sst =
      app->add_subcommand("dump-sst", "Print a table file's properties, index and entries");
  sst->add_option("file", args->file, "Table file (NNNNNN.sst)")->required();
  sst->add_flag("--verify", args->verify, "Also verify every block's checksum");
  sst->add_flag("--no-entries", args->no_entries, "Skip the entries");
  sst->add_option("--value-bytes", args->value_bytes_max, "Value bytes shown per entry")
      ->default_val(32)
      ->transform(NonNegativeInteger());
  sst->callback([args, exit_code] { *exit_code = ToInt(RunDumpSst(*args)); });
}

}  // namespace ziggydb::tools
