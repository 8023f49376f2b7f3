// VersionEdit encoding, file names, CURRENT, and VersionSet recovery from a MANIFEST.
#include "db/version_set.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "db/version_edit.h"
#include "env/fault_env.h"
#include "env/recording_env.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/mutex.h"
#include "util/random.h"
#include "wal/log_writer.h"

namespace ziggydb {
namespace {

std::string IKey(const std::string& user_key, uint64_t sequence) {
  std::string key;
  AppendInternalKey(&key, user_key, SequenceNumber{sequence}, ValueType::kValue);
  return key;
}

FileMetaData File(uint64_t number, const std::string& smallest, const std::string& largest,
                  uint64_t sequence) {
  FileMetaData file;
  file.number = FileNumber{number};
  file.file_bytes = 1000 + number;
  file.smallest = IKey(smallest, sequence);
  file.largest = IKey(largest, sequence);
  file.smallest_sequence = SequenceNumber{sequence};
  file.largest_sequence = SequenceNumber{sequence};
  return file;
}

VersionEdit SampleEdit() {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName("ziggydb.BytewiseComparator");
  edit.SetLogNumber(FileNumber{7});
  edit.SetNextFileNumber(FileNumber{12});
  edit.SetLastSequence(SequenceNumber{99});
  edit.RemoveFile(1, FileNumber{3});
  edit.AddFile(0, File(9, "a", "m", 50));
  edit.AddFile(2, File(10, "n", "z", 60));
  return edit;
}

TEST(VersionEdit, RoundTrips) {
  const VersionEdit edit = SampleEdit();
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  std::string reencoded;
  decoded.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);
  EXPECT_EQ(*decoded.format_version(), kManifestFormatVersion);
  EXPECT_EQ(raw(*decoded.log_number()), 7u);
  EXPECT_EQ(raw(*decoded.last_sequence()), 99u);
  ASSERT_EQ(decoded.added_files().size(), 2u);
  EXPECT_EQ(decoded.added_files()[1].first, 2);
  EXPECT_EQ(decoded.added_files()[1].second.smallest, IKey("n", 60));
  EXPECT_EQ(decoded.removed_files().size(), 1u);
  EXPECT_NE(decoded.DebugString().find("add: L2 #10"), std::string::npos);
}

TEST(VersionEdit, CompactPointersRoundTripAndTheLastOfALevelWins) {
  VersionEdit edit = SampleEdit();
  edit.SetCompactPointer(3, IKey("old", 1));
  edit.SetCompactPointer(3, IKey("k", 40));
  edit.SetCompactPointer(6, IKey("z", 2));
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  const std::map<int, std::string> expected{{3, IKey("k", 40)}, {6, IKey("z", 2)}};
  EXPECT_EQ(decoded.compact_pointers(), expected);
  std::string reencoded;
  decoded.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);
  EXPECT_NE(decoded.DebugString().find("compact pointer: L3 @ 40"), std::string::npos);
  // Two fields for one level decode to the last one.
  std::string twice;
  PutVarint32(&twice, 8);
  PutVarint32(&twice, 2);
  PutLengthPrefixed(&twice, IKey("a", 1));
  PutVarint32(&twice, 8);
  PutVarint32(&twice, 2);
  PutLengthPrefixed(&twice, IKey("b", 2));
  ASSERT_TRUE(decoded.DecodeFrom(twice).ok());
  EXPECT_EQ(decoded.compact_pointers(), (std::map<int, std::string>{{2, IKey("b", 2)}}));
}

