// Tests of the recovery component (recovery.h) on its own, in the in-memory env: WALs written
// here record by record, a table writer that only records what it was handed, and a counter as
// the file-number source. Open's use of it: db_recovery_test.cc, db_older_logs_test.cc.
#include "db/recovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "db/filename.h"
#include "db/version_set.h"
#include "db/write_batch_internal.h"
#include "env/fault_env.h"
#include "util/comparator.h"
#include "wal/log_writer.h"

namespace ziggydb {
namespace {

const std::string kDb = "/db";

class RecoveryTest : public ::testing::Test {
 protected:
  RecoveryTest() : icmp_(BytewiseComparator()) {
    EXPECT_TRUE(env_.CreateDir(kDb).ok());
    inputs_.env = &env_;
    inputs_.dbname = kDb;
    inputs_.icmp = &icmp_;
    inputs_.memtable_bytes = size_t{4} << 20;
    inputs_.log_number = FileNumber{3};
    inputs_.last_sequence = SequenceNumber{0};
    inputs_.write_table = [this](const MemTable& mem, FileMetaData* meta) {
      if (!write_status_.ok()) return write_status_;
      tables_.push_back({meta->number, mem.NumEntries()});
      meta->file_bytes = 100;
      return Status::OK();
    };
    inputs_.new_file_number = [this](FileNumber* number) {
      *number = FileNumber{next_file_++};
      return Status::OK();
    };
    inputs_.mark_file_number_used = [this](FileNumber n) {
      next_file_ = std::max(next_file_, raw(n) + 1);
    };
  }

  // A batch of one put per key, numbered from `sequence`.
  static std::string Batch(uint64_t sequence, const std::vector<std::string>& keys) {
    WriteBatch batch;
    for (const std::string& key : keys)
      batch.Put(key, "value-of-" + key);
    WriteBatchInternal::SetSequence(&batch, SequenceNumber{sequence});
    return std::string(WriteBatchInternal::Contents(batch));
  }

  // Writes log `number` with `head` and the records; returns its size.
  uint64_t WriteLog(uint64_t number, const wal::LogHead& head,
                    const std::vector<std::string>& records) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(env_.NewWritableFile(LogFileName(kDb, FileNumber{number}), &file).ok());
    wal::Writer writer(std::move(file), number, 0);
    EXPECT_TRUE(writer.AddHead(head).ok());
    for (const std::string& record : records)
      EXPECT_TRUE(writer.AddRecord(record).ok());
    EXPECT_TRUE(writer.Close().ok());
    return LogSize(number);
  }
  // Overwrites bytes [begin, end) of log `number` with zeros, as a lost page reads.
  void ZeroRange(uint64_t number, uint64_t begin, uint64_t end) {
    const std::string path = LogFileName(kDb, FileNumber{number});
    std::unique_ptr<SequentialFile> in;
    ASSERT_TRUE(env_.NewSequentialFile(path, &in).ok());
    std::string contents(LogSize(number), '\0');
    std::string_view read;
    ASSERT_TRUE(in->Read(contents.size(), &read, contents.data()).ok());
    ASSERT_EQ(read.size(), contents.size());
    contents.assign(read);
    ASSERT_LE(end, contents.size());
    std::fill(contents.begin() + static_cast<ptrdiff_t>(begin),
              contents.begin() + static_cast<ptrdiff_t>(end), '\0');
    std::unique_ptr<WritableFile> out;
    ASSERT_TRUE(env_.NewWritableFile(path, &out).ok());
    ASSERT_TRUE(out->Append(contents).ok());
    ASSERT_TRUE(out->Sync().ok());
    ASSERT_TRUE(out->Close().ok());
  }
  uint64_t LogSize(uint64_t number) {
    uint64_t bytes = 0;
    EXPECT_TRUE(env_.GetFileSize(LogFileName(kDb, FileNumber{number}), &bytes).ok());
    return bytes;
  }

  Status Replay() {
    result_ = WalReplayResult();
    return ReplayWal(inputs_, &result_);
  }
  // Log 3 holding `records`, one of them damaged: Corruption naming `why` in the current mode;
  // skipping, that one record skipped and the other `replayed` replayed.
  void ExpectRefusedUnlessSkipping(const std::vector<std::string>& records, std::string_view why,
                                   uint64_t replayed) {
    const WalRecoveryMode mode = inputs_.mode;
    WriteLog(3, {}, records);
    Status s = Replay();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find(why), std::string::npos) << s.ToString();
    inputs_.mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
    EXPECT_TRUE(Replay().ok());
    EXPECT_EQ(result_.records_replayed, replayed);
    EXPECT_EQ(result_.records_skipped, 1u);
    inputs_.mode = mode;
  }

