// RepairDB: after CURRENT is deleted, the MANIFEST truncated or deleted, the repaired DB holds
// exactly the model (every key in the tables and logs); a corrupt table goes to lost/ and is
// reported; a failed or refused repair changes nothing.
#include "db/repair.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/dbformat.h"
#include "db/db_identity.h"
#include "db/filename.h"
#include "db/recovery.h"
#include "db/version_edit.h"
#include "db/write_batch_internal.h"
#include "env/counting_env.h"
#include "env/fault_env.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

namespace fs = std::filesystem;
using Model = std::map<std::string, std::string>;

class RepairTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ziggy-repair-test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    db_ = root_ + "/db";
    options_.create_if_missing = true;
    options_.memtable_bytes = 64 << 10;  // several tables and logs from a small model
    options_.target_file_size = 64 << 10;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<DB> Open() {
    std::unique_ptr<DB> db;
    Status s = DB::Open(options_, db_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return db;
  }

  // Random puts and deletes, some flushed and compacted, the last ones only in the WAL (Close
  // does not flush a memtable its WAL holds).
  void Fill(uint32_t seed) {
    std::mt19937 rng(seed);
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 6000; ++i) {
      const std::string key = "key" + std::to_string(rng() % 2000);
      if (rng() % 8 == 0) {
        ASSERT_TRUE(db->Delete(WriteOptions(), key).ok());
        model_.erase(key);
      } else {
        std::string value(20 + rng() % 100, static_cast<char>('a' + rng() % 26));
        value[0] = '\0';  // NULs survive
        ASSERT_TRUE(db->Put(WriteOptions(), key, value).ok());
        model_[key] = value;
      }
      if (i == 3000) {
        ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
      }
    }
    ASSERT_TRUE(db->Close().ok());
  }

  Model Contents() {
    Model out;
    std::unique_ptr<DB> db = Open();
    if (db == nullptr) return out;
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[std::string(it->key())] = std::string(it->value());
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }

  // Fills the DB in `env` (options_.env), removes CURRENT and overwrites one table with 100 bytes
  // of garbage, which repair moves to lost/; its name in *damaged.
  void LoseCurrentAndDamageATable(FaultInjectionEnv* env, std::string* damaged);

  std::vector<std::string> Files(FileType wanted) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(db_)) {
      FileNumber number{};
      FileType type{};
      const std::string name = entry.path().filename().string();
      if (ParseFileName(name, &number, &type) && type == wanted) out.push_back(db_ + "/" + name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Status Repair(RepairReport* report) { return RepairDB(db_, options_, report, RepairProgress()); }

  std::string root_;
  std::string db_;
  Options options_;
  Model model_;
};

uint32_t Seed() {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  return seed;
}

// Writes `bytes` over the file at `path` from `offset` on.
void Overwrite(const std::string& path, long offset, const char* bytes) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, offset, SEEK_SET);
  std::fputs(bytes, f);
  ASSERT_EQ(std::fclose(f), 0);
}

// The names in `dir` of `env`, sorted.
std::vector<std::string> Listing(Env* env, const std::string& dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(env->GetChildren(dir, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

void RepairTest::LoseCurrentAndDamageATable(FaultInjectionEnv* env, std::string* damaged) {
  Fill(Seed());
  ASSERT_TRUE(env->RemoveFile(CurrentFileName(db_)).ok());
  damaged->clear();
  for (const std::string& name : Listing(env, db_)) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(name, &number, &type) && type == FileType::kTableFile) *damaged = name;
  }
  ASSERT_FALSE(damaged->empty());
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(db_ + "/" + *damaged, &file).ok());
  ASSERT_TRUE(file->Append(std::string(100, 'x')).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  ASSERT_TRUE(env->SyncDir(db_).ok());
}

TEST_F(RepairTest, DeletedCurrentIsRebuilt) {
  Fill(Seed());
  ASSERT_FALSE(Files(FileType::kLogFile).empty());
  fs::remove(CurrentFileName(db_));
  std::unique_ptr<DB> db;
  ASSERT_FALSE(DB::Open(options_, db_, &db).ok());
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.lost.empty());
  EXPECT_TRUE(report.log_damage.empty());
  EXPECT_FALSE(report.logs.empty());
  EXPECT_GT(report.tables_written, 0u);
  EXPECT_EQ(Contents(), model_);
  // The originals are kept aside, never deleted.
  ASSERT_FALSE(report.moved_dir.empty());
  EXPECT_FALSE(fs::is_empty(report.moved_dir));
}

// A repaired DB may number files as the DB before it did: it gets a new IDENTITY, so backups do
// not take its tables for the old ones of the same name and size.
TEST_F(RepairTest, ARepairedDbGetsANewIdentity) {
  Fill(Seed());
  std::string before;
  Status read = ReadDbIdentity(Env::Default(), db_, &before);
  ASSERT_TRUE(read.ok()) << read.ToString();
  ASSERT_FALSE(before.empty());
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);  // opens it, which writes the new identity
  std::string after;
  ASSERT_TRUE(ReadDbIdentity(Env::Default(), db_, &after).ok());
  EXPECT_FALSE(after.empty());
  EXPECT_NE(after, before);
}

TEST_F(RepairTest, TruncatedManifestIsRebuilt) {
  Fill(Seed());
  const std::vector<std::string> manifests = Files(FileType::kManifestFile);
  ASSERT_EQ(manifests.size(), 1u);
  fs::resize_file(manifests[0], fs::file_size(manifests[0]) / 2);
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, DeletedManifestIsRebuiltTwice) {
  Fill(Seed());
  for (const std::string& manifest : Files(FileType::kManifestFile))
    fs::remove(manifest);
  RepairReport report;
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
  // Repairing a healthy DB keeps it as it is.
  RepairReport again;
  ASSERT_TRUE(Repair(&again).ok());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, CorruptTableGoesToLostAndIsReported) {
  // Keys "a*" only in one table, keys "b*" in another; the logs hold neither after the flushes.
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "a" + std::to_string(i), "x").ok());
    ASSERT_TRUE(db->Flush().ok());
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "b" + std::to_string(i), "y").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::vector<std::string> tables = Files(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 2u);
  ASSERT_NO_FATAL_FAILURE(Overwrite(tables[0], 10, "garbage garbage garbage"));
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(report.lost.size(), 1u);
  const std::string name = fs::path(tables[0]).filename().string();
  EXPECT_NE(report.lost[0].find(name), std::string::npos) << report.lost[0];
  EXPECT_TRUE(fs::exists(db_ + "/lost/" + name));
  Model expected;
  for (int i = 0; i < 100; ++i)
    expected["b" + std::to_string(i)] = "y";
  EXPECT_EQ(Contents(), expected);
}

