// CompactionJob without a DB: input tables written to an in-memory file system, a hand-built
// Version and Compaction, and the outputs read back.
#include "db/compaction_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "env/fault_env.h"

namespace ziggydb {
namespace {

constexpr const char* kDbName = "/db";
constexpr int kOutputLevel = kNumLevels - 1;  // the last level: outputs are bottommost

struct Entry {
  std::string user_key;
  uint64_t sequence;
  ValueType type;
  std::string value;
  bool operator==(const Entry&) const = default;
};

Entry Put(std::string key, uint64_t sequence, std::string value) {
  return Entry{std::move(key), sequence, ValueType::kValue, std::move(value)};
}
Entry Del(std::string key, uint64_t sequence) {
  return Entry{std::move(key), sequence, ValueType::kDeletion, ""};
}

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << e.user_key << "@" << e.sequence << (e.type == ValueType::kDeletion ? " del" : " ")
            << e.value;
}

class CompactionJobTest : public ::testing::Test {
 protected:
  CompactionJobTest() : icmp_(BytewiseComparator()) {
    EXPECT_TRUE(env_.CreateDir(kDbName).ok());
    table_options_.comparator = &icmp_;
    table_options_.keys_end_in_fixed64 = true;
    table_cache_ = std::make_unique<TableCache>(kDbName, &env_, &table_options_, 100, false);
    context_.icmp = &icmp_;
    context_.table_cache = table_cache_.get();
    context_.output.env = &env_;
    context_.output.dbname = kDbName;
    context_.output.table_options = &table_options_;
    context_.output.table_cache = table_cache_.get();
    context_.output.verify = true;
    context_.new_output = [this](PendingOutput* output) {
      *output = pending_.Register(FileNumber{next_number_++});
      return Status::OK();
    };
    context_.shutdown_requested = &shutdown_;
    options_.target_file_size = uint64_t{1} << 20;
  }

  // Writes `entries` (in internal-key order) as a table of `level`.
  void AddTable(int level, const std::vector<Entry>& entries) {
    const FileNumber number{next_number_++};
    std::unique_ptr<TableOutput> output;
    ASSERT_TRUE(TableOutput::Create(context_.output, number, &output).ok());
    for (const Entry& e : entries) {
      std::string key;
      AppendInternalKey(&key, e.user_key, SequenceNumber{e.sequence}, e.type);
      output->Add(key, e.value, SequenceNumber{e.sequence});
    }
    FileMetaData meta;
    ASSERT_TRUE(output->Finish(&meta).ok());
    edit_.AddFile(level, meta);
  }

  // A compaction of every table of `level` into kOutputLevel.
  std::unique_ptr<Compaction> MakeCompaction(int level) {
    VersionBuilder builder(&icmp_, Version(&icmp_));
    EXPECT_TRUE(builder.Apply(edit_).ok());
    std::shared_ptr<const Version> version;
    EXPECT_TRUE(builder.Finish(&version).ok());
    auto c = std::make_unique<Compaction>(version, level, kOutputLevel, options_);
    c->mutable_inputs(0) = version->files(level);
    c->SetupOtherInputs();
    return c;
  }

  std::vector<Entry> ReadTable(const FileMetaData& meta) {
    std::shared_ptr<const TableReader> table;
    EXPECT_TRUE(table_cache_->FindTable(meta.number, meta.file_bytes, &table).ok());
    std::vector<Entry> entries;
    std::unique_ptr<Iterator> iter = table->NewIterator(ReadOptions());
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      ParsedInternalKey parsed;
      EXPECT_TRUE(ParseInternalKey(iter->key(), &parsed));
      entries.push_back(Entry{std::string(parsed.user_key), raw(parsed.sequence), parsed.type,
                              std::string(iter->value())});
    }
    return entries;
  }

  // Every entry of the outputs, in order.
  std::vector<Entry> ReadOutputs(const CompactionJob& job) {
    std::vector<Entry> entries;
    for (const FileMetaData& out : job.outputs()) {
      std::vector<Entry> table = ReadTable(out);
      entries.insert(entries.end(), table.begin(), table.end());
    }
    return entries;
  }

  // Runs a compaction of level 1 into kOutputLevel with `snapshots`.
  std::vector<Entry> Compact(std::vector<SequenceNumber> snapshots, uint64_t* dropped = nullptr) {
    std::unique_ptr<Compaction> c = MakeCompaction(1);
    CompactionJob job(context_, c.get(), std::move(snapshots));
    EXPECT_TRUE(job.Run().ok());
    if (dropped != nullptr) *dropped = job.dropped_entries();
    return ReadOutputs(job);
  }

