#include "table/table_properties.h"

#include <map>
#include <memory>
#include <string_view>

#include "table/block.h"
#include "table/block_builder.h"
#include "table/compression.h"
#include "util/coding.h"
#include "util/comparator.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// Persisted names — never change one; add new names instead.
constexpr std::string_view kComparator = "ziggy.comparator";
constexpr std::string_view kCompression = "ziggy.compression";
constexpr std::string_view kCreationTime = "ziggy.creation_time";
constexpr std::string_view kDataBytes = "ziggy.data_bytes";
constexpr std::string_view kFilterBytes = "ziggy.filter_bytes";
constexpr std::string_view kFilterPolicy = "ziggy.filter_policy";
constexpr std::string_view kFormatVersion = "ziggy.format_version";
constexpr std::string_view kIndexBytes = "ziggy.index_bytes";
constexpr std::string_view kLargestKey = "ziggy.largest_key";
constexpr std::string_view kLargestSequence = "ziggy.largest_sequence";
constexpr std::string_view kNumDataBlocks = "ziggy.num_data_blocks";
constexpr std::string_view kNumEntries = "ziggy.num_entries";
constexpr std::string_view kRawKeyBytes = "ziggy.raw_key_bytes";
constexpr std::string_view kRawValueBytes = "ziggy.raw_value_bytes";
constexpr std::string_view kSmallestKey = "ziggy.smallest_key";
constexpr std::string_view kSmallestSequence = "ziggy.smallest_sequence";

std::string Varint(uint64_t value) {
  std::string out;
  PutVarint64(&out, value);
  return out;
}

Status ParseNumber(std::string_view name, std::string_view bytes, uint64_t* value) {
  if (!GetVarint64(&bytes, value) || !bytes.empty()) {
    return Status::Corruption("bad table property", name);
  }
  return Status::OK();
}

}  // namespace

std::string TableProperties::Encode() const {
  // std::map keeps the names in bytewise order, as the block requires.
  const std::map<std::string_view, std::string> entries = {
      {kComparator, comparator_name},
      {kCompression, Varint(static_cast<uint8_t>(compression))},
      {kCreationTime, Varint(creation_time_unix_seconds)},
      {kDataBytes, Varint(data_bytes)},
      {kFilterBytes, Varint(filter_bytes)},
      {kFilterPolicy, filter_policy_name},
      {kFormatVersion, Varint(format_version)},
      {kIndexBytes, Varint(index_bytes)},
      {kLargestKey, largest_key},
      {kLargestSequence, Varint(largest_sequence)},
      {kNumDataBlocks, Varint(num_data_blocks)},
      {kNumEntries, Varint(num_entries)},
      {kRawKeyBytes, Varint(raw_key_bytes)},
      {kRawValueBytes, Varint(raw_value_bytes)},
      {kSmallestKey, smallest_key},
      {kSmallestSequence, Varint(smallest_sequence)},
  };
  BlockBuilder builder(BytewiseComparator(), 1);
  for (const auto& [name, value] : entries)
    builder.Add(name, value);
  return std::string(builder.Finish());
}

Status TableProperties::Decode(std::string contents) {
  std::shared_ptr<const Block> block;
  ZIGGY_RETURN_IF_ERROR(Block::Parse(std::move(contents), &block));
  const std::map<std::string_view, uint64_t*> numbers = {
      {kCreationTime, &creation_time_unix_seconds},
      {kDataBytes, &data_bytes},
      {kFilterBytes, &filter_bytes},
      {kFormatVersion, &format_version},
      {kIndexBytes, &index_bytes},
      {kLargestSequence, &largest_sequence},
      {kNumDataBlocks, &num_data_blocks},
      {kNumEntries, &num_entries},
      {kRawKeyBytes, &raw_key_bytes},
      {kRawValueBytes, &raw_value_bytes},
      {kSmallestSequence, &smallest_sequence},
  };
  const std::map<std::string_view, std::string*> strings = {
      {kComparator, &comparator_name},
      {kFilterPolicy, &filter_policy_name},
      {kLargestKey, &largest_key},
      {kSmallestKey, &smallest_key},
  };
  BlockIterator it(block, BytewiseComparator());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (auto n = numbers.find(it.key()); n != numbers.end()) {
      ZIGGY_RETURN_IF_ERROR(ParseNumber(n->first, it.value(), n->second));
    } else if (auto s = strings.find(it.key()); s != strings.end()) {
      s->second->assign(it.value());
    } else if (it.key() == kCompression) {
      uint64_t type = 0;
      ZIGGY_RETURN_IF_ERROR(ParseNumber(kCompression, it.value(), &type));
      if (type > 0xff || !IsKnownCompressionType(static_cast<uint8_t>(type))) {
        return Status::Corruption("bad table property", kCompression);
      }
      compression = static_cast<CompressionType>(type);
    }
  }
  return it.status();
}

}  // namespace ziggydb