// A table with one damaged block: the entries of its other blocks are kept (the block's are
// lost, reported), and the original goes to lost/.
TEST_F(RepairTest, ADamagedBlockLosesOnlyItsOwnEntries) {
  constexpr int kKeys = 2000;
  const auto key = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "k%05d", i);
    return std::string(buf);
  };
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < kKeys; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), key(i), std::string(100, 'a' + i % 26)).ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "zz", "last").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::vector<std::string> tables = Files(FileType::kTableFile);
  ASSERT_FALSE(tables.empty());
  ASSERT_NO_FATAL_FAILURE(Overwrite(tables[0], fs::file_size(tables[0]) / 3, "XXXX"));
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(report.lost.size(), 1u);
  EXPECT_NE(report.lost[0].find("kept"), std::string::npos) << report.lost[0];
  EXPECT_NE(report.lost[0].find("skipped block at offset"), std::string::npos) << report.lost[0];
  EXPECT_TRUE(fs::exists(db_ + "/lost/" + fs::path(tables[0]).filename().string()));
  const Model contents = Contents();
  EXPECT_EQ(contents.at("zz"), "last");
  // Every key but one block's run is there, each with its own value.
  int missing = 0;
  int first_missing = -1;
  for (int i = 0; i < kKeys; ++i) {
    const auto it = contents.find(key(i));
    if (it == contents.end()) {
      if (first_missing < 0) first_missing = i;
      EXPECT_EQ(i, first_missing + missing) << "the lost keys are not one run";
      ++missing;
      continue;
    }
    EXPECT_EQ(it->second, std::string(100, 'a' + i % 26)) << key(i);
  }
  EXPECT_GT(missing, 0);
  EXPECT_LT(missing, kKeys / 10);
  EXPECT_EQ(contents.size(), static_cast<size_t>(kKeys - missing + 1));
}

// Intact log records that are not valid batches (sequences out of range, a body shorter than its
// count) are damage in the middle of a log: as for Open, the default recovery mode refuses it
// (the directory is left as it was), and kSkipAnyCorruptedRecords skips each and reports it,
// keeping the batches around them.
TEST_F(RepairTest, InvalidBatchesInALogAreSkippedAndReported) {
  Fill(Seed());
  const auto batch = [](uint64_t sequence, const std::string& key) {
    WriteBatch b;
    b.Put(key, "value-of-" + key);
    WriteBatchInternal::SetSequence(&b, SequenceNumber{sequence});
    return std::string(WriteBatchInternal::Contents(b));
  };
  std::string short_body = batch(100001, "cut");
  short_body[8] = 3;  // the header's count: 3 updates, one present
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(LogFileName(db_, FileNumber{999999}), &file).ok());
    wal::Writer writer(std::move(file), 999999, 0);
    ASSERT_TRUE(writer.AddHead(wal::LogHead{}).ok());
    for (const std::string& record : {batch(100000, "late1"), batch(kMaxSequenceNumber + 1, "bad"),
                                      short_body, batch(100001, "late2")}) {
      ASSERT_TRUE(writer.AddRecord(record).ok());
    }
    ASSERT_TRUE(writer.Sync().ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  fs::remove(CurrentFileName(db_));
  const std::vector<std::string> before = Listing(Env::Default(), db_);
  RepairReport refused;
  Status s = Repair(&refused);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(LogFileName(db_, FileNumber{999999})), std::string::npos)
      << s.ToString();
  EXPECT_EQ(Listing(Env::Default(), db_), before);
  options_.wal_recovery_mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  RepairReport report;
  s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.log_damage.size(), 2u);
  for (const std::string& damage : report.log_damage)
    EXPECT_NE(damage.find("skipped: " + LogFileName(db_, FileNumber{999999})), std::string::npos)
        << damage;
  Model expected = model_;
  expected["late1"] = "value-of-late1";
  expected["late2"] = "value-of-late2";
  EXPECT_EQ(Contents(), expected);
}

TEST_F(RepairTest, AnOpenDbIsRefusedAndUntouched) {
  Fill(Seed());
  std::unique_ptr<DB> db = Open();
  ASSERT_NE(db, nullptr);
  RepairReport report;
  Status s = Repair(&report);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(report.manifest.empty());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(Contents(), model_);
}

TEST_F(RepairTest, AnInterruptedRepairLeavesNothingBehind) {
  Fill(Seed());
  fs::remove(CurrentFileName(db_));
  std::vector<std::string> before;
  for (const auto& entry : fs::directory_iterator(db_))
    before.push_back(entry.path().string());
  std::sort(before.begin(), before.end());
  RepairReport report;
  int calls = 0;
  Status s = RepairDB(db_, options_, &report, [&calls](uint64_t, uint64_t) { return ++calls < 3; });
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  std::vector<std::string> after;
  for (const auto& entry : fs::directory_iterator(db_))
    after.push_back(entry.path().string());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before);
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
}

// An I/O error says nothing about a table's bytes: it fails the repair, which leaves the
// directory as it was, instead of moving the table to lost/.
TEST_F(RepairTest, AnIOErrorReadingATableFailsTheRepairAndChangesNothing) {
  FaultInjectionEnv env;
  options_.env = &env;
  db_ = "/db";
  Fill(Seed());
  ASSERT_TRUE(env.RemoveFile(CurrentFileName(db_)).ok());
  const std::vector<std::string> before = Listing(&env, db_);
  env.InjectError(FaultOp::kRead, ".sst", FaultInjectionEnv::kPersistent);
  RepairReport report;
  Status s = Repair(&report);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(Listing(&env, db_), before);
  env.ClearErrors();
  RepairReport again;
  s = Repair(&again);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(again.lost.empty());
  EXPECT_EQ(Contents(), model_);
}

