// Fuzz target for the dump stream parser (DumpReader, src/db/dump_format.cc): the input is a
// whole dump stream (docs/format/dump.md).
//
// Whatever the bytes, parsing must stay in bounds, end in OK, Corruption or NotSupported, and:
//   - an accepted stream's keys are strictly ascending and its record count is the trailer's;
//   - writing the accepted records again (DumpWriter) gives a stream that parses to the same
//     records;
//   - no strict prefix of an accepted stream is accepted (the trailer is last and required).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/dump_format.h"
#include "util/assert.h"

namespace ziggydb {
namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

Status Parse(std::string_view bytes, Records* out) {
  StringDumpSource source(bytes);
  DumpReader reader(&source);
  Status s = reader.ReadHeader();
  while (s.ok()) {
    std::vector<DumpReader::Record> chunk;
    bool end = false;
    s = reader.NextChunk(&chunk, &end);
    if (!s.ok() || end) break;
    for (const auto& [key, value] : chunk)
      out->emplace_back(key, value);
  }
  ZIGGY_ASSERT(s.ok() || s.IsCorruption() || s.IsNotSupported());
  if (s.ok()) ZIGGY_ASSERT(reader.records() == out->size());
  return s;
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ziggydb;  // NOLINT: a fuzz entry point, not a header
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Records records;
  if (!Parse(input, &records).ok()) return 0;
  for (size_t i = 1; i < records.size(); ++i)
    ZIGGY_ASSERT(records[i - 1].first < records[i].first);

  std::string rewritten;
  DumpWriter writer(
      [&rewritten](std::string_view bytes) {
        rewritten.append(bytes);
        return Status::OK();
      },
      64);
  ZIGGY_ASSERT(writer.Begin().ok());
  for (const auto& [key, value] : records)
    ZIGGY_ASSERT(writer.Add(key, value).ok());
  ZIGGY_ASSERT(writer.Finish().ok());
  Records again;
  ZIGGY_ASSERT(Parse(rewritten, &again).ok());
  ZIGGY_ASSERT(again == records);

  const size_t cut = (static_cast<size_t>(data[0]) * 257 + data[size - 1]) % size;
  Records prefix;
  ZIGGY_ASSERT(!Parse(input.substr(0, cut), &prefix).ok());
  return 0;
}
