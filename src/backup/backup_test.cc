// BackupEngine over an in-memory fault-injecting Env: round trips against a model, incremental
// byte counts, sharing across delete and purge, corruption, restore targets, leftovers, failures
// and power loss, and point-in-time restore.
#include "ziggydb/backup.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "db/db_impl.h"
#include "env/env_wrapper.h"
#include "env/fault_env.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "util/random.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

using Model = std::map<std::string, std::string>;

constexpr const char* kDbDir = "/db";
constexpr const char* kBackupDir = "/backup";
constexpr const char* kArchiveDir = "/archive";

// Counts the bytes appended to files under /backup (what a backup writes).
class BackupWriteCountingEnv final : public FaultInjectionEnv {
 public:
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    std::unique_ptr<WritableFile> file;
    Status s = FaultInjectionEnv::NewWritableFile(path, &file);
    if (!s.ok()) return s;
    if (path.starts_with(kBackupDir)) {
      *result = std::make_unique<Counting>(std::move(file), &backup_bytes_written);
    } else {
      *result = std::move(file);
    }
    return s;
  }
  std::atomic<uint64_t> backup_bytes_written{0};

  // Files the test has aged report that time; every other file was modified just now.
  Status GetFileModificationTime(const std::string& path, uint64_t* unix_seconds) override {
    MutexLock lock(&mu_);
    const auto it = modified_seconds_.find(path);
    *unix_seconds = it != modified_seconds_.end() ? it->second : WallMicros() / 1000000;
    return FileExists(path) ? Status::OK() : Status::NotFound("no such file", path);
  }
  void SetModificationTime(const std::string& path, uint64_t unix_seconds) {
    MutexLock lock(&mu_);
    modified_seconds_[path] = unix_seconds;
  }

  Status SyncDir(const std::string& dir) override {
    {
      MutexLock lock(&mu_);
      synced_dirs_.insert(dir);
    }
    return FaultInjectionEnv::SyncDir(dir);
  }
  bool WasSynced(const std::string& dir) {
    MutexLock lock(&mu_);
    return synced_dirs_.contains(dir);
  }

 private:
  Mutex mu_;
  std::map<std::string, uint64_t> modified_seconds_ GUARDED_BY(mu_);
  std::set<std::string> synced_dirs_ GUARDED_BY(mu_);

  class Counting final : public WritableFile {
   public:
    Counting(std::unique_ptr<WritableFile> target, std::atomic<uint64_t>* counter)
        : target_(std::move(target)), counter_(counter) {}
    Status Append(std::string_view data) override {
      *counter_ += data.size();
      return target_->Append(data);
    }
    Status Flush() override { return target_->Flush(); }
    Status Sync() override { return target_->Sync(); }
    Status Close() override { return target_->Close(); }

   private:
    std::unique_ptr<WritableFile> target_;
    std::atomic<uint64_t>* counter_;
  };
};

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06llu", static_cast<unsigned long long>(i));
  return buf;
}

class BackupTest : public ::testing::Test {
 protected:
  BackupTest() {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;
    backup_options_.env = &env_;
  }
  ~BackupTest() override {
    engine_.reset();
    if (db_ != nullptr) db_->Close().PermitUncheckedError();
  }

  void OpenDb() { ASSERT_TRUE(DB::Open(options_, kDbDir, &db_).ok()); }
  void OpenEngine() {
    engine_.reset();
    Status s = BackupEngine::Open(kBackupDir, backup_options_, &engine_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Random puts and deletes over a key space of `keys`, mirrored in model_.
  void RandomWrites(Random* rnd, int ops, uint64_t keys) {
    for (int i = 0; i < ops; ++i) {
      const std::string key = Key(rnd->Uniform(keys));
      if (rnd->OneIn(4)) {
        ASSERT_TRUE(db_->Delete(WriteOptions(), key).ok());
        model_.erase(key);
      } else {
        const std::string value =
            "v" + std::to_string(rnd->Next32()) + std::string(rnd->Uniform(200), 'x');
        ASSERT_TRUE(db_->Put(WriteOptions(), key, value).ok());
        model_[key] = value;
      }
    }
  }
  // Backs up the open DB (with a flush): the backup's id, 0 if it failed.
  uint32_t BackUp() {
    uint32_t id = 0;
    Status s = engine_->CreateNewBackup(db_.get(), true, &id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() ? id : 0;
  }
  // Opens the DB and the engine, puts "a" -> "backed-up" and backs it up (BackUp).
  uint32_t BackUpOneKey() {
    OpenDb();
    OpenEngine();
    EXPECT_TRUE(db_->Put(WriteOptions(), "a", "backed-up").ok());
    return BackUp();
  }
  // Opens the DB and the engine, makes `ops` random writes (RandomWrites) and backs them up
  // (BackUp).
  uint32_t BackUpRandomWrites(Random* rnd, int ops, uint64_t keys) {
    OpenDb();
    OpenEngine();
    RandomWrites(rnd, ops, keys);
    return BackUp();
  }
  uint64_t LastSequence() { return static_cast<DBImpl*>(db_.get())->GetStats().last_sequence; }
  // The timeline a rollback in place replaces: `ops` random writes (several logs), flushed, then
  // the DB closed. Its last sequence and contents.
  struct Timeline {
    uint64_t last = 0;
    Model model;
  };
  Timeline WriteTimelineAndClose(Random* rnd, int ops) {
    RandomWrites(rnd, ops, 100);
    Timeline timeline{LastSequence(), model_};
    EXPECT_TRUE(db_->Flush().ok());
    EXPECT_TRUE(db_->Close().ok());
    db_.reset();
    return timeline;
  }

  Model ReadDb(const std::string& dir) {
    Options options;
    options.env = &env_;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, dir, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Model all;
    if (!s.ok()) return all;
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next())
      all[std::string(it->key())] = std::string(it->value());
    EXPECT_TRUE(it->status().ok());
    it.reset();
    EXPECT_TRUE(db->Close().ok());
    return all;
  }
  Model Restore(uint32_t id, const std::string& dir, const RestoreOptions& options = {}) {
    Status s = engine_->RestoreDBFromBackup(id, dir, options);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ReadDb(dir);
  }
  std::set<std::string> Children(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(dir, &names).ok()) << dir;
    return {names.begin(), names.end()};
  }
  uint64_t SharedBytes() {
    uint64_t total = 0;
    for (const std::string& name : Children(std::string(kBackupDir) + "/shared")) {
      uint64_t size = 0;
      EXPECT_TRUE(env_.GetFileSize(std::string(kBackupDir) + "/shared/" + name, &size).ok());
      total += size;
    }
    return total;
  }

  BackupWriteCountingEnv env_;
  Options options_;
  BackupEngineOptions backup_options_;
  std::unique_ptr<DB> db_;
  std::unique_ptr<BackupEngine> engine_;
  Model model_;
};

TEST_F(BackupTest, RoundTripsAgainstAModel) {
  Random rnd(TestSeed());
  OpenDb();
  OpenEngine();
  std::vector<Model> models;
  for (int round = 0; round < 3; ++round) {
    RandomWrites(&rnd, 1500, 600);
    uint32_t id = 0;
    ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), /*flush_first=*/true, &id).ok());
    EXPECT_EQ(id, static_cast<uint32_t>(round + 1));  // ids count up from 1
    models.push_back(model_);
  }
  RandomWrites(&rnd, 300, 600);  // later writes reach no backup
  const std::vector<BackupInfo> infos = engine_->GetBackupInfo();
  ASSERT_EQ(infos.size(), 3u);
  for (size_t i = 0; i < infos.size(); ++i) {
    EXPECT_EQ(infos[i].id, i + 1);
    EXPECT_GT(infos[i].size_bytes, 0u);
    EXPECT_GE(infos[i].file_count, 2u);  // a table at least, and the MANIFEST
    EXPECT_GT(infos[i].timestamp_seconds, 0);
    if (i > 0) {
      EXPECT_GT(infos[i].sequence, infos[i - 1].sequence);
    }
    ASSERT_TRUE(engine_->VerifyBackup(infos[i].id).ok());
  }
  // A reopened engine lists the same backups and restores each to its model.
  OpenEngine();
  ASSERT_EQ(engine_->GetBackupInfo().size(), 3u);
  for (uint32_t id = 1; id <= 3; ++id)
    EXPECT_EQ(Restore(id, "/restored" + std::to_string(id)), models[id - 1]) << id;
  // The restored DB lives on its own.
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  ASSERT_TRUE(DestroyDB(kDbDir, options_).ok());
  EXPECT_EQ(ReadDb("/restored3"), models[2]);
}

