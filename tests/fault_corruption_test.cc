// Damage at rest, on FaultInjectionEnv: flipped bytes in tables, damaged WALs under each
// WalRecoveryMode, and missing or damaged DB files that Open must refuse without touching
// anything. What each test proves: docs/design/testing.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db_model.h"
#include "env/fault_env.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

namespace ziggydb::test {
namespace {

constexpr const char* kDb = "/db";

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%05d", i);
  return buf;
}

// Deterministic per key, so a test can tell a right value from a wrong one.
std::string ValueFor(int i, size_t bytes) {
  Random rng(static_cast<uint64_t>(i) * 7919 + 1);
  return rng.Bytes(bytes);
}

class CorruptionTest : public ::testing::Test {
 protected:
  CorruptionTest() {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{4} << 20;  // tables only from explicit flushes
  }

  Status Open() { return DB::Open(options_, kDb, &db_); }
  void Close() { db_.reset(); }

  void PutRange(int begin, int end, size_t value_bytes, bool sync = false) {
    WriteOptions options;
    options.sync = sync;
    for (int i = begin; i < end; ++i)
      ASSERT_TRUE(db_->Put(options, Key(i), ValueFor(i, value_bytes)).ok());
  }

  // Paths of the DB files whose name ends with `suffix` (or starts with it, for "MANIFEST"),
  // ascending by name (numbers are zero-padded, so that is ascending by number).
  std::vector<std::string> Files(const std::string& pattern) {
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDb, &names).ok());
    std::sort(names.begin(), names.end());
    std::vector<std::string> paths;
    for (const std::string& name : names) {
      if (name.ends_with(pattern) || name.starts_with(pattern)) {
        paths.push_back(std::string(kDb) + "/" + name);
      }
    }
    return paths;
  }
  uint64_t Size(const std::string& path) {
    uint64_t bytes = 0;
    EXPECT_TRUE(env_.GetFileSize(path, &bytes).ok()) << path;
    return bytes;
  }
  std::string ReadWhole(const std::string& path) {
    std::unique_ptr<SequentialFile> file;
    if (!env_.NewSequentialFile(path, &file).ok()) return "<unreadable>";
    std::string data;
    std::string scratch(1 << 16, '\0');
    while (true) {
      std::string_view chunk;
      if (!file->Read(scratch.size(), &chunk, scratch.data()).ok()) return "<read error>";
      if (chunk.empty()) return data;
      data.append(chunk);
    }
  }
  void WriteWhole(const std::string& path, const std::string& data) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(data).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
    ASSERT_TRUE(env_.SyncDir(kDb).ok());
  }
  // Every file's name, size and bytes: a failed Open must leave this unchanged.
  std::map<std::string, std::string> Listing() {
    std::map<std::string, std::string> listing;
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDb, &names).ok());
    for (const std::string& name : names) {
      const std::string path = std::string(kDb) + "/" + name;
      listing[name] = std::to_string(Size(path)) + ":" + ReadWhole(path);
    }
    return listing;
  }
  void ExpectOpenFailsTouchingNothing(Status::Code code) {
    const auto before = Listing();
    Status s = Open();
    EXPECT_EQ(s.code(), code) << s.ToString();
    Close();
    const auto after = Listing();
    EXPECT_TRUE(before == after) << "a failed Open changed the directory";
    for (const auto& [name, contents] : after) {
      auto it = before.find(name);
      if (it == before.end()) {
        ADD_FAILURE() << "created " << name;
      } else if (it->second != contents) {
        ADD_FAILURE() << "changed " << name;
      }
    }
    for (const auto& [name, contents] : before) {
      if (!after.contains(name)) ADD_FAILURE() << "removed " << name;
    }
  }

  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

// ---- (d) flipped bytes in a table -----------------------------------------------------------

constexpr int kTableKeys = 300;
constexpr size_t kTableValueBytes = 150;