// Once armed, fails the first directory sync after a rename onto CURRENT: SetCurrentFile's last
// step.
class FailSyncAfterCurrentRename final : public FaultInjectionEnv {
 public:
  void Arm() { armed_ = true; }
  Status RenameFile(const std::string& from, const std::string& to) override {
    Status s = FaultInjectionEnv::RenameFile(from, to);
    if (armed_ && s.ok() && to.ends_with("/CURRENT")) renamed_ = true;
    return s;
  }
  Status SyncDir(const std::string& dir) override {
    if (renamed_ && !failed_) {
      failed_ = true;
      return Status::IOError("injected directory sync failure", dir);
    }
    return FaultInjectionEnv::SyncDir(dir);
  }
  bool failed() const { return failed_; }

 private:
  bool armed_ = false;
  bool renamed_ = false;
  bool failed_ = false;
};

// Once CURRENT names the new MANIFEST the commit may be durable: a failure after the rename
// returns the error but removes nothing CURRENT may name. Without a power loss the repaired DB
// opens; after one (the rename undone), the directory is repairable again.
TEST_F(RepairTest, AFailedSyncAfterTheCurrentRenameKeepsWhatCurrentNames) {
  FailSyncAfterCurrentRename env;
  options_.env = &env;
  db_ = "/db";
  Fill(Seed());
  ASSERT_TRUE(env.RemoveFile(CurrentFileName(db_)).ok());
  ASSERT_TRUE(env.SyncDir(db_).ok());
  env.Arm();
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(env.failed());
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  std::string current;
  ASSERT_TRUE(ReadCurrentFile(&env, db_, &current).ok());
  EXPECT_TRUE(env.FileExists(db_ + "/" + current)) << current;
  EXPECT_EQ(report.manifest, current);  // the report names it
  EXPECT_EQ(Contents(), model_);
  env.DropUnsyncedData();
  RepairReport again;
  s = Repair(&again);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Contents(), model_);
}

// The DB at `path` (the fixture's options), its value of `key` or "(none)".
std::string ValueAt(const Options& options, const std::string& path, const std::string& key) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, path, &db);
  if (!s.ok()) return "(open failed: " + s.ToString() + ")";
  std::string value;
  s = db->Get(ReadOptions(), key, &value);
  if (s.IsNotFound()) return "(none)";
  if (!s.ok()) return "(" + s.ToString() + ")";
  return value;
}

// Copies every file of `from` (no subdirectories) to a new directory `to`, as a crash would leave
// them: the state of a DB that is open.
void CopyDir(Env* env, const std::string& from, const std::string& to) {
  ASSERT_TRUE(env->CreateDir(to).ok());
  for (const std::string& name : Listing(env, from)) {
    if (name == "." || name == "..") continue;
    std::unique_ptr<SequentialFile> in;
    ASSERT_TRUE(env->NewSequentialFile(from + "/" + name, &in).ok()) << name;
    std::unique_ptr<WritableFile> out;
    ASSERT_TRUE(env->NewWritableFile(to + "/" + name, &out).ok()) << name;
    std::string scratch(1 << 16, '\0');
    while (true) {
      std::string_view chunk;
      ASSERT_TRUE(in->Read(scratch.size(), &chunk, scratch.data()).ok()) << name;
      if (chunk.empty()) break;
      ASSERT_TRUE(out->Append(chunk).ok());
    }
    ASSERT_TRUE(out->Sync().ok());
    ASSERT_TRUE(out->Close().ok());
  }
  ASSERT_TRUE(env->SyncDir(to).ok());
}

// Removes every MANIFEST and CURRENT of `dir`.
void RemoveManifests(Env* env, const std::string& dir) {
  for (const std::string& name : Listing(env, dir)) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(name, &number, &type) &&
        (type == FileType::kManifestFile || type == FileType::kCurrentFile)) {
      ASSERT_TRUE(env->RemoveFile(dir + "/" + name).ok()) << name;
    }
  }
}

// Two bottommost compactions each wrote "k" at sequence 0; the first one's table is pinned, so
// it is still there when every MANIFEST is lost. Equal internal keys: the table with the higher
// number (written later) holds the newer value.
TEST_F(RepairTest, OfEqualKeysTheLaterTableWins) {
  const std::string copy = root_ + "/copy";
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "old").ok());
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    std::unique_ptr<Iterator> pin = db->NewIterator(ReadOptions());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "new").ok());
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    fs::copy(db_, copy, fs::copy_options::recursive);
    pin.reset();
    ASSERT_TRUE(db->Close().ok());
  }
  RemoveManifests(Env::Default(), copy);
  RepairReport report;
  Status s = RepairDB(copy, options_, &report, RepairProgress());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.tables_kept.size(), 2u);
  EXPECT_EQ(ValueAt(options_, copy, "k"), "new");
}

// The tables of `dir`, ascending by number.
std::vector<std::string> TablesIn(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> tables;
  for (const auto& entry : fs::directory_iterator(dir)) {
    FileNumber number{};
    FileType type{};
    if (ParseFileName(entry.path().filename().string(), &number, &type) &&
        type == FileType::kTableFile) {
      tables.emplace_back(raw(number), entry.path().string());
    }
  }
  std::sort(tables.begin(), tables.end());
  std::vector<std::string> out;
  for (auto& [number, path] : tables)
    out.push_back(std::move(path));
  return out;
}

// A compaction retired a table that an open iterator still pins, and the directory is copied to
// `copy` in that state (as a crash would leave it): the retired table holds "k" = "old" (at a
// nonzero sequence) and "gone" = "x"; the compaction's output holds "k" = "new" at sequence 0
// and nothing of "gone", whose tombstone it dropped. `after` runs with the DB still open, the
// table pinned, before the copy.
void CopyWithARetiredTable(const Options& options, const std::string& db_path,
                           const std::string& copy, const std::function<void(DB*)>& after) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, db_path, &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "k", "old").ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "gone", "x").ok());
  ASSERT_TRUE(db->Flush().ok());
  std::unique_ptr<Iterator> pin = db->NewIterator(ReadOptions());
  ASSERT_TRUE(db->Put(WriteOptions(), "k", "new").ok());
  ASSERT_TRUE(db->Delete(WriteOptions(), "gone").ok());
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  if (after) after(db.get());
  fs::copy(db_path, copy, fs::copy_options::recursive);
  pin.reset();
  ASSERT_TRUE(db->Close().ok());
  // The retired table and the compaction's output (and any later table).
  ASSERT_GE(TablesIn(copy).size(), 2u);
}

