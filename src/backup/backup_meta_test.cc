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
      "ziggydb-backup 1\nid 1\ntimestamp 5\nsequence 9\nlog_number 3\nmanifest_number 4\nend "))
      << text;
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
  const std::string body = "ziggydb-backup 2\nid 1\nsequence 1\nmanifest_number 2\n";
  BackupMeta decoded;
  Status s = DecodeBackupMeta(body + "end " + ChecksumHex(body) + "\n", "m", &decoded);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
}

}  // namespace
}  // namespace ziggydb