TEST_F(CorruptionTest, FlippedByteInTheFirstDataBlockMakesGetReturnCorruption) {
  ASSERT_TRUE(Open().ok());
  PutRange(0, kTableKeys, kTableValueBytes);
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  const std::vector<std::string> tables = Files(".sst");
  ASSERT_EQ(tables.size(), 1u);
  // The first data block starts at offset 0 and holds the smallest keys; byte 8 lies inside
  // its first entry.
  ASSERT_TRUE(env_.FlipByte(tables[0], 8).ok());
  ASSERT_TRUE(Open().ok());  // Open checks footer, index and filter, not data blocks
  std::string value;
  Status s = db_->Get(ReadOptions(), Key(0), &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  int corrupt = 0;
  for (int i = 0; i < kTableKeys; ++i) {
    s = db_->Get(ReadOptions(), Key(i), &value);
    if (s.IsCorruption()) {
      ++corrupt;
    } else {
      ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
      EXPECT_TRUE(value == ValueFor(i, kTableValueBytes)) << Key(i) << ": wrong value";
    }
  }
  // One 4 KiB block of ~170-byte entries: the damage is confined to it.
  EXPECT_GT(corrupt, 0);
  EXPECT_LT(corrupt, kTableKeys / 4);
}

TEST_F(CorruptionTest, AFlippedByteAnywhereInATableNeverYieldsWrongData) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t trials = ScaledIterations(40);
  for (uint64_t trial = 0; trial < trials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    Close();
    ASSERT_TRUE(DestroyDB(kDb, options_).ok());
    ASSERT_TRUE(Open().ok());
    PutRange(0, kTableKeys, kTableValueBytes);
    ASSERT_TRUE(db_->Flush().ok());
    Close();
    const std::string table = Files(".sst").at(0);
    const uint64_t offset = rng.Uniform(Size(table));
    SCOPED_TRACE("flipped byte at offset " + std::to_string(offset));
    ASSERT_TRUE(env_.FlipByte(table, offset, static_cast<uint8_t>(1 + rng.Uniform(255))).ok());
    Status s = Open();
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      continue;
    }
    std::string value;
    for (int i = 0; i < kTableKeys; ++i) {
      s = db_->Get(ReadOptions(), Key(i), &value);
      if (s.IsCorruption()) continue;
      ASSERT_TRUE(s.ok()) << Key(i) << " lost silently: " << s.ToString();
      ASSERT_TRUE(value == ValueFor(i, kTableValueBytes)) << Key(i) << ": wrong value";
    }
  }
}

// ---- (e) damaged WALs under each recovery mode ----------------------------------------------

// Where the WAL writer puts a record's fragments (docs/format/wal.md): 32 KiB blocks, 11-byte
// headers, a block tail under 11 bytes padded with zeros.
struct Fragment {
  uint64_t offset;  // of the header
  uint64_t payload_bytes;
};
constexpr uint64_t kWalBlockBytes = 32768;
constexpr uint64_t kWalHeaderBytes = 11;

constexpr uint64_t kWalLogHeadBytes = 16;
constexpr uint64_t kWalSyncedBytesMarkerBytes = kWalHeaderBytes + 8;

// The fragments of records written by sync writes into a new log: after the log's head (a
// header and its 16 bytes), its synced-bytes marker and the marker the first sync write adds
// (a header alone). Every later record follows a sync, so a synced-bytes marker precedes it
// when the block's rest can hold one.
std::vector<std::vector<Fragment>> WalLayout(const std::vector<uint64_t>& record_bytes) {
  std::vector<std::vector<Fragment>> layout;
  uint64_t offset =
      kWalHeaderBytes + kWalLogHeadBytes + kWalSyncedBytesMarkerBytes + kWalHeaderBytes;
  for (uint64_t left : record_bytes) {
    std::vector<Fragment> fragments;
    if (!layout.empty() && kWalBlockBytes - offset % kWalBlockBytes >= kWalSyncedBytesMarkerBytes) {
      offset += kWalSyncedBytesMarkerBytes;
    }
    do {
      const uint64_t in_block = kWalBlockBytes - offset % kWalBlockBytes;
      if (in_block < kWalHeaderBytes) {
        offset += in_block;
        continue;
      }
      const uint64_t payload = std::min(left, in_block - kWalHeaderBytes);
      fragments.push_back(Fragment{offset, payload});
      offset += kWalHeaderBytes + payload;
      left -= payload;
    } while (left > 0);
    layout.push_back(std::move(fragments));
  }
  return layout;
}

enum class WalDamage : uint8_t { kTornTail, kCorruptTail, kCorruptMiddle };
enum class Expect : uint8_t { kCorruption, kAllButLast, kPrefixBeforeDamage, kSkipDamage };

struct WalCase {
  const char* name;
  WalRecoveryMode mode;
  WalDamage damage;
  Expect expect;
};

class WalRecoveryModeTest : public CorruptionTest, public ::testing::WithParamInterface<WalCase> {
 protected:
  static constexpr int kRecords = 100;  // ~3 WAL blocks
  static constexpr size_t kValueBytes = 900;
  static constexpr int kDamaged = 10;  // in the first block, intact records after it
};