TEST_F(BackupTest, WithoutFlushHoldsWhatTheTablesHold) {
  OpenDb();
  OpenEngine();
  ASSERT_TRUE(db_->Put(WriteOptions(), "flushed", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "in-memtable", "2").ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), /*flush_first=*/false, &id).ok());
  EXPECT_EQ(Restore(id, "/r"), (Model{{"flushed", "1"}}));
}

TEST_F(BackupTest, SecondBackupCopiesOnlyNewTables) {
  Random rnd(TestSeed());
  OpenDb();
  OpenEngine();
  RandomWrites(&rnd, 3000, 2000);
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  uint32_t first = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &first).ok());
  const uint64_t shared_after_first = SharedBytes();
  EXPECT_GT(shared_after_first, 100u << 10);

  // A small change: one new L0 table.
  RandomWrites(&rnd, 20, 2000);
  env_.backup_bytes_written = 0;
  uint32_t second = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &second).ok());
  const uint64_t new_table_bytes = SharedBytes() - shared_after_first;
  EXPECT_GT(new_table_bytes, 0u);
  EXPECT_LT(new_table_bytes, 16u << 10);
  // Written: the new table, the backup's MANIFEST and its metadata file; nothing else.
  uint64_t manifest_bytes = 0;
  for (const std::string& name : Children(std::string(kBackupDir) + "/private/2")) {
    uint64_t size = 0;
    ASSERT_TRUE(env_.GetFileSize(std::string(kBackupDir) + "/private/2/" + name, &size).ok());
    manifest_bytes += size;
  }
  uint64_t meta_bytes = 0;
  ASSERT_TRUE(env_.GetFileSize(std::string(kBackupDir) + "/meta/2", &meta_bytes).ok());
  EXPECT_EQ(env_.backup_bytes_written.load(), new_table_bytes + manifest_bytes + meta_bytes);
  EXPECT_EQ(Restore(second, "/r"), model_);
}

// Ids are uint32: once the largest one is held (here by unreadable metadata) a new backup is
// refused, not given id 0 (a file meta/0 would never be listed and its files would be collected).
TEST_F(BackupTest, ABackupPastTheLargestIdIsRefused) {
  OpenDb();
  OpenEngine();
  engine_.reset();
  ASSERT_TRUE(env_.CreateDir(std::string(kBackupDir) + "/meta").ok());
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(std::string(kBackupDir) + "/meta/4294967295", &file).ok());
  ASSERT_TRUE(file->Append("not a backup").ok());
  ASSERT_TRUE(file->Close().ok());
  OpenEngine();
  EXPECT_EQ(engine_->GetCorruptedBackups(), std::vector<uint32_t>{4294967295u});
  uint32_t id = 7;
  const Status s = engine_->CreateNewBackup(db_.get(), true, &id);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Children(std::string(kBackupDir) + "/meta"), (std::set<std::string>{"4294967295"}));
}

TEST_F(BackupTest, DeleteAndPurgeKeepFilesOtherBackupsNeed) {
  Random rnd(TestSeed());
  OpenDb();
  OpenEngine();
  std::vector<Model> models;
  for (int i = 0; i < 4; ++i) {
    RandomWrites(&rnd, 800, 400);
    uint32_t id = 0;
    ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
    models.push_back(model_);
  }
  ASSERT_TRUE(engine_->DeleteBackup(2).ok());
  EXPECT_TRUE(engine_->DeleteBackup(2).IsNotFound());
  ASSERT_TRUE(engine_->PurgeOldBackups(2).ok());  // drops 1, keeps 3 and 4
  std::vector<uint32_t> ids;
  for (const BackupInfo& info : engine_->GetBackupInfo())
    ids.push_back(info.id);
  EXPECT_EQ(ids, (std::vector<uint32_t>{3, 4}));
  // Exactly the files backups 3 and 4 list remain.
  EXPECT_EQ(Children(std::string(kBackupDir) + "/private"), (std::set<std::string>{"3", "4"}));
  for (uint32_t id : {3u, 4u}) {
    ASSERT_TRUE(engine_->VerifyBackup(id).ok()) << id;
    EXPECT_EQ(Restore(id, "/r" + std::to_string(id)), models[id - 1]);
  }
  ASSERT_TRUE(engine_->PurgeOldBackups(0).ok());
  EXPECT_TRUE(engine_->GetBackupInfo().empty());
  EXPECT_TRUE(Children(std::string(kBackupDir) + "/shared").empty());
  // Ids keep counting up from the largest listed one.
  uint32_t id = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  EXPECT_EQ(id, 1u);
}

