// Injected I/O errors on every file-system operation type, in foreground and background work,
// transient and persistent, plain I/O errors and a full disk (FaultInjectionEnv). One table-driven
// test over the matrix, plus the checks every cell shares:
//   - a read never returns a wrong value or a false NotFound: the right value or an error;
//   - a retry after a transient read fault returns the right value;
//   - a failed write, flush or compaction stops writes with a clear Status, reported once to the
//     listener (OnBackgroundError) and in the LOG (event=background_error);
//   - a reopen once the fault is gone (while it persists, Open fails and changes nothing) holds
//     every acknowledged write, and no table the MANIFEST does not name is left behind;
//   - no file object outlives the DB (FaultInjectionEnv::open_file_count).
// File descriptors around failed Opens on the POSIX Env: PosixFailedOpenLeaksNoDescriptor.
// What each case proves: docs/design/testing.md ("fault_matrix_test").
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/background_steps.h"
#include "db_model.h"
#include "env/fault_env.h"
#include "testutil/testutil.h"
#include "ziggydb/db.h"
#include "ziggydb/listener.h"
#include "ziggydb/options.h"

namespace ziggydb::test {
namespace {

constexpr const char* kDb = "/db";
constexpr int kKeys = 200;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%05d", i);
  return buf;
}
std::string Value(int i, int version) {
  return "value-" + std::to_string(i) + "-" + std::to_string(version) + std::string(100, 'v');
}

// Records the background errors the DB reports.
class ErrorListener : public EventListener {
 public:
  void OnBackgroundError(DB* db, const Status& status) override {
    (void)db;
    std::lock_guard<std::mutex> guard(mu_);
    errors_.push_back(status.ToString());
  }
  std::vector<std::string> errors() {
    std::lock_guard<std::mutex> guard(mu_);
    return errors_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> errors_;
};

// Where the fault strikes.
enum class Work {
  kGet,             // foreground: point reads of tables
  kIterator,        // foreground: scans of tables
  kWrite,           // foreground: WAL writes of Put (sync)
  kWalSwitch,       // foreground: creating the next WAL at a memtable switch
  kFlush,           // background: the flush thread (started by DB::Flush)
  kCompaction,      // compaction: CompactRange over two tables
  kAutoCompaction,  // background: a compaction thread (started by the L0 trigger)
  kOpen,            // DB::Open of a DB with tables and WAL data: recovery and its first edit
  kClose,           // DB::Close
};

struct Cell {
  const char* name;
  Work work;
  FaultOp op;
  const char* path;  // substring of the paths the fault hits; "first.sst": the first table
  bool persistent;
  FaultError error = FaultError::kIOError;
  int skip = 0;  // matching operations that succeed before the fault
};

std::string Listing(FaultInjectionEnv* env) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(kDb, &names).ok());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) {
    if (name.starts_with("LOG")) continue;  // the info log is rewritten by every Open
    uint64_t size = 0;
    EXPECT_TRUE(env->GetFileSize(std::string(kDb) + "/" + name, &size).ok());
    out += name + ":" + std::to_string(size) + " ";
  }
  return out;
}

size_t TableFiles(FaultInjectionEnv* env) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(kDb, &names).ok());
  return std::count_if(names.begin(), names.end(),
                       [](const std::string& n) { return n.ends_with(".sst"); });
}

class FaultMatrix : public ::testing::TestWithParam<Cell> {
 protected:
  void SetUp() override {
    listener_ = std::make_shared<ErrorListener>();
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;
    options_.block_cache_bytes = 0;  // every read reaches the file
    options_.block_size = 1024;
    options_.l0_compaction_trigger = GetParam().work == Work::kAutoCompaction ? 2 : 4;
    options_.listeners.push_back(listener_);
    if (GetParam().work == Work::kAutoCompaction) options_.paranoid_checks = false;
  }