TEST_F(RepairTest, TablesTheManifestRetiredAreSetAsideNotMerged) {
  const std::string copy = root_ + "/copy";
  CopyWithARetiredTable(options_, db_, copy, nullptr);
  const std::string retired = fs::path(TablesIn(copy).front()).filename().string();
  fs::remove(CurrentFileName(copy));
  RepairReport report;
  Status s = RepairDB(copy, options_, &report, RepairProgress());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ValueAt(options_, copy, "k"), "new");
  EXPECT_EQ(ValueAt(options_, copy, "gone"), "(none)");
  ASSERT_EQ(report.retired.size(), 1u);
  EXPECT_NE(report.retired[0].find(retired), std::string::npos) << report.retired[0];
  // Set aside with the originals, not deleted.
  EXPECT_TRUE(fs::exists(report.moved_dir + "/" + retired)) << report.moved_dir;
}

// A MANIFEST cut short (here its last edit, a flush) is read up to the damage: a retirement
// recorded before it still holds (the edit that recorded it also added the compaction's output),
// and the table the lost edit added is merged as a table no MANIFEST names.
TEST_F(RepairTest, RetirementsBeforeATruncatedManifestsDamageHold) {
  const std::string copy = root_ + "/copy";
  CopyWithARetiredTable(options_, db_, copy, [](DB* db) {
    ASSERT_TRUE(db->Put(WriteOptions(), "z", "1").ok());
    ASSERT_TRUE(db->Flush().ok());
  });
  std::string manifest;
  ASSERT_TRUE(ReadCurrentFile(Env::Default(), copy, &manifest).ok());
  FileNumber number{};
  FileType type{};
  ASSERT_TRUE(ParseFileName(manifest, &number, &type));
  manifest = copy + "/" + manifest;
  uint64_t last_edit = 0;
  {
    std::unique_ptr<SequentialFile> file;
    ASSERT_TRUE(Env::Default()->NewSequentialFile(manifest, &file).ok());
    wal::Reader reader(std::move(file), raw(number), nullptr);
    std::string record;
    while (reader.ReadRecord(&record))
      last_edit = reader.last_record_offset();
  }
  ASSERT_GT(last_edit, 0u);
  fs::resize_file(manifest, last_edit + 3);  // a torn header
  fs::remove(CurrentFileName(copy));
  RepairReport report;
  Status s = RepairDB(copy, options_, &report, RepairProgress());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.retired.size(), 1u);
  EXPECT_EQ(ValueAt(options_, copy, "k"), "new");
  EXPECT_EQ(ValueAt(options_, copy, "gone"), "(none)");
  EXPECT_EQ(ValueAt(options_, copy, "z"), "1");
}

// The compaction's output is gone (as if its edit had never been installed and the output had
// been deleted as unnamed): the table the edit retired holds the only copy of its data, so it is
// merged rather than set aside.
TEST_F(RepairTest, ARetirementWhoseOutputIsMissingDoesNotHold) {
  const std::string copy = root_ + "/copy";
  CopyWithARetiredTable(options_, db_, copy, nullptr);
  const std::vector<std::string> tables = TablesIn(copy);
  ASSERT_EQ(tables.size(), 2u);
  fs::remove(tables.back());
  fs::remove(CurrentFileName(copy));
  RepairReport report;
  Status s = RepairDB(copy, options_, &report, RepairProgress());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.retired.empty());
  EXPECT_EQ(ValueAt(options_, copy, "k"), "old");
  EXPECT_EQ(ValueAt(options_, copy, "gone"), "x");
}

// Writes log `number` in `dir`: `head`, then one batch per key (value "v-" + key), sequences
// from `sequence` on. Returns its size.
uint64_t WriteLog(Env* env, const std::string& dir, uint64_t number, const wal::LogHead& head,
                  uint64_t sequence, const std::vector<std::string>& keys) {
  std::unique_ptr<WritableFile> file;
  EXPECT_TRUE(env->NewWritableFile(LogFileName(dir, FileNumber{number}), &file).ok());
  wal::Writer writer(std::move(file), number, 0);
  EXPECT_TRUE(writer.AddHead(head).ok());
  for (const std::string& key : keys) {
    WriteBatch batch;
    batch.Put(key, "v-" + key);
    WriteBatchInternal::SetSequence(&batch, SequenceNumber{sequence++});
    EXPECT_TRUE(writer.AddRecord(WriteBatchInternal::Contents(batch)).ok());
  }
  EXPECT_TRUE(writer.Sync().ok());
  EXPECT_TRUE(writer.Close().ok());
  uint64_t bytes = 0;
  EXPECT_TRUE(env->GetFileSize(LogFileName(dir, FileNumber{number}), &bytes).ok());
  return bytes;
}