  struct Table {
    FileNumber number;
    size_t entries;
  };
  FaultInjectionEnv env_;
  InternalKeyComparator icmp_;
  WalReplayInputs inputs_;
  WalReplayResult result_;
  std::vector<Table> tables_;
  uint64_t next_file_ = 10;
  Status write_status_;
};

TEST_F(RecoveryTest, ReplaysEveryLogIntoOneTableAndReportsTheMaxSequence) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a", "b"}), Batch(3, {"c"})});
  WriteLog(4, {3, first}, {Batch(4, {"d", "e", "f"})});
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.logs, (std::vector<FileNumber>{FileNumber{3}, FileNumber{4}}));
  EXPECT_EQ(result_.records_replayed, 3u);
  EXPECT_EQ(raw(result_.max_sequence), 6u);
  ASSERT_EQ(tables_.size(), 1u);
  EXPECT_EQ(tables_[0].entries, 6u);
  // File numbers of the directory are never drawn again: the table comes after log 4 and the
  // counter's start alike.
  EXPECT_EQ(raw(tables_[0].number), 10u);
  ASSERT_EQ(result_.edit.added_files().size(), 1u);
  EXPECT_EQ(result_.edit.added_files()[0].first, 0);
  EXPECT_EQ(result_.edit.added_files()[0].second.number, tables_[0].number);
  EXPECT_EQ(result_.tail_records_dropped + result_.records_skipped, 0u);
}

TEST_F(RecoveryTest, NoLogsLeavesTheManifestSequenceAndWritesNoTable) {
  inputs_.log_number = FileNumber{0};
  inputs_.last_sequence = SequenceNumber{42};
  ASSERT_TRUE(Replay().ok());
  EXPECT_TRUE(result_.logs.empty());
  EXPECT_EQ(raw(result_.max_sequence), 42u);
  EXPECT_TRUE(tables_.empty());
  EXPECT_EQ(result_.memtables_written, 0u);
}

TEST_F(RecoveryTest, AMemtableAtTheBudgetIsHandedToTheTableWriterAtOnce) {
  inputs_.memtable_bytes = 1;  // every batch fills the memtable
  WriteLog(3, {}, {Batch(1, {"a"}), Batch(2, {"b", "c"}), Batch(4, {"d"})});
  ASSERT_TRUE(Replay().ok());
  ASSERT_EQ(tables_.size(), 3u);
  EXPECT_EQ(tables_[0].entries, 1u);
  EXPECT_EQ(tables_[1].entries, 2u);
  EXPECT_EQ(tables_[2].entries, 1u);
  EXPECT_LT(raw(tables_[0].number), raw(tables_[1].number));
  EXPECT_EQ(result_.edit.added_files().size(), 3u);
  EXPECT_EQ(result_.memtables_written, 3u);
  EXPECT_EQ(raw(result_.max_sequence), 4u);
}

TEST_F(RecoveryTest, ATableWriterThatWritesNothingAddsNoFileToTheEdit) {
  inputs_.write_table = [this](const MemTable& mem, FileMetaData* meta) {
    tables_.push_back({meta->number, mem.NumEntries()});
    return Status::OK();  // file_bytes stays 0: read-only recovery
  };
  WriteLog(3, {}, {Batch(1, {"a", "b"})});
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(tables_.size(), 1u);
  EXPECT_TRUE(result_.edit.added_files().empty());
  EXPECT_EQ(raw(result_.max_sequence), 2u);
}

TEST_F(RecoveryTest, ATableWriterFailureFailsRecovery) {
  write_status_ = Status::IOError("disk full");
  WriteLog(3, {}, {Batch(1, {"a"})});
  EXPECT_TRUE(Replay().IsIOError());
}

