#include "tools/stress/expected_state.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace ziggydb::tools::stress {
namespace {

constexpr uint64_t kMagic = 0x3253534552545a53ULL;  // "SZTRESS2" read as little-endian bytes
// The format before call ids ("SZTRESS1": the words only), recognised to say so.
constexpr uint64_t kMagicVersion1 = 0x3153534552545a53ULL;
constexpr size_t kHeaderWords = 2;

Status PosixError(const std::string& what, const std::string& path) {
  return Status::IOError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

std::string StressKey(uint32_t index) {
  return fmt::format("s{:08}", index);
}

std::optional<uint32_t> ParseStressKey(std::string_view key) {
  if (key.size() != 9 || key[0] != 's') return std::nullopt;
  uint32_t index = 0;
  for (char c : key.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<uint32_t>(c - '0');
  }
  return index;
}

std::string StressValue(uint32_t index, uint32_t id) {
  uint64_t h = (uint64_t{index} << 32 | id) * 0x9e3779b97f4a7c15ULL;
  std::string value = fmt::format("{}:{}:", index, id);
  const size_t filler = (h >> 40) % 100;
  for (size_t i = 0; i < filler; ++i)
    value.push_back(static_cast<char>('a' + ((h >> (i / 8 % 32)) & 15)));
  return value;
}

std::optional<uint32_t> ParseStressValue(uint32_t index, std::string_view value) {
  const size_t first = value.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = value.find(':', first + 1);
  if (second == std::string_view::npos || second == first + 1 || second - first > 11)
    return std::nullopt;
  uint64_t id = 0;
  for (char c : value.substr(first + 1, second - first - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (id == 0 || id > kMaxValueId) return std::nullopt;
  if (StressValue(index, static_cast<uint32_t>(id)) != value) return std::nullopt;
  return static_cast<uint32_t>(id);
}

std::string DescribeRecord(WriteRecord r) {
  if (r == 0) return "absent (never written)";
  return fmt::format("{} id {}", RecordIsPut(r) ? "put" : "delete", RecordId(r));
}

Status ExpectedState::Open(const std::string& path, uint32_t keys,
                           std::unique_ptr<ExpectedState>* result) {
  if (keys == 0) return Status::InvalidArgument("the key space must hold at least one key");
  const size_t map_bytes = (kHeaderWords + 2 * size_t{keys}) * sizeof(uint64_t);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError("cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = PosixError("cannot stat", path);
    ::close(fd);
    return s;
  }
  const bool fresh = st.st_size == 0;
  if (fresh) {
    if (::ftruncate(fd, static_cast<off_t>(map_bytes)) != 0) {
      Status s = PosixError("cannot size", path);
      ::close(fd);
      return s;
    }
  } else if (static_cast<uint64_t>(st.st_size) != map_bytes) {
    uint64_t magic = 0;
    const bool old_format = static_cast<uint64_t>(st.st_size) == (kHeaderWords + keys) * 8 &&
                            ::pread(fd, &magic, sizeof(magic), 0) == sizeof(magic) &&
                            magic == kMagicVersion1;
    ::close(fd);
    if (old_format) {
      return Status::InvalidArgument(fmt::format(
          "{} is an expected state of an older ziggy (without call ids): start a new --dir", path));
    }
    return Status::InvalidArgument(
        fmt::format("{} holds {} bytes, not the {} of an expected state for {} keys (another "
                    "--keys, or not a stress state file)",
                    path, st.st_size, map_bytes, keys));
  }
  void* map = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  Status s = map == MAP_FAILED ? PosixError("cannot map", path) : Status::OK();
  ::close(fd);
  if (!s.ok()) return s;
  auto* header = static_cast<uint64_t*>(map);
  // A file without the magic was being created when its process died: its words are still zero.
  if (fresh || std::atomic_ref<uint64_t>(header[0]).load(std::memory_order_acquire) == 0) {
    header[1] = keys;
    // The magic last: until it is there, the file counts as not yet created.
    std::atomic_ref<uint64_t>(header[0]).store(kMagic, std::memory_order_release);
  } else if (header[0] != kMagic || header[1] != keys) {
    ::munmap(map, map_bytes);
    return Status::InvalidArgument(
        fmt::format("{} is not an expected state for {} keys", path, keys));
  }
  result->reset(new ExpectedState(map, map_bytes, keys));
  return Status::OK();
}

ExpectedState::ExpectedState(void* map, size_t map_bytes, uint32_t keys)
    : map_(map), map_bytes_(map_bytes), keys_(keys) {}

ExpectedState::~ExpectedState() {
  ::munmap(map_, map_bytes_);
}

KeyWord ExpectedState::Load(uint32_t index) const {
  return KeyWord::Unpack(std::atomic_ref<uint64_t>(words()[index]).load(std::memory_order_acquire));
}

void ExpectedState::Store(uint32_t index, KeyWord word) {
  std::atomic_ref<uint64_t>(words()[index]).store(word.Pack(), std::memory_order_release);
}

uint64_t ExpectedState::LoadCall(uint32_t index) const {
  return std::atomic_ref<uint64_t>(calls()[index]).load(std::memory_order_acquire);
}

void ExpectedState::StoreCall(uint32_t index, uint64_t call) {
  std::atomic_ref<uint64_t>(calls()[index]).store(call, std::memory_order_release);
}

}  // namespace ziggydb::tools::stress
