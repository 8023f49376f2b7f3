// Every crash state of small workloads (docs/design/testing.md, "Every crash state"): each
// workload runs once on a RecordingEnv over a MemEnv; every state a power loss could have left
// (crashstate/crash_states.h) is materialised into a fresh MemEnv, recovered by DB::Open and
// checked against the history of acknowledged writes:
//   - Open succeeds (the model never produces damage a correct engine must refuse);
//   - the DB holds exactly the writes of some prefix of the batches in commit order (so batches
//     are whole and nothing later survives without everything earlier);
//   - that prefix holds every batch acknowledged with sync=true, and every batch acknowledged
//     before an acknowledged Flush, by the crash;
//   - a checkpoint directory opens as a prefix holding every batch acknowledged before
//     CreateCheckpoint was called, or (only while CreateCheckpoint had not returned) is refused;
//   - a backup directory opens; a backup it lists restores to such a prefix, and an acknowledged
//     backup is listed.
// Identical states (by hash) are checked once, against the bounds of every crash point that
// produced them. ZIGGY_TEST_SCALE multiplies the batches of every workload.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crashstate/crash_states.h"
#include "db/db_impl.h"
#include "env/mem_env.h"
#include "env/recording_env.h"
#include "testutil/testutil.h"
#include "util/hash.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/listener.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

constexpr char kDbDir[] = "/db";
constexpr char kCheckpointDir[] = "/ckpt";
constexpr char kBackupDir[] = "/backup";
constexpr char kRestoreDir[] = "/restore";

using Contents = std::map<std::string, std::string>;

uint64_t HashContents(const Contents& contents) {
  uint64_t hash = 0;
  for (const auto& [key, value] : contents)
    hash = Hash64(value, Hash64(key, hash + 1));
  return hash;
}

// A batch as the workload issued it, with the log positions around the call.
struct Batch {
  std::vector<std::pair<std::string, std::optional<std::string>>> ops;
  uint64_t start;  // RecordingEnv::Mark() before the call
};

// A directory copy (checkpoint or backup) taken while batches [0, before) were acknowledged.
struct Copy {
  size_t before = 0;
  uint64_t start = 0;
  uint64_t ack = UINT64_MAX;  // Mark() when the call returned OK
};

class Workload {
 public:
  Workload() : env_(&mem_) {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.use_mmap_reads = false;
    // The smallest memtable: the WAL's preallocation follows it, and every state holds a copy.
    options_.memtable_bytes = 64 << 10;
  }

  Options& options() { return options_; }
  RecordingEnv* env() { return &env_; }
  DB* db() { return db_.get(); }

  void Open() { ASSERT_TRUE(DB::Open(options_, kDbDir, &db_).ok()); }
  void Close() {
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  }