  int TableFiles() {
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDbName, &names).ok());
    int tables = 0;
    for (const std::string& name : names) {
      FileNumber number{};
      FileType type{};
      if (ParseFileName(name, &number, &type) && type == FileType::kTableFile) ++tables;
    }
    return tables;
  }

  FaultInjectionEnv env_;
  InternalKeyComparator icmp_;
  TableOptions table_options_;
  Options options_;
  std::unique_ptr<TableCache> table_cache_;
  PendingOutputs pending_;
  std::atomic<bool> shutdown_{false};
  uint64_t next_number_ = 10;
  CompactionJobContext context_;
  VersionEdit edit_;
};

TEST_F(CompactionJobTest, MergesInputsInKeyOrderAndZeroesBottommostSequences) {
  AddTable(1, {Put("a", 5, "a5"), Put("c", 6, "c6")});
  AddTable(kOutputLevel, {Put("b", 1, "b1"), Put("d", 2, "d2")});
  uint64_t dropped = 0;
  EXPECT_EQ(Compact({}, &dropped), (std::vector<Entry>{Put("a", 0, "a5"), Put("b", 0, "b1"),
                                                       Put("c", 0, "c6"), Put("d", 0, "d2")}));
  EXPECT_EQ(dropped, 0u);
}

TEST_F(CompactionJobTest, DropsShadowedVersions) {
  AddTable(1, {Put("k", 10, "new"), Put("x", 4, "x4")});
  AddTable(kOutputLevel, {Put("k", 3, "old")});
  uint64_t dropped = 0;
  EXPECT_EQ(Compact({}, &dropped), (std::vector<Entry>{Put("k", 0, "new"), Put("x", 0, "x4")}));
  EXPECT_EQ(dropped, 1u);
}

TEST_F(CompactionJobTest, KeepsShadowedVersionsASnapshotSees) {
  AddTable(1, {Put("k", 10, "new")});
  AddTable(kOutputLevel, {Put("k", 3, "old")});
  const std::vector<Entry> out = Compact({SequenceNumber{5}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], Put("k", 10, "new"));  // a snapshot predates it: keeps its sequence
  EXPECT_EQ(out[1].value, "old");
}

TEST_F(CompactionJobTest, DropsTombstoneWithNothingBelowIt) {
  AddTable(1, {Del("k", 10), Put("m", 11, "m")});
  AddTable(kOutputLevel, {Put("k", 3, "old")});
  uint64_t dropped = 0;
  EXPECT_EQ(Compact({}, &dropped), (std::vector<Entry>{Put("m", 0, "m")}));
  EXPECT_EQ(dropped, 2u);  // the tombstone and the value it deletes
}

TEST_F(CompactionJobTest, KeepsTombstoneASnapshotNeeds) {
  AddTable(1, {Del("k", 10)});
  AddTable(kOutputLevel, {Put("k", 3, "old")});
  const std::vector<Entry> out = Compact({SequenceNumber{5}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], Del("k", 10));
  EXPECT_EQ(out[1].value, "old");
}

TEST_F(CompactionJobTest, KeepsTombstoneWhenALowerLevelMayHoldTheKey) {
  AddTable(1, {Del("k", 10)});
  AddTable(2, {Put("k", 7, "mid")});
  AddTable(kOutputLevel, {Put("k", 3, "old")});
  // Compact level 1 into level 2: the last level, below it, still holds "k".
  VersionBuilder builder(&icmp_, Version(&icmp_));
  ASSERT_TRUE(builder.Apply(edit_).ok());
  std::shared_ptr<const Version> version;
  ASSERT_TRUE(builder.Finish(&version).ok());
  Compaction c(version, 1, 2, options_);
  c.mutable_inputs(0) = version->files(1);
  c.SetupOtherInputs();
  CompactionJob job(context_, &c, {});
  ASSERT_TRUE(job.Run().ok());
  EXPECT_EQ(ReadOutputs(job), (std::vector<Entry>{Del("k", 10)}));
}

TEST_F(CompactionJobTest, CutsOutputsBySizeBetweenUserKeys) {
  options_.target_file_size = 4096;
  std::vector<Entry> entries;
  const std::string value(100, 'v');
  for (int i = 0; i < 300; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    entries.push_back(Put(key, 1000 + i, value));
    entries.push_back(Put(key, 1, value));  // an older version a snapshot keeps
  }
  AddTable(1, entries);
  AddTable(kOutputLevel, {Put("key00150a", 1, value)});  // a merge, not a move
  entries.push_back(Put("key00150a", 1, value));
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  CompactionJob job(context_, c.get(), {SequenceNumber{500}});
  ASSERT_TRUE(job.Run().ok());
  ASSERT_GT(job.outputs().size(), 2u);
  uint64_t written = 0;
  for (size_t i = 0; i < job.outputs().size(); ++i) {
    const FileMetaData& out = job.outputs()[i];
    written += out.file_bytes;
    // Cut once the blocks written reach the target: at most one more block, and the index.
    EXPECT_LE(out.file_bytes, options_.target_file_size + options_.block_size + 1024)
        << "output " << i;
    if (i > 0) {
      // No user key spans two outputs.
      const std::string_view prev = ExtractUserKey(job.outputs()[i - 1].largest);
      EXPECT_LT(prev, ExtractUserKey(out.smallest));
    }
  }
  EXPECT_EQ(job.write_bytes(), written);
  EXPECT_EQ(ReadOutputs(job).size(), entries.size());
}

