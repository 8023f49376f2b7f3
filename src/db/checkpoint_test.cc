// DB::CreateCheckpoint: taken while writers run, on the POSIX Env (hard links) and on an
// in-memory Env (copies); what a checkpoint holds, and what it refuses.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/checkpoint.h"
#include "db/db_test_util.h"
#include "env/mem_env.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

constexpr int kWriterThreads = 3;
constexpr int kKeysPerThread = 40;

std::string WriterKey(int thread, uint64_t op) {
  return "t" + std::to_string(thread) + "-" + Key(static_cast<int>(op % kKeysPerThread));
}
// Op `op` of a writer: every fifth deletes its key, the others put "v<op>".
bool IsDelete(uint64_t op) {
  return op % 5 == 4;
}

std::map<std::string, std::string> ReadAll(DB* db) {
  std::map<std::string, std::string> all;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next())
    all[std::string(it->key())] = std::string(it->value());
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return all;
}

// The state writer `thread` leaves after its first n ops.
std::map<std::string, std::string> WriterState(int thread, uint64_t n) {
  std::map<std::string, std::string> state;
  for (uint64_t op = 0; op < n; ++op) {
    if (IsDelete(op)) {
      state.erase(WriterKey(thread, op));
    } else {
      state[WriterKey(thread, op)] = "v" + std::to_string(op);
    }
  }
  return state;
}

// Checks that `all` holds, for every writer, the state after some prefix of its ops at least
// acked[t] long: what a state at one sequence number shows, since each writer's ops are
// sequenced in order.
void ExpectWriterPrefixes(const std::map<std::string, std::string>& all,
                          const std::vector<uint64_t>& acked, const std::vector<uint64_t>& done) {
  for (int t = 0; t < kWriterThreads; ++t) {
    std::map<std::string, std::string> mine;
    const std::string prefix = "t" + std::to_string(t) + "-";
    for (const auto& [key, value] : all)
      if (key.starts_with(prefix)) mine[key] = value;
    bool matched = false;
    for (uint64_t n = acked[t]; n <= done[t] && !matched; ++n)
      matched = WriterState(t, n) == mine;
    EXPECT_TRUE(matched) << "writer " << t << " acked " << acked[t] << " done " << done[t];
  }
}

// Runs the writers, takes a checkpoint into `dir` mid-way, and checks it against the writers'
// models. Returns the checkpoint's contents.
void CheckpointWhileWriting(Env* env, const std::string& dbdir, const std::string& dir) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // flushes (and tables to link) come quickly
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dbdir, &db).ok());
  std::atomic<bool> stop{false};
  std::vector<std::atomic<uint64_t>> acked(kWriterThreads);
  std::vector<std::thread> writers;
  const std::string padding(200, 'p');
  for (int t = 0; t < kWriterThreads; ++t) {
    writers.emplace_back([&, t] {
      for (uint64_t op = 0; !stop.load(); ++op) {
        Status s = IsDelete(op)
                       ? db->Delete(WriteOptions(), WriterKey(t, op))
                       : db->Put(WriteOptions(), WriterKey(t, op), "v" + std::to_string(op));
        ASSERT_TRUE(s.ok()) << s.ToString();
        acked[t].store(op + 1);
        // Unrelated bulk, so that the memtable fills and tables get flushed meanwhile.
        if (op % 4 == 0) {
          ASSERT_TRUE(db->Put(WriteOptions(), "bulk" + Key(op % 500), padding).ok());
        }
      }
    });
  }
  while (acked[0].load() < 2000)
    std::this_thread::yield();
  std::vector<uint64_t> acked_before(kWriterThreads);
  for (int t = 0; t < kWriterThreads; ++t)
    acked_before[t] = acked[t].load();
  ASSERT_TRUE(db->CreateCheckpoint(dir).ok());
  while (acked[0].load() < acked_before[0] + 500)
    std::this_thread::yield();
  stop.store(true);
  for (auto& w : writers)
    w.join();
  std::vector<uint64_t> done(kWriterThreads);
  for (int t = 0; t < kWriterThreads; ++t)
    done[t] = acked[t].load();
  ASSERT_TRUE(db->Close().ok());
  db.reset();

  Options copy_options;
  copy_options.env = env;
  std::unique_ptr<DB> copy;
  ASSERT_TRUE(DB::Open(copy_options, dir, &copy).ok());
  const std::map<std::string, std::string> all = ReadAll(copy.get());
  ExpectWriterPrefixes(all, acked_before, done);
  ASSERT_TRUE(copy->Close().ok());
  copy.reset();

  // The checkpoint owes nothing to its source.
  ASSERT_TRUE(DestroyDB(dbdir, options).ok());
  ASSERT_TRUE(DB::Open(copy_options, dir, &copy).ok());
  EXPECT_EQ(ReadAll(copy.get()), all);
  ASSERT_TRUE(copy->Put(WriteOptions(), "after", "x").ok());
  ASSERT_TRUE(copy->Flush().ok());
  ASSERT_TRUE(copy->Close().ok());
}