// A DB restored from a backup numbers its new tables on from the backup's MANIFEST, as the source
// DB did after that backup: backed up into the same directory, a table of one can have the name
// and size of a table of the other. Tables are shared only between backups of one DB identity,
// so each backup restores its own data.
TEST_F(BackupTest, ARestoredDbsTablesAreNotTakenForItsSourcesTables) {
  options_.l0_compaction_trigger = 10;  // the tables of every round stay as they are
  OpenDb();
  OpenEngine();
  // Rounds over the same keys with values of one size: tables of equal sizes, a flush each.
  const auto write_rounds = [](DB* db, char fill, Model* model) {
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 50; ++i) {
        const std::string key = Key(i);
        const std::string value(100, static_cast<char>(fill + round));
        ASSERT_TRUE(db->Put(WriteOptions(), key, value).ok());
        (*model)[key] = value;
      }
      ASSERT_TRUE(db->Flush().ok());
    }
  };
  for (int i = 0; i < 200; ++i)  // sequences of one varint size from here on
    ASSERT_TRUE(db_->Put(WriteOptions(), "base", std::to_string(i)).ok());
  model_["base"] = "199";
  uint32_t base = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &base).ok());
  Model restored_model = model_;
  write_rounds(db_.get(), 'a', &model_);
  uint32_t source = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &source).ok());

  ASSERT_EQ(Restore(base, "/restored"), restored_model);
  std::unique_ptr<DB> restored;
  ASSERT_TRUE(DB::Open(options_, "/restored", &restored).ok());
  write_rounds(restored.get(), 'b', &restored_model);
  uint32_t copy = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(restored.get(), true, &copy).ok());
  ASSERT_TRUE(restored->Close().ok());
  EXPECT_EQ(Restore(copy, "/r-copy"), restored_model);
  EXPECT_EQ(Restore(source, "/r-source"), model_);
}

TEST_F(BackupTest, CorruptFileFailsVerifyAndRestoreNamingIt) {
  Random rnd(TestSeed());
  uint32_t id = BackUpRandomWrites(&rnd, 2000, 1000);
  ASSERT_NE(id, 0u);
  const std::string shared = std::string(kBackupDir) + "/shared/";
  const std::string victim = shared + *Children(shared).begin();
  ASSERT_TRUE(env_.FlipByte(victim, 100).ok());
  Status s = engine_->VerifyBackup(id);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(victim), std::string::npos) << s.ToString();
  s = engine_->RestoreDBFromBackup(id, "/r");
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(victim), std::string::npos) << s.ToString();
  EXPECT_FALSE(env_.FileExists("/r"));
  EXPECT_FALSE(env_.FileExists("/r.restore-tmp"));
  // A missing file, and a truncated metadata file, are corruption too.
  ASSERT_TRUE(env_.RemoveFile(victim).ok());
  s = engine_->VerifyBackup(id);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(victim), std::string::npos) << s.ToString();
  engine_.reset();
  const std::string meta = std::string(kBackupDir) + "/meta/1";
  uint64_t meta_bytes = 0;
  ASSERT_TRUE(env_.GetFileSize(meta, &meta_bytes).ok());
  ASSERT_TRUE(env_.Truncate(meta, meta_bytes / 2).ok());
  OpenEngine();
  EXPECT_TRUE(engine_->GetBackupInfo().empty());
  EXPECT_EQ(engine_->GetCorruptedBackups(), std::vector<uint32_t>{1});
  s = engine_->VerifyBackup(1);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  // An unreadable backup's id is not reused.
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  EXPECT_EQ(id, 2u);
  // Deleting it removes its metadata and private files, and shared files are collected again.
  ASSERT_TRUE(env_.CreateDir(std::string(kBackupDir) + "/shared").ok());
  const std::string orphan = shared + "000999_1_00000000000000000000000000000000.sst";
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(orphan, &file).ok());
  ASSERT_TRUE(file->Close().ok());
  ASSERT_TRUE(engine_->DeleteBackup(1).ok());
  EXPECT_TRUE(engine_->GetCorruptedBackups().empty());
  EXPECT_FALSE(env_.FileExists(meta));
  EXPECT_FALSE(env_.FileExists(std::string(kBackupDir) + "/private/1"));
  EXPECT_FALSE(env_.FileExists(orphan));
  EXPECT_TRUE(engine_->VerifyBackup(2).ok());
  EXPECT_TRUE(engine_->DeleteBackup(1).IsNotFound());
}

// A backup file that is listed but cannot be looked at (EACCES, EIO) fails verify and restore
// with an IOError naming it: nothing says the backup is damaged (it was "missing": Corruption).
TEST_F(BackupTest, AnInaccessibleBackupFileIsAnIOErrorNotCorruption) {
  Random rnd(TestSeed());
  const uint32_t id = BackUpRandomWrites(&rnd, 500, 200);
  ASSERT_NE(id, 0u);
  const std::string shared = std::string(kBackupDir) + "/shared/";
  const std::string victim = *Children(shared).begin();
  env_.MakeInaccessible("/" + victim);
  Status s = engine_->VerifyBackup(id);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(victim), std::string::npos) << s.ToString();
  s = engine_->RestoreDBFromBackup(id, "/r");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env_.ClearErrors();
  EXPECT_FALSE(env_.FileExists("/r"));
  EXPECT_TRUE(engine_->VerifyBackup(id).ok());
  ASSERT_TRUE(engine_->RestoreDBFromBackup(id, "/r").ok());
}

// A restore that fails removes the target directory only if it made it: one that existed but
// could not be looked at (stat failing: EACCES, EIO) may be the user's (a mount point, say) and
// stays. It was taken for missing, "created", and removed.
TEST_F(BackupTest, AFailedRestoreKeepsATargetItCouldNotLookAt) {
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(env_.CreateDir("/r").ok());
  ASSERT_TRUE(env_.SyncDir("/").ok());
  env_.InjectError(FaultOp::kStat, "/r", FaultInjectionEnv::kPersistent);
  env_.InjectError(FaultOp::kCreate, "/r/", FaultInjectionEnv::kPersistent);
  EXPECT_FALSE(engine_->RestoreDBFromBackup(id, "/r").ok());
  env_.ClearErrors();
  EXPECT_TRUE(env_.FileExists("/r"));
  ASSERT_TRUE(engine_->RestoreDBFromBackup(id, "/r").ok());
}

TEST_F(BackupTest, RestoreRefusesADbOrAnOpenOneUnlessOverwriting) {
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "later").ok());
  // The live DB is open: refused even with overwrite.
  RestoreOptions overwrite;
  overwrite.overwrite = true;
  Status s = engine_->RestoreDBFromBackup(id, kDbDir, overwrite);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  s = engine_->RestoreDBFromBackup(id, kDbDir);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(ReadDb(kDbDir), (Model{{"a", "later"}}));
  EXPECT_EQ(Restore(id, kDbDir, overwrite), (Model{{"a", "backed-up"}}));
  // A directory holding something else is refused; an empty one is used.
  ASSERT_TRUE(env_.CreateDir("/other").ok());
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile("/other/notes.txt", &file).ok());
  ASSERT_TRUE(file->Close().ok());
  s = engine_->RestoreDBFromBackup(id, "/other", overwrite);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  ASSERT_TRUE(env_.CreateDir("/empty").ok());
  ASSERT_TRUE(engine_->RestoreDBFromBackup(id, "/empty/").ok());  // a trailing slash is fine
  EXPECT_EQ(ReadDb("/empty"), (Model{{"a", "backed-up"}}));
  EXPECT_TRUE(engine_->RestoreDBFromBackup(7, "/x").IsNotFound());
}