  // Batch i puts `keys` keys (and deletes one key every fifth batch) with values of value_bytes.
  void Write(bool sync, int keys, size_t value_bytes) {
    const size_t i = batches_.size();
    Batch batch{.start = env_.Mark()};
    WriteBatch wb;
    for (int n = 0; n < keys; ++n) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%04zu", (i * 7 + static_cast<size_t>(n) * 13) % 97);
      std::string value = "v" + std::to_string(i) + "." + std::to_string(n) + ":";
      value.resize(std::max(value.size(), value_bytes), static_cast<char>('a' + i % 26));
      wb.Put(key, value);
      batch.ops.emplace_back(key, std::move(value));
    }
    if (i % 5 == 4) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%04zu", (i * 11) % 97);
      wb.Delete(key);
      batch.ops.emplace_back(key, std::nullopt);
    }
    WriteOptions write_options;
    write_options.sync = sync;
    ASSERT_TRUE(db_->Write(write_options, wb).ok());
    batches_.push_back(std::move(batch));
    if (sync) floors_.emplace_back(env_.Mark(), batches_.size());
  }

  // One batch deleting every key an earlier batch put.
  void DeleteEverything() {
    std::set<std::string> keys;
    for (const Batch& batch : batches_) {
      for (const auto& [key, value] : batch.ops)
        keys.insert(key);
    }
    Batch batch{.start = env_.Mark()};
    WriteBatch wb;
    for (const std::string& key : keys) {
      wb.Delete(key);
      batch.ops.emplace_back(key, std::nullopt);
    }
    ASSERT_TRUE(db_->Write(WriteOptions(), wb).ok());
    batches_.push_back(std::move(batch));
  }

  void Flush() {
    const size_t before = batches_.size();
    ASSERT_TRUE(db_->Flush().ok());
    floors_.emplace_back(env_.Mark(), before);
  }

  void Checkpoint() {
    checkpoint_ = Copy{.before = batches_.size(), .start = env_.Mark()};
    ASSERT_TRUE(db_->CreateCheckpoint(kCheckpointDir).ok());
    checkpoint_->ack = env_.Mark();
  }

  void Backup() {
    backup_ = Copy{.before = batches_.size(), .start = env_.Mark()};
    BackupEngineOptions backup_options;
    backup_options.env = &env_;
    std::unique_ptr<BackupEngine> engine;
    ASSERT_TRUE(BackupEngine::Open(kBackupDir, backup_options, &engine).ok());
    uint32_t id = 0;
    ASSERT_TRUE(engine->CreateNewBackup(db_.get(), /*flush_first=*/true, &id).ok());
    engine.reset();
    backup_->ack = env_.Mark();
  }

  // Enumerates and checks every crash state; returns the number of distinct states.
  uint64_t CheckAllCrashStates(const char* name);

 private:
  struct Seen {
    uint64_t first_k;
    uint64_t last_k;
    bool checked = false;
  };

  // The prefixes j (batches kept) a state seen at crash points [first_k, last_k] may hold.
  size_t Lowest(uint64_t last_k) const {
    size_t lo = 0;
    for (const auto& [mark, batches] : floors_) {
      if (mark <= last_k) lo = std::max(lo, batches);
    }
    return lo;
  }
  size_t Highest(uint64_t first_k) const {
    size_t hi = 0;
    while (hi < batches_.size() && batches_[hi].start < first_k)
      ++hi;
    return hi;
  }
  // Whether `contents` equals the state after j batches for some j in [lo, hi].
  bool IsPrefix(const Contents& contents, size_t lo, size_t hi) const {
    const uint64_t hash = HashContents(contents);
    for (size_t j = lo; j <= hi && j < prefix_hashes_.size(); ++j) {
      if (prefix_hashes_[j] == hash) return true;
    }
    return false;
  }
  // The live files in dirs, without the lock and the info logs (which the log leaves out).
  std::map<std::string, std::string> LiveFiles(const std::set<std::string>& dirs);
  std::string Describe(const DiskState& state, const Seen& seen) const;
  void CheckState(const DiskState& state, const Seen& seen);
  // Get of every key the workload wrote agrees with `contents` (a scan's).
  void CheckGets(DB* db, const Contents& contents);
  void CheckDb(Env* env, const std::string& dir, size_t lo, size_t hi, const std::string& what,
               bool must_open);

  MemEnv mem_;
  RecordingEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
  std::vector<Batch> batches_;
  std::vector<std::pair<uint64_t, size_t>> floors_;  // (mark, batches that must survive after it)
  std::optional<Copy> checkpoint_;
  std::optional<Copy> backup_;
  std::vector<uint64_t> prefix_hashes_;  // [j]: HashContents of the state after j batches
  std::string failure_context_;
};

bool ReadAll(DB* db, Contents* contents, Status* status) {
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next())
    (*contents)[std::string(it->key())] = std::string(it->value());
  *status = it->status();
  return status->ok();
}

void Workload::CheckGets(DB* db, const Contents& contents) {
  std::set<std::string> keys;
  for (const Batch& batch : batches_)
    for (const auto& op : batch.ops)
      keys.insert(op.first);
  for (const std::string& key : keys) {
    std::string value;
    const Status s = db->Get(ReadOptions(), key, &value);
    const auto it = contents.find(key);
    if (it == contents.end()) {
      EXPECT_TRUE(s.IsNotFound()) << "Get(" << key << ") of a key the scan lacks: "
                                  << (s.ok() ? value : s.ToString()) << "\n"
                                  << failure_context_;
    } else {
      EXPECT_TRUE(s.ok() && value == it->second)
          << "Get(" << key << "): " << (s.ok() ? value : s.ToString()) << ", the scan says "
          << it->second << "\n"
          << failure_context_;
    }
  }
}

