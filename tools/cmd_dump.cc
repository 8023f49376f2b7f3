// dump, restore-dump: a DB (or a key range of it) as a portable, checksummed stream
// (docs/format/dump.md), and a new DB from such a stream. Both show a progress bar on a terminal
// and stop cleanly on Ctrl-C.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "db/dump_format.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/wal_archive_options.h"
#include "util/status_macros.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::tools {
namespace {

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

// The stream goes to a temporary file (OutputFile) renamed into place once complete and synced,
// so `--out` never names half a dump; on stdout a failure is the exit code and the missing
// trailer.
ExitCode RunDump(const DumpArgs& args) {
  if (args.out.empty() && isatty(STDOUT_FILENO) == 1) {
    PrintToStderr("ziggy dump: the dump is binary: redirect stdout or use --out FILE\n");
    return ExitCode::kUsage;
  }
  // Before the DB is opened, as docs/cli.md says: a Ctrl-C meanwhile takes effect after it.
  const InterruptScope interrupt_scope;
  std::unique_ptr<DB> db;
  if (Status s = DB::OpenReadOnly(Options(), args.db, &db); !s.ok()) {
    return ReportError("dump", "cannot open the DB at '" + args.db + "'", s);
  }
  std::unique_ptr<OutputFile> file;  // removes its temporary file unless committed
  std::FILE* out = stdout;
  if (!args.out.empty()) {
    if (Status s = OutputFile::Create(args.out, &file); !s.ok()) {
      return ReportError("dump", "cannot write the dump", s);
    }
    out = file->stream();
  }
  std::string live_bytes;
  const uint64_t total = db->GetProperty("ziggydb.estimate-live-data-size", &live_bytes)
                             ? std::strtoull(live_bytes.c_str(), nullptr, 10)
                             : 0;
  Status s;
  bool interrupted = false;
  uint64_t records = 0, bytes = 0;
  {
    ProgressBar bar("dump", total, args.progress || StderrIsTty(), ProgressUnit::kBytes);
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
      if (InterruptRequested()) {
        interrupted = true;
        break;
      }
      s = writer.Add(it->key(), it->value());
      bar.Advance(it->key().size() + it->value().size());
    }
    if (s.ok()) s = it->status();
    // A write blocked on a full pipe returns EINTR: that failure is the interruption too.
    interrupted = interrupted || InterruptRequested();
    if (s.ok() && interrupted) s = Status::IOError("interrupted (Ctrl-C)");
    if (s.ok()) s = writer.Finish();
    records = writer.records();
    bytes = writer.bytes_written();
  }
  if (file != nullptr) {
    if (s.ok()) s = file->Commit();
    file.reset();  // a failed or skipped commit removes the temporary file
  } else if (s.ok() && std::fflush(out) != 0) {
    s = ErrnoStatus("cannot write the dump");
  }
  Status closed = db->Close();
  if (interrupted) {
    PrintToStderr("ziggy dump: interrupted after {} records; the dump is incomplete{}\n",
                  WithCommas(records), args.out.empty() ? "" : " and was removed");
    return ExitCode::kInterrupted;
  }
  if (!s.ok()) return ReportError("dump", "FAILED, the dump is incomplete", s);
  if (!closed.ok()) return ReportError("dump", "close failed", closed);
  PrintToStderr("dump: {} records, {} bytes\n", WithCommas(records), WithCommas(bytes));
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
    if (InterruptRequested()) return Status::IOError("interrupted (Ctrl-C)");
  }
  if (batch.Count() > 0) ZIGGY_RETURN_IF_ERROR(db->Write(write_options, batch));
  return Status::OK();
}

// The directory a restore-dump into `target` builds its DB in: a sibling, so that moving the
// finished DB into place is one rename(2) within one file system.
std::string StagingDirFor(const std::string& target) {
  return target + ".restore-dump-tmp";
}

// --db without trailing slashes (else the staging directory would land inside it), if it names a
// directory to create.
Status TargetDir(const std::string& db, std::string* target) {
  *target = db;
  while (target->size() > 1 && target->back() == '/')
    target->pop_back();
  const std::filesystem::path name = std::filesystem::path(*target).filename();
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument("'" + db + "' names no new directory");
  }
  return Status::OK();
}

// OK for a target the finished DB can be renamed onto: absent, or an empty directory. A DB or any
// other file there is refused (InvalidArgument: restoring never merges into existing data).
Status CheckTarget(const std::string& target) {
  std::vector<std::string> names;
  Status s = Env::Default()->GetChildren(target, &names);
  if (s.IsNotFound()) return Status::OK();
  ZIGGY_RETURN_IF_ERROR(s);  // a file, permission denied, ...
  if (std::find(names.begin(), names.end(), "CURRENT") != names.end()) {
    return Status::InvalidArgument(target + " already holds a DB");
  }
  if (!names.empty()) {
    return Status::InvalidArgument(target + " is not empty (it holds " + names.front() + ")");
  }
  return Status::OK();
}

// Removes the staging directory a crashed run left: it holds part of a dump. DestroyDB takes its
// LOCK, so one that a running restore-dump holds is refused (Busy) rather than removed.
Status RemoveLeftoverStaging(const std::string& staging) {
  ZIGGY_RETURN_IF_ERROR(DestroyDB(staging, Options()));
  if (Env::Default()->FileExists(staging)) {
    return Status::InvalidArgument(staging + " holds files that are not a DB's: remove it");
  }
  return Status::OK();
}