// A table's entry counts travel in their own field (tag 9), written only when known, so an edit
// without counts stays a version 1 or 2 edit.
TEST(VersionEdit, EntryCountsRoundTripOnlyWhenKnown) {
  VersionEdit edit = SampleEdit();
  FileMetaData counted = File(11, "za", "zb", 70);
  counted.num_entries = 40;
  counted.reclaimable_entries = 12;
  edit.AddFile(3, counted);
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  ASSERT_EQ(decoded.added_files().size(), 3u);
  EXPECT_EQ(decoded.added_files()[0].second.num_entries, 0u);  // unknown stays unknown
  EXPECT_EQ(decoded.added_files()[2].second.num_entries, 40u);
  EXPECT_EQ(decoded.added_files()[2].second.reclaimable_entries, 12u);
  std::string reencoded;
  decoded.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);
  EXPECT_NE(decoded.DebugString().find("40 entries, 12 reclaimable"), std::string::npos);
  // Without counts, the encoding is the one versions 1 and 2 wrote (tag 7 only).
  std::string plain;
  SampleEdit().EncodeTo(&plain);
  EXPECT_EQ(encoded.substr(0, plain.size()), plain);
  // Counts that cannot be (no entries, more reclaimable than entries) are Corruption.
  for (const auto& [entries, reclaimable] :
       std::vector<std::pair<uint64_t, uint64_t>>{{0, 0}, {5, 6}}) {
    std::string bad;
    PutVarint32(&bad, 9);  // kAddedFileWithCounts
    PutVarint32(&bad, 1);
    PutVarint64(&bad, 20);
    PutVarint64(&bad, 100);
    PutLengthPrefixed(&bad, IKey("a", 1));
    PutLengthPrefixed(&bad, IKey("b", 1));
    PutVarint64(&bad, 1);
    PutVarint64(&bad, 1);
    PutVarint64(&bad, entries);
    PutVarint64(&bad, reclaimable);
    Status s = decoded.DecodeFrom(bad);
    EXPECT_TRUE(s.IsCorruption()) << entries << " " << reclaimable;
    EXPECT_NE(s.ToString().find("added file with counts"), std::string::npos) << s.ToString();
  }
}

TEST(VersionEdit, BadCompactPointerIsCorruption) {
  // A level out of range, a key shorter than a trailer, a trailer with value type 9 (unknown).
  for (const auto& [level, key] : std::vector<std::pair<uint32_t, std::string>>{
           {kNumLevels, IKey("a", 1)}, {1, "short"}, {1, std::string("a\x09\0\0\0\0\0\0", 9)}}) {
    std::string encoded;
    PutVarint32(&encoded, 8);  // kCompactPointer
    PutVarint32(&encoded, level);
    PutLengthPrefixed(&encoded, key);
    VersionEdit decoded;
    Status s = decoded.DecodeFrom(encoded);
    EXPECT_TRUE(s.IsCorruption()) << level;
    EXPECT_NE(s.ToString().find("compact pointer"), std::string::npos) << s.ToString();
  }
}

TEST(VersionEdit, EveryTruncationIsCorruptionOrAShorterEdit) {
  VersionEdit edit = SampleEdit();
  edit.SetCompactPointer(2, IKey("p", 7));
  std::string encoded;
  edit.EncodeTo(&encoded);
  for (size_t n = 0; n < encoded.size(); ++n) {
    VersionEdit decoded;
    Status s = decoded.DecodeFrom(std::string_view(encoded).substr(0, n));
    EXPECT_TRUE(s.ok() || s.IsCorruption()) << n;
  }
}

TEST(VersionEdit, UnknownTagIsCorruption) {
  std::string encoded;
  SampleEdit().EncodeTo(&encoded);
  encoded.push_back(static_cast<char>(99));
  VersionEdit decoded;
  Status s = decoded.DecodeFrom(encoded);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("unknown tag"), std::string::npos);
}

TEST(VersionEdit, LevelOutOfRangeIsCorruption) {
  std::string encoded;
  encoded.push_back(6);  // kRemovedFile
  encoded.push_back(static_cast<char>(kNumLevels));
  encoded.push_back(1);
  VersionEdit decoded;
  EXPECT_TRUE(decoded.DecodeFrom(encoded).IsCorruption());
}

