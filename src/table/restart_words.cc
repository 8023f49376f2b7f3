#include "table/restart_words.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "util/assert.h"

namespace ziggydb {
namespace {

// Blocks with fewer restart points are searched as fast without words (data blocks have a few).
constexpr uint32_t kMinRestarts = 16;

// The first of words[0, n) not below `word` (n when none is). Branch-free: each step picks the
// half with a conditional move, so a lookup pays no mispredicted branch per step (std::
// lower_bound's branches, on random targets, mispredict about half of its steps).
size_t FirstNotBelow(const uint64_t* words, size_t n, uint64_t word) {
  if (n == 0) return 0;
  const uint64_t* base = words;
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] < word ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - words) + (*base < word ? 1 : 0);
}

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
  for (uint32_t i = 0; i < n; i += kTopStride)
    result.top_.push_back(result.words_[i]);
  if (keep_values) result.values_ = std::move(values);
  return result;
}

std::optional<RestartWords::Tie> RestartWords::TiedRestarts(std::string_view target) const {
  const std::optional<std::string_view> part = OrderedPart(target);
  if (!part.has_value()) return std::nullopt;
  const uint64_t word = WordOf(*part);
  const uint32_t first = LowerBound(word);
  uint32_t past = first;
  if (first < words_.size() && words_[first] == word) {  // a tie: rare, and its lines are cached
    past = static_cast<uint32_t>(std::upper_bound(words_.begin() + first + 1, words_.end(), word) -
                                 words_.begin());
  }
  return Tie{first, past};
}

uint32_t RestartWords::LowerBound(uint64_t word) const {
  ZIGGY_DASSERT(top_.size() == (words_.size() + kTopStride - 1) / kTopStride);
  // With j the first top_ entry at least `word`, words_[(j - 1) * kTopStride] is below it and
  // words_[j * kTopStride] (or the end) is not: the answer lies in the stride between.
  const size_t j = FirstNotBelow(top_.data(), top_.size(), word);
  if (j == 0) return 0;
  const size_t begin = (j - 1) * kTopStride + 1;
  const size_t end = std::min(j * kTopStride, words_.size());
  constexpr size_t kWordsPerLine = 64 / sizeof(uint64_t);
  for (size_t i = begin; i < end; i += kWordsPerLine)
    __builtin_prefetch(words_.data() + i);
  if (begin < end) __builtin_prefetch(words_.data() + end - 1);
  return static_cast<uint32_t>(begin + FirstNotBelow(words_.data() + begin, end - begin, word));
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
