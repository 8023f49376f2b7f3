// Helpers for the DB unit tests: a fixture over an in-memory fault-injecting file system.
#ifndef ZIGGYDB_DB_DB_TEST_UTIL_H_
#define ZIGGYDB_DB_DB_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/db_properties.h"
#include "db/filename.h"
#include "env/fault_env.h"
#include "util/mutex.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/listener.h"

namespace ziggydb::test {

// "key00000042": fixed width, so numeric order is key order.
inline std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

// Records each completed compaction as "<reason> L<input level>-><output level>", e.g.
// "reads L0->L6" (CompactionReasonName).
class CompactionReasons final : public EventListener {
 public:
  void OnCompactionCompleted(DB* /*db*/, const CompactionJobInfo& info) override {
    MutexLock lock(&mu_);
    seen_.push_back(std::string(CompactionReasonName(info.reason)) + " L" +
                    std::to_string(info.input_level) + "->L" + std::to_string(info.output_level));
  }
  // The compactions recorded since the last call.
  std::vector<std::string> Take() {
    MutexLock lock(&mu_);
    return std::exchange(seen_, {});
  }

 private:
  Mutex mu_;
  std::vector<std::string> seen_ GUARDED_BY(mu_);
};

// Options over `env` that create the DB when missing: the usual start of a test with its own
// Env.
inline Options CreatingOptions(Env* env) {
  Options options;
  options.env = env;
  options.create_if_missing = true;
  return options;
}

// Opens (creating) the DB `name` with `options`, writes "a" -> "1", flushes it into a table and
// closes the DB.
inline void MakeDbWithOneTable(const Options& options, const std::string& name) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, name, &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "a", "1").ok());
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->Close().ok());
}

// Blocks every thread that calls Enter() until Release() (then lets all through for good): holds
// a flush or compaction in a listener or hook while a test sets up what it needs.
class Gate {
 public:
  void Enter() {
    MutexLock lock(&mu_);
    while (!open_)
      opened_.Wait(&mu_);
  }
  void Release() {
    MutexLock lock(&mu_);
    open_ = true;
    opened_.NotifyAll();
  }

 private:
  Mutex mu_;
  CondVar opened_;  // waiters: Enter; notifier: Release
  bool open_ GUARDED_BY(mu_) = false;
};

class DBTest : public ::testing::Test {
 protected:
  static constexpr const char* kDbName = "/db";

  DBTest() {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;  // the minimum: flushes come quickly
  }
  ~DBTest() override { Close(); }

  Status TryOpen() {
    Close();
    return DB::Open(options_, kDbName, &db_);
  }
  void Reopen() { ASSERT_TRUE(TryOpen().ok()); }
  void Open() { Reopen(); }
  void Close() { db_.reset(); }

  Status Put(const std::string& key, const std::string& value, bool sync = false) {
    WriteOptions options;
    options.sync = sync;
    return db_->Put(options, key, value);
  }
  Status Delete(const std::string& key) { return db_->Delete(WriteOptions(), key); }
  // The value, "NOT_FOUND", or the error.
  std::string Get(const std::string& key, const Snapshot* snapshot = nullptr) {
    ReadOptions options;
    options.snapshot = snapshot;
    std::string value;
    Status s = db_->Get(options, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return s.ToString();
    return value;
  }
  uint64_t NumericProperty(const std::string& name) {
    std::string value;
    EXPECT_TRUE(db_->GetProperty(name, &value)) << name;
    return std::stoull(value);
  }
  // The DB's counters and shape as numbers (DBImpl::GetStats), for assertions.
  DBStats DbStats() { return static_cast<DBImpl*>(db_.get())->GetStats(); }
  int FilesAtLevel(int level) {
    return static_cast<int>(NumericProperty("ziggydb.num-files-at-level" + std::to_string(level)));
  }
  // Two L0 tables over keys 0..keys-1 (the even keys, then the odd ones; Key(i) ->
  // OverlapValue(i)) and no other table. Needs a memtable that holds either half and an L0
  // trigger above 2.
  static std::string OverlapValue(int i) { return "v" + std::to_string(i); }
  void WriteTwoOverlappingL0Tables(int keys) {
    for (int parity = 0; parity < 2; ++parity) {
      for (int i = parity; i < keys; i += 2)
        ASSERT_TRUE(Put(Key(i), OverlapValue(i)).ok());
      ASSERT_TRUE(db_->Flush().ok());
    }
    ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
    ASSERT_EQ(FilesAtLevel(0), 2);
    for (int level = 1; level < kNumLevels; ++level)
      ASSERT_EQ(FilesAtLevel(level), 0) << level;
  }

  // Names in the DB directory of the given type, ascending by number.
  std::vector<std::string> FilesOfType(FileType wanted) {
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDbName, &names).ok());
    std::vector<std::pair<uint64_t, std::string>> found;
    for (const auto& name : names) {
      FileNumber number{};
      FileType type{};
      if (ParseFileName(name, &number, &type) && type == wanted) {
        found.emplace_back(raw(number), std::string(kDbName) + "/" + name);
      }
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> paths;
    for (auto& [number, path] : found)
      paths.push_back(path);
    return paths;
  }
  // Every file's name and contents, to check that a failed Open touched nothing.
  std::map<std::string, std::string> DirContents() {
    std::map<std::string, std::string> result;
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDbName, &names).ok());
    for (const auto& name : names)
      result[name] = ReadWhole(std::string(kDbName) + "/" + name);
    return result;
  }
  std::string ReadWhole(const std::string& path) {
    std::unique_ptr<SequentialFile> file;
    if (!env_.NewSequentialFile(path, &file).ok()) return "<unreadable>";
    std::string data;
    std::string scratch(1 << 16, '\0');
    while (true) {
      std::string_view chunk;
      if (!file->Read(scratch.size(), &chunk, scratch.data()).ok()) return "<read error>";
      if (chunk.empty()) break;
      data.append(chunk);
    }
    return data;
  }
  void WriteWhole(const std::string& path, const std::string& data) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(data).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
    ASSERT_TRUE(env_.SyncDir(kDbName).ok());
  }

  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace ziggydb::test

#endif  // ZIGGYDB_DB_DB_TEST_UTIL_H_