  void Open() {
    Status s = DB::Open(options_, kDb, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Writes every key (version `version`) and flushes them into one table.
  void WriteTable(int version) {
    WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(db_->Put(sync, Key(i), Value(i, version)).ok());
      model_[Key(i)] = Value(i, version);
    }
    ASSERT_TRUE(db_->Flush().ok());
  }

  // The acknowledged value, or the one of a failed (indeterminate) write.
  bool Matches(const std::string& key, const std::string& value) {
    return value == model_[key] || (maybe_.count(key) > 0 && value == maybe_[key]);
  }

  // Every key reads back as the model says, or (when errors_allowed) as an error; never a wrong
  // value or a false NotFound. Returns how many reads failed.
  int CheckGets(bool errors_allowed) {
    int errors = 0;
    for (int i = 0; i < kKeys; ++i) {
      std::string value;
      Status s = db_->Get(ReadOptions(), Key(i), &value);
      if (s.ok()) {
        EXPECT_TRUE(Matches(Key(i), value)) << Key(i) << ": wrong value " << value.substr(0, 20);
      } else {
        EXPECT_FALSE(s.IsNotFound()) << Key(i) << ": false NotFound";
        EXPECT_TRUE(errors_allowed) << Key(i) << ": " << s.ToString();
        ++errors;
      }
    }
    return errors;
  }

  // A full scan either fails (status not OK) or returns exactly the model; never a shorter or
  // wrong view with an OK status. Returns whether it failed.
  bool ScanFails() {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    Model seen;
    for (it->SeekToFirst(); it->Valid(); it->Next())
      seen[std::string(it->key())] = std::string(it->value());
    if (!it->status().ok()) {
      EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString();
      for (const auto& [key, value] : seen)
        EXPECT_TRUE(Matches(key, value)) << "a failing scan returned a wrong value for " << key;
      return true;
    }
    EXPECT_EQ(seen.size(), model_.size()) << DescribeDifference(model_, seen);
    for (const auto& [key, value] : seen)
      EXPECT_TRUE(Matches(key, value)) << "a scan returned a wrong value for " << key;
    return false;
  }

  // The background error of a stopped DB: reported once to the listener and in the LOG, and
  // returned by writes.
  void ExpectStopped(const Cell& cell) {
    Status s = db_->Put(WriteOptions(), "after", "x");
    EXPECT_FALSE(s.ok()) << "a write was acknowledged after a background error";
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    if (cell.error == FaultError::kNoSpace) {
      EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
    }
    EXPECT_NE(s.ToString().find("injected"), std::string::npos)
        << "the background error does not name its cause: " << s.ToString();
    EXPECT_FALSE(db_->Flush().ok());
    // Reads still serve every acknowledged write.
    env_.ClearErrors();
    EXPECT_EQ(CheckGets(false), 0);
    EXPECT_FALSE(ScanFails());
    stopped_ = true;  // the listener is checked once Close has joined the background threads
    const std::string log = ReadAll(&env_, std::string(kDb) + "/LOG");
    EXPECT_NE(log.find("event=background_error"), std::string::npos) << log;
  }

  // After a stopped flush or compaction, with the fault gone: Resume lets writes and flushes
  // continue and every acknowledged write is still there.
  void ResumeAndCheck() {
    Status s = db_->Resume();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(db_->Resume().ok()) << "a second Resume must be a no-op";
    ASSERT_TRUE(db_->Put(WriteOptions(), "resumed", "r").ok());
    model_["resumed"] = "r";
    s = db_->Flush();
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = db_->WaitForBackgroundWork();
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(CheckGets(false), 0);
    EXPECT_FALSE(ScanFails());
    const std::string log = ReadAll(&env_, std::string(kDb) + "/LOG");
    EXPECT_NE(log.find("event=resumed"), std::string::npos);
  }

  // Closes the DB; while a persistent fault lasts a reopen fails and changes no file; without
  // it the DB holds every acknowledged write and only the tables its MANIFEST names.
  void ReopenAndVerify(const Cell& cell, const std::string& path) {
    (void)db_->Close();
    db_.reset();
    EXPECT_EQ(env_.open_file_count(), 0u) << "file objects outlive the DB";
    const std::vector<std::string> errors = listener_->errors();
    ASSERT_EQ(errors.size(), stopped_ ? 1u : 0u) << "OnBackgroundError calls";
    if (stopped_) {
      EXPECT_NE(errors[0].find("injected"), std::string::npos) << errors[0];
    }
    if (cell.persistent && (cell.work == Work::kWrite || cell.work == Work::kFlush)) {
      env_.InjectError(cell.op, path, FaultInjectionEnv::kPersistent, cell.error);
      const std::string before = Listing(&env_);
      std::unique_ptr<DB> db;
      Status s = DB::Open(options_, kDb, &db);
      if (!s.ok()) {
        EXPECT_EQ(Listing(&env_), before)
            << "a failed Open changed the directory: " << s.ToString();
        EXPECT_EQ(env_.open_file_count(), 0u) << "a failed Open left files open";
      } else {
        db.reset();
      }
      env_.ClearErrors();
    }
    // Open removes what the MANIFEST does not name; with the L0 trigger out of reach no
    // compaction starts meanwhile (the tables are counted before the background work runs).
    options_.l0_compaction_trigger = 4;
    Open();
    EXPECT_EQ(TableFiles(&env_), TableCount(db_.get()))
        << "table files the MANIFEST does not name were left behind: " << Listing(&env_);
    EXPECT_EQ(CheckGets(false), 0);
    EXPECT_FALSE(ScanFails());
    // Writes work again and survive.
    ASSERT_TRUE(db_->Put(WriteOptions(), "after reopen", "y").ok());
    db_.reset();
    EXPECT_EQ(env_.open_file_count(), 0u);
  }

  FaultInjectionEnv env_;
  Options options_;
  std::shared_ptr<ErrorListener> listener_;
  std::unique_ptr<DB> db_;
  Model model_;
  bool stopped_ = false;  // a background error stopped writes
  Model maybe_;           // per key, the value of a refused write whose outcome is unknown
};

TEST_P(FaultMatrix, ErrorIsReportedAndNothingIsLost) {
  const Cell& cell = GetParam();
  const int count = cell.persistent ? FaultInjectionEnv::kPersistent : 1;
  Open();
  WriteTable(0);
  std::string path = cell.path;
  if (path == "first.sst") {
    // Read only by Gets, scans and compactions: a flush reads back its own new table.
    std::vector<std::string> names;
    ASSERT_TRUE(env_.GetChildren(kDb, &names).ok());
    for (const std::string& name : names)
      if (name.ends_with(".sst")) path = name;
  }
  const auto inject = [&] { env_.InjectErrorAfter(cell.skip, cell.op, path, count, cell.error); };
  switch (cell.work) {
    case Work::kGet: {
      inject();
      const int errors = CheckGets(true);
      EXPECT_GT(errors, 0) << "the injected read fault never surfaced";
      if (cell.persistent) {
        EXPECT_EQ(errors, kKeys) << "a read of a failing table succeeded";
      }
      env_.ClearErrors();
      EXPECT_EQ(CheckGets(false), 0) << "a retry after the fault cleared failed";
      // A foreground read error is the reader's alone: writes go on.
      EXPECT_TRUE(db_->Put(WriteOptions(), "after", "x").ok());
      model_["after"] = "x";
      break;
    }
    case Work::kIterator: {
      inject();
      EXPECT_TRUE(ScanFails()) << "the injected read fault never surfaced";
      env_.ClearErrors();
      EXPECT_FALSE(ScanFails()) << "a scan after the fault cleared failed";
      EXPECT_TRUE(db_->Put(WriteOptions(), "after", "x").ok());
      model_["after"] = "x";
      break;
    }
    case Work::kWrite: {
      inject();
      WriteOptions sync;
      sync.sync = true;
      Status s;
      // Enough writes to switch the memtable (and create the next log) at least once.
      for (int i = 0; i < 2 * kKeys && s.ok(); ++i) {
        const std::string value = Value(i % kKeys, 1) + std::string(300, 'w');
        s = db_->Put(sync, Key(i % kKeys), value);
        // A refused write is indeterminate: it may or may not survive.
        (s.ok() ? model_ : maybe_)[Key(i % kKeys)] = value;
      }
      ASSERT_FALSE(s.ok()) << "the injected WAL fault never surfaced";
      ExpectStopped(cell);
      // A failed WAL write is not resumable: only a reopen knows what the log holds.
      EXPECT_FALSE(db_->Resume().ok());
      EXPECT_FALSE(db_->Put(WriteOptions(), "after resume", "x").ok());
      break;
    }
    case Work::kWalSwitch: {
      // A switch that cannot create (or make durable) the next log fails its write before
      // anything is written: the DB stays usable and refuses writes only while the fault lasts.
      inject();
      Status s;
      int i = 0;
      for (; i < 2 * kKeys && s.ok(); ++i) {
        const std::string value = Value(i % kKeys, 1) + std::string(300, 'w');
        s = db_->Put(WriteOptions(), Key(i % kKeys), value);
        if (s.ok()) model_[Key(i % kKeys)] = value;
      }
      ASSERT_FALSE(s.ok()) << "the injected WAL fault never surfaced";
      EXPECT_TRUE(s.IsIOError()) << s.ToString();
      EXPECT_NE(s.ToString().find("injected"), std::string::npos) << s.ToString();
      const std::string value = Value(i % kKeys, 1) + std::string(300, 'w');
      s = db_->Put(WriteOptions(), Key(i % kKeys), value);
      EXPECT_EQ(s.ok(), !cell.persistent) << s.ToString();
      if (s.ok()) model_[Key(i % kKeys)] = value;
      env_.ClearErrors();
      ASSERT_TRUE(db_->Put(WriteOptions(), "after", "x").ok());
      model_["after"] = "x";
      EXPECT_EQ(CheckGets(false), 0);
      break;
    }
    case Work::kFlush: {
      for (int i = 0; i < kKeys / 2; ++i) {
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 2)).ok());
        model_[Key(i)] = Value(i, 2);
      }
      const size_t tables_before = TableFiles(&env_);
      inject();
      Status s = db_->Flush();
      EXPECT_FALSE(s.ok()) << "the injected flush fault never surfaced";
      if (cell.op != FaultOp::kSync || std::string(cell.path) != "MANIFEST") {
        // A table no MANIFEST names is removed at once, unless the edit naming it may be
        // durable (a failed MANIFEST sync): that one goes at the next Open.
        if (std::string(cell.path) == ".sst") {
          EXPECT_EQ(TableFiles(&env_), tables_before) << "a failed flush left its table";
        }
      }
      ExpectStopped(cell);
      ResumeAndCheck();
      break;
    }
    case Work::kOpen: {
      for (int i = 0; i < kKeys / 2; ++i) {
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 4)).ok());
        model_[Key(i)] = Value(i, 4);
      }
      ASSERT_TRUE(db_->Close().ok());
      db_.reset();
      const std::string before = Listing(&env_);
      inject();
      for (int attempt = 0; attempt < 2; ++attempt) {
        Status s = DB::Open(options_, kDb, &db_);
        ASSERT_FALSE(s.ok()) << "the injected fault never surfaced in Open";
        EXPECT_TRUE(s.IsIOError()) << s.ToString();
        EXPECT_NE(s.ToString().find("injected"), std::string::npos) << s.ToString();
        EXPECT_EQ(Listing(&env_), before) << "a failed Open changed the directory";
        EXPECT_EQ(env_.open_file_count(), 0u) << "a failed Open left files open";
        if (!cell.persistent) break;
      }
      env_.ClearErrors();
      Open();
      break;
    }
    case Work::kClose: {
      for (int i = 0; i < kKeys / 2; ++i) {
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 5)).ok());
        model_[Key(i)] = Value(i, 5);
      }
      inject();
      // Closing the WAL trims its preallocation; its failure is reported, and loses nothing
      // (every record was written before).
      Status s = db_->Close();
      EXPECT_FALSE(s.ok()) << "the injected fault never surfaced in Close";
      EXPECT_NE(s.ToString().find("injected"), std::string::npos) << s.ToString();
      EXPECT_EQ(db_->Close().ToString(), s.ToString()) << "a second Close must repeat the status";
      break;
    }
    case Work::kCompaction:
    case Work::kAutoCompaction: {
      const bool automatic = cell.work == Work::kAutoCompaction;
      if (!automatic) WriteTable(3);
      inject();
      Status s;
      if (automatic) {
        // The second table reaches the L0 trigger: a compaction thread merges the two (without
        // paranoid checks the flush does not read its table back: only the compaction reads).
        for (int i = 0; i < kKeys; ++i) {
          ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 3)).ok());
          model_[Key(i)] = Value(i, 3);
        }
        // Flush returns the compaction's error if that failed before Flush's caller woke.
        s = db_->Flush();
        if (s.ok()) s = db_->WaitForBackgroundWork();
      } else {
        s = db_->CompactRange(std::nullopt, std::nullopt);
      }
      if (cell.op == FaultOp::kRemove) {
        // Removing an obsolete input is clean-up: its failure loses nothing and stops nothing.
        EXPECT_TRUE(s.ok()) << s.ToString();
        env_.ClearErrors();
        EXPECT_EQ(CheckGets(false), 0);
        EXPECT_TRUE(db_->Put(WriteOptions(), "after", "x").ok());
        model_["after"] = "x";
        break;
      }
      EXPECT_FALSE(s.ok()) << "the injected compaction fault never surfaced";
      ExpectStopped(cell);
      ResumeAndCheck();
      break;
    }
  }
  EXPECT_GT(env_.injected_error_count(), 0u);
  env_.ClearErrors();
  ReopenAndVerify(cell, path);
}

