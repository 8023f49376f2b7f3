#include "table/block_builder.h"

#include <algorithm>

#include "table/format.h"
#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {

BlockBuilder::BlockBuilder(const Comparator* comparator, int restart_interval,
                           BlockKeyEncoding encoding)
    : comparator_(comparator), restart_interval_(restart_interval), encoding_(encoding) {
  ZIGGY_ASSERT(comparator != nullptr);
  ZIGGY_ASSERT(restart_interval >= 1);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  entries_since_restart_ = 0;
  num_entries_ = 0;
  last_key_.clear();
  finished_ = false;
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  ZIGGY_ASSERT(!finished_);
  ZIGGY_DASSERT(num_entries_ == 0 || comparator_->Compare(key, last_key_) > 0);
  const bool split_suffix = encoding_ == BlockKeyEncoding::kVarintSuffix;
  ZIGGY_ASSERT(!split_suffix || key.size() >= kKeySuffixBytes);
  // The bytes prefix-compressed: the whole key, or all but its suffix.
  const std::string_view shareable =
      split_suffix ? key.substr(0, key.size() - kKeySuffixBytes) : key;
  const std::string_view last_shareable =
      split_suffix && !last_key_.empty()
          ? std::string_view(last_key_).substr(0, last_key_.size() - kKeySuffixBytes)
          : std::string_view(last_key_);
  size_t shared = 0;
  if (num_entries_ > 0 && entries_since_restart_ < restart_interval_) {
    const size_t max_shared = std::min(last_shareable.size(), shareable.size());
    while (shared < max_shared && last_shareable[shared] == shareable[shared])
      ++shared;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  }
  // With a split suffix the entry's key bytes are varint64(suffix) ++ delta: the header's
  // non_shared counts both, so a reader finds the value and the next entry from the header alone.
  char suffix[kMaxVarint64Bytes];
  const size_t suffix_bytes =
      split_suffix
          ? static_cast<size_t>(
                EncodeVarint64(suffix, DecodeFixed64(key.data() + shareable.size())) - suffix)
          : 0;
  const size_t non_shared = suffix_bytes + shareable.size() - shared;
  PutVarint32(&buffer_, static_cast<uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(non_shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(suffix, suffix_bytes);
  buffer_.append(shareable.substr(shared));
  buffer_.append(value);
  ZIGGY_ASSERT(buffer_.size() < kMaxBlockBytes);

  last_key_.assign(key);
  ++entries_since_restart_;
  ++num_entries_;
}

std::string_view BlockBuilder::Finish() {
  ZIGGY_ASSERT(!finished_);
  // An empty block is just a zero restart count.
  for (uint32_t restart : restarts_)
    PutFixed32(&buffer_, restart);
  PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
  finished_ = true;
  return buffer_;
}

size_t BlockBuilder::CurrentSizeEstimate() const {
  return buffer_.size() + 4 * restarts_.size() + 4;
}

}  // namespace ziggydb