TEST_F(CompactionJobTest, TrivialMoveWritesNothing) {
  AddTable(1, {Put("a", 5, "a5")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  ASSERT_TRUE(c->IsTrivialMove());
  const uint64_t before = next_number_;
  CompactionJob job(context_, c.get(), {});
  ASSERT_TRUE(job.Run().ok());
  EXPECT_TRUE(job.outputs().empty());
  EXPECT_EQ(next_number_, before);
  VersionEdit edit;
  job.AddToEdit(&edit);
  ASSERT_EQ(edit.added_files().size(), 1u);
  EXPECT_EQ(edit.added_files()[0].first, kOutputLevel);
  EXPECT_EQ(edit.added_files()[0].second.number, c->inputs(0).front()->number);
  EXPECT_EQ(edit.removed_files().size(), 1u);
  job.RemoveOutputs();  // never the moved input
  EXPECT_EQ(TableFiles(), 1);
}

TEST_F(CompactionJobTest, EditReplacesInputsWithOutputs) {
  AddTable(1, {Put("a", 5, "a5")});
  AddTable(kOutputLevel, {Put("a", 1, "a1")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  CompactionJob job(context_, c.get(), {});
  ASSERT_TRUE(job.Run().ok());
  ASSERT_EQ(job.outputs().size(), 1u);
  VersionEdit edit;
  job.AddToEdit(&edit);
  EXPECT_EQ(edit.removed_files().size(), 2u);
  ASSERT_EQ(edit.added_files().size(), 1u);
  EXPECT_EQ(edit.added_files()[0].second.number, job.outputs()[0].number);
  // Pending until the job is gone.
  EXPECT_TRUE(pending_.Contains(job.outputs()[0].number));
}

TEST_F(CompactionJobTest, OutputNumbersStayPendingUntilTheJobIsDestroyed) {
  AddTable(1, {Put("a", 5, "a5")});
  AddTable(kOutputLevel, {Put("a", 1, "a1")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  FileNumber output{};
  {
    CompactionJob job(context_, c.get(), {});
    ASSERT_TRUE(job.Run().ok());
    ASSERT_EQ(job.outputs().size(), 1u);
    output = job.outputs()[0].number;
    EXPECT_TRUE(pending_.Contains(output));
  }
  EXPECT_FALSE(pending_.Contains(output));
}

TEST_F(CompactionJobTest, FailedOutputRemovesEveryOutput) {
  options_.target_file_size = 4096;
  std::vector<Entry> entries;
  for (int i = 0; i < 300; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    entries.push_back(Put(key, 1000 + i, std::string(100, 'v')));
  }
  AddTable(1, entries);
  AddTable(kOutputLevel, {Put("key00000", 1, "old")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  // Outputs are numbered from next_number_: the third one fails to sync.
  env_.InjectError(FaultOp::kSync, TableFileName(kDbName, FileNumber{next_number_ + 2}));
  CompactionJob job(context_, c.get(), {});
  EXPECT_TRUE(job.Run().IsIOError());
  EXPECT_TRUE(job.outputs().empty());
  EXPECT_EQ(TableFiles(), 2);  // the inputs alone
}

TEST_F(CompactionJobTest, FailedDirectorySyncRemovesEveryOutput) {
  AddTable(1, {Put("a", 5, "a5")});
  AddTable(kOutputLevel, {Put("a", 1, "a1")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  env_.InjectError(FaultOp::kSyncDir, "");
  CompactionJob job(context_, c.get(), {});
  EXPECT_TRUE(job.Run().IsIOError());
  EXPECT_EQ(TableFiles(), 2);
}

TEST_F(CompactionJobTest, ShutdownAbandonsTheJobAndLeavesNoOutput) {
  std::vector<Entry> entries;
  for (int i = 0; i < 3 * static_cast<int>(CompactionJob::kShutdownCheckEntries); ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    entries.push_back(Put(key, 1000 + i, "v"));
  }
  AddTable(1, entries);
  AddTable(kOutputLevel, {Put("key00000", 1, "old")});
  std::unique_ptr<Compaction> c = MakeCompaction(1);
  shutdown_ = true;
  CompactionJob job(context_, c.get(), {});
  EXPECT_TRUE(job.Run().IsBusy());
  EXPECT_EQ(TableFiles(), 2);
}

}  // namespace
}  // namespace ziggydb