TEST(VersionEdit, RandomDamageNeverCrashes) {
  Random rnd(test::TestSeed());
  std::string encoded;
  SampleEdit().EncodeTo(&encoded);
  for (uint64_t i = 0; i < test::ScaledIterations(3000); ++i) {
    std::string damaged = encoded;
    damaged[rnd.Uniform(damaged.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
    VersionEdit decoded;
    Status s = decoded.DecodeFrom(damaged);
    EXPECT_TRUE(s.ok() || s.IsCorruption());
  }
}

TEST(FileName, FormatsAndParses) {
  EXPECT_EQ(LogFileName("/d", FileNumber{7}), "/d/000007.log");
  EXPECT_EQ(TableFileName("/d", FileNumber{1234567}), "/d/1234567.sst");
  EXPECT_EQ(ManifestFileName("/d", FileNumber{3}), "/d/MANIFEST-000003");
  EXPECT_EQ(TempFileName("/d", FileNumber{3}), "/d/000003.dbtmp");
  FileNumber number{};
  FileType type{};
  ASSERT_TRUE(ParseFileName("000007.log", &number, &type));
  EXPECT_EQ(type, FileType::kLogFile);
  EXPECT_EQ(raw(number), 7u);
  ASSERT_TRUE(ParseFileName("MANIFEST-000003", &number, &type));
  EXPECT_EQ(type, FileType::kManifestFile);
  ASSERT_TRUE(ParseFileName("CURRENT", &number, &type));
  EXPECT_EQ(type, FileType::kCurrentFile);
  ASSERT_TRUE(ParseFileName("LOG.old", &number, &type));
  EXPECT_EQ(type, FileType::kInfoLogFile);
  for (const char* bad :
       {"", "foo", "7.txt", ".log", "-1.log", "MANIFEST-", "MANIFEST-x",
        "99999999999999999999999.sst", "CURRENT.bak", "1 .log", "18446744073709551615.log",
        "4611686018427387904.sst", "MANIFEST-4611686018427387904"}) {
    EXPECT_FALSE(ParseFileName(bad, &number, &type)) << bad;
  }
  ASSERT_TRUE(ParseFileName("4611686018427387903.sst", &number, &type));  // kMaxFileNumber
  EXPECT_EQ(raw(number), kMaxFileNumber);
}

// A file number above kMaxFileNumber in a record (the next file number, a log number, a table) is
// Corruption, so the counter that continues from them cannot wrap.
TEST(VersionEdit, FileNumbersAboveTheLimitAreCorruption) {
  for (int field = 0; field < 3; ++field) {
    VersionEdit edit;
    const FileNumber too_big{kMaxFileNumber + 1};
    if (field == 0) edit.SetNextFileNumber(too_big);
    if (field == 1) edit.SetLogNumber(too_big);
    if (field == 2) {
      FileMetaData meta;
      meta.number = too_big;
      meta.file_bytes = 10;
      AppendInternalKey(&meta.smallest, "a", SequenceNumber{1}, ValueType::kValue);
      AppendInternalKey(&meta.largest, "b", SequenceNumber{2}, ValueType::kValue);
      edit.AddFile(1, meta);
    }
    std::string encoded;
    edit.EncodeTo(&encoded);
    VersionEdit decoded;
    EXPECT_TRUE(decoded.DecodeFrom(encoded).IsCorruption()) << field;
  }
}

FileNumber Draw(VersionSet* set) {
  FileNumber number{};
  EXPECT_TRUE(set->NewFileNumber(&number).ok());
  return number;
}

class VersionSetTest : public ::testing::Test {
 protected:
  VersionSetTest() : icmp_(BytewiseComparator()) {
    EXPECT_TRUE(env_.CreateDir(kDb).ok());
    EXPECT_TRUE(env_.SyncDir("/").ok());  // the directory survives a power loss
  }

  std::unique_ptr<VersionSet> NewSet() {
    return std::make_unique<VersionSet>(kDb, &env_, &icmp_, nullptr);
  }
  Status Apply(VersionSet* set, VersionEdit* edit) {
    MutexLock lock(&mu_);
    return set->LogAndApply(edit, &mu_);
  }
  std::string CurrentManifest() {
    std::string name;
    EXPECT_TRUE(ReadCurrentFile(&env_, kDb, &name).ok());
    return std::string(kDb) + "/" + name;
  }
  uint64_t Size(const std::string& path) {
    uint64_t size = 0;
    EXPECT_TRUE(env_.GetFileSize(path, &size).ok());
    return size;
  }

  static constexpr const char* kDb = "/vs";
  FaultInjectionEnv env_;
  InternalKeyComparator icmp_;
  Mutex mu_;
};

TEST_F(VersionSetTest, CreateNewThenRecoverEmpty) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  EXPECT_EQ(raw(set->LogNumber()), 0u);
  EXPECT_EQ(raw(set->LastSequence()), 0u);
  EXPECT_EQ(raw(set->next_file_number()), 2u);
  EXPECT_EQ(set->current()->NumFiles(0), 0);
}

// The directory sync after the first CURRENT is renamed into place fails: CURRENT goes before
// its MANIFEST, and if CURRENT cannot be removed the MANIFEST stays, so no CURRENT ever names a
// removed MANIFEST.
TEST_F(VersionSetTest, FailedCreateNewNeverLeavesCurrentWithoutItsManifest) {
  const std::string current = CurrentFileName(kDb);
  const std::string manifest = ManifestFileName(kDb, FileNumber{1});
  env_.InjectError(FaultOp::kSyncDir, kDb);
  EXPECT_FALSE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  env_.ClearErrors();
  EXPECT_FALSE(env_.FileExists(current));
  EXPECT_FALSE(env_.FileExists(manifest));

  // The second directory sync: the one after the rename (the first makes the MANIFEST's name
  // durable).
  env_.InjectErrorAfter(1, FaultOp::kSyncDir, kDb, 1, FaultError::kIOError);
  env_.InjectError(FaultOp::kRemove, "CURRENT", FaultInjectionEnv::kPersistent);
  EXPECT_FALSE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  env_.ClearErrors();
  EXPECT_TRUE(env_.FileExists(current));
  EXPECT_TRUE(env_.FileExists(manifest));
  ASSERT_TRUE(NewSet()->Recover().ok());
}

// Index of the first operation at or after `from` in `log` that matches.
size_t FindOp(const std::vector<FsOp>& log, size_t from, FsOp::Kind kind, const std::string& path) {
  for (size_t i = from; i < log.size(); ++i) {
    if (log[i].kind == kind && (log[i].path == path || log[i].path2 == path)) return i;
  }
  return log.size();
}

// Whether the directory was synced in (from, to) of `log`.
bool DirSyncedBetween(const std::vector<FsOp>& log, size_t from, size_t to,
                      const std::string& dir) {
  const size_t sync = FindOp(log, from + 1, FsOp::Kind::kSyncDir, dir);
  return sync < to;
}

// A new MANIFEST's name must be durable before CURRENT names it: the directory is synced after
// the MANIFEST is created and before the rename over CURRENT (else a power loss that keeps the
// rename but not the MANIFEST's creation leaves a CURRENT naming nothing).
TEST_F(VersionSetTest, ANewManifestsNameIsSyncedBeforeCurrentNamesIt) {
  RecordingEnv recording(&env_);
  ASSERT_TRUE(VersionSet::CreateNew(&recording, kDb, icmp_).ok());
  VersionSet set(kDb, &recording, &icmp_, nullptr);
  ASSERT_TRUE(set.Recover().ok());
  VersionEdit edit;
  {
    MutexLock lock(&mu_);
    ASSERT_TRUE(set.LogAndApply(&edit, &mu_).ok());  // the first edit starts a new MANIFEST
  }
  const std::vector<FsOp> log = recording.Log();
  const std::string current = CurrentFileName(kDb);
  for (const FileNumber manifest : {FileNumber{1}, set.ManifestFileNumber()}) {
    SCOPED_TRACE(raw(manifest));
    const size_t created = FindOp(log, 0, FsOp::Kind::kCreate, ManifestFileName(kDb, manifest));
    ASSERT_LT(created, log.size());
    const size_t renamed = FindOp(log, created, FsOp::Kind::kRename, current);
    ASSERT_LT(renamed, log.size());
    EXPECT_TRUE(DirSyncedBetween(log, created, renamed, kDb));
  }
}

// A failed CreateNew makes CURRENT's removal durable before it removes MANIFEST-000001.
TEST_F(VersionSetTest, FailedCreateNewSyncsCurrentsRemovalBeforeTheManifests) {
  RecordingEnv recording(&env_);
  env_.InjectErrorAfter(1, FaultOp::kSyncDir, kDb, 1, FaultError::kIOError);
  EXPECT_FALSE(VersionSet::CreateNew(&recording, kDb, icmp_).ok());
  env_.ClearErrors();
  const std::vector<FsOp> log = recording.Log();
  const size_t current_gone = FindOp(log, 0, FsOp::Kind::kUnlink, CurrentFileName(kDb));
  ASSERT_LT(current_gone, log.size());
  const size_t manifest_gone =
      FindOp(log, current_gone, FsOp::Kind::kUnlink, ManifestFileName(kDb, FileNumber{1}));
  ASSERT_LT(manifest_gone, log.size());
  EXPECT_TRUE(DirSyncedBetween(log, current_gone, manifest_gone, kDb));
  EXPECT_TRUE(DirSyncedBetween(log, manifest_gone, log.size(), kDb));
  env_.DropUnsyncedData();
  EXPECT_FALSE(env_.FileExists(CurrentFileName(kDb)));
  EXPECT_FALSE(env_.FileExists(ManifestFileName(kDb, FileNumber{1})));
}

TEST_F(VersionSetTest, EditsSurviveRecoveryAndPowerLoss) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    const FileNumber t1 = Draw(set.get());
    const FileNumber log = Draw(set.get());
    VersionEdit edit;
    edit.AddFile(0, File(raw(t1), "a", "c", 5));
    edit.SetLogNumber(log);
    set->SetLastSequence(SequenceNumber{5});
    ASSERT_TRUE(Apply(set.get(), &edit).ok());
    VersionEdit edit2;
    edit2.AddFile(1, File(raw(Draw(set.get())), "d", "f", 6));
    edit2.RemoveFile(0, t1);
    ASSERT_TRUE(Apply(set.get(), &edit2).ok());
  }
  env_.DropUnsyncedData();
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  EXPECT_EQ(set->current()->NumFiles(0), 0);
  EXPECT_EQ(set->current()->NumFiles(1), 1);
  EXPECT_EQ(raw(set->LastSequence()), 5u);
  EXPECT_EQ(raw(set->LogNumber()), 3u);
  EXPECT_GT(raw(set->next_file_number()), 5u);
}