TEST(Checkpoint, WhileWritersRunOnPosixHardLinksTables) {
  TempDir tmp;
  // Hard links: a linked table has two names until the source goes.
  {
    Options options;
    options.create_if_missing = true;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, tmp.Join("linked-src"), &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    ASSERT_TRUE(db->CreateCheckpoint(tmp.Join("linked")).ok());
    std::vector<std::string> names;
    ASSERT_TRUE(Env::Default()->GetChildren(tmp.Join("linked"), &names).ok());
    int tables = 0;
    for (const std::string& name : names) {
      if (!name.ends_with(".sst")) continue;
      struct stat st;
      ASSERT_EQ(stat((tmp.Join("linked") + "/" + name).c_str(), &st), 0);
      EXPECT_EQ(st.st_nlink, 2u) << name;
      ++tables;
    }
    EXPECT_EQ(tables, 1);
    // A missing parent fails, leaving nothing behind.
    EXPECT_FALSE(db->CreateCheckpoint(tmp.Join("no/such/parent")).ok());
    EXPECT_FALSE(Env::Default()->FileExists(tmp.Join("no")));
    ASSERT_TRUE(db->Close().ok());
  }
  CheckpointWhileWriting(Env::Default(), tmp.Join("db"), tmp.Join("checkpoint"));
}

