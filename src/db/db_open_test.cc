// DB::Open's failures: a failed Open removes everything it created (and retries accumulate
// nothing), and an unusable path is reported by its real cause, never as "does not exist" or
// "in use".
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "db/db_identity.h"
#include "db/db_test_util.h"
#include "env/counting_env.h"
#include "testutil/testutil.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb::test {
namespace {

using DBOpenTest = DBTest;

bool Contains(const Status& s, const std::string& text) {
  return s.ToString().find(text) != std::string::npos;
}

struct Fault {
  FaultOp op;
  const char* path_substring;
};

// Failures at each step of Open that writes: the new WAL, the new MANIFEST, its sync, and the
// switch of CURRENT to it.
constexpr Fault kLateFaults[] = {{FaultOp::kCreate, ".log"},
                                 {FaultOp::kCreate, "MANIFEST"},
                                 {FaultOp::kSync, "MANIFEST"},
                                 {FaultOp::kRename, "CURRENT"}};

// Names and sizes: what a failed Open must leave as it found it (contents are compared too, but
// printed only through this on a mismatch).
std::string Describe(const std::map<std::string, std::string>& contents) {
  std::string out;
  for (const auto& [name, data] : contents)
    out += name + "(" + std::to_string(data.size()) + ") ";
  return out;
}

// Records the directories synced, in order.
class SyncDirLog final : public CountingEnv {
 public:
  using CountingEnv::CountingEnv;
  Status SyncDir(const std::string& dir) override {
    synced.push_back(dir);
    return CountingEnv::SyncDir(dir);
  }
  std::vector<std::string> synced;
};

// A new DB directory's name, and a new log archive's, are made durable in their parent (else a
// power loss could take the whole DB, acknowledged synced writes included).
TEST_F(DBOpenTest, ANewDbDirectoryAndLogArchiveAreSyncedInTheirParent) {
  ASSERT_TRUE(env_.CreateDir("/parent").ok());
  SyncDirLog env(&env_);
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.wal_archive_dir = "/parent/archive";
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/parent/db", &db).ok());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(std::count(env.synced.begin(), env.synced.end(), "/parent"), 2);
  // The DB directory's before anything in it.
  ASSERT_FALSE(env.synced.empty());
  EXPECT_EQ(env.synced.front(), "/parent");
  env.synced.clear();
  ASSERT_TRUE(DB::Open(options, "/parent/db", &db).ok());  // both exist now: no parent sync
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(std::count(env.synced.begin(), env.synced.end(), "/parent"), 0);
}

// A live table whose size cannot be read (EACCES, EIO) fails Open with that error: only a table
// that is not there is Corruption (which sends an operator to RepairDB).
class TableStatFailingEnv final : public CountingEnv {
 public:
  using CountingEnv::CountingEnv;
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    if (path.ends_with(".sst")) return Status::IOError("stat " + path, "Permission denied");
    return CountingEnv::GetFileSize(path, size);
  }
};

TEST_F(DBOpenTest, ALiveTableThatCannotBeStatedIsAnIoErrorAndAMissingOneCorruption) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  const std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 1u);
  TableStatFailingEnv failing(&env_);
  options_.env = &failing;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(Contains(s, "Permission denied")) << s.ToString();
  options_.env = &env_;
  ASSERT_TRUE(env_.RemoveFile(tables[0]).ok());
  s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, "a live table is missing")) << s.ToString();
}

// The DB directory as its own log archive would count every log as archived, and delete it.
TEST_F(DBOpenTest, TheDbDirectoryIsNoLogArchive) {
  options_.wal_archive_dir = std::string(kDbName) + "/";
  Status s = TryOpen();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_FALSE(env_.FileExists(kDbName));
}

// A log archive directory a failed Open created goes with the rest of what it created.
TEST_F(DBOpenTest, AFailedOpenRemovesTheLogArchiveItCreated) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  Close();
  WriteWhole(std::string(kDbName) + "/CURRENT", "MANIFEST-999999\n");  // names no file
  options_.wal_archive_dir = "/archive";
  EXPECT_FALSE(TryOpen().ok());
  EXPECT_FALSE(env_.FileExists("/archive"));
  // One that existed stays.
  ASSERT_TRUE(env_.CreateDir("/archive").ok());
  EXPECT_FALSE(TryOpen().ok());
  EXPECT_TRUE(env_.FileExists("/archive"));
}

