// XXH3-128 file checksums (file_checksum.h).
#include "backup/file_checksum.h"

// The state struct (for a member rather than a heap allocation of its own) is in the static API.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "util/status_macros.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

constexpr size_t kReadBlockBytes = size_t{1} << 20;

std::string Hex(const XXH128_hash_t& hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof(canonical.digest));
  for (unsigned char byte : canonical.digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

}  // namespace

struct FileChecksum::State {
  XXH3_state_t xxh;
};

FileChecksum::FileChecksum() : state_(std::make_unique<State>()) {
  XXH3_128bits_reset(&state_->xxh);
}

FileChecksum::~FileChecksum() = default;

void FileChecksum::Update(std::string_view data) {
  XXH3_128bits_update(&state_->xxh, data.data(), data.size());
}

std::string FileChecksum::HexDigest() const {
  return Hex(XXH3_128bits_digest(&state_->xxh));
}

std::string ChecksumHex(std::string_view data) {
  return Hex(XXH3_128bits(data.data(), data.size()));
}

Status ChecksumFile(Env* env, const std::string& path, uint64_t* size, std::string* checksum_hex,
                    const std::function<Status(uint64_t)>& on_block) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewSequentialFile(path, &file));
  std::unique_ptr<char[]> scratch(new char[kReadBlockBytes]);
  FileChecksum checksum;
  *size = 0;
  while (true) {
    std::string_view block;
    ZIGGY_RETURN_IF_ERROR(file->Read(kReadBlockBytes, &block, scratch.get()));
    if (block.empty()) break;
    checksum.Update(block);
    *size += block.size();
    if (on_block) ZIGGY_RETURN_IF_ERROR(on_block(block.size()));
  }
  *checksum_hex = checksum.HexDigest();
  return Status::OK();
}

}  // namespace ziggydb