// A torn last record of the newest log, under each mode.
TEST_F(RecoveryTest, TornTailOfTheNewestLogPerMode) {
  WriteLog(3, {}, {Batch(1, {"a"}), Batch(2, {"b"}), Batch(3, {"c"})});
  ASSERT_TRUE(env_.Truncate(LogFileName(kDb, FileNumber{3}), LogSize(3) - 3).ok());

  inputs_.mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 2u);
  EXPECT_EQ(result_.tail_records_dropped, 1u);
  ASSERT_EQ(result_.dropped.size(), 1u);
  EXPECT_NE(result_.dropped[0].find("000003.log"), std::string::npos) << result_.dropped[0];
  EXPECT_EQ(raw(result_.max_sequence), 2u);

  inputs_.mode = WalRecoveryMode::kAbsoluteConsistency;
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  inputs_.mode = WalRecoveryMode::kPointInTimeRecovery;
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 2u);
  EXPECT_FALSE(result_.stopped_at.empty());
  EXPECT_EQ(result_.tail_records_dropped, 0u);

  inputs_.mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 2u);
  EXPECT_EQ(result_.records_skipped, 1u);
  EXPECT_EQ(result_.skipped.size(), 1u);
}

// An older log lost its tail and no later log says it was synced: the WAL ends there by default.
TEST_F(RecoveryTest, TornOlderLogEndsTheWalUnlessAbsoluteConsistency) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"}), Batch(2, {"b"})});
  WriteLog(4, {3, first}, {Batch(3, {"c"})});
  ASSERT_TRUE(env_.Truncate(LogFileName(kDb, FileNumber{3}), first - 3).ok());

  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 1u);
  EXPECT_EQ(raw(result_.max_sequence), 1u);
  EXPECT_EQ(result_.tail_records_dropped, 1u);

  inputs_.mode = WalRecoveryMode::kAbsoluteConsistency;
  EXPECT_TRUE(Replay().IsCorruption());

  inputs_.mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 2u);  // "a" and "c"
  EXPECT_EQ(raw(result_.max_sequence), 3u);
  // One tear, reported once (the torn record, not again as log 4's head disagreeing with it).
  EXPECT_EQ(result_.records_skipped, 1u);
  EXPECT_EQ(result_.skipped.size(), 1u);
}

TEST_F(RecoveryTest, TornOlderLogFollowedBySyncMarkerIsCorruption) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"}), Batch(2, {"b"})});
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(LogFileName(kDb, FileNumber{4}), &file).ok());
    wal::Writer writer(std::move(file), 4, 0);
    ASSERT_TRUE(writer.AddHead({3, first}).ok());
    ASSERT_TRUE(writer.AddEarlierLogsSyncedMarker().ok());
    ASSERT_TRUE(writer.AddRecord(Batch(3, {"c"})).ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  ASSERT_TRUE(env_.Truncate(LogFileName(kDb, FileNumber{3}), first - 3).ok());
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("synced"), std::string::npos) << s.ToString();
}

// A power loss may lose an unsynced page of a log while a later unsynced page survives
// (docs/format/wal.md, "Synced-bytes markers"): damage past every byte the log declares synced
// ends the log there, intact records after it notwithstanding.
TEST_F(RecoveryTest, HoleInTheUnsyncedRegionEndsTheLogThere) {
  const std::string big(40000, 'x');  // spans into the second block
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(LogFileName(kDb, FileNumber{3}), &file).ok());
  wal::Writer writer(std::move(file), 3, 0);
  ASSERT_TRUE(writer.AddHead({}).ok());
  ASSERT_TRUE(writer.AddRecord(Batch(1, {"a"})).ok());
  ASSERT_TRUE(writer.Sync().ok());
  const uint64_t synced = writer.file_bytes();
  // Unsynced: a marker declaring `synced`, then "b"; "big" reaches block 1, "d" lies there.
  ASSERT_TRUE(writer.AddRecord(Batch(2, {"b"})).ok());
  ASSERT_TRUE(writer.AddRecord(Batch(3, {big})).ok());
  ASSERT_TRUE(writer.AddRecord(Batch(4, {"d"})).ok());
  ASSERT_TRUE(writer.Close().ok());
  // The page holding the marker and "b" is lost: zeros to the end of block 0.
  ZeroRange(3, synced, wal::kBlockBytes);
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 1u);  // "a" only: nothing after the hole
  EXPECT_EQ(raw(result_.max_sequence), 1u);
  EXPECT_EQ(result_.tail_records_dropped, 1u);
  ASSERT_EQ(result_.dropped.size(), 1u);
  EXPECT_NE(result_.dropped[0].find("offset " + std::to_string(synced)), std::string::npos)
      << result_.dropped[0];
}