TEST_F(DBOpenTest, FailedCreationLeavesNoDirectoryAndRetriesLeaveNothing) {
  for (const Fault& fault : kLateFaults) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      env_.InjectError(fault.op, fault.path_substring);
      Status s = TryOpen();
      EXPECT_TRUE(s.IsIOError()) << fault.path_substring << ": " << s.ToString();
      EXPECT_FALSE(env_.FileExists(kDbName)) << fault.path_substring << " attempt " << attempt;
      env_.ClearErrors();
    }
  }
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Reopen();
  EXPECT_EQ(Get("a"), "1");
}

// The case of the issue: WAL replay writes tables, then a later step of Open fails. The tables,
// the new log and any new MANIFEST must go, or every retry adds more of them.
TEST_F(DBOpenTest, FailureAfterReplayRemovesTheReplayTablesAndTheNewLog) {
  Open();
  for (int i = 0; i < 300; ++i)  // some of it flushed, the rest only in the WAL
    ASSERT_TRUE(Put(Key(i), std::string(500, static_cast<char>('a' + i % 26))).ok());
  Close();
  const std::map<std::string, std::string> before = DirContents();
  for (const Fault& fault : kLateFaults) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      env_.InjectError(fault.op, fault.path_substring);
      Status s = TryOpen();
      EXPECT_TRUE(s.IsIOError()) << fault.path_substring << ": " << s.ToString();
      env_.ClearErrors();
      const auto after = DirContents();
      EXPECT_TRUE(after == before) << fault.path_substring << " attempt " << attempt << "\n"
                                   << Describe(before) << "\n"
                                   << Describe(after);
    }
  }

  Open();
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(Get(Key(i)), std::string(500, static_cast<char>('a' + i % 26))) << i;
}

// Removing the files from the directory listing must reach the disk too: after a power loss the
// directory still holds only what it held before the failed Open.
TEST_F(DBOpenTest, RemovalsOfAFailedOpenAreDurable) {
  Open();
  ASSERT_TRUE(Put("k", "v", /*sync=*/true).ok());
  Close();
  ASSERT_TRUE(env_.SyncDir(kDbName).ok());
  std::vector<std::string> before;
  ASSERT_TRUE(env_.GetChildren(kDbName, &before).ok());
  std::sort(before.begin(), before.end());
  env_.InjectError(FaultOp::kCreate, "MANIFEST");
  EXPECT_FALSE(TryOpen().ok());
  env_.ClearErrors();
  env_.DropUnsyncedData();
  std::vector<std::string> after;
  ASSERT_TRUE(env_.GetChildren(kDbName, &after).ok());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before);
  Open();
  EXPECT_EQ(Get("k"), "v");
}

// A failed Open of a new DB whose rollback cannot remove a file (a persistent fault) must leave a
// directory the next Open opens: never a CURRENT naming a removed MANIFEST (which fails every
// later Open with Corruption). A failed removal of a log or of CURRENT keeps CURRENT and its
// MANIFEST: an empty DB.
TEST_F(DBOpenTest, FailedCreationThatCannotRemoveAFileLeavesAnOpenableDb) {
  for (const char* unremovable : {"CURRENT", ".log"}) {
    for (const Fault& fault : {Fault{FaultOp::kCreate, ".log"}, Fault{FaultOp::kSync, "MANIFEST"},
                               Fault{FaultOp::kCreate, "MANIFEST-000003"}}) {
      SCOPED_TRACE(std::string(unremovable) + " with a fault at " + fault.path_substring);
      env_.InjectError(fault.op, fault.path_substring);
      env_.InjectError(FaultOp::kRemove, unremovable, FaultInjectionEnv::kPersistent);
      Status s = TryOpen();
      EXPECT_TRUE(s.IsIOError()) << s.ToString();
      env_.ClearErrors();
      env_.DropUnsyncedData();  // what the rollback did must be durable too
      Open();
      ASSERT_TRUE(Put("a", "1").ok());
      Reopen();
      EXPECT_EQ(Get("a"), "1");
      Close();
      ASSERT_TRUE(DestroyDB(kDbName, options_).ok());
    }
  }
}

