// put, get, del, scan: one update or lookup against a DB, or an ordered listing.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_checks.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace ziggydb::tools {
namespace {

struct DataArgs {
  std::string db;
  std::string key;
  std::string value;
  bool sync = false;
  bool escape = false;
  // scan only
  std::string from;
  std::string to;
  uint64_t limit = 0;  // 0: no limit
  bool reverse = false;
  bool keys_only = false;
};

ExitCode RunPut(const DataArgs& args) {
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("put", args.db, /*create=*/true, &db); !s.ok()) return ExitCodeFor(s);
  WriteOptions options;
  options.sync = args.sync;
  Status s = db->Put(options, args.key, args.value);
  if (!s.ok()) return ReportError("put", "write failed", s);
  s = db->Close();
  if (!s.ok()) return ReportError("put", "close failed", s);
  return ExitCode::kOk;
}

ExitCode RunGet(const DataArgs& args) {
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("get", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  std::string value;
  Status s = db->Get(ReadOptions(), args.key, &value);
  if (s.IsNotFound()) {
    fmt::print(stderr, "not found: {}\n", Escape(args.key));
    return ExitCode::kNotFound;
  }
  if (!s.ok()) return ReportError("get", "read failed", s);
  if (args.escape) value = Escape(value);
  std::fwrite(value.data(), 1, value.size(), stdout);
  std::fputc('\n', stdout);
  return ExitCode::kOk;
}

ExitCode RunDel(const DataArgs& args) {
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("del", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  WriteOptions options;
  options.sync = args.sync;
  Status s = db->Delete(options, args.key);
  if (!s.ok()) return ReportError("del", "delete failed", s);
  s = db->Close();
  if (!s.ok()) return ReportError("del", "close failed", s);
  return ExitCode::kOk;
}

// Prints KEY<TAB>VALUE lines (escaped) for keys in [from, to), ascending or descending.
ExitCode RunScan(const DataArgs& args) {
  std::unique_ptr<DB> db;
  if (Status s = OpenDb("scan", args.db, /*create=*/false, &db); !s.ok()) return ExitCodeFor(s);
  ReadOptions options;
  options.fill_cache = false;
  if (!args.from.empty()) options.iterate_lower_bound = args.from;
  if (!args.to.empty()) options.iterate_upper_bound = args.to;
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  if (args.reverse) {
    it->SeekToLast();
  } else {
    it->SeekToFirst();
  }
  uint64_t count = 0;
  for (; it->Valid() && (args.limit == 0 || count < args.limit); ++count) {
    if (args.keys_only) {
      fmt::print("{}\n", Escape(it->key()));
    } else {
      fmt::print("{}\t{}\n", Escape(it->key()), Escape(it->value()));
    }
    if (args.reverse) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  if (!it->status().ok()) return ReportError("scan", "iteration failed", it->status());
  fmt::print(stderr, "{} entries\n", count);
  return ExitCode::kOk;
}

}  // namespace

void AddDbOption(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db, "DB directory")->required()->envname("ZIGGY_DB");
}

void RegisterDataCommands(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<DataArgs>();

  CLI::App* put = app->add_subcommand("put", "Store VALUE under KEY (creates the DB if missing)");
  AddDbOption(put, &args->db);
  put->add_option("key", args->key, "Key")->required();
  put->add_option("value", args->value, "Value")->required();
  put->add_flag("--sync", args->sync, "fdatasync the WAL before returning");
  put->callback([args, exit_code] { *exit_code = ToInt(RunPut(*args)); });

  CLI::App* get = app->add_subcommand("get", "Print the value of KEY (exit 1 if absent)");
  AddDbOption(get, &args->db);
  get->add_option("key", args->key, "Key")->required();
  get->add_flag("--escape", args->escape, "Print non-printable bytes as \\xHH");
  get->callback([args, exit_code] { *exit_code = ToInt(RunGet(*args)); });

  CLI::App* del = app->add_subcommand("del", "Delete KEY (deleting an absent key is not an error)");
  AddDbOption(del, &args->db);
  del->add_option("key", args->key, "Key")->required();
  del->add_flag("--sync", args->sync, "fdatasync the WAL before returning");
  del->callback([args, exit_code] { *exit_code = ToInt(RunDel(*args)); });

  CLI::App* scan = app->add_subcommand("scan", "Print KEY<TAB>VALUE for keys in [--from, --to)");
  AddDbOption(scan, &args->db);
  scan->add_option("--from", args->from, "First key (inclusive); default: the first");
  scan->add_option("--to", args->to, "Upper bound (exclusive); default: none");
  scan->add_option("--limit", args->limit, "At most this many entries (0: all)")
      ->check(NonNegativeInteger());
  scan->add_flag("--reverse", args->reverse, "Descending order");
  scan->add_flag("--keys-only", args->keys_only, "Print keys only");
  scan->callback([args, exit_code] { *exit_code = ToInt(RunScan(*args)); });
}

}  // namespace ziggydb::tools