TEST_F(VersionSetTest, ManifestRollsOverToASnapshotPastItsSize) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  std::string first_manifest;
  std::string rolled_manifest;
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    set->set_manifest_roll_bytes(2000);
    uint64_t last_added = 0;
    for (int i = 0; i < 60; ++i) {
      VersionEdit edit;
      last_added = raw(Draw(set.get()));
      edit.AddFile(0, File(last_added, "a" + std::to_string(i), "b" + std::to_string(i), i + 1));
      set->SetLastSequence(SequenceNumber{static_cast<uint64_t>(i + 1)});
      ASSERT_TRUE(Apply(set.get(), &edit).ok());
      if (i == 0) first_manifest = CurrentManifest();
    }
    rolled_manifest = CurrentManifest();
    EXPECT_NE(rolled_manifest, first_manifest);
    // The MANIFEST in use starts with a snapshot, so it stays small however long the history.
    EXPECT_LT(Size(rolled_manifest), 2000u + 1000u);
    EXPECT_EQ(set->current()->NumFiles(0), 60);
  }
  env_.DropUnsyncedData();
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  EXPECT_EQ(CurrentManifest(), rolled_manifest);
  EXPECT_EQ(set->current()->NumFiles(0), 60);
  EXPECT_EQ(raw(set->LastSequence()), 60u);
}