// A name whose number is past kMaxFileNumber is not a DB file: Open ignores it (it used to push the
// file-number counter past 2^64, back to 0, and abort).
TEST_F(DBOpenTest, AFileNumberPastTheLimitIsNotADbFile) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Close();
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(std::string(kDbName) + "/18446744073709551615.log", &file).ok());
  ASSERT_TRUE(file->Close().ok());
  Open();
  ASSERT_TRUE(Put("b", "2").ok());
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
}

// A log numbered kMaxFileNumber (a name Open takes for a DB file) leaves no number for the new
// log and MANIFEST: Open fails cleanly, writing no MANIFEST past the limit (it used to, and then
// CURRENT named a MANIFEST no Open reads). Without that file the DB opens as before.
TEST_F(DBOpenTest, AFileAtTheNumberLimitFailsOpenCleanly) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  Close();
  // At the limit, and short of it by fewer numbers than Recover keeps free: the Open that meets
  // it fails, rather than recording a counter the next Open refuses.
  for (const char* name : {"/4611686018427387903.log", "/4611686018427000000.log"}) {
    SCOPED_TRACE(name);
    const std::string huge = std::string(kDbName) + name;
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(huge, &file).ok());
    ASSERT_TRUE(file->Close().ok());
    Status s = TryOpen();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    ASSERT_TRUE(env_.RemoveFile(huge).ok());
    Open();
    EXPECT_EQ(Get("a"), "1");
    Close();
  }
}

// An IDENTITY that cannot be read is not a missing one: Open leaves it alone (it used to write a
// new identity over it, in place).
TEST(DBIdentity, AnUnreadableIdentityIsNotReplaced) {
  FaultInjectionEnv env;
  const Options options = CreatingOptions(&env);
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  }
  const std::string before = ReadAll(&env, "/db/IDENTITY");
  ASSERT_EQ(before.size(), 33u);
  env.MakeInaccessible("/IDENTITY");
  std::string identity;
  EXPECT_TRUE(ReadDbIdentity(&env, "/db", &identity).IsIOError());
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  }
  env.ClearErrors();
  EXPECT_EQ(ReadAll(&env, "/db/IDENTITY"), before);
}

// A read-only open of a DB whose CURRENT cannot be looked at is an IOError; it was taken for a
// DB without CURRENT: Corruption, which sends the operator to repair.
TEST(DBReadOnlyOpen, AnInaccessibleCurrentIsAnIOError) {
  FaultInjectionEnv env;
  const std::string dbname = "/ziggy-in-memory-only/db";  // no LOCK on disk: the read lock passes
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(CreatingOptions(&env), dbname, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
  }
  Options options;
  options.env = &env;
  env.MakeInaccessible("/CURRENT");
  std::unique_ptr<DB> db;
  Status s = DB::OpenReadOnly(options, dbname, &db);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env.ClearErrors();
  ASSERT_TRUE(DB::OpenReadOnly(options, dbname, &db).ok());
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "k", &value).ok());
  EXPECT_EQ(value, "v");
}

// A failed Open removes the directory only if it made it: one that existed but could not be
// looked at (stat failing: EACCES, EIO) may be the user's and stays. It was taken for missing,
// "created", and removed with the files the Open made.
TEST(DBOpenRollback, AFailedOpenKeepsADirectoryItCouldNotLookAt) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  env.InjectError(FaultOp::kStat, "/d", FaultInjectionEnv::kPersistent);
  env.InjectError(FaultOp::kCreate, "MANIFEST", FaultInjectionEnv::kPersistent);
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(CreatingOptions(&env), "/d", &db).ok());
  env.ClearErrors();
  EXPECT_TRUE(env.FileExists("/d"));
  std::vector<std::string> names;
  ASSERT_TRUE(env.GetChildren("/d", &names).ok());
  EXPECT_TRUE(names.empty()) << names.front();  // what the Open made is gone
  ASSERT_TRUE(DB::Open(CreatingOptions(&env), "/d", &db).ok());
}