// Log 5 lost its tail (batch "a2") while log 7, whose head says log 5 held more, kept "b1": a
// state where "b1" is present and "a2" missing never existed. The repair judges the logs as Open
// does in each wal_recovery_mode: the default and point-in-time modes end the WAL at the tear
// and set log 7 aside (moved with the originals before the commit, never deleted, put back if
// the repair fails); skip-any replays it; absolute consistency refuses the tear.
TEST_F(RepairTest, ATornOlderLogEndsTheWalAsItDoesForOpen) {
  FaultInjectionEnv env;
  options_.env = &env;
  const std::string dir = "/logs";
  ASSERT_TRUE(env.CreateDir(dir).ok());
  const uint64_t log5_bytes = WriteLog(&env, dir, 5, wal::LogHead{}, 1, {"a1", "a2"});
  WriteLog(&env, dir, 7, wal::LogHead{5, log5_bytes}, 3, {"b1"});
  ASSERT_TRUE(env.Truncate(LogFileName(dir, FileNumber{5}), log5_bytes - 5).ok());
  ASSERT_TRUE(env.SyncDir(dir).ok());
  const std::string log7 = LogFileName(dir, FileNumber{7}).substr(dir.size() + 1);

  struct Case {
    WalRecoveryMode mode;
    bool b1_replayed;
  };
  int round = 0;
  for (const Case& c : {Case{WalRecoveryMode::kTolerateCorruptedTailRecords, false},
                        Case{WalRecoveryMode::kPointInTimeRecovery, false},
                        Case{WalRecoveryMode::kSkipAnyCorruptedRecords, true}}) {
    SCOPED_TRACE(WalRecoveryModeName(c.mode));
    const std::string copy = "/copy" + std::to_string(round++);
    CopyDir(&env, dir, copy);
    options_.wal_recovery_mode = c.mode;
    RepairReport report;
    Status s = RepairDB(copy, options_, &report, RepairProgress());
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(report.log_damage.empty());
    EXPECT_EQ(ValueAt(options_, copy, "a1"), "v-a1");
    EXPECT_EQ(ValueAt(options_, copy, "a2"), "(none)");
    if (c.b1_replayed) {
      EXPECT_EQ(ValueAt(options_, copy, "b1"), "v-b1");
      EXPECT_TRUE(report.logs_not_replayed.empty());
    } else {
      EXPECT_EQ(ValueAt(options_, copy, "b1"), "(none)");
      ASSERT_EQ(report.logs_not_replayed.size(), 1u);
      EXPECT_NE(report.logs_not_replayed[0].find(log7), std::string::npos);
      EXPECT_TRUE(env.FileExists(report.moved_dir + "/" + log7)) << report.moved_dir;
    }
  }

  // LOCK, which a repair takes, aside, the directory is as it was.
  const auto without_lock = [&env](const std::string& path) {
    std::vector<std::string> names = Listing(&env, path);
    std::erase(names, "LOCK");
    return names;
  };
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  CopyDir(&env, dir, "/absolute");
  std::vector<std::string> before = without_lock("/absolute");
  RepairReport refused;
  Status s = RepairDB("/absolute", options_, &refused, RepairProgress());
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(without_lock("/absolute"), before);

  // A failure before the commit puts the set-aside log back.
  options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  CopyDir(&env, dir, "/failed");
  before = without_lock("/failed");
  env.InjectError(FaultOp::kCreate, "MANIFEST");
  RepairReport failed;
  s = RepairDB("/failed", options_, &failed, RepairProgress());
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(without_lock("/failed"), before);
  env.ClearErrors();
}

// A log older than the log number the MANIFEST records is obsolete (its writes are in tables),
// but can still be on disk (a crash before its deletion; here copied back). Replayed, its "k" =
// "old" would win over the "new" a bottommost compaction wrote with sequence 0, and "gone",
// whose tombstone the compaction dropped, would come back.
TEST_F(RepairTest, LogsOlderThanTheManifestsLogNumberAreSetAside) {
  const std::string saved = root_ + "/saved.log";
  std::string log_path;
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "old").ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "gone", "x").ok());
    log_path = Files(FileType::kLogFile).back();
    fs::copy_file(log_path, saved);
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "new").ok());
    ASSERT_TRUE(db->Delete(WriteOptions(), "gone").ok());
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  fs::copy_file(saved, log_path, fs::copy_options::overwrite_existing);
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ValueAt(options_, db_, "k"), "new");
  EXPECT_EQ(ValueAt(options_, db_, "gone"), "(none)");
  const std::string name = fs::path(log_path).filename().string();
  ASSERT_EQ(report.logs_obsolete.size(), 1u);
  EXPECT_NE(report.logs_obsolete[0].find(name), std::string::npos) << report.logs_obsolete[0];
  EXPECT_TRUE(fs::exists(report.moved_dir + "/" + name));
}

// Records the most files open at once (FaultInjectionEnv::open_file_count) since Reset.
class MaxOpenFilesEnv final : public FaultInjectionEnv {
 public:
  void Reset() { max_open_ = 0; }
  uint64_t max_open() const { return max_open_; }
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return Note(FaultInjectionEnv::NewSequentialFile(path, result));
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return Note(FaultInjectionEnv::NewRandomAccessFile(path, result));
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return Note(FaultInjectionEnv::NewWritableFile(path, result));
  }

 private:
  Status Note(Status s) {
    max_open_ = std::max(max_open_, open_file_count());
    return s;
  }
  uint64_t max_open_ = 0;
};

// More tables than max_open_files: the repair has at most max_open_files files open at once, so
// it merges in more than one pass. Each table holds "k" with sequence 0 (24 bottommost
// compactions, each output pinned by an iterator, every MANIFEST then lost): the last one's value
// wins across the passes.
TEST_F(RepairTest, MoreTablesThanMaxOpenFilesAreMergedAFewAtATime) {
  MaxOpenFilesEnv env;
  options_.env = &env;
  db_ = "/db";
  const std::string copy = "/copy";
  constexpr int kTables = 24;
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    std::vector<std::unique_ptr<Iterator>> pins;
    for (int i = 0; i < kTables; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), "k", "v" + std::to_string(i)).ok());
      ASSERT_TRUE(db->Put(WriteOptions(), "a" + std::to_string(i), "x").ok());
      ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
      pins.push_back(db->NewIterator(ReadOptions()));
    }
    CopyDir(&env, db_, copy);
    pins.clear();
    ASSERT_TRUE(db->Close().ok());
  }
  RemoveManifests(&env, copy);
  options_.max_open_files = 16;
  env.Reset();
  RepairReport report;
  Status s = RepairDB(copy, options_, &report, RepairProgress());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.tables_kept.size(), static_cast<size_t>(kTables));
  EXPECT_LE(env.max_open(), static_cast<uint64_t>(options_.max_open_files));
  EXPECT_EQ(ValueAt(options_, copy, "k"), "v" + std::to_string(kTables - 1));
  for (int i = 0; i < kTables; ++i)
    EXPECT_EQ(ValueAt(options_, copy, "a" + std::to_string(i)), "x") << i;
}