// The target's LOCK is held from the check to the end: a DB cannot open there while the restore
// copies (it would run on files the swap then removes).
TEST_F(BackupTest, ARestoreHoldsItsTargetsLockUntilTheDbIsWhole) {
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  std::vector<Status> opens;
  std::string target;
  backup_options_.progress = [&](uint64_t, uint64_t) {
    std::unique_ptr<DB> other;
    opens.push_back(DB::Open(options_, target, &other));
    if (other != nullptr) other->Close().PermitUncheckedError();
  };
  OpenEngine();
  RestoreOptions overwrite;
  overwrite.overwrite = true;
  for (const char* dir : {kDbDir, "/fresh"}) {
    target = dir;
    opens.clear();
    EXPECT_EQ(Restore(id, dir, overwrite), (Model{{"a", "backed-up"}})) << dir;
    ASSERT_FALSE(opens.empty());
    // Busy on the lock; in a new target, Open may refuse the staging directory first.
    for (const Status& s : opens) {
      EXPECT_TRUE(s.IsBusy() || (dir != kDbDir && s.IsInvalidArgument()))
          << dir << ": " << s.ToString();
    }
  }
}

// Another opener makes the target directory and opens a DB in it between the restore's check
// that it is missing and its CreateDir: the restore is Busy, and that DB keeps every file.
class DbOpeningEnv final : public EnvWrapper {
 public:
  DbOpeningEnv(Env* target, Options options) : EnvWrapper(target), options_(std::move(options)) {}
  Status CreateDir(const std::string& dir) override {
    if (dir == "/raced" && db == nullptr) {
      Status s = DB::Open(options_, dir, &db);
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_TRUE(db->Put(WriteOptions(), "theirs", "kept").ok());
    }
    return target()->CreateDir(dir);
  }
  std::unique_ptr<DB> db;

 private:
  const Options options_;
};

TEST_F(BackupTest, ARestoreThatLosesARaceForANewTargetRemovesNothing) {
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  engine_.reset();
  DbOpeningEnv racing(&env_, options_);
  backup_options_.env = &racing;
  OpenEngine();
  RestoreOptions overwrite;
  overwrite.overwrite = true;
  Status s = engine_->RestoreDBFromBackup(id, "/raced", overwrite);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  ASSERT_NE(racing.db, nullptr);
  ASSERT_TRUE(racing.db->Close().ok());
  racing.db.reset();
  engine_.reset();
  EXPECT_EQ(ReadDb("/raced"), (Model{{"theirs", "kept"}}));
}

// A marker left by a finished restore (its unlink not yet durable at a crash) beside CURRENT: the
// DB is whole and may have been used since; the next restore treats it as any DB.
TEST_F(BackupTest, AStaleRestoreMarkerBesideCurrentIsAnyDb) {
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  EXPECT_EQ(Restore(id, "/restored"), (Model{{"a", "backed-up"}}));
  std::unique_ptr<WritableFile> marker;
  ASSERT_TRUE(env_.NewWritableFile("/restored/RESTORE-IN-PROGRESS", &marker).ok());
  ASSERT_TRUE(marker->Close().ok());
  {
    std::unique_ptr<DB> used;
    ASSERT_TRUE(DB::Open(options_, "/restored", &used).ok());
    ASSERT_TRUE(used->Put(WriteOptions(), "b", "since").ok());
    RestoreOptions overwrite;
    overwrite.overwrite = true;
    Status s = engine_->RestoreDBFromBackup(id, "/restored", overwrite);
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    ASSERT_TRUE(used->Close().ok());
  }
  Status s = engine_->RestoreDBFromBackup(id, "/restored");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(ReadDb("/restored"), (Model{{"a", "backed-up"}, {"b", "since"}}));
}

// A restore into a directory that exists keeps it (its inode and mode: a mount point, a private
// directory), whether it succeeds or fails; a directory it created goes when it fails.
TEST(BackupPosixTest, ARestoreKeepsAnExistingTargetDirectory) {
  TempDir tmp;
  Options options;
  options.create_if_missing = true;
  const std::string db_dir = tmp.path() + "/db";
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, db_dir, &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "a", "1").ok());
  BackupEngineOptions backup_options;
  bool stop = false;
  backup_options.stop_requested = [&stop] { return stop; };
  std::unique_ptr<BackupEngine> engine;
  ASSERT_TRUE(BackupEngine::Open(tmp.path() + "/backup", backup_options, &engine).ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine->CreateNewBackup(db.get(), true, &id).ok());
  ASSERT_TRUE(db->Close().ok());

  const std::string target = tmp.path() + "/target";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  struct stat before {};
  ASSERT_EQ(stat(target.c_str(), &before), 0);
  stop = true;
  EXPECT_TRUE(engine->RestoreDBFromBackup(id, target).IsBusy());
  struct stat after {};
  ASSERT_EQ(stat(target.c_str(), &after), 0) << "a failed restore removed the directory";
  EXPECT_EQ(after.st_ino, before.st_ino);
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->GetChildren(target, &names).ok());
  EXPECT_TRUE(names.empty()) << names.front();

  stop = false;
  ASSERT_TRUE(engine->RestoreDBFromBackup(id, target).ok());
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode & 0777, 0700u);
  ASSERT_TRUE(DB::Open(Options(), target, &db).ok());
  std::string value;
  EXPECT_TRUE(db->Get(ReadOptions(), "a", &value).ok());
  EXPECT_EQ(value, "1");
  ASSERT_TRUE(db->Close().ok());

  stop = true;
  EXPECT_TRUE(engine->RestoreDBFromBackup(id, tmp.path() + "/new").IsBusy());
  EXPECT_FALSE(Env::Default()->FileExists(tmp.path() + "/new"));
}