// IDENTITY is replaced through a temporary file: a write that fails leaves the old one whole
// (it used to truncate IDENTITY first, then remove it), and no temporary file.
TEST(DBIdentity, AFailedWriteKeepsThePreviousIdentity) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  const std::string old_identity = NewDbIdentity();
  ASSERT_TRUE(WriteDbIdentity(&env, "/db", old_identity).ok());
  for (const FaultOp op : {FaultOp::kAppend, FaultOp::kSync, FaultOp::kRename}) {
    env.InjectError(op, "");
    EXPECT_FALSE(WriteDbIdentity(&env, "/db", NewDbIdentity()).ok());
    env.ClearErrors();
    std::string identity;
    ASSERT_TRUE(ReadDbIdentity(&env, "/db", &identity).ok());
    EXPECT_EQ(identity, old_identity);
    std::vector<std::string> names;
    ASSERT_TRUE(env.GetChildren("/db", &names).ok());
    EXPECT_EQ(names, std::vector<std::string>{"IDENTITY"});
  }
  // A written one survives a power loss (its rename was synced).
  const std::string new_identity = NewDbIdentity();
  ASSERT_TRUE(WriteDbIdentity(&env, "/db", new_identity).ok());
  env.DropUnsyncedData();
  std::string identity;
  ASSERT_TRUE(ReadDbIdentity(&env, "/db", &identity).ok());
  EXPECT_EQ(identity, new_identity);
}

// Fails the directory sync that follows the switch of CURRENT to a new MANIFEST, once armed.
class FailSyncAfterCurrentSwitch final : public FaultInjectionEnv {
 public:
  bool armed = false;

  Status RenameFile(const std::string& from, const std::string& to) override {
    Status s = FaultInjectionEnv::RenameFile(from, to);
    if (s.ok() && armed && to.ends_with("/CURRENT")) fail_next_sync_dir_ = true;
    return s;
  }
  Status SyncDir(const std::string& dir) override {
    if (fail_next_sync_dir_) {
      fail_next_sync_dir_ = false;
      armed = false;
      return Status::IOError("fsync directory " + dir, "injected");
    }
    return FaultInjectionEnv::SyncDir(dir);
  }

 private:
  bool fail_next_sync_dir_ = false;
};

// Once CURRENT names the new MANIFEST the Open's edit is committed even though Open fails: its
// MANIFEST, tables and WAL must stay, or the DB would name files that are gone.
TEST(DBOpenCommitTest, FailureAfterCurrentSwitchedKeepsTheCommittedFiles) {
  FailSyncAfterCurrentSwitch env;
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db->Put(sync, "k", "v").ok());
  db.reset();
  env.armed = true;
  Status s = DB::Open(options, "/db", &db);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(env.armed);  // the fault did fire
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "k", &value).ok());
  EXPECT_EQ(value, "v");
}

// An Env whose listing and locking of chosen paths fail with permission denied (the suite runs
// as root, where chmod cannot produce EACCES).
class DeniedEnv final : public FaultInjectionEnv {
 public:
  std::string unlistable_dir;
  std::string unopenable_lock;

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    if (dir == unlistable_dir) return Status::IOError("opendir " + dir, "Permission denied");
    return FaultInjectionEnv::GetChildren(dir, names);
  }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    if (path == unopenable_lock)
      return Status::IOError("open lock file " + path, "Permission denied");
    return FaultInjectionEnv::LockFile(path, lock);
  }
};

TEST(DBOpenPathTest, PermissionDeniedIsReportedAsSuch) {
  for (const bool create_if_missing : {false, true}) {
    DeniedEnv env;
    ASSERT_TRUE(env.CreateDir("/db").ok());
    env.unlistable_dir = "/db";
    Options options;
    options.env = &env;
    options.create_if_missing = create_if_missing;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, "/db", &db);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_TRUE(Contains(s, "Permission denied")) << s.ToString();
    EXPECT_FALSE(Contains(s, "does not exist")) << s.ToString();
  }
}