TEST_F(VersionSetTest, CompactPointersSurviveRecoveryAndRollover) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    (*set->compact_pointers())[2] = IKey("m", 5);
    (*set->compact_pointers())[4] = IKey("c", 9);
    VersionEdit edit;  // any edit carries the pointers changed since the last one
    ASSERT_TRUE(Apply(set.get(), &edit).ok());
    EXPECT_EQ(edit.compact_pointers().size(), 2u);
    (*set->compact_pointers())[2] = IKey("q", 6);
    VersionEdit second;
    ASSERT_TRUE(Apply(set.get(), &second).ok());
    EXPECT_EQ(second.compact_pointers(), (std::map<int, std::string>{{2, IKey("q", 6)}}));
    VersionEdit unchanged;
    ASSERT_TRUE(Apply(set.get(), &unchanged).ok());
    EXPECT_TRUE(unchanged.compact_pointers().empty());
  }
  env_.DropUnsyncedData();
  const std::string before_rollover = CurrentManifest();
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    EXPECT_EQ((*set->compact_pointers())[2], IKey("q", 6));
    EXPECT_EQ((*set->compact_pointers())[4], IKey("c", 9));
    EXPECT_TRUE((*set->compact_pointers())[3].empty());
    // The first LogAndApply after Recover writes a new MANIFEST: its snapshot holds them.
    VersionEdit edit;
    ASSERT_TRUE(Apply(set.get(), &edit).ok());
    EXPECT_TRUE(edit.compact_pointers().empty());
  }
  ASSERT_NE(CurrentManifest(), before_rollover);
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  EXPECT_EQ((*set->compact_pointers())[2], IKey("q", 6));
  EXPECT_EQ((*set->compact_pointers())[4], IKey("c", 9));
}

TEST_F(VersionSetTest, CompactPointerInAVersion1ManifestIsCorruption) {
  VersionEdit edit;
  edit.SetFormatVersion(1);
  edit.SetComparatorName(icmp_.user_comparator()->Name());
  edit.SetLogNumber(FileNumber{0});
  edit.SetNextFileNumber(FileNumber{2});
  edit.SetLastSequence(SequenceNumber{0});
  std::string snapshot;
  edit.EncodeTo(&snapshot);
  VersionEdit later;
  later.SetCompactPointer(1, IKey("k", 1));
  std::string record;
  later.EncodeTo(&record);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(ManifestFileName(kDb, FileNumber{1}), &file).ok());
  wal::Writer writer(std::move(file), 1, 0);
  ASSERT_TRUE(writer.AddRecord(snapshot).ok());
  ASSERT_TRUE(writer.Close().ok());
  ASSERT_TRUE(SetCurrentFile(&env_, kDb, FileNumber{1}).ok());
  ASSERT_TRUE(NewSet()->Recover().ok());  // a version 1 MANIFEST without pointers still opens

  ASSERT_TRUE(env_.NewWritableFile(ManifestFileName(kDb, FileNumber{1}), &file).ok());
  wal::Writer again(std::move(file), 1, 0);
  ASSERT_TRUE(again.AddRecord(snapshot).ok());
  ASSERT_TRUE(again.AddRecord(record).ok());
  ASSERT_TRUE(again.Close().ok());
  Status s = NewSet()->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("version 1"), std::string::npos) << s.ToString();
}