// A read-only engine (BackupEngineOptions::read_only, what `ziggy backup list|verify` and
// `restore` use) writes nothing in the backup directory: it refuses a directory that is not
// there rather than make it, leaves leftovers for a writing Open, refuses the calls that write,
// and shares the directory with other readers through a shared LOCK that keeps writers out (and
// the other way round).
TEST(BackupPosixTest, AReadOnlyEngineWritesNothingAndSharesTheDirectory) {
  TempDir tmp;
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, tmp.path() + "/db", &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "a", "1").ok());
  const std::string dir = tmp.path() + "/backup";
  BackupEngineOptions read_only;
  read_only.read_only = true;
  std::unique_ptr<BackupEngine> reader;
  EXPECT_TRUE(BackupEngine::Open(dir, read_only, &reader).IsNotFound());
  EXPECT_FALSE(Env::Default()->FileExists(dir)) << "a read-only Open made the directory";

  std::unique_ptr<BackupEngine> writer;
  ASSERT_TRUE(BackupEngine::Open(dir, BackupEngineOptions(), &writer).ok());
  uint32_t id = 0;
  ASSERT_TRUE(writer->CreateNewBackup(db.get(), true, &id).ok());
  EXPECT_TRUE(BackupEngine::Open(dir, read_only, &reader).IsBusy());
  writer.reset();
  const std::string leftover = dir + "/shared/000099.tmp";
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(leftover, &file).ok());
    ASSERT_TRUE(file->Close().ok());
  }

  ASSERT_TRUE(BackupEngine::Open(dir, read_only, &reader).ok());
  std::unique_ptr<BackupEngine> second_reader;
  ASSERT_TRUE(BackupEngine::Open(dir, read_only, &second_reader).ok());
  EXPECT_TRUE(BackupEngine::Open(dir, BackupEngineOptions(), &writer).IsBusy());
  ASSERT_EQ(reader->GetBackupInfo().size(), 1u);
  EXPECT_TRUE(reader->VerifyBackup(id).ok());
  ASSERT_TRUE(reader->RestoreDBFromBackup(id, tmp.path() + "/restored").ok());
  uint32_t other = 0;
  EXPECT_TRUE(reader->CreateNewBackup(db.get(), true, &other).IsNotSupported());
  EXPECT_TRUE(reader->DeleteBackup(id).IsNotSupported());
  EXPECT_TRUE(reader->PurgeOldBackups(0).IsNotSupported());
  EXPECT_TRUE(Env::Default()->FileExists(leftover)) << "a read-only Open removed a leftover";
  reader.reset();
  second_reader.reset();
  ASSERT_TRUE(db->Close().ok());

  ASSERT_TRUE(DB::Open(Options(), tmp.path() + "/restored", &db).ok());
  std::string value;
  EXPECT_TRUE(db->Get(ReadOptions(), "a", &value).ok());
  EXPECT_EQ(value, "1");
  ASSERT_TRUE(db->Close().ok());
  ASSERT_TRUE(BackupEngine::Open(dir, BackupEngineOptions(), &writer).ok());
  EXPECT_FALSE(Env::Default()->FileExists(leftover)) << "the writing Open keeps collecting";
}

// A restore over a DB that fails before its swap (a corrupt backup file; a point-in-time target
// the archive does not reach, because the later writes are still in the live log this DB holds)
// leaves that DB as it was; a build a crash interrupted is removed by the next restore.
TEST_F(BackupTest, AFailedRestoreOverADbLeavesItWhole) {
  options_.wal_archive_dir = kArchiveDir;
  const uint32_t id = BackUpOneKey();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "later").ok());  // in the live log only
  const uint64_t last = LastSequence();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  const std::set<std::string> db_files = Children(kDbDir);
  RestoreOptions in_place;
  in_place.overwrite = true;
  in_place.to_sequence = last;
  Status s = engine_->RestoreDBFromBackup(id, kDbDir, in_place);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();  // the live log is not archived
  EXPECT_EQ(Children(kDbDir), db_files);
  EXPECT_EQ(ReadDb(kDbDir), (Model{{"a", "later"}}));

  const std::string shared = std::string(kBackupDir) + "/shared/";
  const std::string victim = shared + *Children(shared).begin();
  ASSERT_TRUE(env_.FlipByte(victim, 100).ok());
  RestoreOptions overwrite;
  overwrite.overwrite = true;
  s = engine_->RestoreDBFromBackup(id, kDbDir, overwrite);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(ReadDb(kDbDir), (Model{{"a", "later"}}));
  ASSERT_TRUE(env_.FlipByte(victim, 100).ok());  // repaired

  // A crash during a build leaves its staging directory beside the DB: the DB still opens, and
  // the next restore removes the leftover.
  const std::string staging = std::string(kDbDir) + "/RESTORE-STAGING";
  ASSERT_TRUE(env_.CreateDir(staging).ok());
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(staging + "/000005.sst", &file).ok());
  ASSERT_TRUE(file->Append("partial").ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadDb(kDbDir), (Model{{"a", "later"}}));
  EXPECT_EQ(Restore(id, kDbDir, overwrite), (Model{{"a", "backed-up"}}));
  EXPECT_EQ(Children(kDbDir).count("RESTORE-STAGING"), 0u);
  EXPECT_EQ(Children(kDbDir).count("RESTORE-IN-PROGRESS"), 0u);
}

TEST_F(BackupTest, OpenRemovesLeftoversAndASecondOpenerIsBusy) {
  OpenDb();
  OpenEngine();
  uint32_t id = 0;
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  std::unique_ptr<BackupEngine> second;
  EXPECT_TRUE(BackupEngine::Open(kBackupDir, backup_options_, &second).IsBusy());
  // A new backup directory's own name is made durable: its parent is synced.
  ASSERT_TRUE(env_.CreateDir("/parent").ok());
  ASSERT_TRUE(BackupEngine::Open("/parent/backup", backup_options_, &second).ok());
  EXPECT_TRUE(env_.WasSynced("/parent"));
  second.reset();
  engine_.reset();
  // What interrupted operations leave.
  const std::string dir = kBackupDir;
  for (const std::string& path : {dir + "/meta/2.tmp", dir + "/shared/000099.tmp",
                                  dir + "/shared/000098_10_00000000000000000000000000000000.sst"}) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append("partial").ok());
    ASSERT_TRUE(file->Close().ok());
  }
  ASSERT_TRUE(env_.CreateDir(dir + "/private/2").ok());
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(dir + "/private/2/MANIFEST-000009", &file).ok());
  ASSERT_TRUE(file->Close().ok());
  OpenEngine();
  EXPECT_EQ(Children(dir + "/meta"), (std::set<std::string>{"1"}));
  EXPECT_EQ(Children(dir + "/private"), (std::set<std::string>{"1"}));
  EXPECT_EQ(Children(dir + "/shared").size(), 1u);
  ASSERT_TRUE(engine_->VerifyBackup(id).ok());
}

// While a metadata file is unreadable no unlisted shared file is collected (it may list it): a
// failed backup removes the shared files it stored by name.
TEST_F(BackupTest, AFailedBackupBesideUnreadableMetadataRemovesWhatItStored) {
  Random rnd(TestSeed());
  uint32_t id = BackUpRandomWrites(&rnd, 1500, 500);
  ASSERT_NE(id, 0u);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(std::string(kBackupDir) + "/meta/7", &file).ok());
  ASSERT_TRUE(file->Append("not metadata").ok());
  ASSERT_TRUE(file->Close().ok());
  OpenEngine();
  ASSERT_EQ(engine_->GetCorruptedBackups(), std::vector<uint32_t>{7});
  const std::set<std::string> shared_before = Children(std::string(kBackupDir) + "/shared");
  RandomWrites(&rnd, 1500, 500);
  env_.InjectError(FaultOp::kSync, std::string(kBackupDir) + "/private/");
  EXPECT_FALSE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  env_.ClearErrors();
  EXPECT_EQ(Children(std::string(kBackupDir) + "/shared"), shared_before);
  EXPECT_TRUE(engine_->VerifyBackup(1).ok());
}