TEST_P(WalRecoveryModeTest, OpenResultMatchesTheMode) {
  const WalCase& c = GetParam();
  ASSERT_TRUE(Open().ok());
  PutRange(0, kRecords, kValueBytes, /*sync=*/true);
  Close();  // no flush: the records stay in the WAL for the next Open to replay
  const std::vector<std::string> logs = Files(".log");
  ASSERT_EQ(logs.size(), 1u);
  const std::string log = logs[0];

  WriteBatch one;
  one.Put(Key(0), ValueFor(0, kValueBytes));
  const auto layout = WalLayout(std::vector<uint64_t>(kRecords, one.ApproximateSize()));
  ASSERT_EQ(Size(log),
            layout.back().back().offset + kWalHeaderBytes + layout.back().back().payload_bytes)
      << "the WAL layout differs from docs/format/wal.md";
  const int damaged = c.damage == WalDamage::kCorruptMiddle ? kDamaged : kRecords - 1;
  const Fragment& first = layout[damaged].front();
  if (c.damage == WalDamage::kTornTail) {
    ASSERT_TRUE(env_.Truncate(log, first.offset + kWalHeaderBytes + first.payload_bytes / 2).ok());
  } else {
    ASSERT_TRUE(env_.FlipByte(log, first.offset + kWalHeaderBytes + first.payload_bytes / 2).ok());
  }

  options_.wal_recovery_mode = c.mode;
  if (c.expect == Expect::kCorruption) {
    ExpectOpenFailsTouchingNothing(Status::Code::kCorruption);
    Status s = Open();
    EXPECT_NE(s.ToString().find(log.substr(log.rfind('/') + 1)), std::string::npos)
        << "the error should name the damaged log: " << s.ToString();
    return;
  }
  Status s = Open();
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The blocks wholly after the damaged record's block are intact.
  const uint64_t damaged_block_end = (first.offset / kWalBlockBytes + 1) * kWalBlockBytes;
  for (int pass = 0; pass < 2; ++pass) {  // and the same after another reopen
    SCOPED_TRACE(pass == 0 ? "first open" : "second open");
    for (int i = 0; i < kRecords; ++i) {
      std::string value;
      s = db_->Get(ReadOptions(), Key(i), &value);
      ASSERT_TRUE(s.ok() || s.IsNotFound()) << Key(i) << ": " << s.ToString();
      if (s.ok()) {
        ASSERT_TRUE(value == ValueFor(i, kValueBytes)) << Key(i) << ": wrong value";
      }
      bool must_exist = i < damaged;
      bool must_not_exist = i == damaged;
      if (c.expect == Expect::kPrefixBeforeDamage) must_not_exist = i >= damaged;
      if (c.expect == Expect::kSkipDamage && layout[i].front().offset >= damaged_block_end) {
        must_exist = true;
      }
      if (must_exist) {
        EXPECT_TRUE(s.ok()) << Key(i) << " lost";
      }
      if (must_not_exist) {
        EXPECT_TRUE(s.IsNotFound()) << Key(i) << " should be gone";
      }
    }
    Close();
    ASSERT_TRUE(Open().ok());
  }
  // The DB takes writes again.
  EXPECT_TRUE(db_->Put(WriteOptions(), "after", "recovery").ok());
}

INSTANTIATE_TEST_SUITE_P(
    Modes, WalRecoveryModeTest,
    ::testing::Values(WalCase{"TolerateTornTail", WalRecoveryMode::kTolerateCorruptedTailRecords,
                              WalDamage::kTornTail, Expect::kAllButLast},
                      WalCase{"TolerateCorruptTail", WalRecoveryMode::kTolerateCorruptedTailRecords,
                              WalDamage::kCorruptTail, Expect::kAllButLast},
                      WalCase{"TolerateCorruptMiddle",
                              WalRecoveryMode::kTolerateCorruptedTailRecords,
                              WalDamage::kCorruptMiddle, Expect::kCorruption},
                      WalCase{"AbsoluteTornTail", WalRecoveryMode::kAbsoluteConsistency,
                              WalDamage::kTornTail, Expect::kCorruption},
                      WalCase{"AbsoluteCorruptTail", WalRecoveryMode::kAbsoluteConsistency,
                              WalDamage::kCorruptTail, Expect::kCorruption},
                      WalCase{"AbsoluteCorruptMiddle", WalRecoveryMode::kAbsoluteConsistency,
                              WalDamage::kCorruptMiddle, Expect::kCorruption},
                      WalCase{"PointInTimeTornTail", WalRecoveryMode::kPointInTimeRecovery,
                              WalDamage::kTornTail, Expect::kAllButLast},
                      WalCase{"PointInTimeCorruptTail", WalRecoveryMode::kPointInTimeRecovery,
                              WalDamage::kCorruptTail, Expect::kAllButLast},
                      WalCase{"PointInTimeCorruptMiddle", WalRecoveryMode::kPointInTimeRecovery,
                              WalDamage::kCorruptMiddle, Expect::kPrefixBeforeDamage},
                      WalCase{"SkipTornTail", WalRecoveryMode::kSkipAnyCorruptedRecords,
                              WalDamage::kTornTail, Expect::kAllButLast},
                      WalCase{"SkipCorruptTail", WalRecoveryMode::kSkipAnyCorruptedRecords,
                              WalDamage::kCorruptTail, Expect::kAllButLast},
                      WalCase{"SkipCorruptMiddle", WalRecoveryMode::kSkipAnyCorruptedRecords,
                              WalDamage::kCorruptMiddle, Expect::kSkipDamage}),
    [](const ::testing::TestParamInfo<WalCase>& info) { return info.param.name; });