// Both transient (one failure) and persistent (until cleared) of each.
std::vector<Cell> Cells() {
  const std::vector<Cell> base = {
      {"GetTableRead", Work::kGet, FaultOp::kRead, ".sst", false},
      {"GetTableReadNoSpace", Work::kGet, FaultOp::kRead, ".sst", false, FaultError::kNoSpace},
      {"IteratorTableRead", Work::kIterator, FaultOp::kRead, ".sst", false},
      {"WalAppend", Work::kWrite, FaultOp::kAppend, ".log", false},
      {"WalAppendNoSpace", Work::kWrite, FaultOp::kAppend, ".log", false, FaultError::kNoSpace},
      {"WalSync", Work::kWrite, FaultOp::kSync, ".log", false},
      {"WalCreate", Work::kWalSwitch, FaultOp::kCreate, ".log", false},
      {"WalDirSync", Work::kWalSwitch, FaultOp::kSyncDir, kDb, false},
      {"FlushTableCreate", Work::kFlush, FaultOp::kCreate, ".sst", false},
      {"FlushTableAppend", Work::kFlush, FaultOp::kAppend, ".sst", false},
      {"FlushTableNoSpace", Work::kFlush, FaultOp::kAppend, ".sst", false, FaultError::kNoSpace},
      {"FlushTableSync", Work::kFlush, FaultOp::kSync, ".sst", false},
      {"FlushTableClose", Work::kFlush, FaultOp::kClose, ".sst", false},
      // The flush opens its new table to check it (paranoid_checks).
      {"FlushTableOpen", Work::kFlush, FaultOp::kOpen, ".sst", false},
      // The first directory sync of DB::Flush is the memtable switch's (the new WAL).
      {"FlushDirSync", Work::kFlush, FaultOp::kSyncDir, kDb, false, FaultError::kIOError, 1},
      {"FlushManifestAppend", Work::kFlush, FaultOp::kAppend, "MANIFEST", false},
      {"FlushManifestSync", Work::kFlush, FaultOp::kSync, "MANIFEST", false},
      {"CompactionInputRead", Work::kCompaction, FaultOp::kRead, "first.sst", false},
      {"CompactionTableCreate", Work::kCompaction, FaultOp::kCreate, ".sst", false},
      {"CompactionTableNoSpace", Work::kCompaction, FaultOp::kAppend, ".sst", false,
       FaultError::kNoSpace},
      {"CompactionTableSync", Work::kCompaction, FaultOp::kSync, ".sst", false},
      {"CompactionTableClose", Work::kCompaction, FaultOp::kClose, ".sst", false},
      {"OpenWalRead", Work::kOpen, FaultOp::kRead, ".log", false},
      {"OpenManifestRead", Work::kOpen, FaultOp::kRead, "MANIFEST", false},
      {"OpenTableRead", Work::kOpen, FaultOp::kRead, ".sst", false},
      {"OpenCurrentOpen", Work::kOpen, FaultOp::kOpen, "CURRENT", false},
      {"OpenManifestOpen", Work::kOpen, FaultOp::kOpen, "MANIFEST", false},
      {"OpenWalOpen", Work::kOpen, FaultOp::kOpen, ".log", false},
      {"OpenTableOpen", Work::kOpen, FaultOp::kOpen, ".sst", false},
      {"OpenManifestCreate", Work::kOpen, FaultOp::kCreate, "MANIFEST", false},
      {"OpenManifestNoSpace", Work::kOpen, FaultOp::kAppend, "MANIFEST", false,
       FaultError::kNoSpace},
      {"OpenCurrentRename", Work::kOpen, FaultOp::kRename, "CURRENT", false},
      {"OpenDirSync", Work::kOpen, FaultOp::kSyncDir, kDb, false},
      {"OpenWalCreate", Work::kOpen, FaultOp::kCreate, ".log", false},
      {"OpenRecoveryTableSync", Work::kOpen, FaultOp::kSync, ".sst", false},
      {"CloseWal", Work::kClose, FaultOp::kClose, ".log", false},
      {"CompactionInputRemove", Work::kCompaction, FaultOp::kRemove, ".sst", false},
      {"CompactionManifestSync", Work::kCompaction, FaultOp::kSync, "MANIFEST", false},
      {"AutoCompactionInputRead", Work::kAutoCompaction, FaultOp::kRead, "first.sst", false},

  };
  std::vector<Cell> cells;
  for (Cell cell : base) {
    cells.push_back(cell);
    cell.persistent = true;
    cells.push_back(cell);
  }
  return cells;
}