// The same with real file descriptors: a forked child whose RLIMIT_NOFILE is below the number of
// tables repairs the DB.
TEST_F(RepairTest, ADbWithMoreTablesThanTheFileLimitIsRepaired) {
  options_.l0_compaction_trigger = 1000;  // every flush stays an L0 table
  options_.l0_slowdown_trigger = 1000;
  options_.l0_stop_trigger = 1000;
  constexpr int kTables = 80;
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < kTables; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), "k", "v" + std::to_string(i)).ok());
      ASSERT_TRUE(db->Put(WriteOptions(), "a" + std::to_string(i), "x").ok());
      model_["a" + std::to_string(i)] = "x";
      ASSERT_TRUE(db->Flush().ok());
    }
    model_["k"] = "v" + std::to_string(kTables - 1);
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_GE(Files(FileType::kTableFile).size(), static_cast<size_t>(kTables));
  fs::remove(CurrentFileName(db_));
  options_.max_open_files = 32;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit limit{48, 48};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(2);
    RepairReport report;
    Status s = RepairDB(db_, options_, &report, RepairProgress());
    if (!s.ok()) std::fprintf(stderr, "repair: %s\n", s.ToString().c_str());
    _exit(s.ok() && report.lost.empty() ? 0 : 1);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  ASSERT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_EQ(Contents(), model_);
}

// Counts the operations that change files (appends, syncs, creates, renames, removes) and
// SIGKILLs its own process at the kill_at-th (never when 0): a kill at every step of a repair,
// table writes included, reachable by choosing kill_at.
class KillingEnv final : public CountingEnv {
 public:
  KillingEnv(Env* target, uint64_t kill_at) : CountingEnv(target), kill_at_(kill_at) {}

  uint64_t ops() const { return ops_; }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    Tick();
    std::unique_ptr<WritableFile> file;
    ZIGGY_RETURN_IF_ERROR(CountingEnv::NewWritableFile(path, &file));
    *result = std::make_unique<File>(std::move(file), this);
    return Status::OK();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    Tick();
    return CountingEnv::RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override {
    Tick();
    return CountingEnv::RemoveFile(path);
  }
  Status CreateDir(const std::string& dir) override {
    Tick();
    return CountingEnv::CreateDir(dir);
  }
  Status SyncDir(const std::string& dir) override {
    Tick();
    return CountingEnv::SyncDir(dir);
  }

 private:
  class File final : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> file, KillingEnv* env) : file_(std::move(file)), env_(env) {}
    Status Append(std::string_view data) override {
      // Half the bytes first, so that a kill here leaves a torn write.
      const size_t half = data.size() / 2;
      ZIGGY_RETURN_IF_ERROR(file_->Append(data.substr(0, half)));
      ZIGGY_RETURN_IF_ERROR(file_->Flush());
      env_->Tick();
      return file_->Append(data.substr(half));
    }
    Status Flush() override { return file_->Flush(); }
    Status Sync() override {
      env_->Tick();
      return file_->Sync();
    }
    Status Close() override { return file_->Close(); }

   private:
    std::unique_ptr<WritableFile> file_;
    KillingEnv* const env_;
  };

  void Tick() {
    if (++ops_ == kill_at_) raise(SIGKILL);
  }

  const uint64_t kill_at_;
  uint64_t ops_ = 0;
};

// A repair SIGKILLed at a random step (a real child process, killed by its Env at its n-th file
// operation) leaves a directory that a second repair brings back to the model, with nothing
// moved to lost/: before its commit the directory is as it was (plus complete new tables and its
// staging directory), after it the rebuilt DB, and moving the originals aside may stop half-way.
TEST_F(RepairTest, KilledRepairsLeaveARepairableDirectory) {
  const uint32_t seed = Seed();
  Fill(seed);
  fs::remove(CurrentFileName(db_));
  const std::string pristine = root_ + "/pristine";
  fs::copy(db_, pristine, fs::copy_options::recursive);
  // How many file operations one repair makes here, to spread the kills over them.
  KillingEnv counting(Env::Default(), 0);
  Options counted = options_;
  counted.env = &counting;
  RepairReport report;
  ASSERT_TRUE(RepairDB(db_, counted, &report, RepairProgress()).ok());
  const uint64_t repair_ops = counting.ops();
  std::mt19937 rng(seed);
  const int rounds = 12;
  for (int round = 0; round < rounds; ++round) {
    fs::remove_all(db_);
    fs::copy(pristine, db_, fs::copy_options::recursive);
    const uint64_t kill_at = 1 + rng() % repair_ops;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      KillingEnv killing(Env::Default(), kill_at);
      Options child_options = options_;
      child_options.env = &killing;
      RepairReport child_report;
      _exit(RepairDB(db_, child_options, &child_report, RepairProgress()).ok() ? 0 : 1);
    }
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "round " << round << ": not killed at op " << kill_at;
    RepairReport again;
    Status s = Repair(&again);
    ASSERT_TRUE(s.ok()) << "round " << round << " (killed at op " << kill_at << " of " << repair_ops
                        << "): " << s.ToString();
    // A table the killed repair was writing is in its staging directory, which the second
    // repair removes: nothing is taken for a damaged table of the DB.
    EXPECT_TRUE(again.lost.empty())
        << "round " << round << " (killed at op " << kill_at << "): " << again.lost.front();
    EXPECT_FALSE(fs::exists(db_ + "/lost")) << "round " << round;
    EXPECT_FALSE(fs::exists(db_ + "/repair-tmp")) << "round " << round;
    ASSERT_EQ(Contents(), model_) << "round " << round << " (killed at op " << kill_at << " of "
                                  << repair_ops << ")";
  }
}

// A bottommost compaction gives every entry sequence 0, so the tables alone do not say how far
// the sequence got: the repaired DB takes it from the MANIFEST edits (and the logs) too, and new
// writes never reuse a sequence the WAL archive, a set-aside log or a backup may hold.
TEST_F(RepairTest, TheLastSequenceNeverGoesBack) {
  uint64_t before = 0;
  {
    std::unique_ptr<DB> db = Open();
    for (int i = 0; i < 1000; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), "k" + std::to_string(i), "v").ok());
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    const Snapshot* snap = db->GetSnapshot();
    before = snap->sequence();
    db->ReleaseSnapshot(snap);
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_GT(before, 0u);
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(report.last_sequence, before);
  std::unique_ptr<DB> db = Open();
  ASSERT_NE(db, nullptr);
  const Snapshot* snap = db->GetSnapshot();
  EXPECT_GE(snap->sequence(), before);
  db->ReleaseSnapshot(snap);
}

