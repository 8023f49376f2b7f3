// Backup metadata encoding (backup_meta.h, docs/format/backup.md).
#include "backup/backup_meta.h"

#include <charconv>
#include <limits>

#include "backup/file_checksum.h"
#include "base/dbformat.h"

namespace ziggydb {
namespace {

constexpr std::string_view kMagic = "ziggydb-backup";

bool ParseU64(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// Splits off the first space-separated word of *rest.
std::string_view NextWord(std::string_view* rest) {
  const size_t space = rest->find(' ');
  std::string_view word = rest->substr(0, space);
  rest->remove_prefix(space == std::string_view::npos ? rest->size() : space + 1);
  return word;
}

bool IsHexChecksum(std::string_view text) {
  if (text.size() != 32) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A name in the backup or DB directory: no separators or spaces that would break the lines.
bool IsPlainPath(std::string_view text) {
  return !text.empty() && text.find_first_of(" \n") == std::string_view::npos &&
         text.find("..") == std::string_view::npos && text.front() != '/';
}

}  // namespace

std::string EncodeBackupMeta(const BackupMeta& meta) {
  std::string out;
  out += std::string(kMagic) + " " + std::to_string(kBackupMetaFormatVersion) + "\n";
  out += "id " + std::to_string(meta.id) + "\n";
  out += "timestamp " + std::to_string(meta.timestamp_seconds) + "\n";
  out += "sequence " + std::to_string(meta.sequence) + "\n";
  out += "log_number " + std::to_string(meta.log_number) + "\n";
  out += "manifest_number " + std::to_string(meta.manifest_number) + "\n";
  if (!meta.wal_archive_dir.empty()) out += "wal_archive " + meta.wal_archive_dir + "\n";
  if (!meta.db_identity.empty()) out += "db_identity " + meta.db_identity + "\n";
  for (const BackupFile& file : meta.files) {
    out += "file " + file.path + " " + file.db_name + " " + std::to_string(file.size) + " " +
           file.checksum + "\n";
  }
  out += "end " + ChecksumHex(out) + "\n";
  return out;
}

Status DecodeBackupMeta(std::string_view data, const std::string& path, BackupMeta* meta) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption("backup metadata " + std::string(why), path);
  };
  // The last line is "end <checksum of everything before it>".
  if (data.empty() || data.back() != '\n') return bad("is truncated");
  const size_t end_line = data.rfind('\n', data.size() - 2);
  const std::string_view body =
      data.substr(0, end_line == std::string_view::npos ? 0 : end_line + 1);
  std::string_view last = data.substr(body.size(), data.size() - body.size() - 1);
  if (NextWord(&last) != "end" || last != ChecksumHex(body)) return bad("fails its checksum");

  *meta = BackupMeta();
  bool seen_id = false, seen_sequence = false, seen_manifest = false;
  size_t line_start = 0;
  bool first = true;
  while (line_start < body.size()) {
    const size_t newline = body.find('\n', line_start);
    std::string_view rest = body.substr(line_start, newline - line_start);
    line_start = newline + 1;
    const std::string_view key = NextWord(&rest);
    uint64_t value = 0;
    if (first) {
      first = false;
      if (key != kMagic || !ParseU64(rest, &value)) return bad("lacks its header");
      if (value > kBackupMetaFormatVersion) {
        return Status::NotSupported(
            "backup metadata format " + std::to_string(value) + " is newer than this build reads",
            path);
      }
      if (value == 0) return bad("has format version 0");
    } else if (key == "id") {
      if (!ParseU64(rest, &value) || value == 0 || value > std::numeric_limits<uint32_t>::max()) {
        return bad("has a bad id");
      }
      meta->id = static_cast<uint32_t>(value);
      seen_id = true;
    } else if (key == "timestamp") {
      if (!ParseU64(rest, &value) || value > uint64_t{std::numeric_limits<int64_t>::max()}) {
        return bad("has a bad timestamp");
      }
      meta->timestamp_seconds = static_cast<int64_t>(value);
    } else if (key == "sequence") {
      if (!ParseU64(rest, &meta->sequence)) return bad("has a bad sequence");
      seen_sequence = true;
    } else if (key == "log_number") {
      if (!ParseU64(rest, &meta->log_number) || meta->log_number > kMaxFileNumber) {
        return bad("has a bad log number");
      }
    } else if (key == "manifest_number") {
      // The restored DB's log is manifest_number + 1: both within the file numbers.
      if (!ParseU64(rest, &meta->manifest_number) || meta->manifest_number >= kMaxFileNumber) {
        return bad("has a bad MANIFEST number");
      }
      seen_manifest = true;
    } else if (key == "wal_archive") {
      if (rest.empty()) return bad("has an empty wal_archive");
      meta->wal_archive_dir = std::string(rest);
    } else if (key == "db_identity") {
      if (!IsHexChecksum(rest)) return bad("has a bad db_identity");
      meta->db_identity = std::string(rest);
    } else if (key == "file") {
      BackupFile file;
      file.path = std::string(NextWord(&rest));
      file.db_name = std::string(NextWord(&rest));
      const std::string_view size = NextWord(&rest);
      file.checksum = std::string(rest);
      if (!IsPlainPath(file.path) || !IsPlainPath(file.db_name) ||
          file.db_name.find('/') != std::string::npos || !ParseU64(size, &file.size) ||
          !IsHexChecksum(file.checksum)) {
        return bad("has a bad file line");
      }
      meta->files.push_back(std::move(file));
    } else {
      return bad("has an unknown line \"" + std::string(key) + "\"");
    }
  }
  if (!seen_id || !seen_sequence || !seen_manifest) return bad("lacks id, sequence or MANIFEST");
  return Status::OK();
}

}  // namespace ziggydb