std::map<std::string, std::string> Workload::LiveFiles(const std::set<std::string>& dirs) {
  std::map<std::string, std::string> files;
  for (const std::string& dir : dirs) {
    std::vector<std::string> names;
    EXPECT_TRUE(mem_.GetChildren(dir, &names).ok()) << dir;
    for (const std::string& name : names) {
      const std::string path = dir + "/" + name;
      if (dirs.count(path) > 0 || name == "LOCK" || name.starts_with("LOG")) continue;
      std::unique_ptr<SequentialFile> file;
      EXPECT_TRUE(mem_.NewSequentialFile(path, &file).ok()) << path;
      std::string bytes;
      std::string scratch(1 << 16, '\0');
      std::string_view chunk;
      do {
        EXPECT_TRUE(file->Read(scratch.size(), &chunk, scratch.data()).ok()) << path;
        bytes.append(chunk);
      } while (!chunk.empty());
      files[path] = std::move(bytes);
    }
  }
  return files;
}

std::string Workload::Describe(const DiskState& state, const Seen& seen) const {
  std::string text = "crash after ops [" + std::to_string(seen.first_k) + ", " +
                     std::to_string(seen.last_k) + "] of the log; files:";
  for (const auto& [path, bytes] : state.files)
    text += " " + path + "(" + std::to_string(bytes.size()) + ")";
  return text;
}

void Workload::CheckDb(Env* env, const std::string& dir, size_t lo, size_t hi,
                       const std::string& what, bool must_open) {
  Options options = options_;
  options.env = env;
  options.create_if_missing = !must_open && dir == kDbDir;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, dir, &db);
  if (!s.ok()) {
    if (must_open)
      ADD_FAILURE() << what << ": Open failed: " << s.ToString() << "\n" << failure_context_;
    return;
  }
  Contents contents;
  if (!ReadAll(db.get(), &contents, &s)) {
    ADD_FAILURE() << what << ": scan failed: " << s.ToString() << "\n" << failure_context_;
    return;
  }
  EXPECT_TRUE(IsPrefix(contents, lo, hi))
      << what << ": " << contents.size() << " keys are no prefix of batches [" << lo << ", " << hi
      << "]\n"
      << failure_context_;
  EXPECT_TRUE(db->Close().ok());
}