// Writes MANIFEST-000001 holding `edit` (completed with the fields a first edit needs) and points
// CURRENT at it.
void WriteManifest(Env* env, const InternalKeyComparator& icmp, VersionEdit edit,
                   uint32_t format_version = kManifestFormatVersion) {
  edit.SetFormatVersion(format_version);
  edit.SetComparatorName(icmp.user_comparator()->Name());
  if (!edit.log_number()) edit.SetLogNumber(FileNumber{0});
  edit.SetLastSequence(SequenceNumber{100});
  std::string record;
  edit.EncodeTo(&record);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(ManifestFileName("/vs", FileNumber{1}), &file).ok());
  wal::Writer writer(std::move(file), 1, 0);
  ASSERT_TRUE(writer.AddRecord(record).ok());
  ASSERT_TRUE(writer.Close().ok());
  ASSERT_TRUE(SetCurrentFile(env, "/vs", FileNumber{1}).ok());
}

TEST_F(VersionSetTest, EntryCountsSurviveRecoveryAndAreCorruptionInAVersion2Manifest) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  FileMetaData counted;
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    counted = File(raw(Draw(set.get())), "a", "c", 5);
    counted.num_entries = 9;
    counted.reclaimable_entries = 4;
    VersionEdit edit;
    edit.AddFile(6, counted);
    set->SetLastSequence(SequenceNumber{5});
    ASSERT_TRUE(Apply(set.get(), &edit).ok());
  }
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());  // replays the edit, then writes a snapshot of it
    ASSERT_EQ(set->current()->NumFiles(6), 1);
    EXPECT_EQ(set->current()->files(6)[0]->num_entries, 9u);
    EXPECT_EQ(set->current()->files(6)[0]->reclaimable_entries, 4u);
  }
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());  // from that snapshot
    EXPECT_EQ(set->current()->files(6)[0]->reclaimable_entries, 4u);
  }

  // A version 2 MANIFEST opens, its tables without counts; it may not hold counts.
  auto write_version2_manifest = [&](const FileMetaData& table) {
    VersionEdit edit;
    edit.SetNextFileNumber(FileNumber{20});
    edit.AddFile(6, table);
    WriteManifest(&env_, icmp_, edit, /*format_version=*/2);
  };
  FileMetaData uncounted = counted;
  uncounted.num_entries = 0;
  uncounted.reclaimable_entries = 0;
  write_version2_manifest(uncounted);
  auto upgraded = NewSet();
  ASSERT_TRUE(upgraded->Recover().ok());
  ASSERT_EQ(upgraded->current()->NumFiles(6), 1);
  EXPECT_EQ(upgraded->current()->files(6)[0]->num_entries, 0u);
  upgraded.reset();
  write_version2_manifest(counted);
  Status s = NewSet()->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("entry counts in a version 2"), std::string::npos) << s.ToString();
}