// The local file system's copy (checkpoint.h's CopyFile*, used by backups and restores): bytes
// across several of its blocks arrive whole and are observed in order; a failed observer or a
// target that cannot be written leaves no file.
TEST(Checkpoint, CopyFileOnPosixCopiesObservesAndCleansUp) {
  TempDir tmp;
  Env* env = Env::Default();
  // Random bytes over two whole 8 MiB blocks and a partial one.
  Random rnd(301);
  std::string data((17 << 20) + 1234, '\0');
  for (char& c : data)
    c = static_cast<char>(rnd.Next64());
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env->NewWritableFile(tmp.Join("from"), &file).ok());
    ASSERT_TRUE(file->Append(data).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  for (bool sync : {true, false}) {
    const std::string to = tmp.Join(sync ? "synced" : "unsynced");
    std::string observed;
    const auto observe = [&](std::string_view block) {
      observed.append(block);
      return Status::OK();
    };
    Status s = sync ? CopyFileSynced(env, tmp.Join("from"), to, observe)
                    : CopyFileUnsynced(env, tmp.Join("from"), to, observe);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(observed == data);
    std::ifstream in(to, std::ios::binary);
    const std::string copied((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    EXPECT_TRUE(copied == data);
  }
  int calls = 0;
  Status s = CopyFileSynced(env, tmp.Join("from"), tmp.Join("stopped"), [&](std::string_view) {
    return ++calls == 2 ? Status::Busy("stop") : Status::OK();
  });
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_FALSE(env->FileExists(tmp.Join("stopped")));
  s = CopyFileSynced(env, tmp.Join("from"), tmp.Join("no/such/dir/to"));
  EXPECT_TRUE(s.IsIOError() || s.IsNotFound()) << s.ToString();
  s = CopyFileSynced(env, tmp.Join("missing"), tmp.Join("to"));
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(env->FileExists(tmp.Join("to")));
}

TEST_F(DBTest, CheckpointOnAnEnvWithoutLinksCopiesTables) {
  Close();
  CheckpointWhileWriting(&env_, "/src", "/checkpoint");
}

TEST_F(DBTest, CheckpointRefusesAnExistingTarget) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(env_.CreateDir("/taken").ok());
  Status s = db_->CreateCheckpoint("/taken");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  ASSERT_TRUE(db_->CreateCheckpoint("/cp").ok());
  s = db_->CreateCheckpoint("/cp");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

TEST_F(DBTest, CheckpointOfAnEmptyDbOpensEmpty) {
  Open();
  ASSERT_TRUE(db_->CreateCheckpoint("/cp").ok());
  Options options;
  options.env = &env_;
  std::unique_ptr<DB> copy;
  ASSERT_TRUE(DB::Open(options, "/cp", &copy).ok());
  EXPECT_TRUE(ReadAll(copy.get()).empty());
}

TEST_F(DBTest, CheckpointWithoutCurrentIsRefused) {
  // What a crash before CURRENT leaves: tables and a MANIFEST. Open must not take it for a DB.
  Open();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), "v").ok());
  ASSERT_TRUE(db_->CreateCheckpoint("/cp").ok());
  ASSERT_TRUE(env_.RemoveFile("/cp/CURRENT").ok());
  Options options;
  options.env = &env_;
  options.create_if_missing = true;
  std::unique_ptr<DB> copy;
  Status s = DB::Open(options, "/cp", &copy);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// Each sync of the checkpoint directory failing in turn (the last one is SetCurrentFile's, after
// CURRENT is renamed into place): the call fails and leaves no directory, so a retry succeeds.
TEST_F(DBTest, AFailedCheckpointLeavesNothing) {
  Open();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), "v").ok());
  for (int skip = 0; skip < 2; ++skip) {
    env_.InjectErrorAfter(skip, FaultOp::kSyncDir, "/cp", 1, FaultError::kIOError);
    Status s = db_->CreateCheckpoint("/cp");
    env_.ClearErrors();
    EXPECT_FALSE(s.ok()) << skip;
    EXPECT_FALSE(env_.FileExists("/cp")) << skip;
  }
  ASSERT_TRUE(db_->CreateCheckpoint("/cp").ok());
  Options options;
  options.env = &env_;
  std::unique_ptr<DB> copy;
  ASSERT_TRUE(DB::Open(options, "/cp", &copy).ok());
  EXPECT_EQ(ReadAll(copy.get()).size(), 100u);
}

// Two checkpoints into one directory at once: exactly one is made, the other refused (both used
// to find the directory absent and write into it).
TEST_F(DBTest, ConcurrentCheckpointsIntoOneDirectoryMakeOne) {
  Open();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), "v").ok());
  for (int round = 0; round < 20; ++round) {
    const std::string dir = "/cp" + std::to_string(round);
    Status results[2];
    std::thread first([&] { results[0] = db_->CreateCheckpoint(dir); });
    results[1] = db_->CreateCheckpoint(dir);
    first.join();
    EXPECT_NE(results[0].ok(), results[1].ok())
        << round << ": " << results[0].ToString() << " / " << results[1].ToString();
    for (const Status& s : results)
      EXPECT_TRUE(s.ok() || s.IsInvalidArgument()) << s.ToString();
  }
}