void Workload::CheckState(const DiskState& state, const Seen& seen) {
  failure_context_ = Describe(state, seen);
  MemEnv env;
  ASSERT_TRUE(state.Materialize(&env).ok());
  const size_t lo = Lowest(seen.last_k);
  const size_t hi = Highest(seen.first_k);
  ASSERT_LE(lo, hi) << failure_context_;
  {
    // The main DB: created if the crash came before its creation was durable.
    Options options = options_;
    options.env = &env;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDbDir, &db);
    ASSERT_TRUE(s.ok()) << "Open failed: " << s.ToString() << "\n" << failure_context_;
    Contents contents;
    ASSERT_TRUE(ReadAll(db.get(), &contents, &s)) << s.ToString() << "\n" << failure_context_;
    EXPECT_TRUE(IsPrefix(contents, lo, hi))
        << contents.size() << " keys are no prefix of batches [" << lo << ", " << hi << "]\n"
        << failure_context_;
    // Point reads agree with the scan (they take other paths: L0 order, bloom filters).
    CheckGets(db.get(), contents);
    ASSERT_FALSE(batches_.empty());
    // The recovered DB takes writes: an overwrite of a workload key is what reads return (a
    // sequence recovered too low would hide it behind the older version), then and after a
    // second recovery.
    contents[batches_.front().ops.front().first] = "after recovery";
    WriteOptions sync;
    sync.sync = true;
    s = db->Put(sync, batches_.front().ops.front().first, "after recovery");
    ASSERT_TRUE(s.ok()) << "write after recovery: " << s.ToString() << "\n" << failure_context_;
    CheckGets(db.get(), contents);
    ASSERT_TRUE(db->Close().ok());
    db.reset();
    s = DB::Open(options, kDbDir, &db);
    ASSERT_TRUE(s.ok()) << "second Open failed: " << s.ToString() << "\n" << failure_context_;
    Contents reopened;
    ASSERT_TRUE(ReadAll(db.get(), &reopened, &s)) << s.ToString() << "\n" << failure_context_;
    EXPECT_EQ(reopened, contents) << "after a write and a second recovery\n" << failure_context_;
    CheckGets(db.get(), contents);
    ASSERT_TRUE(db->Close().ok());
  }
  if (checkpoint_.has_value() && seen.first_k > checkpoint_->start) {
    const bool acked = checkpoint_->ack <= seen.last_k;
    const size_t ckpt_hi = std::min(hi, Highest(std::min(seen.first_k, checkpoint_->ack)));
    CheckDb(&env, kCheckpointDir, checkpoint_->before, ckpt_hi, "checkpoint", acked);
  }
  if (backup_.has_value() && seen.first_k > backup_->start) {
    const bool acked = backup_->ack <= seen.last_k;
    BackupEngineOptions backup_options;
    backup_options.env = &env;
    std::unique_ptr<BackupEngine> engine;
    Status s = BackupEngine::Open(kBackupDir, backup_options, &engine);
    ASSERT_TRUE(s.ok()) << "backup engine: " << s.ToString() << "\n" << failure_context_;
    const std::vector<BackupInfo> infos = engine->GetBackupInfo();
    EXPECT_TRUE(infos.size() == 1 || (!acked && infos.empty()))
        << infos.size() << " backups listed\n"
        << failure_context_;
    if (infos.size() == 1) {
      s = engine->RestoreDBFromBackup(infos[0].id, kRestoreDir);
      ASSERT_TRUE(s.ok()) << "restore: " << s.ToString() << "\n" << failure_context_;
      const size_t backup_hi = std::min(hi, Highest(std::min(seen.first_k, backup_->ack)));
      CheckDb(&env, kRestoreDir, backup_->before, backup_hi, "restored backup", true);
    }
  }
}

uint64_t Workload::CheckAllCrashStates(const char* name) {
  Contents contents;
  prefix_hashes_.push_back(HashContents(contents));
  for (const Batch& batch : batches_) {
    for (const auto& [key, value] : batch.ops) {
      if (value.has_value()) {
        contents[key] = *value;
      } else {
        contents.erase(key);
      }
    }
    prefix_hashes_.push_back(HashContents(contents));
  }

  const std::vector<FsOp> log = env_.Log();
  CrashStateOptions options;
  // Holes in overwrites (a lost page of the preallocated WAL before a kept one) are part of the
  // model; ZIGGY_CRASH_STATE_HOLES=0 leaves them out.
  options.overwrite_holes = true;
  if (const char* holes = std::getenv("ZIGGY_CRASH_STATE_HOLES"); holes != nullptr) {
    options.overwrite_holes = std::string(holes) != "0";
  }
  // Pass 1: which distinct states arise, and at which crash points.
  // The log is faithful when one state after its last operation (everything kept) is the live
  // file system.
  std::unordered_map<uint64_t, Seen> seen;
  uint64_t visits = 0;
  bool live_state_seen = false;
  const uint64_t capped =
      EnumerateCrashStates(log, options, [&](uint64_t k, const DiskState& state) {
        ++visits;
        auto [it, inserted] = seen.try_emplace(state.Hash(), Seen{k, k});
        it->second.last_k = k;
        if (k == log.size() && state.files == LiveFiles(state.dirs)) live_state_seen = true;
      });
  EXPECT_TRUE(live_state_seen) << "the log does not replay to the live file system";
  // Pass 2: check each distinct state once.
  EnumerateCrashStates(log, options, [&](uint64_t, const DiskState& state) {
    Seen& entry = seen.at(state.Hash());
    if (entry.checked || ::testing::Test::HasFatalFailure()) return;
    entry.checked = true;
    CheckState(state, entry);
  });
  std::printf(
      "crash states [%s]: %zu operations, %zu batches, %llu states visited, %zu distinct "
      "checked, %llu crash points capped\n",
      name, log.size(), batches_.size(), static_cast<unsigned long long>(visits), seen.size(),
      static_cast<unsigned long long>(capped));
  std::fflush(stdout);
  return seen.size();
}