// A next file number, log number or live table at (or just below) kMaxFileNumber leaves no number
// for the next log and MANIFEST (and a counter past it would be written into a MANIFEST no Open
// reads): Corruption at recovery, not an unopenable DB later.
TEST_F(VersionSetTest, CountersThatLeaveNoFileNumbersAreCorruption) {
  const uint64_t too_high = kMaxFileNumber - VersionSet::kFileNumbersKeptFree + 1;
  for (const int field : {0, 1, 2, 3}) {
    SCOPED_TRACE(field);
    VersionEdit edit;
    edit.SetNextFileNumber(FileNumber{field == 0 ? kMaxFileNumber : 10});
    if (field == 1) edit.SetNextFileNumber(FileNumber{too_high});
    if (field == 2) edit.SetLogNumber(FileNumber{kMaxFileNumber});
    if (field == 3) edit.AddFile(1, File(kMaxFileNumber, "a", "b", 5));
    WriteManifest(&env_, icmp_, edit);
    Status s = NewSet()->Recover();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  VersionEdit fits;
  fits.SetNextFileNumber(FileNumber{too_high - 1});
  WriteManifest(&env_, icmp_, fits);
  ASSERT_TRUE(NewSet()->Recover().ok());
}

// Once numbers run out, drawing one fails (and LogAndApply, which needs one for a new MANIFEST,
// fails before writing anything) instead of naming a file past kMaxFileNumber.
TEST_F(VersionSetTest, NewFileNumberFailsWhenNumbersRunOut) {
  VersionEdit edit;
  edit.SetNextFileNumber(FileNumber{10});
  WriteManifest(&env_, icmp_, edit);
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  set->MarkFileNumberUsed(FileNumber{kMaxFileNumber - 1});
  FileNumber number{};
  ASSERT_TRUE(set->NewFileNumber(&number).ok());
  EXPECT_EQ(raw(number), kMaxFileNumber);
  Status s = set->NewFileNumber(&number);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(raw(number), kMaxFileNumber);
  std::vector<std::string> before;
  ASSERT_TRUE(env_.GetChildren(kDb, &before).ok());
  VersionEdit next;
  s = Apply(set.get(), &next);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  std::vector<std::string> after;
  ASSERT_TRUE(env_.GetChildren(kDb, &after).ok());
  EXPECT_EQ(after, before);
  ASSERT_TRUE(NewSet()->Recover().ok());
}

// CURRENT or the MANIFEST that cannot be looked at is an IOError, not Corruption "missing" (which
// sends the operator to RepairDB); a missing one is still Corruption.
TEST(VersionSetRecover, AnInaccessibleCurrentOrManifestIsAnIOError) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir("/vs").ok());
  InternalKeyComparator icmp(BytewiseComparator());
  ASSERT_TRUE(VersionSet::CreateNew(&env, "/vs", icmp).ok());
  for (const std::string name : {"CURRENT", "MANIFEST-000001"}) {
    SCOPED_TRACE(name);
    env.MakeInaccessible("/" + name);
    VersionSet set("/vs", &env, &icmp, nullptr);
    Status s = set.Recover();
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    env.ClearErrors();
  }
  ASSERT_TRUE(env.RemoveFile("/vs/MANIFEST-000001").ok());
  VersionSet set("/vs", &env, &icmp, nullptr);
  Status s = set.Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  ASSERT_TRUE(env.RemoveFile("/vs/CURRENT").ok());
  s = set.Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(VersionSetTest, TornManifestTailIsToleratedMidDamageIsNot) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    for (int i = 0; i < 3; ++i) {
      VersionEdit edit;
      edit.AddFile(0, File(raw(Draw(set.get())), "a", "b", 10 + i));
      ASSERT_TRUE(Apply(set.get(), &edit).ok());
    }
  }
  const std::string manifest = CurrentManifest();
  const uint64_t size = Size(manifest);
  ASSERT_TRUE(env_.Truncate(manifest, size - 3).ok());
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    EXPECT_TRUE(set->manifest_tail_dropped());
    EXPECT_EQ(set->current()->NumFiles(0), 2);  // the torn last edit is gone
  }
  // Damage in the first record (the snapshot) with intact records after it: Corruption. All the
  // records share one 32 KiB block, so damage there is only "mid-log" if a later block holds an
  // intact record; a flipped length cannot be trusted either way, so any outcome but OK is right.
  ASSERT_TRUE(env_.FlipByte(manifest, 12).ok());
  auto set = NewSet();
  Status s = set->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(VersionSetTest, MidManifestDamageIsCorruption) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  {
    auto set = NewSet();
    ASSERT_TRUE(set->Recover().ok());
    // Enough edits to fill more than one 32 KiB block.
    const std::string long_key(2000, 'k');
    for (int i = 0; i < 40; ++i) {
      VersionEdit edit;
      edit.AddFile(0, File(raw(Draw(set.get())), long_key + "a", long_key + "b", 10 + i));
      ASSERT_TRUE(Apply(set.get(), &edit).ok());
    }
  }
  const std::string manifest = CurrentManifest();
  ASSERT_GT(Size(manifest), 40000u);
  ASSERT_TRUE(env_.FlipByte(manifest, 100).ok());
  auto set = NewSet();
  Status s = set->Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(manifest), std::string::npos) << s.ToString();
}

