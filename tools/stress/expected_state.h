// The expected-state oracle of `ziggy stress`: what the DB must hold for every key of a fixed key
// space, kept in a memory-mapped file so that it survives a SIGKILL of the process writing it.
//
// File format (host byte order; the file never leaves the machine that wrote it):
//   u64 magic "SZTRESS2", u64 key count, one u64 word per key, then one u64 call id per key.
// The call id names the DB call (a Put, Delete, WriteBatch or a transaction's Commit) of the
// key's pending write, so that after a kill the keys of one call can be checked together (a
// batch is recovered whole or not at all); it means something only while the key's pending
// record is set, and is stored before that record.
// A word packs two write records, each (value id << 1) | is_put, 0 meaning "none":
//   low 32 bits:  the latest acknowledged write of the key (0: never written, so absent);
//   high 32 bits: the write issued but not yet acknowledged (0: none).
// Protocol of a writer (the only one writing its keys): store {acked, pending = new} BEFORE the
// DB call, store {acked = new, pending = 0} after it returns OK. Each store is one aligned 8-byte
// store into a shared mapping, so a kill leaves either word whole, and the page cache keeps it:
// after a kill the DB must hold, per key, the acked write or (only if one is set) the pending one.
// Value ids of a key grow by one per write, so they order the key's writes.
#ifndef ZIGGYDB_TOOLS_STRESS_EXPECTED_STATE_H_
#define ZIGGYDB_TOOLS_STRESS_EXPECTED_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb::tools::stress {

// One write record: (id << 1) | is_put; 0 is "none" (for acked: absent, never written).
using WriteRecord = uint32_t;
inline WriteRecord MakeRecord(uint32_t id, bool is_put) {
  return (id << 1) | (is_put ? 1u : 0u);
}
inline uint32_t RecordId(WriteRecord r) {
  return r >> 1;
}
inline bool RecordIsPut(WriteRecord r) {
  return (r & 1u) != 0;
}
// The largest id a key may reach (31 bits).
inline constexpr uint32_t kMaxValueId = (uint32_t{1} << 31) - 1;

struct KeyWord {
  WriteRecord acked = 0;
  WriteRecord pending = 0;
  uint64_t Pack() const { return uint64_t{acked} | (uint64_t{pending} << 32); }
  static KeyWord Unpack(uint64_t w) {
    return {static_cast<WriteRecord>(w), static_cast<WriteRecord>(w >> 32)};
  }
  // The id the next write of the key gets.
  uint32_t NextId() const {
    uint32_t a = RecordId(acked), p = RecordId(pending);
    return (a > p ? a : p) + 1;
  }
};

// Key number i of the stress key space: "s" + 8 decimal digits.
std::string StressKey(uint32_t index);
// The index of a stress key, or nullopt when `key` is not one.
std::optional<uint32_t> ParseStressKey(std::string_view key);
// The value of write `id` of key `index`: "<index>:<id>:" then 0..99 filler bytes determined by
// (index, id), compressible runs, so that any value read can be traced to one write.
std::string StressValue(uint32_t index, uint32_t id);
// The id encoded in `value` if it is exactly StressValue(index, id) for some id, else nullopt.
std::optional<uint32_t> ParseStressValue(uint32_t index, std::string_view value);

// Human-readable record: "put id 7", "delete id 8", "absent (never written)".
std::string DescribeRecord(WriteRecord r);

class ExpectedState {
 public:
  // Maps `path`, creating it (all keys absent) when missing. A file made for another key count,
  // or not of this format, is InvalidArgument.
  [[nodiscard]] static Status Open(const std::string& path, uint32_t keys,
                                   std::unique_ptr<ExpectedState>* result);
  ~ExpectedState();
  ExpectedState(const ExpectedState&) = delete;
  ExpectedState& operator=(const ExpectedState&) = delete;

  uint32_t keys() const { return keys_; }
  KeyWord Load(uint32_t index) const;
  void Store(uint32_t index, KeyWord word);
  // The call id of the key's pending write (see the format above). Store it before the pending
  // record it describes.
  uint64_t LoadCall(uint32_t index) const;
  void StoreCall(uint32_t index, uint64_t call);

 private:
  ExpectedState(void* map, size_t map_bytes, uint32_t keys);
  uint64_t* words() const { return static_cast<uint64_t*>(map_) + 2; }
  uint64_t* calls() const { return words() + keys_; }

  void* map_;
  size_t map_bytes_;
  uint32_t keys_;
};

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_EXPECTED_STATE_H_