INSTANTIATE_TEST_SUITE_P(Ops, FaultMatrix, ::testing::ValuesIn(Cells()),
                         [](const ::testing::TestParamInfo<Cell>& info) {
                           return std::string(info.param.name) +
                                  (info.param.persistent ? "Persistent" : "Transient");
                         });

// ---- file descriptors around failed Opens on the POSIX Env ----------------------------------

int OpenDescriptors() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (readdir(dir) != nullptr)
    ++count;
  closedir(dir);
  return count;
}

TEST(FaultMatrixPosix, FailedOpensLeakNoDescriptor) {
  TempDir scratch;
  const std::string path = scratch.Join("db");
  Options options;
  options.create_if_missing = true;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, path, &db).ok());
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), Value(i, 0)).ok());
    ASSERT_TRUE(db->Flush().ok());
    const int with_db = OpenDescriptors();
    // A second opener is refused and keeps nothing open.
    for (int round = 0; round < 3; ++round) {
      std::unique_ptr<DB> second;
      EXPECT_TRUE(DB::Open(options, path, &second).IsBusy());
    }
    EXPECT_EQ(OpenDescriptors(), with_db);
  }
  const int baseline = OpenDescriptors();
  ASSERT_GT(baseline, 0);
  // A table named by the MANIFEST is cut short: Open fails with Corruption.
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->GetChildren(path, &names).ok());
  std::string table;
  for (const std::string& name : names)
    if (name.ends_with(".sst")) table = path + "/" + name;
  ASSERT_FALSE(table.empty());
  std::string bytes;
  {
    std::unique_ptr<SequentialFile> file;
    ASSERT_TRUE(Env::Default()->NewSequentialFile(table, &file).ok());
    std::string scratch_bytes(1 << 16, '\0');
    std::string_view got;
    while (file->Read(scratch_bytes.size(), &got, scratch_bytes.data()).ok() && !got.empty())
      bytes.append(got);
  }
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(table, &file).ok());
    ASSERT_TRUE(file->Append(std::string_view(bytes).substr(0, bytes.size() / 2)).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<DB> db;
    EXPECT_TRUE(DB::Open(options, path, &db).IsCorruption());
  }
  EXPECT_EQ(OpenDescriptors(), baseline) << "a failed Open leaked file descriptors";
  // CURRENT garbage: refused, nothing kept open.
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(path + "/CURRENT", &file).ok());
    ASSERT_TRUE(file->Append(std::string(16, '\0')).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<DB> db;
    EXPECT_TRUE(DB::Open(options, path, &db).IsCorruption());
  }
  EXPECT_EQ(OpenDescriptors(), baseline) << "a failed Open leaked file descriptors";
}