uint64_t Batches(uint64_t base) {
  return ScaledIterations(base);
}

TEST(CrashStateTest, SyncedWrites) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(20); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 1 + static_cast<int>(i % 3), 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("synced writes"), 0u);
}

TEST(CrashStateTest, UnsyncedWrites) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(40); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/i % 8 == 7, 1 + static_cast<int>(i % 3), 300));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("unsynced writes"), 0u);
}

TEST(CrashStateTest, MemtableSwitchAndFlush) {
  Workload w;  // ~70 batches of 1 KiB switch the 64 KiB memtable
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(90); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/i % 16 == 15, 1, 1000));
  ASSERT_NO_FATAL_FAILURE(w.Flush());
  ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 2, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("memtable switch and flush"), 0u);
}

TEST(CrashStateTest, Compaction) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (int round = 0; round < 3; ++round) {
    for (uint64_t i = 0; i < Batches(8); ++i)
      ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 3, 200));
    ASSERT_NO_FATAL_FAILURE(w.Flush());
  }
  ASSERT_TRUE(w.db()->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 1, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("compaction"), 0u);
}

// A reclaim compaction (docs/design/compaction.md): deletes compacted into the last level under
// a snapshot keep the values and the tombstones; releasing the snapshot rewrites that table in
// place (here into no table at all). A crash anywhere in it leaves the table or its absence.
TEST(CrashStateTest, ReclaimCompaction) {
  struct Reclaims final : EventListener {
    void OnCompactionCompleted(DB* /*db*/, const CompactionJobInfo& info) override {
      if (info.reason == CompactionReason::kReclaim && info.status.ok()) ++count;
    }
    std::atomic<int> count{0};
  };
  auto reclaims = std::make_shared<Reclaims>();
  Workload w;
  w.options().listeners.push_back(reclaims);
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(8); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 3, 200));
  ASSERT_TRUE(w.db()->CompactRange(std::nullopt, std::nullopt).ok());
  const Snapshot* snapshot = w.db()->GetSnapshot();
  ASSERT_NO_FATAL_FAILURE(w.DeleteEverything());
  ASSERT_TRUE(w.db()->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_EQ(reclaims->count, 0);
  w.db()->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(w.db()->WaitForBackgroundWork().ok());
  ASSERT_EQ(reclaims->count, 1);
  ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 1, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("reclaim compaction"), 0u);
}

TEST(CrashStateTest, ManifestRolloverAndRecovery) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  static_cast<DBImpl*>(w.db())->TEST_SetManifestRollBytes(1);  // a new MANIFEST for every edit
  for (int round = 0; round < 3; ++round) {
    for (uint64_t i = 0; i < Batches(5); ++i)
      ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 2, 100));
    ASSERT_NO_FATAL_FAILURE(w.Flush());
  }
  // Close leaves logged writes in the WAL: the reopen recovers them (a table, a new MANIFEST,
  // the old WAL deleted), so crashes land inside recovery too.
  for (uint64_t i = 0; i < Batches(5); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 2, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  ASSERT_NO_FATAL_FAILURE(w.Open());
  ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 2, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("MANIFEST rollover and recovery"), 0u);
}

TEST(CrashStateTest, Checkpoint) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(15); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 2, 200));
  ASSERT_NO_FATAL_FAILURE(w.Checkpoint());
  for (uint64_t i = 0; i < Batches(3); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 1, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("checkpoint"), 0u);
}

TEST(CrashStateTest, Backup) {
  Workload w;
  ASSERT_NO_FATAL_FAILURE(w.Open());
  for (uint64_t i = 0; i < Batches(15); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/false, 2, 200));
  ASSERT_NO_FATAL_FAILURE(w.Backup());
  for (uint64_t i = 0; i < Batches(3); ++i)
    ASSERT_NO_FATAL_FAILURE(w.Write(/*sync=*/true, 1, 100));
  ASSERT_NO_FATAL_FAILURE(w.Close());
  EXPECT_GT(w.CheckAllCrashStates("backup"), 0u);
}

}  // namespace
}  // namespace ziggydb::test
