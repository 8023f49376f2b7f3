// put, get, del, scan: one update or lookup against a DB, or an ordered listing. get and scan
// open the DB read-only (DB::OpenReadOnly). Keys and values pass as given, in the escaped form
// scan prints (--escape) or in hex (--hex) (tools/byte_codec.h); a value may also come from a file
// or stdin as raw bytes, so any bytes round-trip.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/byte_codec.h"
#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace ziggydb::tools {
namespace {

struct DataArgs {
  std::string db;
  std::string key;
  std::optional<std::string> value;  // put; absent with --value-file
  std::string value_file;            // put: the value's raw bytes come from it; get: go to it
  bool sync = false;
  bool escape = false;
  bool hex = false;
  bool no_newline = false;  // get
  // scan only
  std::string from;
  std::string to;
  uint64_t limit = 0;  // 0: no limit
  bool reverse = false;
  bool keys_only = false;

  ByteFormat format() const {
    if (hex) return ByteFormat::kHex;
    return escape ? ByteFormat::kEscaped : ByteFormat::kRaw;
  }
};

std::string_view FormatName(const DataArgs& args) {
  if (args.hex) return "hex";
  return args.escape ? "escaped form" : "bytes";
}

// Reads all of `path` (stdin if empty) as raw bytes into *bytes; InvalidArgument past bytes_max.
Status ReadFileBytes(const std::string& path, size_t bytes_max, std::string* bytes) {
  const std::string name = path.empty() ? "stdin" : path;
  FILE* file = path.empty() ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Status::IOError("open " + name, std::strerror(errno));
  bytes->clear();
  std::string chunk(size_t{1} << 20, '\0');
  size_t got = 0;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
    if (bytes->size() + got > bytes_max) break;
    bytes->append(chunk.data(), got);
  }
  const bool too_big = got > 0;
  const bool failed = std::ferror(file) != 0;
  if (!path.empty()) std::fclose(file);
  if (failed) return Status::IOError("read " + name);
  if (too_big) {
    return Status::InvalidArgument(name + " holds more than the largest value (" +
                                   std::to_string(bytes_max) + " bytes)");
  }
  return Status::OK();
}

// Replaces `path` with exactly `bytes`, or leaves it as it was (OutputFile).
Status WriteFileBytes(const std::string& path, std::string_view bytes) {
  std::unique_ptr<OutputFile> file;
  Status s = OutputFile::Create(path, &file);
  if (s.ok()) s = file->Write(bytes);
  if (s.ok()) s = file->Commit();
  return s;
}

// Decodes a command-line argument (`what`: "KEY", "--from", ...) per --hex/--escape; false after
// reporting the error.
bool DecodeArg(std::string_view command, std::string_view what, const DataArgs& args,
               const std::string& text, std::string* bytes) {
  Status s = DecodeBytes(args.format(), text, bytes);
  if (!s.ok()) ReportError(command, fmt::format("{} is not valid {}", what, FormatName(args)), s);
  return s.ok();
}

// The value of `put`: VALUE decoded, or the raw bytes of --value-file or of stdin (VALUE "-").
Status ReadValue(const DataArgs& args, std::string* value) {
  if (!args.value_file.empty()) {
    if (Status s = CheckInputFile(args.value_file); !s.ok()) return s;
    return ReadFileBytes(args.value_file, kMaxValueBytes, value);
  }
  if (*args.value == "-") return ReadFileBytes("", kMaxValueBytes, value);
  return DecodeBytes(args.format(), *args.value, value);
}

ExitCode RunPut(const DataArgs& args) {
  if (args.value_file.empty() != args.value.has_value()) {
    PrintToStderr("ziggy put: give {}\n",
                  args.value.has_value() ? "either VALUE or --value-file FILE, not both"
                                         : "VALUE, '-' (the bytes of stdin) or --value-file FILE");
    return ExitCode::kUsage;
  }
  std::string key, value;
  if (!DecodeArg("put", "KEY", args, args.key, &key)) return ExitCode::kUsage;
  if (Status s = ReadValue(args, &value); !s.ok()) return ReportError("put", "VALUE", s);
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("put", args.db, /*create=*/true, &db); !s.ok()) return ExitCodeFor(s);
  WriteOptions options;
  options.sync = args.sync;
  Status s = db->Put(options, key, value);
  if (!s.ok()) return ReportError("put", "write failed", s);
  s = db->Close();
  if (!s.ok()) return ReportError("put", "close failed", s);
  return ExitCode::kOk;
}

ExitCode RunGet(const DataArgs& args) {
  std::string key;
  if (!DecodeArg("get", "KEY", args, args.key, &key)) return ExitCode::kUsage;
  std::unique_ptr<DB> db;
  if (Status s = OpenDbReadOnly("get", args.db, &db); !s.ok()) return ExitCodeFor(s);
  std::string value;
  Status s = db->Get(ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    PrintToStderr("not found: {}\n", Escape(key));
    return ExitCode::kNotFound;
  }
  if (!s.ok()) return ReportError("get", "read failed", s);
  if (!args.value_file.empty()) {
    s = WriteFileBytes(args.value_file, value);
    return s.ok() ? ExitCode::kOk : ReportError("get", "writing the value", s);
  }
  value = EncodeBytes(args.format(), value);
  if (!args.no_newline) value.push_back('\n');
  if (std::fwrite(value.data(), 1, value.size(), stdout) != value.size() ||
      std::fflush(stdout) != 0) {
    return ReportError("get", "writing the value", Status::IOError("stdout"));
  }
  return ExitCode::kOk;
}