// A WAL write that fails while a resumable (flush) error already stands still makes the stop
// permanent: Resume refuses, as after any failed WAL write. The flush fails inside the WAL
// append (a stepped DB runs it on this thread there, while the write's leader is past its checks
// and has released the DB mutex), then the append fails.
class FlushFailsDuringWalAppendEnv final : public FaultInjectionEnv {
 public:
  // How the DB creates its logs (env/preallocated_file.h).
  Status NewPreallocatedWritableFile(const std::string& path, uint64_t bytes,
                                     std::unique_ptr<WritableFile>* result) override {
    Status s = FaultInjectionEnv::NewPreallocatedWritableFile(path, bytes, result);
    if (s.ok() && path.ends_with(".log")) *result = std::make_unique<Log>(std::move(*result), this);
    return s;
  }
  DB* db = nullptr;
  bool armed = false;

 private:
  class Log final : public WritableFile {
   public:
    Log(std::unique_ptr<WritableFile> target, FlushFailsDuringWalAppendEnv* env)
        : target_(std::move(target)), env_(env) {}
    Status Append(std::string_view data) override {
      if (!env_->armed) return target_->Append(data);
      env_->armed = false;
      env_->InjectError(FaultOp::kCreate, ".sst", FaultInjectionEnv::kPersistent);
      EXPECT_TRUE(RunBackgroundStep(env_->db, BackgroundStep::kFlush));
      return Status::IOError("append", "injected WAL failure");
    }
    Status Flush() override { return target_->Flush(); }
    Status Sync() override { return target_->Sync(); }
    Status Close() override { return target_->Close(); }
    Status Preallocate(uint64_t bytes) override { return target_->Preallocate(bytes); }