// Open refuses a directory of someone else's files (its clean-up of leftovers would delete them),
// and a failed Open of a new directory leaves nothing.
TEST_F(BackupTest, OpenRefusesAForeignDirectoryAndAFailedOpenLeavesNothing) {
  for (const char* path : {"/mine/notes.txt", "/mine/shared/notes.txt"}) {
    ASSERT_TRUE(env_.CreateDir("/mine").ok());
    ASSERT_TRUE(env_.CreateDir("/mine/shared").ok());
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  std::unique_ptr<BackupEngine> engine;
  Status s = BackupEngine::Open("/mine", backup_options_, &engine);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Children("/mine"), (std::set<std::string>{"notes.txt", "shared"}));
  EXPECT_EQ(Children("/mine/shared"), (std::set<std::string>{"notes.txt"}));
  ASSERT_TRUE(env_.CreateDir("/empty").ok());
  ASSERT_TRUE(BackupEngine::Open("/empty", backup_options_, &engine).ok());
  engine.reset();
  ASSERT_TRUE(BackupEngine::Open("/empty", backup_options_, &engine).ok());  // a backup dir now
  engine.reset();

  for (FaultOp op : {FaultOp::kCreate, FaultOp::kSyncDir}) {
    env_.InjectError(op, "/new", FaultInjectionEnv::kPersistent);
    EXPECT_FALSE(BackupEngine::Open("/new", backup_options_, &engine).ok()) << FaultOpName(op);
    env_.ClearErrors();
    EXPECT_FALSE(env_.FileExists("/new")) << FaultOpName(op);
  }
}

TEST_F(BackupTest, AFailedBackupLeavesNothingAndPowerLossKeepsEarlierBackups) {
  Random rnd(TestSeed());
  uint32_t id = BackUpRandomWrites(&rnd, 1500, 500);
  ASSERT_NE(id, 0u);
  const Model first = model_;
  const std::set<std::string> shared_before = Children(std::string(kBackupDir) + "/shared");
  RandomWrites(&rnd, 1500, 500);
  // Each step of a backup failing in turn: nothing is listed or left behind.
  for (const char* where : {"/shared/", "/private/", "/meta/"}) {
    env_.InjectError(FaultOp::kSync, std::string(kBackupDir) + where);
    Status s = engine_->CreateNewBackup(db_.get(), true, &id);
    EXPECT_FALSE(s.ok()) << where;
    env_.ClearErrors();
    EXPECT_EQ(engine_->GetBackupInfo().size(), 1u) << where;
    EXPECT_EQ(Children(std::string(kBackupDir) + "/shared"), shared_before) << where;
    EXPECT_EQ(Children(std::string(kBackupDir) + "/private"), (std::set<std::string>{"1"}));
  }
  // The directory sync after meta/<id> is renamed into place fails: the metadata is withdrawn
  // with the files; if it cannot be removed, the backup's files stay so that what the next Open
  // lists is whole.
  const std::string meta_dir = std::string(kBackupDir) + "/meta";
  env_.InjectError(FaultOp::kSyncDir, meta_dir);
  EXPECT_FALSE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  env_.ClearErrors();
  EXPECT_EQ(Children(meta_dir), (std::set<std::string>{"1"}));
  EXPECT_EQ(Children(std::string(kBackupDir) + "/shared"), shared_before);
  env_.InjectError(FaultOp::kSyncDir, meta_dir);
  env_.InjectError(FaultOp::kRemove, meta_dir, FaultInjectionEnv::kPersistent);
  EXPECT_FALSE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  env_.ClearErrors();
  // Listed at once, as the next Open lists it: a later clean-up (here a failed backup's) keeps
  // its files.
  ASSERT_EQ(engine_->GetBackupInfo().size(), 2u);
  env_.InjectError(FaultOp::kSync, std::string(kBackupDir) + "/private/");
  EXPECT_FALSE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  env_.ClearErrors();
  ASSERT_TRUE(engine_->VerifyBackup(engine_->GetBackupInfo().back().id).ok());
  OpenEngine();
  ASSERT_EQ(engine_->GetBackupInfo().size(), 2u);
  ASSERT_TRUE(engine_->VerifyBackup(engine_->GetBackupInfo().back().id).ok());
  ASSERT_TRUE(engine_->DeleteBackup(engine_->GetBackupInfo().back().id).ok());
  EXPECT_EQ(Children(std::string(kBackupDir) + "/shared"), shared_before);

  // Power loss right after a backup: it is there, and so is the earlier one.
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  EXPECT_EQ(id, 2u);
  const Model second = model_;
  engine_.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  env_.DropUnsyncedData();
  OpenEngine();
  ASSERT_EQ(engine_->GetBackupInfo().size(), 2u);
  ASSERT_TRUE(engine_->VerifyBackup(1).ok());
  ASSERT_TRUE(engine_->VerifyBackup(2).ok());
  EXPECT_EQ(Restore(1, "/r1"), first);
  EXPECT_EQ(Restore(2, "/r2"), second);
}

TEST_F(BackupTest, StopRequestedEndsACallCleanlyAndProgressCountsTheBytes) {
  Random rnd(TestSeed());
  OpenDb();
  RandomWrites(&rnd, 2000, 1000);
  bool stop = false;
  uint64_t last_done = 0, last_total = 0;
  backup_options_.stop_requested = [&] { return stop; };
  backup_options_.progress = [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
    if (done > 0) stop = true;  // stop at the first block, once armed
  };
  OpenEngine();
  uint32_t id = 0;
  Status s = engine_->CreateNewBackup(db_.get(), true, &id);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(engine_->GetBackupInfo().empty());
  EXPECT_TRUE(Children(std::string(kBackupDir) + "/shared").empty());
  EXPECT_TRUE(Children(std::string(kBackupDir) + "/private").empty());
  // Unarmed: the whole backup, the progress reaching its total.
  backup_options_.progress = [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
  };
  OpenEngine();
  stop = false;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  EXPECT_GT(last_total, 0u);
  EXPECT_EQ(last_done, last_total);
  // A restore stopped half-way leaves no target behind.
  stop = true;
  s = engine_->RestoreDBFromBackup(id, "/r");
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_FALSE(env_.FileExists("/r"));
  stop = false;
  EXPECT_EQ(Restore(id, "/r"), model_);
}

