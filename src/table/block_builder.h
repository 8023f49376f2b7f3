// BlockBuilder: encodes sorted key/value pairs into one block (format: docs/format/sstable.md,
// "Block"). Each entry stores only the suffix of its key that differs from the previous key; every
// `restart_interval` entries a restart point stores the whole key, so a reader can binary-search
// the restart array and decode from there. With BlockKeyEncoding::kVarintSuffix the last 8 bytes
// of every key are stored apart, as a varint64 after the key's differing bytes.
//
// Thread safety: none; one builder per writer.
#ifndef ZIGGYDB_TABLE_BLOCK_BUILDER_H_
#define ZIGGYDB_TABLE_BLOCK_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/format.h"
#include "util/comparator.h"

namespace ziggydb {

class BlockBuilder {
 public:
  // comparator checks the ordering of added keys (expensive tier only). restart_interval >= 1.
  BlockBuilder(const Comparator* comparator, int restart_interval,
               BlockKeyEncoding encoding = BlockKeyEncoding::kWhole);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets everything added, as if newly constructed.
  void Reset();
  // Precondition: not finished since the last Reset; key orders after every key added before;
  // with kVarintSuffix, key holds at least kKeySuffixBytes.
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array and returns the whole block, valid until Reset or destruction.
  std::string_view Finish();

  // Bytes Finish() would return now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return num_entries_ == 0; }
  uint64_t num_entries() const { return num_entries_; }

 private:
  const Comparator* const comparator_;
  const int restart_interval_;
  const BlockKeyEncoding encoding_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;  // offsets in buffer_ of the entries with a whole key
  int entries_since_restart_ = 0;
  uint64_t num_entries_ = 0;
  std::string last_key_;  // whole, suffix included
  bool finished_ = false;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_BLOCK_BUILDER_H_
