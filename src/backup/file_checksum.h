// The strong per-file checksum of backups: XXH3-128 (xxHash), written as 32 lowercase hex digits
// (the canonical big-endian form of the 128-bit value).
#ifndef ZIGGYDB_BACKUP_FILE_CHECKSUM_H_
#define ZIGGYDB_BACKUP_FILE_CHECKSUM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb {

class Env;

// Incremental XXH3-128 over the bytes given to Update, in order.
class FileChecksum {
 public:
  FileChecksum();
  ~FileChecksum();
  FileChecksum(const FileChecksum&) = delete;
  FileChecksum& operator=(const FileChecksum&) = delete;

  void Update(std::string_view data);
  std::string HexDigest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// XXH3-128 of whole bytes, as hex.
std::string ChecksumHex(std::string_view data);

// Reads the file at `path` whole: its size and checksum. `on_block` (if set) sees each block's
// byte count; a non-OK status from it stops the read and is returned.
[[nodiscard]] Status ChecksumFile(Env* env, const std::string& path, uint64_t* size,
                                  std::string* checksum_hex,
                                  const std::function<Status(uint64_t)>& on_block = {});

}  // namespace ziggydb

#endif  // ZIGGYDB_BACKUP_FILE_CHECKSUM_H_