// A file named with a number so large that the repaired DB could not number its files past it
// (ParseFileName takes numbers up to kMaxFileNumber): the repair fails, naming it, before
// anything changes, rather than write a MANIFEST that Open refuses.
TEST_F(RepairTest, AFileNumberTooLargeToNumberPastFailsTheRepairAndChangesNothing) {
  Fill(Seed());
  fs::remove(CurrentFileName(db_));
  const std::string huge = "4611686018427387903.sst";  // kMaxFileNumber
  {
    std::FILE* f = std::fopen((db_ + "/" + huge).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  std::vector<std::string> before = Listing(Env::Default(), db_);
  RepairReport report;
  Status s = Repair(&report);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find(huge), std::string::npos) << s.ToString();
  EXPECT_TRUE(report.manifest.empty());
  std::vector<std::string> after = Listing(Env::Default(), db_);
  std::erase(after, "LOCK");
  std::erase(before, "LOCK");
  EXPECT_EQ(after, before);
  fs::remove(db_ + "/" + huge);  // the remedy: move it out, and repair again
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
}

// A damaged CURRENT says nothing about whether a failed commit renamed it: the repair compares
// its bytes with those it read before the commit. Still the old ones (or still no CURRENT): the
// rename did not happen, and the directory is left as it was (the new files removed, the
// set-aside logs moved back).
// Lists `dir` as the repair releases its LOCK: what the next repair or opener can see.
class ListingAtUnlockEnv final : public FaultInjectionEnv {
 public:
  explicit ListingAtUnlockEnv(std::string dir) : dir_(std::move(dir)) {}
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    at_unlock = Listing(this, dir_);
    return FaultInjectionEnv::UnlockFile(std::move(lock));
  }
  std::vector<std::string> at_unlock;

 private:
  const std::string dir_;
};

TEST_F(RepairTest, AFailedCommitUnderADamagedCurrentChangesNothing) {
  struct Fault {
    FaultOp op;
    const char* path;
    bool no_current;  // no CURRENT at all, rather than a damaged one
  };
  // Before SetCurrentFile; in it, before its rename (the temp file, the rename itself).
  for (const Fault fault :
       {Fault{FaultOp::kCreate, "MANIFEST", false}, Fault{FaultOp::kCreate, "dbtmp", false},
        Fault{FaultOp::kRename, "CURRENT", false}, Fault{FaultOp::kCreate, "dbtmp", true}}) {
    SCOPED_TRACE(std::string(fault.path) + (fault.no_current ? ", no CURRENT" : ""));
    const std::string dir = "/logs";
    ListingAtUnlockEnv env(dir);
    options_.env = &env;
    ASSERT_TRUE(env.CreateDir(dir).ok());
    const uint64_t log5_bytes = WriteLog(&env, dir, 5, wal::LogHead{}, 1, {"a1", "a2"});
    WriteLog(&env, dir, 7, wal::LogHead{5, log5_bytes}, 3, {"b1"});
    ASSERT_TRUE(env.Truncate(LogFileName(dir, FileNumber{5}), log5_bytes - 5).ok());
    if (!fault.no_current) {
      std::unique_ptr<WritableFile> f;
      ASSERT_TRUE(env.NewWritableFile(dir + "/CURRENT", &f).ok());
      ASSERT_TRUE(f->Append("garbage").ok());
      ASSERT_TRUE(f->Close().ok());
    }
    ASSERT_TRUE(env.SyncDir(dir).ok());
    std::vector<std::string> before = Listing(&env, dir);
    std::erase(before, "LOCK");
    env.InjectError(fault.op, fault.path);
    RepairReport report;
    Status s = RepairDB(dir, options_, &report, RepairProgress());
    env.ClearErrors();
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(report.manifest.empty()) << report.manifest;
    std::vector<std::string> after = Listing(&env, dir);
    std::erase(after, "LOCK");
    EXPECT_EQ(after, before);
    // Cleaned up before the LOCK was released, not after.
    std::erase(env.at_unlock, "LOCK");
    EXPECT_EQ(env.at_unlock, before);
  }
}

// An obsolete log still on disk (a crash before its deletion) is the only copy of a flush whose
// table is damaged: the edit that made the log obsolete is not whole, so the log is replayed.
TEST_F(RepairTest, AnObsoleteLogWhoseFlushIsLostIsReplayed) {
  const std::string saved = root_ + "/saved.log";
  std::string log_path;
  {
    std::unique_ptr<DB> db = Open();
    ASSERT_TRUE(db->Put(WriteOptions(), "k1", "v1").ok());
    log_path = Files(FileType::kLogFile).back();
    fs::copy_file(log_path, saved);
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k2", "v2").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  fs::copy_file(saved, log_path, fs::copy_options::overwrite_existing);
  std::vector<std::string> tables = Files(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 2u);
  ASSERT_NO_FATAL_FAILURE(Overwrite(tables[0], 10, "X"));  // damage the first flush's table
  fs::remove(CurrentFileName(db_));
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.lost.size(), 1u);
  EXPECT_TRUE(report.logs_obsolete.empty());
  EXPECT_EQ(ValueAt(options_, db_, "k1"), "v1");
  EXPECT_EQ(ValueAt(options_, db_, "k2"), "v2");
}

