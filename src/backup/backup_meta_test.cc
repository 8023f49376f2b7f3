// Backup metadata: encode/decode round trip, and every kind of damage refused.
#include "backup/backup_meta.h"

#include <gtest/gtest.h>

#include <string>

#include "backup/file_checksum.h"

namespace ziggydb {
namespace {

BackupMeta Sample() {
  BackupMeta meta;
  meta.id = 7;
  meta.timestamp_seconds = 1733350000;
  meta.sequence = 12345;
  meta.log_number = 17;
  meta.manifest_number = 21;
  meta.wal_archive_dir = "/var/lib/db archive";
  meta.db_identity = "00112233445566778899aabbccddeeff";
  meta.files.push_back({"shared/000012_4096_0123456789abcdef0123456789abcdef.sst", "000012.sst",
                        4096, "0123456789abcdef0123456789abcdef"});
  meta.files.push_back(
      {"private/7/MANIFEST-000021", "MANIFEST-000021", 120, "fedcba9876543210fedcba9876543210"});
  return meta;
}

TEST(BackupMeta, RoundTrips) {
  const BackupMeta meta = Sample();
  BackupMeta decoded;
  ASSERT_TRUE(DecodeBackupMeta(EncodeBackupMeta(meta), "m", &decoded).ok());
  EXPECT_EQ(decoded.id, meta.id);
  EXPECT_EQ(decoded.timestamp_seconds, meta.timestamp_seconds);
  EXPECT_EQ(decoded.sequence, meta.sequence);
  EXPECT_EQ(decoded.log_number, meta.log_number);
  EXPECT_EQ(decoded.manifest_number, meta.manifest_number);
  EXPECT_EQ(decoded.wal_archive_dir, meta.wal_archive_dir);
  EXPECT_EQ(decoded.db_identity, meta.db_identity);
  ASSERT_EQ(decoded.files.size(), 2u);
  EXPECT_EQ(decoded.files[0].path, meta.files[0].path);
  EXPECT_EQ(decoded.files[1].db_name, "MANIFEST-000021");
  EXPECT_EQ(decoded.files[1].size, 120u);
  EXPECT_EQ(decoded.files[1].checksum, meta.files[1].checksum);
}

TEST(BackupMeta, GoldenBytes) {
  BackupMeta meta;
  meta.id = 1;
  meta.timestamp_seconds = 5;
  meta.sequence = 9;
  meta.log_number = 3;
  meta.manifest_number = 4;
  const std::string text = EncodeBackupMeta(meta);
  EXPECT_TRUE(text.starts_with(
      "ziggydb-backup 2\nid 1\ntimestamp 5\nsequence 9\nlog_number 3\nmanifest_number 4\nend "))
      << text;
  meta.db_identity = "0123456789abcdef0123456789abcdef";
  EXPECT_NE(EncodeBackupMeta(meta).find("manifest_number 4\ndb_identity "
                                        "0123456789abcdef0123456789abcdef\nend "),
            std::string::npos);
}

// Version 1 (before db_identity) still reads: a backup of no identity.
TEST(BackupMeta, VersionOneReadsWithoutIdentity) {
  const std::string body = "ziggydb-backup 1\nid 1\nsequence 1\nmanifest_number 2\n";
  BackupMeta decoded;
  ASSERT_TRUE(DecodeBackupMeta(body + "end " + ChecksumHex(body) + "\n", "m", &decoded).ok());
  EXPECT_TRUE(decoded.db_identity.empty());
}

// File numbers past kMaxFileNumber are refused: a restore adds a log numbered manifest_number + 1.
TEST(BackupMeta, FileNumbersPastTheLimitAreCorruption) {
  for (const char* line :
       {"log_number 4611686018427387904\n", "manifest_number 18446744073709551615\n"}) {
    const std::string body =
        std::string("ziggydb-backup 2\nid 1\nsequence 1\nmanifest_number 2\n") + line;
    BackupMeta decoded;
    EXPECT_TRUE(
        DecodeBackupMeta(body + "end " + ChecksumHex(body) + "\n", "m", &decoded).IsCorruption())
        << line;
  }
}

TEST(BackupMeta, EveryTruncationAndByteFlipIsCorruption) {
  const std::string text = EncodeBackupMeta(Sample());
  BackupMeta decoded;
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_TRUE(DecodeBackupMeta(text.substr(0, n), "m", &decoded).IsCorruption()) << n;
    std::string flipped = text;
    flipped[n] ^= 0x20;
    EXPECT_FALSE(DecodeBackupMeta(flipped, "m", &decoded).ok()) << n;
  }
}

TEST(BackupMeta, NewerFormatIsNotSupported) {
  const std::string body = "ziggydb-backup 3\nid 1\nsequence 1\nmanifest_number 2\n";
  BackupMeta decoded;
  Status s = DecodeBackupMeta(body + "end " + ChecksumHex(body) + "\n", "m", &decoded);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
}

}  // namespace
}  // namespace ziggydb