// Point-in-time restore: a backup plus the archived logs, restored to many random sequence
// numbers, each compared with the model as it was right after that sequence.
TEST_F(BackupTest, PointInTimeRestoreMatchesTheModelAtEachSequence) {
  const uint64_t seed = TestSeed();
  Random rnd(seed);
  options_.wal_archive_dir = kArchiveDir;
  uint32_t id = BackUpRandomWrites(&rnd, 500, 300);
  ASSERT_NE(id, 0u);
  const uint64_t backup_sequence = engine_->GetBackupInfo().back().sequence;
  ASSERT_EQ(backup_sequence, LastSequence());
  // Each op is one sequence number; models[i] is the state right after backup_sequence + i.
  std::vector<Model> models{model_};
  const int ops = 1500;
  for (int i = 0; i < ops; ++i) {
    RandomWrites(&rnd, 1, 300);
    models.push_back(model_);
    // A reopen now and then: recovery's logs are archived too.
    if (i == ops / 2) {
      ASSERT_TRUE(db_->Close().ok());
      db_.reset();
      OpenDb();
    }
  }
  ASSERT_EQ(LastSequence(), backup_sequence + ops);
  ASSERT_TRUE(db_->Flush().ok());  // archives the last logs
  const int restores = static_cast<int>(ScaledIterations(8));
  for (int r = 0; r < restores; ++r) {
    const uint64_t offset = r == 0 ? ops : r == 1 ? 0 : rnd.Uniform(ops + 1);
    RestoreOptions restore;
    restore.to_sequence = backup_sequence + offset;
    const std::string dir = "/pit" + std::to_string(r);
    EXPECT_EQ(Restore(id, dir, restore), models[offset]) << "to sequence " << *restore.to_sequence;
  }
  // Past the archive, and before the backup: refused.
  RestoreOptions past;
  past.to_sequence = backup_sequence + ops + 1;
  Status s = engine_->RestoreDBFromBackup(id, "/past", past);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_FALSE(env_.FileExists("/past"));
  past.to_sequence = backup_sequence - 1;
  EXPECT_TRUE(engine_->RestoreDBFromBackup(id, "/past", past).IsInvalidArgument());
}

TEST_F(BackupTest, PointInTimeRestoreNeedsTheArchive) {
  OpenDb();
  OpenEngine();
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "2").ok());
  RestoreOptions restore;
  restore.to_sequence = engine_->GetBackupInfo()[0].sequence + 1;
  Status s = engine_->RestoreDBFromBackup(id, "/r", restore);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  // To its own sequence it restores without an archive.
  restore.to_sequence = engine_->GetBackupInfo()[0].sequence;
  EXPECT_EQ(Restore(id, "/r", restore), (Model{{"a", "1"}}));
}

// A write without WAL right after the backup takes sequences no archived log holds: a restore
// past it fails with Corruption instead of skipping it (the gap check covers the first batch).
TEST_F(BackupTest, PointInTimeRestoreRefusesAGapRightAfterTheBackup) {
  options_.wal_archive_dir = kArchiveDir;
  OpenDb();
  OpenEngine();
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  uint32_t id = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "b", "unlogged").ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "c", "logged").ok());
  ASSERT_TRUE(db_->Flush().ok());  // "b" reaches a table, the logs reach the archive
  RestoreOptions restore;
  restore.to_sequence = LastSequence();
  Status s = engine_->RestoreDBFromBackup(id, "/r", restore);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_FALSE(env_.FileExists("/r"));
}

// A log goes to the archive synced: its unsynced writes were safe in the memtable and then a
// table, but the archive is where a point-in-time restore reads them, after any power loss.
TEST_F(BackupTest, ArchivedLogsSurvivePowerLoss) {
  options_.wal_archive_dir = kArchiveDir;
  Random rnd(TestSeed());
  const uint32_t id = BackUpRandomWrites(&rnd, 0, 1);  // empty: later writes come from the archive
  ASSERT_NE(id, 0u);
  RandomWrites(&rnd, 200, 100);  // sync = false
  const uint64_t last = LastSequence();
  ASSERT_TRUE(db_->Flush().ok());  // the log goes to the archive
  env_.DropUnsyncedData();
  RestoreOptions restore;
  restore.to_sequence = last;
  EXPECT_EQ(Restore(id, "/pit", restore), model_);
}

// The archive never replaces a log it holds (another DB writing to it, e.g. a copy restored from
// a backup of this one, takes the same log numbers): the DB's own log is deleted instead.
TEST_F(BackupTest, AnArchivedLogIsNeverReplaced) {
  options_.wal_archive_dir = kArchiveDir;
  OpenDb();
  std::string live_log;
  for (const std::string& name : Children(kDbDir))
    if (name.ends_with(".log")) live_log = name;
  ASSERT_FALSE(live_log.empty());
  const std::string held = std::string(kArchiveDir) + "/" + live_log;
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(held, &file).ok());
  ASSERT_TRUE(file->Append("another DB's log").ok());
  ASSERT_TRUE(file->Close().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(ReadAll(&env_, held), "another DB's log");
  EXPECT_EQ(Children(kDbDir).count(live_log), 0u);
  std::string value;
  ASSERT_TRUE(db_->Get(ReadOptions(), "a", &value).ok());  // in a table now
  EXPECT_EQ(value, "1");
}

// Rolled back in place and opened with the same log archive: the restored DB numbers its logs past
// the archive's, so they are archived too and a point-in-time restore of its own backup works,
// while the archive still serves the timeline it replaced.
TEST_F(BackupTest, ARestoredDbSharingTheArchiveArchivesItsOwnLogs) {
  options_.wal_archive_dir = kArchiveDir;
  Random rnd(TestSeed());
  OpenDb();
  OpenEngine();
  RandomWrites(&rnd, 200, 100);
  uint32_t base = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &base).ok());
  const Model base_model = model_;
  const Timeline original = WriteTimelineAndClose(&rnd, 3000);

  RestoreOptions overwrite;
  overwrite.overwrite = true;
  ASSERT_EQ(Restore(base, kDbDir, overwrite), base_model);
  model_ = base_model;
  OpenDb();
  uint32_t restored = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &restored).ok());
  RandomWrites(&rnd, 300, 100);
  const uint64_t restored_last = LastSequence();
  ASSERT_TRUE(db_->Flush().ok());
  RestoreOptions pit;
  pit.to_sequence = restored_last;
  EXPECT_EQ(Restore(restored, "/pit-restored", pit), model_);
  pit.to_sequence = original.last;
  EXPECT_EQ(Restore(base, "/pit-original", pit), original.model);
}

// The same with a point-in-time rollback in place: the restored DB's first log (the one the
// restore wrote, holding the writes after the backup up to the target) goes to the archive like
// its others, numbered past every log there, so the replaced timeline still restores.
TEST_F(BackupTest, APointInTimeRollbackInPlaceLeavesTheReplacedTimelineRestorable) {
  options_.wal_archive_dir = kArchiveDir;
  Random rnd(TestSeed());
  const uint32_t base = BackUpRandomWrites(&rnd, 200, 100);
  ASSERT_NE(base, 0u);
  // Tables take the numbers right after the backup's MANIFEST: the restore's log number is no
  // log of this timeline.
  RandomWrites(&rnd, 10, 100);
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  RandomWrites(&rnd, 1000, 100);
  const uint64_t middle = LastSequence();
  const Model middle_model = model_;
  const Timeline original = WriteTimelineAndClose(&rnd, 2000);

  RestoreOptions rollback;
  rollback.overwrite = true;
  rollback.to_sequence = middle;
  ASSERT_TRUE(engine_->RestoreDBFromBackup(base, kDbDir, rollback).ok());
  OpenDb();  // with the archive: the restore's log goes there once flushed
  RandomWrites(&rnd, 300, 100);
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  RestoreOptions pit;
  pit.to_sequence = original.last;
  EXPECT_EQ(Restore(base, "/pit-original", pit), original.model);
  pit.to_sequence = middle;
  EXPECT_EQ(Restore(base, "/pit-middle", pit), middle_model);
}