// A MANIFEST edit that is intact but written by a newer build (a newer format version, or a tag
// this build does not know) is not skipped as damage: the repair fails with NotSupported, naming
// the MANIFEST, before anything changes, as Open would refuse it.
TEST_F(RepairTest, AnIntactEditOfANewerFormatFailsTheRepairAndChangesNothing) {
  Fill(Seed());
  fs::remove(CurrentFileName(db_));
  VersionEdit newer;
  newer.SetFormatVersion(kManifestFormatVersion + 1);
  newer.SetLogNumber(FileNumber{1});
  std::string newer_record;
  newer.EncodeTo(&newer_record);
  VersionEdit current;
  current.SetLogNumber(FileNumber{1});
  std::string unknown_tag_record;
  current.EncodeTo(&unknown_tag_record);
  unknown_tag_record.push_back(static_cast<char>(120));  // a tag this build does not know
  unknown_tag_record.push_back(static_cast<char>(0));
  for (const std::string& record : {newer_record, unknown_tag_record}) {
    const std::string manifest = ManifestFileName(db_, FileNumber{999998});
    {
      std::unique_ptr<WritableFile> file;
      ASSERT_TRUE(Env::Default()->NewWritableFile(manifest, &file).ok());
      wal::Writer writer(std::move(file), 999998, 0);
      ASSERT_TRUE(writer.AddRecord(record).ok());
      ASSERT_TRUE(writer.Sync().ok());
      ASSERT_TRUE(writer.Close().ok());
    }
    std::vector<std::string> before = Listing(Env::Default(), db_);
    RepairReport report;
    Status s = Repair(&report);
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
    EXPECT_NE(s.ToString().find("MANIFEST-999998"), std::string::npos) << s.ToString();
    std::vector<std::string> after = Listing(Env::Default(), db_);
    std::erase(before, "LOCK");
    std::erase(after, "LOCK");
    EXPECT_EQ(after, before);
    fs::remove(manifest);
  }
  RepairReport report;
  ASSERT_TRUE(Repair(&report).ok());
  EXPECT_EQ(Contents(), model_);
}

// The repaired DB's new IDENTITY is written before the commit (no crash leaves it the old one);
// a failure before the commit puts the old one back, with the rest of the directory as it was.
TEST_F(RepairTest, AFailureBeforeTheCommitKeepsTheIdentity) {
  FaultInjectionEnv env;
  options_.env = &env;
  db_ = "/db";
  Fill(Seed());
  std::string old_identity;
  ASSERT_TRUE(ReadDbIdentity(&env, db_, &old_identity).ok());
  ASSERT_FALSE(old_identity.empty());
  ASSERT_TRUE(env.RemoveFile(CurrentFileName(db_)).ok());
  ASSERT_TRUE(env.SyncDir(db_).ok());
  std::vector<std::string> before = Listing(&env, db_);
  std::erase(before, "LOCK");
  // SetCurrentFile's temp file, before the rename (the first temp file is the new IDENTITY's).
  env.InjectErrorAfter(1, FaultOp::kCreate, "dbtmp", 1, FaultError::kIOError);
  RepairReport report;
  Status s = Repair(&report);
  env.ClearErrors();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  std::vector<std::string> after = Listing(&env, db_);
  std::erase(after, "LOCK");
  EXPECT_EQ(after, before);
  std::string identity;
  ASSERT_TRUE(ReadDbIdentity(&env, db_, &identity).ok());
  EXPECT_EQ(identity, old_identity);
  ASSERT_TRUE(Repair(&report).ok());
  env.DropUnsyncedData();  // a power loss right after: the repaired DB keeps the new identity
  ASSERT_TRUE(ReadDbIdentity(&env, db_, &identity).ok());
  EXPECT_FALSE(identity.empty());
  EXPECT_NE(identity, old_identity);
  EXPECT_EQ(Contents(), model_);
}

// A damaged table moves to lost/ before the commit: a failure after that and before the commit
// moves it back (and removes the lost/ the repair made), leaving the directory as it was.
TEST_F(RepairTest, AFailureBeforeTheCommitMovesLostTablesBack) {
  FaultInjectionEnv env;
  options_.env = &env;
  db_ = "/db";
  std::string damaged;
  ASSERT_NO_FATAL_FAILURE(LoseCurrentAndDamageATable(&env, &damaged));
  std::vector<std::string> before = Listing(&env, db_);
  std::erase(before, "LOCK");
  env.InjectError(FaultOp::kCreate, "MANIFEST");
  RepairReport report;
  Status s = Repair(&report);
  env.ClearErrors();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(report.lost.size(), 1u);
  std::vector<std::string> after = Listing(&env, db_);
  std::erase(after, "LOCK");
  EXPECT_EQ(after, before);
  RepairReport again;
  ASSERT_TRUE(Repair(&again).ok());
  ASSERT_EQ(again.lost.size(), 1u);
  EXPECT_TRUE(env.FileExists(db_ + "/lost/" + damaged));
}

// A table moved to lost/ that cannot be moved back after a failure before the commit is named
// in the returned status, with where it is.
TEST_F(RepairTest, ATableThatCannotBeMovedBackIsNamedInTheStatus) {
  FaultInjectionEnv env;
  options_.env = &env;
  db_ = "/db";
  std::string damaged;
  ASSERT_NO_FATAL_FAILURE(LoseCurrentAndDamageATable(&env, &damaged));
  env.InjectError(FaultOp::kCreate, "MANIFEST");
  env.InjectErrorAfter(1, FaultOp::kRename, "/lost/", 1, FaultError::kIOError);  // the move back
  RepairReport report;
  Status s = Repair(&report);
  env.ClearErrors();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("lost/" + damaged + " could not be moved back"), std::string::npos)
      << s.ToString();
  EXPECT_TRUE(env.FileExists(db_ + "/lost/" + damaged));
}

// With Options::wal_archive_dir set, the repaired DB numbers its files past the archive's
// highest log (a new log must never take an archived log's number) and sequences past its last
// batch.
TEST_F(RepairTest, TheRepairedDbNumbersAndSequencesPastTheWalArchive) {
  Fill(Seed());
  fs::remove(CurrentFileName(db_));
  options_.wal_archive_dir = root_ + "/archive";
  ASSERT_TRUE(fs::create_directory(options_.wal_archive_dir));
  WriteLog(Env::Default(), options_.wal_archive_dir, 900, wal::LogHead{}, 500000, {"x", "y"});
  RepairReport report;
  Status s = Repair(&report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(report.last_sequence, 500001u);
  FileNumber number{};
  FileType type{};
  ASSERT_TRUE(ParseFileName(report.manifest, &number, &type)) << report.manifest;
  EXPECT_GT(raw(number), 900u);
  for (const std::string& log : Files(FileType::kLogFile))
    EXPECT_GT(log, db_ + "/000900.log");
  EXPECT_EQ(Contents(), model_);
}

}  // namespace
}  // namespace ziggydb
