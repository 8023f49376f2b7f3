// dump, restore-dump: a DB (or a key range of it) as a portable, checksummed stream
// (docs/format/dump.md), and a new DB from such a stream. Both show a progress bar on a terminal
// and stop cleanly on Ctrl-C.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/dump_format.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "util/status_macros.h"
#include "ziggydb/db.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::tools {
namespace {

// Set by SIGINT while a dump or restore runs; its loops stop at the next record or chunk.
std::atomic<bool> interrupted{false};

extern "C" void OnInterrupt(int /*signal*/) {
  interrupted.store(true);
}

// Routes SIGINT to `interrupted` for its lifetime, then restores the previous handler.
class InterruptScope {
 public:
  InterruptScope() {
    interrupted.store(false);
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ {};
};

Status Interrupted() {
  return Status::IOError("interrupted (Ctrl-C)");
}

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what, std::strerror(errno));
}

struct DumpArgs {
  std::string db;
  std::string from;
  std::string to;
  std::string out;  // empty: stdout
  bool progress = false;
};

// The stream goes to a temporary file renamed into place once complete and synced, so `--out`
// never names half a dump; on stdout a failure is the exit code and the missing trailer.
ExitCode RunDump(const DumpArgs& args) {
  if (args.out.empty() && isatty(STDOUT_FILENO) == 1) {
    fmt::print(stderr, "ziggy dump: the dump is binary: redirect stdout or use --out FILE\n");
    return ExitCode::kError;
  }
  std::unique_ptr<DB> db;
  if (!OpenDb("dump", args.db, /*create=*/false, &db).ok()) return ExitCode::kError;
  const std::string temp = args.out + ".ziggy-tmp";
  std::FILE* out = stdout;
  if (!args.out.empty()) {
    out = std::fopen(temp.c_str(), "wb");
    if (out == nullptr) return ReportError("dump", temp, ErrnoStatus("cannot create"));
  }
  std::string live_bytes;
  const uint64_t total = db->GetProperty("ziggydb.estimate-live-data-size", &live_bytes)
                             ? std::strtoull(live_bytes.c_str(), nullptr, 10)
                             : 0;
  InterruptScope interrupt_scope;
  Status s;
  uint64_t records = 0, bytes = 0;
  {
    ProgressBar bar("dump (bytes)", total, args.progress || StderrIsTty());
    DumpWriter writer([out](std::string_view data) {
      if (std::fwrite(data.data(), 1, data.size(), out) != data.size()) {
        return ErrnoStatus("cannot write the dump");
      }
      return Status::OK();
    });
    ReadOptions read_options;
    if (!args.to.empty()) read_options.iterate_upper_bound = args.to;
    std::unique_ptr<Iterator> it = db->NewIterator(read_options);
    s = writer.Begin();
    for (it->Seek(args.from); s.ok() && it->Valid(); it->Next()) {
      if (interrupted.load()) {
        s = Interrupted();
        break;
      }
      s = writer.Add(it->key(), it->value());
      bar.Advance(it->key().size() + it->value().size());
    }
    if (s.ok()) s = it->status();
    if (s.ok()) s = writer.Finish();
    records = writer.records();
    bytes = writer.bytes_written();
  }
  if (s.ok() && std::fflush(out) != 0) s = ErrnoStatus("cannot write the dump");
  if (!args.out.empty()) {
    if (s.ok() && fsync(fileno(out)) != 0) s = ErrnoStatus("cannot sync " + temp);
    if (std::fclose(out) != 0 && s.ok()) s = ErrnoStatus("cannot close " + temp);
    if (s.ok() && std::rename(temp.c_str(), args.out.c_str()) != 0) {
      s = ErrnoStatus("cannot rename " + temp + " to " + args.out);
    }
    if (!s.ok()) std::remove(temp.c_str());
  }
  Status closed = db->Close();
  if (!s.ok()) return ReportError("dump", "FAILED, the dump is incomplete", s);
  if (!closed.ok()) return ReportError("dump", "close failed", closed);
  fmt::print(stderr, "dump: {} records, {} bytes\n", WithCommas(records), WithCommas(bytes));
  return ExitCode::kOk;
}

class FileDumpSource final : public DumpSource {
 public:
  explicit FileDumpSource(std::FILE* file) : file_(file) {}
  Status Read(size_t n, std::string* out) override {
    const size_t before = out->size();
    out->resize(before + n);
    const size_t got = std::fread(out->data() + before, 1, n, file_);
    out->resize(before + got);
    if (got < n && std::ferror(file_)) return ErrnoStatus("cannot read the dump");
    if (interrupted.load()) return Interrupted();
    return Status::OK();
  }