// ---- (f) missing pieces ---------------------------------------------------------------------

enum class Missing : uint8_t {
  kLiveTable,
  kTruncatedTable,
  kTableCutToZero,
  kCurrent,
  kEmptyCurrent,
  kGarbageCurrent,
  kCurrentNamesMissingManifest,
  kManifest,
  kWal,
};

class MissingPieceTest : public CorruptionTest, public ::testing::WithParamInterface<Missing> {};

TEST_P(MissingPieceTest, OpenFailsWithCorruptionAndTouchesNothing) {
  ASSERT_TRUE(Open().ok());
  PutRange(0, 100, 300);
  ASSERT_TRUE(db_->Flush().ok());
  PutRange(100, 200, 300);
  ASSERT_TRUE(db_->Flush().ok());
  PutRange(200, 250, 300, /*sync=*/true);  // in the WAL
  Close();
  ASSERT_EQ(Files(".sst").size(), 2u);
  ASSERT_EQ(Files("MANIFEST").size(), 1u);
  ASSERT_EQ(Files(".log").size(), 1u);
  const std::string current = std::string(kDb) + "/CURRENT";
  const std::string table = Files(".sst")[0];
  switch (GetParam()) {
    case Missing::kLiveTable:
      ASSERT_TRUE(env_.RemoveFile(table).ok());
      break;
    case Missing::kTruncatedTable:
      ASSERT_TRUE(env_.Truncate(table, Size(table) - 1).ok());
      break;
    case Missing::kTableCutToZero:
      ASSERT_TRUE(env_.Truncate(table, 0).ok());
      break;
    case Missing::kCurrent:
      ASSERT_TRUE(env_.RemoveFile(current).ok());
      break;
    case Missing::kEmptyCurrent:
      WriteWhole(current, "");
      break;
    case Missing::kGarbageCurrent:
      WriteWhole(current, std::string("\xff\x00garbage", 9));
      break;
    case Missing::kCurrentNamesMissingManifest:
      WriteWhole(current, "MANIFEST-999999\n");
      break;
    case Missing::kManifest:
      ASSERT_TRUE(env_.RemoveFile(Files("MANIFEST")[0]).ok());
      break;
    case Missing::kWal:
      ASSERT_TRUE(env_.RemoveFile(Files(".log")[0]).ok());
      break;
  }
  ASSERT_TRUE(env_.SyncDir(kDb).ok());
  ExpectOpenFailsTouchingNothing(Status::Code::kCorruption);
  // Twice: a failed Open must not have changed what the next one sees.
  ExpectOpenFailsTouchingNothing(Status::Code::kCorruption);
}

INSTANTIATE_TEST_SUITE_P(Pieces, MissingPieceTest,
                         ::testing::Values(Missing::kLiveTable, Missing::kTruncatedTable,
                                           Missing::kTableCutToZero, Missing::kCurrent,
                                           Missing::kEmptyCurrent, Missing::kGarbageCurrent,
                                           Missing::kCurrentNamesMissingManifest,
                                           Missing::kManifest, Missing::kWal),
                         [](const ::testing::TestParamInfo<Missing>& info) {
                           switch (info.param) {
                             case Missing::kLiveTable:
                               return "LiveTableRemoved";
                             case Missing::kTruncatedTable:
                               return "LiveTableShortByOneByte";
                             case Missing::kTableCutToZero:
                               return "LiveTableEmpty";
                             case Missing::kCurrent:
                               return "CurrentRemoved";
                             case Missing::kEmptyCurrent:
                               return "CurrentEmpty";
                             case Missing::kGarbageCurrent:
                               return "CurrentGarbage";
                             case Missing::kCurrentNamesMissingManifest:
                               return "CurrentNamesAMissingManifest";
                             case Missing::kManifest:
                               return "ManifestRemoved";
                             case Missing::kWal:
                               return "LiveWalRemoved";
                           }
                           return "Unknown";
                         });

TEST_F(CorruptionTest, ADirectoryThatIsNotADbIsRefusedUntouched) {
  ASSERT_TRUE(env_.CreateDir(kDb).ok());
  WriteWhole(std::string(kDb) + "/notes.txt", "not a database");
  ExpectOpenFailsTouchingNothing(Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace ziggydb::test
