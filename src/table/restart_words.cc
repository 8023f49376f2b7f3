#include "table/restart_words.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "util/assert.h"

namespace ziggydb {
namespace {

// Blocks with fewer restart points are searched as fast without words (data blocks have a few).
constexpr uint32_t kMinRestarts = 16;

}  // namespace

std::optional<std::string_view> RestartWords::OrderedPart(std::string_view key) const {
  if (key.size() < trailer_bytes_) return std::nullopt;
  return key.substr(0, key.size() - trailer_bytes_);
}

uint64_t RestartWords::WordOf(std::string_view ordered) const {
  if (!ordered.starts_with(prefix_)) {
    return ordered < prefix_ ? 0 : std::numeric_limits<uint64_t>::max();
  }
  const std::string_view rest = ordered.substr(prefix_.size());
  unsigned char bytes[8] = {};
  std::memcpy(bytes, rest.data(), std::min(rest.size(), sizeof(bytes)));
  uint64_t word = 0;
  for (const unsigned char byte : bytes)
    word = (word << 8) | byte;
  return word;
}

RestartWords RestartWords::Build(const Block& block, const Comparator* comparator,
                                 ValueDecoder decode) {
  RestartWords result;
  const std::optional<size_t> trailer_bytes = comparator->BytewisePrefixTrailerBytes();
  if (!trailer_bytes.has_value()) return result;
  result.trailer_bytes_ = *trailer_bytes;
  const uint32_t n = block.num_restarts();
  if (n < kMinRestarts) return result;
  std::vector<std::string_view> parts(n);
  std::vector<uint64_t> values;
  bool keep_values = decode != nullptr;
  if (keep_values) values.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    std::string_view value;
    uint32_t end = 0;
    if (!block.WholeEntryAtRestart(i, &key, &value, &end)) return result;
    const std::optional<std::string_view> part = result.OrderedPart(key);
    if (!part.has_value()) return result;
    parts[i] = *part;
    // Each entry must end where the next restart (or the entries) ends: then restart i is
    // entry i, and its value is the answer of a seek that lands on it.
    const uint32_t next = i + 1 < n ? block.restart(i + 1) : block.restarts_offset();
    if (keep_values && (end != next || !decode(value, &values[i]))) keep_values = false;
  }
  const std::string_view first = parts[0];
  const std::string_view last = parts[n - 2];
  const auto mismatch = std::mismatch(first.begin(), first.end(), last.begin(), last.end());
  result.prefix_.assign(first.begin(), mismatch.first);
  result.words_.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    result.words_[i] = result.WordOf(parts[i]);
  if (keep_values) result.values_ = std::move(values);
  return result;
}

std::optional<RestartWords::Tie> RestartWords::TiedRestarts(std::string_view target) const {
  const std::optional<std::string_view> part = OrderedPart(target);
  if (!part.has_value()) return std::nullopt;
  const auto [lower, upper] = std::equal_range(words_.begin(), words_.end(), WordOf(*part));
  return Tie{static_cast<uint32_t>(lower - words_.begin()),
             static_cast<uint32_t>(upper - words_.begin())};
}

void RestartWords::Bounds(std::string_view target, uint32_t* left, uint32_t* right) const {
  ZIGGY_ASSERT(!words_.empty());
  const std::optional<Tie> tie = TiedRestarts(target);
  if (!tie.has_value()) {  // not a key of this order: no narrowing
    *left = 0;
    *right = static_cast<uint32_t>(words_.size() - 1);
    return;
  }
  *left = tie->first > 0 ? tie->first - 1 : 0;
  *right = tie->past > 0 ? tie->past - 1 : 0;
}

bool RestartWords::FindFirstNotBefore(std::string_view target, uint32_t* index,
                                      uint64_t* value) const {
  if (values_.empty()) return false;
  const std::optional<Tie> tie = TiedRestarts(target);
  // Restarts with the target's word: their keys decide.
  if (!tie.has_value() || tie->first != tie->past) return false;
  // The restart at `first` (if any) has a higher word than target's, so a key after it.
  *index = tie->first;
  if (*index < values_.size()) *value = values_[*index];
  return true;
}

}  // namespace ziggydb