 private:
  std::FILE* const file_;
};

struct RestoreArgs {
  std::string db;
  std::string from_dump;  // "-": stdin
  bool progress = false;
};

// Feeds every verified chunk to db in batches of about 1 MiB.
Status RestoreInto(DB* db, DumpReader* reader, ProgressBar* bar) {
  ZIGGY_RETURN_IF_ERROR(reader->ReadHeader());
  WriteOptions write_options;
  write_options.disable_wal = true;  // Close writes the memtables to tables
  WriteBatch batch;
  std::vector<DumpReader::Record> records;
  uint64_t reported = reader->bytes_read();
  for (;;) {
    bool end = false;
    ZIGGY_RETURN_IF_ERROR(reader->NextChunk(&records, &end));
    if (end) break;
    for (const auto& [key, value] : records) {
      batch.Put(key, value);
      if (batch.ApproximateSize() >= kDumpChunkTargetBytes) {
        ZIGGY_RETURN_IF_ERROR(db->Write(write_options, batch));
        batch.Clear();
      }
    }
    bar->Advance(reader->bytes_read() - reported);
    reported = reader->bytes_read();
    if (interrupted.load()) return Interrupted();
  }
  if (batch.Count() > 0) ZIGGY_RETURN_IF_ERROR(db->Write(write_options, batch));
  return Status::OK();
}

// The target must hold no DB; whatever fails, the DB this command created is destroyed, so a
// failed or interrupted restore leaves nothing behind.
ExitCode RunRestore(const RestoreArgs& args) {
  std::FILE* in = stdin;
  if (args.from_dump != "-") {
    in = std::fopen(args.from_dump.c_str(), "rb");
    if (in == nullptr) {
      return ReportError("restore-dump", args.from_dump, ErrnoStatus("cannot open"));
    }
  }
  uint64_t total = 0;
  if (struct stat st{}; fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) total = st.st_size;
  Options options;
  options.error_if_exists = true;
  std::unique_ptr<DB> db;
  if (!OpenDb("restore-dump", args.db, /*create=*/true, &db, options).ok()) {
    if (in != stdin) std::fclose(in);
    return ExitCode::kError;
  }
  InterruptScope interrupt_scope;
  FileDumpSource source(in);
  DumpReader reader(&source);
  Status s;
  {
    ProgressBar bar("restore-dump (bytes)", total, args.progress || StderrIsTty());
    s = RestoreInto(db.get(), &reader, &bar);
  }
  if (in != stdin) std::fclose(in);
  Status closed = db->Close();
  if (s.ok()) s = closed;
  db.reset();
  if (!s.ok()) {
    if (Status destroyed = DestroyDB(args.db, Options()); !destroyed.ok()) {
      ReportError("restore-dump", "cannot remove the partial DB at " + args.db, destroyed);
    }
    return ReportError("restore-dump", "FAILED, nothing restored", s);
  }
  fmt::print(stderr, "restore-dump: {} records into {}\n", WithCommas(reader.records()), args.db);
  return ExitCode::kOk;
}

}  // namespace

void RegisterDumpCommands(CLI::App* app, int* exit_code) {
  auto dump_args = std::make_shared<DumpArgs>();
  CLI::App* dump = app->add_subcommand(
      "dump",
      "Write the DB's keys in [--from, --to) as a portable dump stream (docs/format/dump.md)");
  AddDbOption(dump, &dump_args->db);
  dump->add_option("--from", dump_args->from, "First key (inclusive); default: the first");
  dump->add_option("--to", dump_args->to, "Upper bound (exclusive); default: none");
  dump->add_option("--out", dump_args->out, "Write to FILE (complete or absent); default: stdout");
  dump->add_flag("--progress", dump_args->progress, "Show the progress bar even when not a tty");
  dump->callback([dump_args, exit_code] { *exit_code = ToInt(RunDump(*dump_args)); });

  auto restore_args = std::make_shared<RestoreArgs>();
  CLI::App* restore = app->add_subcommand(
      "restore-dump", "Create a new DB from a dump stream (exit 3 if the dump is damaged)");
  AddDbOption(restore, &restore_args->db);
  restore->add_option("--from-dump", restore_args->from_dump, "The dump file ('-': stdin)")
      ->required();
  restore->add_flag("--progress", restore_args->progress,
                    "Show the progress bar even when not a tty");
  restore->callback([restore_args, exit_code] { *exit_code = ToInt(RunRestore(*restore_args)); });
}

}  // namespace ziggydb::tools