TEST_F(VersionSetTest, ComparatorMismatchIsInvalidArgument) {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName("some.other.Comparator");
  edit.SetLogNumber(FileNumber{0});
  edit.SetNextFileNumber(FileNumber{2});
  edit.SetLastSequence(SequenceNumber{0});
  std::string record;
  edit.EncodeTo(&record);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(ManifestFileName(kDb, FileNumber{1}), &file).ok());
  wal::Writer writer(std::move(file), 1, 0);
  ASSERT_TRUE(writer.AddRecord(record).ok());
  ASSERT_TRUE(writer.Close().ok());
  ASSERT_TRUE(SetCurrentFile(&env_, kDb, FileNumber{1}).ok());
  auto set = NewSet();
  EXPECT_TRUE(set->Recover().IsInvalidArgument());
}

TEST_F(VersionSetTest, RemovingADeadFileIsCorruption) {
  Version empty(&icmp_);
  VersionBuilder builder(&icmp_, empty);
  VersionEdit edit;
  edit.RemoveFile(0, FileNumber{5});
  EXPECT_TRUE(builder.Apply(edit).IsCorruption());
  VersionEdit twice;
  twice.AddFile(0, File(6, "a", "b", 1));
  twice.AddFile(1, File(6, "c", "d", 1));
  VersionBuilder builder2(&icmp_, empty);
  EXPECT_TRUE(builder2.Apply(twice).IsCorruption());
}

TEST_F(VersionSetTest, OverlapInALevelAboveZeroIsCorruption) {
  Version empty(&icmp_);
  VersionBuilder builder(&icmp_, empty);
  VersionEdit edit;
  edit.AddFile(1, File(6, "a", "m", 1));
  edit.AddFile(1, File(7, "k", "z", 2));
  ASSERT_TRUE(builder.Apply(edit).ok());
  std::shared_ptr<const Version> version;
  EXPECT_TRUE(builder.Finish(&version).IsCorruption());
}

TEST_F(VersionSetTest, PointLookupOrderIsNewestL0ThenOnePerLevel) {
  Version empty(&icmp_);
  VersionBuilder builder(&icmp_, empty);
  VersionEdit edit;
  edit.AddFile(0, File(6, "a", "z", 10));
  edit.AddFile(0, File(8, "a", "z", 30));
  edit.AddFile(0, File(7, "x", "z", 20));  // does not cover "c"
  edit.AddFile(1, File(9, "a", "b", 5));
  edit.AddFile(1, File(10, "c", "d", 5));
  edit.AddFile(2, File(11, "e", "f", 1));
  ASSERT_TRUE(builder.Apply(edit).ok());
  std::shared_ptr<const Version> version;
  ASSERT_TRUE(builder.Finish(&version).ok());
  std::vector<uint64_t> visited;
  version->ForEachTableForKey(IKey("c", 100), [&](int, const FileMetaData& file) {
    visited.push_back(raw(file.number));
    return true;
  });
  EXPECT_EQ(visited, (std::vector<uint64_t>{8, 6, 10}));
  std::set<FileNumber> live;
  version->AddLiveFiles(&live);
  EXPECT_EQ(live.size(), 6u);
}

// A failed MANIFEST write leaves the MANIFEST in doubt (the failed edit may be durable) until an
// edit is written to a new MANIFEST, which the next LogAndApply does.
TEST_F(VersionSetTest, AFailedManifestWriteIsInDoubtUntilANewManifest) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  auto set = NewSet();
  ASSERT_TRUE(set->Recover().ok());
  VersionEdit first;
  ASSERT_TRUE(Apply(set.get(), &first).ok());
  EXPECT_FALSE(set->manifest_in_doubt());
  env_.InjectError(FaultOp::kSync, "MANIFEST");
  VersionEdit failed;
  EXPECT_FALSE(Apply(set.get(), &failed).ok());
  env_.ClearErrors();
  EXPECT_TRUE(set->manifest_in_doubt());
  const FileNumber before = set->ManifestFileNumber();
  VersionEdit next;
  ASSERT_TRUE(Apply(set.get(), &next).ok());
  EXPECT_NE(set->ManifestFileNumber(), before);
  EXPECT_FALSE(set->manifest_in_doubt());
}

TEST_F(VersionSetTest, SetCurrentFileIsAtomicUnderRenameFailure) {
  ASSERT_TRUE(VersionSet::CreateNew(&env_, kDb, icmp_).ok());
  env_.InjectError(FaultOp::kRename, "CURRENT");
  EXPECT_FALSE(SetCurrentFile(&env_, kDb, FileNumber{9}).ok());
  std::string name;
  ASSERT_TRUE(ReadCurrentFile(&env_, kDb, &name).ok());
  EXPECT_EQ(name, "MANIFEST-000001");
  EXPECT_FALSE(env_.FileExists(TempFileName(kDb, FileNumber{9})));
}

}  // namespace
}  // namespace ziggydb