// Creates a new DB at `dir`, writes the dump's records into it and closes it. On failure `dir`
// may hold part of the dump, for the caller to remove.
Status BuildDb(const std::string& dir, const RestoreArgs& args, std::FILE* in, uint64_t total,
               uint64_t* records) {
  Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  ApplyWalArchiveOptions(&options);
  std::unique_ptr<DB> db;
  ZIGGY_RETURN_IF_ERROR(DB::Open(options, dir, &db));
  FileDumpSource source(in);
  DumpReader reader(&source);
  Status s;
  if (InterruptRequested()) {
    s = Status::IOError("interrupted (Ctrl-C)");
  } else {
    ProgressBar bar("restore-dump", total, args.progress || StderrIsTty(), ProgressUnit::kBytes);
    s = RestoreInto(db.get(), &reader, &bar);
  }
  *records = reader.records();
  Status closed = db->Close();
  return s.ok() ? closed : s;
}

// An empty target directory that exists is replaced by the rename: the staging directory takes
// its permission bits just before, so that a directory made private stays private. (Its owner
// becomes the caller, as for a new target.) *staging_mode: the bits it had, for a clean-up after
// a failed rename (a target without write permission would keep it from being emptied).
Status TakeOverPermissions(const std::string& target, const std::string& staging,
                           mode_t* staging_mode) {
  struct stat st {};
  if (stat(target.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::OK() : ErrnoStatus("cannot stat " + target);
  }
  struct stat staged {};
  if (stat(staging.c_str(), &staged) != 0) return ErrnoStatus("cannot stat " + staging);
  *staging_mode = staged.st_mode & 07777;
  if (chmod(staging.c_str(), st.st_mode & 07777) != 0) {
    return ErrnoStatus("cannot chmod " + staging);
  }
  return Status::OK();
}

// The DB is built in StagingDirFor(target) and renamed onto the target only once closed, so the
// target never holds part of a dump: a run that fails, is interrupted or throws removes the
// staging directory, and one that crashes leaves it for the next run to remove.
ExitCode RunRestore(const RestoreArgs& args) {
  // Before the DB exists: a Ctrl-C that came while it was being created (a slow disk, a loaded
  // machine) must still remove it, not end the process with the default action.
  const InterruptScope interrupt_scope;
  std::string target;
  if (Status s = TargetDir(args.db, &target); !s.ok())
    return ReportError("restore-dump", "--db", s);
  if (Status s = CheckTarget(target); !s.ok()) {
    return ReportError("restore-dump", "cannot restore into '" + args.db + "'", s);
  }
  std::FILE* in = stdin;
  if (args.from_dump != "-") {
    in = std::fopen(args.from_dump.c_str(), "rb");
    if (in == nullptr) {
      const Status s = errno == ENOENT ? Status::NotFound("no such file", args.from_dump)
                                       : ErrnoStatus("cannot open " + args.from_dump);
      return ReportError("restore-dump", "cannot read the dump", s);
    }
  }
  uint64_t total = 0;
  if (struct stat st{}; fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) total = st.st_size;
  const std::string staging = StagingDirFor(target);
  Status s = RemoveLeftoverStaging(staging);
  if (!s.ok()) {
    if (in != stdin) std::fclose(in);
    return ReportError("restore-dump", "cannot remove the staging directory of an earlier run", s);
  }
  uint64_t records = 0;
  try {
    s = BuildDb(staging, args, in, total, &records);
  } catch (const std::exception& e) {
    // bad_alloc or a thread that could not start: the staging directory must still go.
    s = Status::IOError("exception", e.what());
  }
  if (in != stdin) std::fclose(in);
  mode_t staging_mode = 0;
  if (s.ok()) s = TakeOverPermissions(target, staging, &staging_mode);
  if (s.ok()) s = Env::Default()->RenameFile(staging, target);
  if (!s.ok()) {
    if (staging_mode != 0) chmod(staging.c_str(), staging_mode);  // so that it can be emptied
    if (Status destroyed = DestroyDB(staging, Options()); !destroyed.ok()) {
      ReportError("restore-dump", "cannot remove the partial DB at " + staging, destroyed);
    }
    if (InterruptRequested()) {
      PrintToStderr("ziggy restore-dump: interrupted; the new DB was removed\n");
      return ExitCode::kInterrupted;
    }
    return ReportError("restore-dump", "FAILED, nothing restored", s);
  }
  // The rename is durable once the parent directory is synced.
  const std::filesystem::path target_path(target);
  const std::string parent =
      target_path.has_parent_path() ? target_path.parent_path().string() : ".";
  if (Status synced = Env::Default()->SyncDir(parent); !synced.ok()) {
    return ReportError("restore-dump",
                       "the DB is in place at " + target + " but may not survive a power loss",
                       synced);
  }
  PrintToStderr("restore-dump: {} records into {}\n", WithCommas(records), args.db);
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
      "restore-dump",
      "Create a new DB from a dump stream, built aside and moved into place once complete (exit 3 "
      "if the dump is damaged)");
  AddDbOption(restore, &restore_args->db);
  restore->add_option("--from-dump", restore_args->from_dump, "The dump file ('-': stdin)")
      ->required();
  restore->add_flag("--progress", restore_args->progress,
                    "Show the progress bar even when not a tty");
  restore->callback([restore_args, exit_code] { *exit_code = ToInt(RunRestore(*restore_args)); });
}

}  // namespace ziggydb::tools