TEST_F(RecoveryTest, HoleBeforeTheLastDeclaredSyncPointIsCorruption) {
  const std::string big(40000, 'x');
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(LogFileName(kDb, FileNumber{3}), &file).ok());
  wal::Writer writer(std::move(file), 3, 0);
  ASSERT_TRUE(writer.AddHead({}).ok());
  const uint64_t first = writer.file_bytes();
  ASSERT_TRUE(writer.AddRecord(Batch(1, {"a"})).ok());
  ASSERT_TRUE(writer.AddRecord(Batch(2, {big})).ok());
  ASSERT_TRUE(writer.Sync().ok());  // "a" and "big" are durable; the marker before "c" says so
  ASSERT_TRUE(writer.AddRecord(Batch(3, {"c"})).ok());
  ASSERT_TRUE(writer.Close().ok());
  ZeroRange(3, first, first + 100);  // synced data lost
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("mid-log"), std::string::npos) << s.ToString();
  // Point-in-time recovery still stops at the damage.
  inputs_.mode = WalRecoveryMode::kPointInTimeRecovery;
  ASSERT_TRUE(Replay().ok());
  EXPECT_EQ(result_.records_replayed, 0u);
  EXPECT_FALSE(result_.stopped_at.empty());
}

// A memtable switch whose new log failed to start (its head written, its sync failed) and whose
// removal failed too leaves that log behind; a later switch's log names the live log again. Found
// by deterministic_replay_test (seed 36189000101165): two such logs made every Open fail.
TEST_F(RecoveryTest, LogsWhoseStartFailedArePassedOverInEveryMode) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"})});
  WriteLog(4, {3, first}, {});
  WriteLog(5, {3, first}, {});
  WriteLog(6, {3, first}, {Batch(2, {"b"})});
  for (WalRecoveryMode mode :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    inputs_.mode = mode;
    Status s = Replay();
    ASSERT_TRUE(s.ok()) << WalRecoveryModeName(mode) << ": " << s.ToString();
    EXPECT_EQ(result_.records_replayed, 2u) << WalRecoveryModeName(mode);
    EXPECT_EQ(raw(result_.max_sequence), 2u);
    EXPECT_EQ(result_.tail_records_dropped + result_.records_skipped, 0u);
    EXPECT_TRUE(result_.stopped_at.empty());
  }
}

// The live log took more writes after a switch failed to start the next log, and no switch
// succeeded since: the failed log is the newest and says its predecessor held fewer bytes.
TEST_F(RecoveryTest, ALastLogWhoseStartFailedIsPassedOver) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"})});
  WriteLog(4, {3, first}, {});
  // Log 3 goes on: rewritten with a second record after the failed switch.
  WriteLog(3, {}, {Batch(1, {"a"}), Batch(2, {"b"})});
  inputs_.mode = WalRecoveryMode::kAbsoluteConsistency;
  Status s = Replay();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(result_.records_replayed, 2u);
  EXPECT_EQ(raw(result_.max_sequence), 2u);
}

// A log between a log and the one naming it as its predecessor that holds a record is damage,
// never passed over: its record may have been acknowledged.
TEST_F(RecoveryTest, ALogWithRecordsBetweenALogAndItsNamedPredecessorIsCorruption) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"})});
  WriteLog(4, {3, first}, {Batch(2, {"b"})});
  WriteLog(5, {3, first}, {Batch(3, {"c"})});
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("lies between"), std::string::npos) << s.ToString();
}

TEST_F(RecoveryTest, MissingMiddleLogIsCorruption) {
  const uint64_t first = WriteLog(3, {}, {Batch(1, {"a"})});
  WriteLog(5, {4, 100}, {Batch(3, {"c"})});  // log 4 is gone
  (void)first;
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("which is missing"), std::string::npos) << s.ToString();
}

TEST_F(RecoveryTest, MissingLogTheManifestNamesIsCorruption) {
  WriteLog(4, {}, {Batch(1, {"a"})});  // the MANIFEST names log 3
  Status s = Replay();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("a WAL the MANIFEST needs is missing"), std::string::npos);
  EXPECT_TRUE(tables_.empty());
}