ExitCode RunDel(const DataArgs& args) {
  std::string key;
  if (!DecodeArg("del", "KEY", args, args.key, &key)) return ExitCode::kUsage;
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("del", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  WriteOptions options;
  options.sync = args.sync;
  Status s = db->Delete(options, key);
  if (!s.ok()) return ReportError("del", "delete failed", s);
  s = db->Close();
  if (!s.ok()) return ReportError("del", "close failed", s);
  return ExitCode::kOk;
}

// Prints KEY<TAB>VALUE lines (escaped, or hex) for keys in [from, to), ascending or descending.
ExitCode RunScan(const DataArgs& args) {
  std::string from, to;
  if (!DecodeArg("scan", "--from", args, args.from, &from)) return ExitCode::kUsage;
  if (!DecodeArg("scan", "--to", args, args.to, &to)) return ExitCode::kUsage;
  std::unique_ptr<DB> db;
  if (Status s = OpenDbReadOnly("scan", args.db, &db); !s.ok()) return ExitCodeFor(s);
  ReadOptions options;
  options.fill_cache = false;
  if (!args.from.empty()) options.iterate_lower_bound = from;
  if (!args.to.empty()) options.iterate_upper_bound = to;
  // Printed bytes are always encoded: raw keys could hold the tab and newline that frame them.
  const ByteFormat format = args.hex ? ByteFormat::kHex : ByteFormat::kEscaped;
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  if (args.reverse) {
    it->SeekToLast();
  } else {
    it->SeekToFirst();
  }
  uint64_t count = 0;
  for (; it->Valid() && (args.limit == 0 || count < args.limit); ++count) {
    if (args.keys_only) {
      fmt::print("{}\n", EncodeBytes(format, it->key()));
    } else {
      fmt::print("{}\t{}\n", EncodeBytes(format, it->key()), EncodeBytes(format, it->value()));
    }
    if (args.reverse) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  if (!it->status().ok()) return ReportError("scan", "iteration failed", it->status());
  PrintToStderr("{} entries\n", count);
  return ExitCode::kOk;
}

// --hex and --escape, exclusive.
void AddFormatFlags(CLI::App* cmd, DataArgs* args, const char* escape_help) {
  CLI::Option* hex = cmd->add_flag(
      "--hex", args->hex, "Keys and values (arguments and output) in hex, 2 digits a byte");
  cmd->add_flag("--escape", args->escape, escape_help)->excludes(hex);
}

}  // namespace

void AddDbOption(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db, "DB directory")->required()->envname("ZIGGY_DB");
}

void RegisterDataCommands(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<DataArgs>();
  constexpr const char* kEscapedArgs =
      "Keys and values in the escaped form scan prints (\\xHH for any byte, \\\\ for '\\')";

  CLI::App* put = app->add_subcommand(
      "put", "Store VALUE under KEY (creates the DB if missing); VALUE '-' reads stdin");
  AddDbOption(put, &args->db);
  put->add_option("key", args->key, "Key")->required();
  put->add_option("value", args->value, "Value; '-': the raw bytes of stdin");
  put->add_option("--value-file", args->value_file,
                  "Take the value's raw bytes from FILE (exit 2 if it does not exist)");
  put->add_flag("--sync", args->sync, "fdatasync the WAL before returning");
  AddFormatFlags(put, args.get(), kEscapedArgs);
  put->callback([args, exit_code] { *exit_code = ToInt(RunPut(*args)); });

  CLI::App* get = app->add_subcommand(
      "get", "Print the value of KEY (exit 2 if absent); opens the DB read-only");
  AddDbOption(get, &args->db);
  get->add_option("key", args->key, "Key")->required();
  AddFormatFlags(get, args.get(), kEscapedArgs);
  get->add_flag("-n,--no-newline", args->no_newline,
                "Print the value's bytes only, without the trailing newline");
  get->add_option("--value-file", args->value_file,
                  "Write the value's raw bytes to FILE (replacing it) instead of printing it");
  get->callback([args, exit_code] { *exit_code = ToInt(RunGet(*args)); });

  CLI::App* del = app->add_subcommand("del", "Delete KEY (deleting an absent key is not an error)");
  AddDbOption(del, &args->db);
  del->add_option("key", args->key, "Key")->required();
  del->add_flag("--sync", args->sync, "fdatasync the WAL before returning");
  AddFormatFlags(del, args.get(), kEscapedArgs);
  del->callback([args, exit_code] { *exit_code = ToInt(RunDel(*args)); });

  CLI::App* scan = app->add_subcommand(
      "scan", "Print KEY<TAB>VALUE for keys in [--from, --to); opens the DB read-only");
  AddDbOption(scan, &args->db);
  scan->add_option("--from", args->from, "First key (inclusive); default: the first");
  scan->add_option("--to", args->to, "Upper bound (exclusive); default: none");
  scan->add_option("--limit", args->limit, "At most this many entries (0: all)")
      ->transform(NonNegativeInteger());
  scan->add_flag("--reverse", args->reverse, "Descending order");
  scan->add_flag("--keys-only", args->keys_only, "Print keys only");
  AddFormatFlags(scan, args.get(),
                 "--from and --to in the escaped form scan prints (its output always is)");
  scan->callback([args, exit_code] { *exit_code = ToInt(RunScan(*args)); });
}

}  // namespace ziggydb::tools
