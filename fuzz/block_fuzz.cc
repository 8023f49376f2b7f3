// Fuzz target for the block decoder (src/table/block.h): the input is a block's contents, read
// with both key encodings (whole keys, and keys whose fixed64 suffix is stored as a varint).
//
// Whatever the bytes, Block::Parse and BlockIterator must stay in bounds and:
//   - a forward scan and a backward scan that both end without error visit the same entries in
//     opposite orders (both walk the entries by offset);
//   - Seek/SeekForPrev to any key terminate and leave the iterator valid or with a status;
//   - a malformed entry yields Corruption, after which the iterator stays invalid.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "table/block.h"
#include "util/assert.h"
#include "util/comparator.h"

namespace {

// Entries a block of n bytes can hold: each takes at least 3 header bytes.
size_t MaxEntries(size_t bytes) {
  return bytes / 3 + 1;
}

void CheckBlock(const std::shared_ptr<const ziggydb::Block>& block,
                ziggydb::BlockKeyEncoding encoding, std::string_view input) {
  using namespace ziggydb;  // NOLINT: a fuzz helper, not a header
  BlockIterator it(block, BytewiseComparator(), encoding);
  std::vector<std::pair<std::string, std::string>> forward;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ZIGGY_ASSERT(forward.size() <= MaxEntries(input.size()));
    forward.emplace_back(it.key(), it.value());
  }
  const bool forward_ok = it.status().ok();

  BlockIterator back(block, BytewiseComparator(), encoding);
  std::vector<std::pair<std::string, std::string>> backward;
  for (back.SeekToLast(); back.Valid(); back.Prev()) {
    ZIGGY_ASSERT(backward.size() <= MaxEntries(input.size()));
    backward.emplace_back(back.key(), back.value());
  }
  if (forward_ok && back.status().ok()) {
    ZIGGY_ASSERT(forward.size() == backward.size());
    for (size_t i = 0; i < forward.size(); ++i)
      ZIGGY_ASSERT(forward[i] == backward[backward.size() - 1 - i]);
  }

  BlockIterator seeker(block, BytewiseComparator(), encoding);
  for (size_t i = 0; i < forward.size() && i < 64; ++i) {
    seeker.Seek(forward[i].first);
    seeker.SeekForPrev(forward[i].first);
    if (seeker.Valid()) seeker.Next();
  }
  seeker.Seek(input.substr(0, 8));
  if (!seeker.status().ok()) ZIGGY_ASSERT(!seeker.Valid());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ziggydb;  // NOLINT: a fuzz entry point, not a header
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const Block> block;
  if (!Block::Parse(std::string(input), &block).ok()) return 0;
  ZIGGY_ASSERT(block->restarts_offset() <= size);
  CheckBlock(block, BlockKeyEncoding::kWhole, input);
  CheckBlock(block, BlockKeyEncoding::kVarintSuffix, input);
  return 0;
}