// A MemEnv that runs `before_create_dir` once, just before the first CreateDir of `target`:
// another process's checkpoint into the same directory, interleaved where the existence check
// cannot see it.
class InterleavingEnv : public MemEnv {
 public:
  std::string target;
  std::function<void()> before_create_dir;

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view) override {
    if (op == FaultOp::kCreate && path == target && before_create_dir) {
      std::function<void()> hook = std::move(before_create_dir);
      before_create_dir = nullptr;
      hook();
    }
    return Status::OK();
  }
};

std::unique_ptr<DB> OpenWithKeys(Env* env, const std::string& dir, const std::string& prefix) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(options, dir, &db).ok());
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(db->Put(WriteOptions(), prefix + Key(i), "v").ok());
  return db;
}

// The other checkpoint found the directory absent too and finished before this one took the
// directory's lock: this one is refused and writes nothing into it.
TEST(CheckpointRace, ACheckpointFinishedMeanwhileIsNotWrittenInto) {
  InterleavingEnv env;
  std::unique_ptr<DB> mine = OpenWithKeys(&env, "/mine", "m");
  std::unique_ptr<DB> theirs = OpenWithKeys(&env, "/theirs", "t");
  env.target = "/cp";
  Status their_result;
  env.before_create_dir = [&] { their_result = theirs->CreateCheckpoint("/cp"); };
  Status s = mine->CreateCheckpoint("/cp");
  ASSERT_TRUE(their_result.ok()) << their_result.ToString();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  Options options;
  options.env = &env;
  std::unique_ptr<DB> copy;
  ASSERT_TRUE(DB::Open(options, "/cp", &copy).ok());
  const std::map<std::string, std::string> all = ReadAll(copy.get());
  EXPECT_EQ(all.size(), 20u);
  for (const auto& entry : all)
    EXPECT_TRUE(entry.first.starts_with("t")) << entry.first;
}

// The other checkpoint holds the directory's lock (it is still writing): this one is refused and
// removes nothing of the other's.
TEST(CheckpointRace, ACheckpointLosingTheLockRemovesNothing) {
  InterleavingEnv env;
  std::unique_ptr<DB> mine = OpenWithKeys(&env, "/mine", "m");
  env.target = "/cp";
  std::unique_ptr<FileLock> theirs;
  env.before_create_dir = [&] {
    ASSERT_TRUE(env.CreateDir("/cp").ok());
    ASSERT_TRUE(env.LockFile("/cp/LOCK", &theirs).ok());
  };
  Status s = mine->CreateCheckpoint("/cp");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  std::vector<std::string> names;
  ASSERT_TRUE(env.GetChildren("/cp", &names).ok());
  EXPECT_TRUE(std::find(names.begin(), names.end(), "LOCK") != names.end());
  ASSERT_NE(theirs, nullptr);
  EXPECT_TRUE(env.UnlockFile(std::move(theirs)).ok());
}

// A MemEnv whose listing of `dir` fails once the directory exists.
class FailingListEnv : public MemEnv {
 public:
  std::string dir;
  Status GetChildren(const std::string& path, std::vector<std::string>* names) override {
    if (path == dir && FileExists(dir)) return Status::IOError("injected listing error", path);
    return MemEnv::GetChildren(path, names);
  }
};

// The re-check after the lock cannot list the directory: the checkpoint fails and removes the
// directory and LOCK it made.
TEST(CheckpointRace, AFailedRecheckLeavesNothing) {
  FailingListEnv env;
  std::unique_ptr<DB> mine = OpenWithKeys(&env, "/mine", "m");
  env.dir = "/cp";
  Status s = mine->CreateCheckpoint("/cp");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(env.FileExists("/cp/LOCK"));
  EXPECT_FALSE(env.FileExists("/cp"));
}

TEST_F(DBTest, CheckpointAfterCloseIsRefused) {
  Open();
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_TRUE(db_->CreateCheckpoint("/cp").IsInvalidArgument());
  EXPECT_FALSE(env_.FileExists("/cp"));
}

}  // namespace
}  // namespace ziggydb::test
