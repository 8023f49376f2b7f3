// TableProperties: facts about one table, recorded in its properties block at build time and
// decoded at open. Encoding: a block (restart interval 1, bytewise-ordered names) mapping property
// names to values: varint64 for numbers, raw bytes for strings. Names a reader does not know are
// skipped, so adding a property needs no format version bump. See docs/format/sstable.md.
#ifndef ZIGGYDB_TABLE_TABLE_PROPERTIES_H_
#define ZIGGYDB_TABLE_TABLE_PROPERTIES_H_

#include <cstdint>
#include <string>

#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t raw_key_bytes = 0;    // sum of key sizes as added
  uint64_t raw_value_bytes = 0;  // sum of value sizes as added
  uint64_t num_data_blocks = 0;
  uint64_t data_bytes = 0;    // data blocks on disk, trailers included
  uint64_t index_bytes = 0;   // index block on disk, trailer included
  uint64_t filter_bytes = 0;  // filter block on disk, trailer included; 0 without a filter
  std::string smallest_key;   // empty when num_entries == 0
  std::string largest_key;
  uint64_t smallest_sequence = 0;  // as given to TableBuilder::SetSequenceRange
  uint64_t largest_sequence = 0;
  uint64_t creation_time_unix_seconds = 0;
  uint64_t format_version = 0;
  std::string comparator_name;
  std::string filter_policy_name;                        // empty without a filter
  CompressionType compression = CompressionType::kNone;  // configured; a block may still be raw

  // The properties block contents.
  std::string Encode() const;
  // Parses a properties block's contents. Corruption on malformed bytes.
  [[nodiscard]] Status Decode(std::string contents);
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_TABLE_PROPERTIES_H_