// An intact record that is not a valid batch (sequence 0) is mid-log damage.
// Intact records whose sequence numbers leave 1..kMaxSequenceNumber (zero, past the largest, or
// running past it; also where first + count wraps 2^64): Corruption, never an abort.
TEST_F(RecoveryTest, InvalidBatchIsRefusedUnlessSkipping) {
  const std::vector<std::string> bad = {Batch(0, {"bad"}), Batch(kMaxSequenceNumber + 1, {"bad"}),
                                        Batch(kMaxSequenceNumber, {"bad", "worse"}),
                                        Batch(~uint64_t{0}, {"bad", "worse"})};
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE("bad batch " + std::to_string(i));
    ExpectRefusedUnlessSkipping({Batch(1, {"a"}), bad[i], Batch(2, {"b"})}, "out of range", 2);
  }
}

// A batch whose sequence numbers do not start past the previous batch's (never written so: the
// WAL is in sequence order) is damage, judged like mid-log damage: never replayed over entries
// the memtable holds at those sequences (an intact copy of a record aborted recovery before).
TEST_F(RecoveryTest, ABatchWhoseSequencesGoBackIsDamage) {
  for (const std::string& repeat : {Batch(1, {"a"}), Batch(1, {"b"})}) {
    ExpectRefusedUnlessSkipping({Batch(1, {"a"}), Batch(2, {"c"}), repeat, Batch(3, {"d"})},
                                "go back", 3);
    EXPECT_EQ(raw(result_.max_sequence), 3u);
  }
}

TEST_F(RecoveryTest, CheckLiveTablesRefusesAMissingOrResizedTable) {
  VersionEdit edit;
  FileMetaData meta;
  meta.number = FileNumber{7};
  meta.file_bytes = 5;
  AppendInternalKey(&meta.smallest, "a", SequenceNumber{1}, ValueType::kValue);
  AppendInternalKey(&meta.largest, "b", SequenceNumber{2}, ValueType::kValue);
  meta.smallest_sequence = SequenceNumber{1};
  meta.largest_sequence = SequenceNumber{2};
  edit.AddFile(1, meta);
  Version base(&icmp_);
  VersionBuilder builder(&icmp_, base);
  ASSERT_TRUE(builder.Apply(edit).ok());
  std::shared_ptr<const Version> version;
  ASSERT_TRUE(builder.Finish(&version).ok());

  Status s = CheckLiveTables(&env_, kDb, *version);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("missing"), std::string::npos) << s.ToString();
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(TableFileName(kDb, FileNumber{7}), &file).ok());
  ASSERT_TRUE(file->Append("1234").ok());
  ASSERT_TRUE(file->Close().ok());
  s = CheckLiveTables(&env_, kDb, *version);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("size 4"), std::string::npos) << s.ToString();
}

// RecoverDb: the MANIFEST through VersionSet::Recover, which is also the file-number source.
TEST_F(RecoveryTest, RecoverDbReadsTheManifestThenReplaysTheWal) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());  // log number 0, next file 2
  WriteLog(5, {}, {Batch(1, {"a", "b"}), Batch(3, {"c"})});
  VersionSet versions(kDb, &env_, &icmp_, nullptr);
  RecoveryInputs inputs;
  inputs.wal = inputs_;
  ASSERT_TRUE(RecoverDb(inputs, &versions, &result_).ok());
  EXPECT_EQ(raw(versions.LastSequence()), 3u);
  EXPECT_EQ(result_.logs, (std::vector<FileNumber>{FileNumber{5}}));
  ASSERT_EQ(tables_.size(), 1u);
  EXPECT_EQ(raw(tables_[0].number), 6u);  // above the log found in the directory
  EXPECT_EQ(raw(versions.next_file_number()), 7u);
  // Nothing was written: the MANIFEST still holds only its first edit.
  std::vector<std::string> names;
  ASSERT_TRUE(env_.GetChildren(kDb, &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"000005.log", "CURRENT", "MANIFEST-000001"}));
}

TEST_F(RecoveryTest, RecoverDbRefusesAMissingManifest) {
  VersionSet versions(kDb, &env_, &icmp_, nullptr);
  RecoveryInputs inputs;
  inputs.wal = inputs_;
  Status s = RecoverDb(inputs, &versions, &result_);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(tables_.empty());
}

}  // namespace
}  // namespace ziggydb