TEST_F(BackupTest, ArchiveBoundedByBytesLosesOldLogsNotNewOnes) {
  options_.wal_archive_dir = kArchiveDir;
  options_.wal_archive_max_bytes = 256 << 10;
  OpenDb();
  OpenEngine();
  Random rnd(TestSeed());
  uint32_t id = 0;
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  const uint64_t backup_sequence = engine_->GetBackupInfo()[0].sequence;
  RandomWrites(&rnd, 6000, 3000);
  ASSERT_TRUE(db_->Flush().ok());
  // The bound holds after each obsolete-file pass (it archives, then prunes), and Flush may
  // return before the pass of its last flush: WaitForBackgroundWork waits for it.
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  uint64_t archive_bytes = 0;
  for (const std::string& name : Children(kArchiveDir)) {
    uint64_t size = 0;
    ASSERT_TRUE(env_.GetFileSize(std::string(kArchiveDir) + "/" + name, &size).ok());
    archive_bytes += size;
  }
  EXPECT_LE(archive_bytes, options_.wal_archive_max_bytes);
  EXPECT_GT(archive_bytes, 0u);
  // The log the backup continues from is gone: the restore says so.
  RestoreOptions restore;
  restore.to_sequence = backup_sequence + 1;
  Status s = engine_->RestoreDBFromBackup(id, "/r", restore);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  // A backup made now is covered again.
  ASSERT_TRUE(engine_->CreateNewBackup(db_.get(), true, &id).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "late", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  restore.to_sequence = LastSequence();
  Model expected = model_;
  expected["late"] = "1";
  EXPECT_EQ(Restore(id, "/r2", restore), expected);
}

// An archive on another file system: the rename into it fails (EXDEV), so the log is copied.
// Every file written in the archive is a temporary: a log's name there says the archive holds
// that log whole (the DB then deletes its own copy), so a copy cut short by a kill must not
// carry it. Before, the copy was written under the log's own name.
class CrossDeviceArchiveEnv final : public EnvWrapper {
 public:
  explicit CrossDeviceArchiveEnv(Env* target) : EnvWrapper(target) {}
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (from.starts_with(kDbDir) && to.starts_with(kArchiveDir)) {
      return Status::IOError("rename " + from, "Invalid cross-device link");
    }
    return target()->RenameFile(from, to);
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    if (path.starts_with(kArchiveDir)) written_in_archive.push_back(path);
    return target()->NewWritableFile(path, file);
  }
  std::vector<std::string> written_in_archive;
};

TEST_F(BackupTest, ALogCopiedAcrossFileSystemsTakesItsNameWhole) {
  CrossDeviceArchiveEnv cross_device(&env_);
  options_.env = &cross_device;
  options_.wal_archive_dir = kArchiveDir;
  Random rnd(TestSeed());
  const uint32_t id = BackUpRandomWrites(&rnd, 0, 1);  // empty: later writes come from the archive
  ASSERT_NE(id, 0u);
  for (int i = 0; i < 3; ++i) {
    RandomWrites(&rnd, 200, 1000);
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_FALSE(cross_device.written_in_archive.empty());
  for (const std::string& path : cross_device.written_in_archive)
    EXPECT_TRUE(path.ends_with(".dbtmp")) << path;
  // The archive holds the flushed logs under their names, whole, and no temporary.
  size_t logs = 0;
  for (const std::string& name : Children(kArchiveDir)) {
    EXPECT_TRUE(name.ends_with(".log")) << name;
    ++logs;
  }
  EXPECT_GE(logs, 3u);
  // Whole: a point-in-time restore replays them.
  RestoreOptions restore;
  restore.to_sequence = LastSequence();
  EXPECT_EQ(Restore(id, "/r", restore), model_);
  ASSERT_TRUE(db_->Close().ok());  // before cross_device goes
  db_.reset();
}

// Options::wal_archive_max_age_seconds: after a log is archived, the oldest archived logs last
// modified longer ago than the bound are deleted, oldest first and stopping at the first younger
// one, so the archive stays a gapless run of logs.
TEST_F(BackupTest, ArchiveBoundedByAgeLosesOldLogsAndStaysGapless) {
  options_.wal_archive_dir = kArchiveDir;
  options_.wal_archive_max_age_seconds = 3600;
  OpenDb();
  Random rnd(TestSeed());
  for (int i = 0; i < 4; ++i) {
    RandomWrites(&rnd, 200, 1000);
    ASSERT_TRUE(db_->Flush().ok());
  }
  const std::set<std::string> archived = Children(kArchiveDir);
  ASSERT_GE(archived.size(), 4u);  // modified just now: none too old
  const std::vector<std::string> logs(archived.begin(), archived.end());
  // The two oldest logs and the fourth were written two hours ago; the third just now.
  const uint64_t two_hours_ago = env_.WallMicros() / 1000000 - 7200;
  for (size_t i : {0, 1, 3})
    env_.SetModificationTime(std::string(kArchiveDir) + "/" + logs[i], two_hours_ago);
  RandomWrites(&rnd, 200, 1000);
  ASSERT_TRUE(db_->Flush().ok());
  const std::set<std::string> left = Children(kArchiveDir);
  EXPECT_FALSE(left.contains(logs[0]));
  EXPECT_FALSE(left.contains(logs[1]));
  for (size_t i = 2; i < logs.size(); ++i)
    EXPECT_TRUE(left.contains(logs[i])) << logs[i];
  // A bound as large as it gets is "keep forever", not a sum that wraps to "too old".
  db_.reset();
  const std::set<std::string> before = Children(kArchiveDir);
  ASSERT_FALSE(before.empty());
  options_.wal_archive_max_age_seconds = std::numeric_limits<uint64_t>::max();
  OpenDb();
  RandomWrites(&rnd, 200, 1000);
  ASSERT_TRUE(db_->Flush().ok());
  const std::set<std::string> after = Children(kArchiveDir);
  for (const std::string& name : before)
    EXPECT_TRUE(after.contains(name)) << name;
  // The local file system reports modification times.
  uint64_t seconds = 0;
  TempDir tmp;
  ASSERT_TRUE(Env::Default()->GetFileModificationTime(tmp.path(), &seconds).ok());
  EXPECT_GT(seconds, 0u);
}

}  // namespace
}  // namespace ziggydb::test