TEST(DBOpenPathTest, UnopenableLockIsNotReportedAsInUse) {
  DeniedEnv env;
  env.unopenable_lock = "/db/LOCK";
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, "/db", &db);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(s.IsBusy());
  EXPECT_TRUE(Contains(s, "Permission denied")) << s.ToString();
  EXPECT_FALSE(env.FileExists("/db"));  // the directory this Open created is gone again
  // A lock someone holds is Busy.
  env.unopenable_lock.clear();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::unique_ptr<DB> second;
  s = DB::Open(options, "/db", &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "held by another process")) << s.ToString();
}

// ENOTDIR for real, through the POSIX Env: a regular file at the DB path, or above it.
TEST(DBOpenPathTest, RegularFileInThePathIsNotADirectory) {
  TempDir dir;
  const std::string file = dir.Join("file");
  {
    std::unique_ptr<WritableFile> out;
    ASSERT_TRUE(Env::Default()->NewWritableFile(file, &out).ok());
    ASSERT_TRUE(out->Close().ok());
  }
  for (const std::string& path : {file, file + "/db"}) {
    for (const bool create_if_missing : {false, true}) {
      Options options;
      options.create_if_missing = create_if_missing;
      std::unique_ptr<DB> db;
      Status s = DB::Open(options, path, &db);
      EXPECT_TRUE(s.IsIOError()) << path << ": " << s.ToString();
      EXPECT_TRUE(Contains(s, "Not a directory")) << path << ": " << s.ToString();
    }
  }
  uint64_t bytes = 1;
  ASSERT_TRUE(Env::Default()->GetFileSize(file, &bytes).ok());
  EXPECT_EQ(bytes, 0u);  // untouched
}

// A DB can be created and used where the WAL's usual reservation (up to 64 MiB) does not fit:
// in a child whose files may not grow past a limit (RLIMIT_FSIZE, so reservations fail with
// EFBIG as on a full disk with ENOSPC), below and above the smallest reservation.
TEST(DBOpenPathTest, OpensAndWritesWhenTheWalReservationDoesNotFit) {
  TempDir dir;
  for (const uint64_t limit_bytes : {uint64_t{128} << 10, uint64_t{4} << 20}) {
    const std::string path = dir.Join("db" + std::to_string(limit_bytes));
    const pid_t pid = fork();
    if (pid == 0) {
      signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{limit_bytes, limit_bytes};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(100);
      Options options;
      options.create_if_missing = true;  // memtable_bytes (and so the request) well over the limit
      std::unique_ptr<DB> db;
      if (!DB::Open(options, path, &db).ok()) _exit(1);
      WriteOptions sync;
      sync.sync = true;
      for (int i = 0; i < 100; ++i) {
        if (!db->Put(sync, Key(i), std::string(100, 'v')).ok()) _exit(2);
      }
      db.reset();
      if (!DB::Open(options, path, &db).ok()) _exit(3);
      std::string value;
      for (int i = 0; i < 100; ++i) {
        if (!db->Get(ReadOptions(), Key(i), &value).ok() || value != std::string(100, 'v'))
          _exit(4);
      }
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << limit_bytes;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "limit " << limit_bytes;
  }
}

// ops14 (issue 14, bounded startup): Open reads no table, however many there are (it stats each
// live table; tables are opened lazily through the table cache at first use).
TEST(DBOpenBoundedTest, OpenReadsNoTable) {
  TempDir dir;
  CountingEnv env(Env::Default());
  Options options;
  options.env = &env;
  options.create_if_missing = true;
  options.memtable_bytes = 64 << 10;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  for (int i = 0; i < 5000; ++i)
    ASSERT_TRUE(db->Put(WriteOptions(), Key(i), std::string(100, 'v')).ok());
  // Settled, and no log left to replay: the reopened DB has nothing to write or compact.
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->WaitForBackgroundWork().ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->GetChildren(dir.path(), &names).ok());
  std::vector<std::string> tables;
  for (const std::string& name : names)
    if (name.ends_with(".sst")) tables.push_back(dir.Join(name));
  EXPECT_GE(tables.size(), 4u);
  env.ResetCounts();
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  for (const std::string& table : tables)
    EXPECT_EQ(env.reads(table), 0u) << table;
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), Key(1), &value).ok());
  EXPECT_GT(env.total_reads(), 0u);  // the counting sees table reads
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace ziggydb::test