   private:
    std::unique_ptr<WritableFile> target_;
    FlushFailsDuringWalAppendEnv* const env_;
  };
};

TEST(FaultResume, AWalFailureAfterAFlushFailureIsNotResumable) {
  FlushFailsDuringWalAppendEnv env;
  FirstRunnableStepPolicy policy;
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.memtable_bytes = 64 << 10;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(OpenWithSteppedBackground(options, "/db", &policy, &db).ok());
  env.db = db.get();
  // Fill the memtable until it is switched: an immutable memtable waits for its flush step.
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(db->Put(WriteOptions(), "key" + std::to_string(i), std::string(100, 'v')).ok());
    const std::vector<BackgroundStep> steps = RunnableBackgroundSteps(db.get());
    if (std::find(steps.begin(), steps.end(), BackgroundStep::kFlush) != steps.end()) break;
  }
  const std::vector<BackgroundStep> steps = RunnableBackgroundSteps(db.get());
  ASSERT_NE(std::find(steps.begin(), steps.end(), BackgroundStep::kFlush), steps.end());
  env.armed = true;
  WriteOptions sync;  // the log's buffered bytes reach its file (Append) by this write's sync
  sync.sync = true;
  EXPECT_FALSE(db->Put(sync, "failed", "x").ok());
  EXPECT_FALSE(env.armed);  // the hook ran
  env.ClearErrors();
  EXPECT_FALSE(db->Resume().ok());
  EXPECT_FALSE(db->Put(WriteOptions(), "after", "x").ok());
}

}  // namespace
}  // namespace ziggydb::test
