#include "db/compaction.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

const Comparator* UserComparator(const Version& version) {
  return version.icmp()->user_comparator();
}

bool FileOverlaps(const Comparator* ucmp, const FileMetaData& file, const std::string_view* begin,
                  const std::string_view* end) {
  if (begin != nullptr && ucmp->Compare(ExtractUserKey(file.largest), *begin) < 0) return false;
  if (end != nullptr && ucmp->Compare(ExtractUserKey(file.smallest), *end) > 0) return false;
  return true;
}

Version::FileList OverlapInRange(const Version& version, int level, const std::string& smallest,
                                 const std::string& largest) {
  const std::string_view begin = smallest;
  const std::string_view end = largest;
  return OverlappingFiles(version, level, &begin, &end);
}

// True if a table of `level` (>= 1: sorted and disjoint) overlaps the user-key range
// [smallest, largest]. Only the first table ending at or after `smallest` can.
bool SortedLevelOverlaps(const Version& version, int level, std::string_view smallest,
                         std::string_view largest) {
  ZIGGY_ASSERT(level >= 1);
  const Comparator* ucmp = UserComparator(version);
  const auto& files = version.files(level);
  auto it = std::partition_point(files.begin(), files.end(), [&](const auto& file) {
    return ucmp->Compare(ExtractUserKey(file->largest), smallest) < 0;
  });
  return it != files.end() && ucmp->Compare(ExtractUserKey((*it)->smallest), largest) <= 0;
}

// The first level below `level` holding a table overlapping `files`, capped at `limit`.
int FirstOverlappingLevelBelow(const Version& version, int level, const Version::FileList& files,
                               int limit) {
  std::string smallest;
  std::string largest;
  UserKeyRange(UserComparator(version), files, &smallest, &largest);
  for (int next = level + 1; next < limit; ++next) {
    if (!OverlapInRange(version, next, smallest, largest).empty()) return next;
  }
  return limit;
}

}  // namespace

LevelTargets ComputeLevelTargets(const Version& version, const Options& options) {
  LevelTargets targets;
  const uint64_t base_bytes = options.max_bytes_for_level_base;
  const uint64_t multiplier = static_cast<uint64_t>(options.level_size_multiplier);
  uint64_t bottom_bytes = 0;
  for (int level = 1; level < kNumLevels; ++level)
    bottom_bytes = std::max(bottom_bytes, version.LevelBytes(level));
  // The last level's target is its size; each level above gets 1/multiplier of the next until
  // a target reaches base_bytes: that level is the base, and the levels above it stay empty.
  // The base level's target is raised to base_bytes: a smaller one would make every L0
  // compaction overfill it, and each byte would then be rewritten into the level below at the
  // full fan-out instead of waiting there for the next L0 compaction to merge into it.
  uint64_t size = std::max(bottom_bytes, base_bytes);
  int level = kNumLevels - 1;
  targets.target_bytes[level] = size;
  while (level > 1 && size > base_bytes) {
    size /= multiplier;
    --level;
    targets.target_bytes[level] = std::max(size, base_bytes);
  }
  targets.base_level = level;
  for (int above = 1; above < level; ++above)
    targets.target_bytes[above] = base_bytes;
  return targets;
}

std::array<double, kNumLevels> ComputeScores(const Version& version, const Options& options,
                                             const LevelTargets& targets,
                                             const CompactionsInProgress* running) {
  auto idle = [running](const auto& file) {
    return running == nullptr || !running->IsBeingCompacted(file->number);
  };
  std::array<double, kNumLevels> scores{};
  const auto& level0 = version.files(0);
  scores[0] = static_cast<double>(std::count_if(level0.begin(), level0.end(), idle)) /
              options.l0_compaction_trigger;
  for (int level = 1; level < kNumLevels - 1; ++level) {
    uint64_t bytes = 0;
    for (const auto& file : version.files(level)) {
      if (idle(file)) bytes += file->file_bytes;
    }
    scores[level] = static_cast<double>(bytes) / static_cast<double>(targets.target_bytes[level]);
  }
  return scores;
}

uint64_t EstimatePendingCompactionBytes(const Version& version, const Options& options,
                                        const LevelTargets& targets) {
  uint64_t pending = 0;
  if (version.NumFiles(0) >= options.l0_compaction_trigger) pending += version.LevelBytes(0);
  const uint64_t fan_out = static_cast<uint64_t>(options.level_size_multiplier) + 1;
  for (int level = 1; level < kNumLevels - 1; ++level) {
    const uint64_t bytes = version.LevelBytes(level);
    if (bytes > targets.target_bytes[level]) {
      pending += (bytes - targets.target_bytes[level]) * fan_out;
    }
  }
  return pending;
}

void UserKeyRange(const Comparator* ucmp, const Version::FileList& files, std::string* smallest,
                  std::string* largest) {
  ZIGGY_ASSERT(!files.empty());
  const FileMetaData* low = files.front().get();
  const FileMetaData* high = files.front().get();
  for (const auto& file : files) {
    if (ucmp->Compare(ExtractUserKey(file->smallest), ExtractUserKey(low->smallest)) < 0) {
      low = file.get();
    }
    if (ucmp->Compare(ExtractUserKey(file->largest), ExtractUserKey(high->largest)) > 0) {
      high = file.get();
    }
  }
  smallest->assign(ExtractUserKey(low->smallest));
  largest->assign(ExtractUserKey(high->largest));
}

Version::FileList OverlappingFiles(const Version& version, int level, const std::string_view* begin,
                                   const std::string_view* end) {
  const Comparator* ucmp = UserComparator(version);
  Version::FileList result;
  if (level > 0) {
    // Sorted and disjoint: the overlapping tables are one run, found by binary search.
    const auto& files = version.files(level);
    auto it = files.begin();
    if (begin != nullptr) {
      it = std::partition_point(files.begin(), files.end(), [&](const auto& file) {
        return ucmp->Compare(ExtractUserKey(file->largest), *begin) < 0;
      });
    }
    for (; it != files.end() && FileOverlaps(ucmp, **it, begin, end); ++it)
      result.push_back(*it);
    return result;
  }
  std::string low = begin != nullptr ? std::string(*begin) : std::string();
  std::string high = end != nullptr ? std::string(*end) : std::string();
  bool has_low = begin != nullptr;
  bool has_high = end != nullptr;
  const auto& files = version.files(level);
  std::vector<bool> chosen(files.size(), false);
  bool grew = true;
  while (grew) {
    grew = false;
    for (size_t i = 0; i < files.size(); ++i) {
      if (chosen[i]) continue;
      const std::string_view lo = low;
      const std::string_view hi = high;
      if (!FileOverlaps(ucmp, *files[i], has_low ? &lo : nullptr, has_high ? &hi : nullptr)) {
        continue;
      }
      chosen[i] = true;
      result.push_back(files[i]);
      // L0 tables overlap each other: widen the range to this table's so that every table
      // holding an older version of a chosen key is chosen too.
      const std::string_view file_low = ExtractUserKey(files[i]->smallest);
      const std::string_view file_high = ExtractUserKey(files[i]->largest);
      if (has_low && ucmp->Compare(file_low, low) < 0) {
        low.assign(file_low);
        grew = true;
      }
      if (has_high && ucmp->Compare(file_high, high) > 0) {
        high.assign(file_high);
        grew = true;
      }
    }
  }
  return result;
}

// ---- Compaction ----

Compaction::Compaction(std::shared_ptr<const Version> version, int start_level, int output_level,
                       const Options& options)
    : version_(std::move(version)),
      start_level_(start_level),
      output_level_(output_level),
      target_file_bytes_(options.target_file_size) {
  ZIGGY_ASSERT(start_level_ >= 0 && start_level_ <= output_level_ && output_level_ < kNumLevels);
}

uint64_t Compaction::InputBytes() const {
  uint64_t total = 0;
  for (const auto& list : inputs_) {
    for (const auto& file : list)
      total += file->file_bytes;
  }
  return total;
}

void Compaction::SetupOtherInputs() {
  ZIGGY_ASSERT(!inputs_[0].empty());
  std::string smallest;
  std::string largest;
  UserKeyRange(UserComparator(*version_), inputs_[0], &smallest, &largest);
  if (output_level_ != start_level_) {
    inputs_[1] = OverlapInRange(*version_, output_level_, smallest, largest);
  }
  if (!inputs_[1].empty()) {
    Version::FileList all = inputs_[0];
    all.insert(all.end(), inputs_[1].begin(), inputs_[1].end());
    UserKeyRange(UserComparator(*version_), all, &smallest, &largest);
  }
  smallest_user_key_ = smallest;
  largest_user_key_ = largest;
  if (output_level_ + 1 < kNumLevels) {
    grandparents_ = OverlapInRange(*version_, output_level_ + 1, smallest, largest);
  }
}

bool Compaction::IsTrivialMove() const {
  if (start_level_ == output_level_ || inputs_[0].size() != 1 || !inputs_[1].empty()) return false;
  uint64_t grandparent_bytes = 0;
  for (const auto& file : grandparents_)
    grandparent_bytes += file->file_bytes;
  return grandparent_bytes <= kGrandparentOverlapFactor * target_file_bytes_;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (const auto& file : inputs_[0])
    edit->RemoveFile(start_level_, file->number);
  for (const auto& file : inputs_[1])
    edit->RemoveFile(output_level_, file->number);
}

bool Compaction::IsBottommostForKey(std::string_view user_key) const {
  for (int level = output_level_ + 1; level < kNumLevels; ++level) {
    if (SortedLevelOverlaps(*version_, level, user_key, user_key)) return false;
  }
  return true;
}

bool Compaction::OutputIsBottommost() const {
  for (int level = output_level_ + 1; level < kNumLevels; ++level) {
    if (!version_->files(level).empty()) return false;
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key, uint64_t output_bytes) {
  const InternalKeyComparator* icmp = version_->icmp();
  bool crossed_boundary = false;
  while (grandparent_index_ < grandparents_.size() &&
         icmp->Compare(internal_key, grandparents_[grandparent_index_]->largest) > 0) {
    if (seen_key_) {
      overlapped_bytes_ += grandparents_[grandparent_index_]->file_bytes;
      crossed_boundary = true;
    }
    ++grandparent_index_;
  }
  seen_key_ = true;
  if (output_bytes == 0) {
    overlapped_bytes_ = 0;  // the next output's overlap starts with it
    return false;
  }
  const bool stop = (output_bytes >= target_file_bytes_ ||
                     overlapped_bytes_ > kGrandparentOverlapFactor * target_file_bytes_ ||
                     (crossed_boundary && output_bytes >= target_file_bytes_ / 2));
  if (stop) overlapped_bytes_ = 0;
  return stop;
}

// ---- CompactionsInProgress ----

void CompactionsInProgress::Add(const Compaction* c) {
  ZIGGY_ASSERT(!Conflicts(*c));
  // All or nothing (a throw changes nothing): the new set is built aside, then swapped in.
  std::set<FileNumber> files = files_;
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c->inputs(which))
      files.insert(file->number);
  }
  running_.push_back(c);
  files_.swap(files);
}

void CompactionsInProgress::Remove(const Compaction* c) {
  auto it = std::find(running_.begin(), running_.end(), c);
  ZIGGY_ASSERT(it != running_.end());
  running_.erase(it);
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c->inputs(which)) {
      const size_t erased = files_.erase(file->number);
      ZIGGY_ASSERT(erased == 1);
    }
  }
}

bool CompactionsInProgress::HasLevel0Compaction() const {
  return std::any_of(running_.begin(), running_.end(),
                     [](const Compaction* r) { return r->start_level() == 0; });
}

bool CompactionsInProgress::Conflicts(const Compaction& c) const {
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c.inputs(which)) {
      if (IsBeingCompacted(file->number)) return true;
    }
  }
  const Comparator* ucmp = UserComparator(c.version());
  for (const Compaction* r : running_) {
    if (c.start_level() == 0 && r->start_level() == 0) return true;
    // A compaction moves data across every level from its start to its output level: two whose
    // spans share a level must cover disjoint key ranges, or one could put older data above the
    // other's newer data, overlap its outputs, or move data below its output level.
    const bool spans_meet =
        c.start_level() <= r->output_level() && r->start_level() <= c.output_level();
    if (!spans_meet) continue;
    const bool disjoint = ucmp->Compare(c.largest_user_key(), r->smallest_user_key()) < 0 ||
                          ucmp->Compare(r->largest_user_key(), c.smallest_user_key()) < 0;
    if (!disjoint) return true;
  }
  return false;
}

const char* CompactionReasonName(CompactionReason reason) {
  switch (reason) {
    case CompactionReason::kLevel0Files:
      return "level0-files";
    case CompactionReason::kLevelSize:
      return "level-size";
    case CompactionReason::kManual:
      return "manual";
    case CompactionReason::kReclaim:
      return "reclaim";
    case CompactionReason::kReads:
      return "reads";
  }
  return "unknown";
}

// ---- Picking ----

namespace {

// All L0 tables overlapping the oldest one, into the base level (or the first level above it
// holding a table in their range). Null while another L0 compaction runs or on a conflict.
std::unique_ptr<Compaction> PickLevel0(const std::shared_ptr<const Version>& version,
                                       const Options& options, const LevelTargets& targets,
                                       const CompactionsInProgress& running) {
  if (running.HasLevel0Compaction()) return nullptr;
  // Start from the oldest L0 table; the overlap closure adds every L0 table sharing keys.
  const auto& oldest = version->files(0).back();
  const std::string_view begin = ExtractUserKey(oldest->smallest);
  const std::string_view end = ExtractUserKey(oldest->largest);
  Version::FileList inputs = OverlappingFiles(*version, 0, &begin, &end);
  const int output = FirstOverlappingLevelBelow(*version, 0, inputs, targets.base_level + 1);
  auto c = std::make_unique<Compaction>(version, 0, std::min(output, targets.base_level), options);
  c->set_reason(CompactionReason::kLevel0Files);
  c->mutable_inputs(0) = std::move(inputs);
  c->SetupOtherInputs();
  if (running.Conflicts(*c)) return nullptr;
  return c;
}

// Bytes of the next level that each table of `level` overlaps. Both levels are sorted and
// disjoint, so one sweep finds them all.
std::vector<uint64_t> OverlapBelow(const Version& version, int level) {
  const auto& files = version.files(level);
  const auto& below = version.files(level + 1);
  const Comparator* ucmp = UserComparator(version);
  std::vector<uint64_t> overlap(files.size(), 0);
  size_t first_below = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string_view smallest = ExtractUserKey(files[i]->smallest);
    const std::string_view largest = ExtractUserKey(files[i]->largest);
    while (first_below < below.size() &&
           ucmp->Compare(ExtractUserKey(below[first_below]->largest), smallest) < 0) {
      ++first_below;
    }
    // first_below may also overlap table i + 1: the sweep does not pass it yet.
    for (size_t j = first_below;
         j < below.size() && ucmp->Compare(ExtractUserKey(below[j]->smallest), largest) <= 0; ++j) {
      overlap[i] += below[j]->file_bytes;
    }
  }
  return overlap;
}

// Indexes of the tables of `level` in the order PickLevel tries them: key order starting after
// the compact pointer, wrapping around; with kMinOverlappingRatio, stably sorted by the bytes of
// the next level each overlaps per byte of its own, so equal candidates still take turns.
std::vector<size_t> CandidateOrder(const Version& version, const Options& options, int level,
                                   const std::string& pointer) {
  const auto& files = version.files(level);
  size_t first = 0;
  if (!pointer.empty()) {
    auto it = std::find_if(files.begin(), files.end(), [&](const auto& file) {
      return version.icmp()->Compare(file->largest, pointer) > 0;
    });
    if (it != files.end()) first = static_cast<size_t>(it - files.begin());
  }
  std::vector<size_t> order(files.size());
  for (size_t k = 0; k < files.size(); ++k)
    order[k] = (first + k) % files.size();
  if (options.compaction_priority == CompactionPriority::kMinOverlappingRatio) {
    const std::vector<uint64_t> overlap = OverlapBelow(version, level);
    std::vector<double> ratio(files.size());
    for (size_t i = 0; i < files.size(); ++i) {
      ratio[i] = static_cast<double>(overlap[i]) /
                 static_cast<double>(std::max<uint64_t>(files[i]->file_bytes, 1));
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return ratio[a] < ratio[b]; });
  }
  return order;
}

// The first table in CandidateOrder that can be compacted into level + 1 alongside the running
// compactions.
std::unique_ptr<Compaction> PickLevel(const std::shared_ptr<const Version>& version,
                                      const Options& options, int level, std::string* pointer,
                                      const CompactionsInProgress& running) {
  const auto& files = version->files(level);
  for (size_t index : CandidateOrder(*version, options, level, *pointer)) {
    const auto& file = files[index];
    if (running.IsBeingCompacted(file->number)) continue;
    auto c = std::make_unique<Compaction>(version, level, level + 1, options);
    c->mutable_inputs(0).push_back(file);
    c->SetupOtherInputs();
    if (running.Conflicts(*c)) continue;
    *pointer = file->largest;
    return c;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Compaction> PickCompaction(std::shared_ptr<const Version> version,
                                           const Options& options,
                                           std::array<std::string, kNumLevels>* compact_pointers,
                                           const CompactionsInProgress& running) {
  const LevelTargets targets = ComputeLevelTargets(*version, options);
  const auto scores = ComputeScores(*version, options, targets, &running);
  std::array<int, kNumLevels> levels{};
  for (int level = 0; level < kNumLevels; ++level)
    levels[level] = level;
  // Highest score first; on a tie the shallower level, as the single-compaction picker did.
  std::stable_sort(levels.begin(), levels.end(),
                   [&](int a, int b) { return scores[a] > scores[b]; });
  for (int level : levels) {
    if (scores[level] < 1.0) break;
    std::unique_ptr<Compaction> c =
        level == 0 ? PickLevel0(version, options, targets, running)
                   : PickLevel(version, options, level, &(*compact_pointers)[level], running);
    if (c != nullptr) return c;
  }
  return nullptr;
}

bool IsReclaimCandidate(const Version& version, int level, const FileMetaData& file,
                        SequenceNumber oldest_snapshot) {
  // Cheapest tests first: most tables have nothing to reclaim.
  if (level == 0 || file.reclaimable_entries == 0 ||
      file.reclaimable_entries * kReclaimShare < file.num_entries ||
      raw(file.largest_sequence) > raw(oldest_snapshot)) {
    return false;
  }
  const std::string_view smallest = ExtractUserKey(file.smallest);
  const std::string_view largest = ExtractUserKey(file.largest);
  for (int deeper = level + 1; deeper < kNumLevels; ++deeper) {
    if (SortedLevelOverlaps(version, deeper, smallest, largest)) return false;
  }
  return true;
}

std::unique_ptr<Compaction> PickReclaimCompaction(std::shared_ptr<const Version> version,
                                                  const Options& options,
                                                  SequenceNumber oldest_snapshot,
                                                  const CompactionsInProgress& running) {
  std::unique_ptr<Compaction> best;
  double best_share = 0;
  for (int level = 1; level < kNumLevels; ++level) {
    for (const auto& file : version->files(level)) {
      if (running.IsBeingCompacted(file->number) ||
          !IsReclaimCandidate(*version, level, *file, oldest_snapshot)) {
        continue;
      }
      const double share =
          static_cast<double>(file->reclaimable_entries) / static_cast<double>(file->num_entries);
      if (best != nullptr && share <= best_share) continue;
      auto c = std::make_unique<Compaction>(version, level, level, options);
      c->set_reason(CompactionReason::kReclaim);
      c->mutable_inputs(0).push_back(file);
      c->SetupOtherInputs();
      if (running.Conflicts(*c)) continue;
      best = std::move(c);
      best_share = share;
    }
  }
  return best;
}

std::unique_ptr<Compaction> PickReadCompaction(std::shared_ptr<const Version> version,
                                               const Options& options,
                                               const CompactionsInProgress& running) {
  if (!version->ReadCompactionDue()) return nullptr;
  std::unique_ptr<Compaction> c =
      PickLevel0(version, options, ComputeLevelTargets(*version, options), running);
  if (c != nullptr) c->set_reason(CompactionReason::kReads);
  return c;
}

bool NeedsCompaction(const Version& version, const Options& options,
                     SequenceNumber oldest_snapshot) {
  if (version.ReadCompactionDue()) return true;
  const auto scores = ComputeScores(version, options, ComputeLevelTargets(version, options));
  if (*std::max_element(scores.begin(), scores.end()) >= 1.0) return true;
  for (int level = 1; level < kNumLevels; ++level) {
    for (const auto& file : version.files(level)) {
      if (IsReclaimCandidate(version, level, *file, oldest_snapshot)) return true;
    }
  }
  return false;
}

std::unique_ptr<Compaction> PickManualCompaction(std::shared_ptr<const Version> version,
                                                 const Options& options, int level,
                                                 const std::string_view* begin,
                                                 const std::string_view* end) {
  Version::FileList inputs = OverlappingFiles(*version, level, begin, end);
  if (inputs.empty()) return nullptr;
  const int last = kNumLevels - 1;
  const int output =
      level == last ? last : FirstOverlappingLevelBelow(*version, level, inputs, last);
  auto c = std::make_unique<Compaction>(std::move(version), level, output, options);
  c->set_reason(CompactionReason::kManual);
  c->mutable_inputs(0) = std::move(inputs);
  c->SetupOtherInputs();
  return c;
}

// ---- VersionGarbageCollector ----

VersionGarbageCollector::VersionGarbageCollector(const Comparator* user_comparator,
                                                 std::vector<SequenceNumber> snapshots,
                                                 BottommostForKey is_bottommost_for_key)
    : user_comparator_(user_comparator), is_bottommost_for_key_(std::move(is_bottommost_for_key)) {
  for (SequenceNumber sequence : snapshots)
    snapshots_.push_back(raw(sequence));
  std::sort(snapshots_.begin(), snapshots_.end());
  snapshots_.erase(std::unique(snapshots_.begin(), snapshots_.end()), snapshots_.end());
}

size_t VersionGarbageCollector::StripeOf(SequenceNumber sequence) const {
  // A snapshot at S sees sequences <= S: the entry's stripe is the first snapshot >= it.
  return static_cast<size_t>(std::lower_bound(snapshots_.begin(), snapshots_.end(), raw(sequence)) -
                             snapshots_.begin());
}

bool VersionGarbageCollector::ShouldDrop(const ParsedInternalKey& key) {
  if (!has_current_ || user_comparator_->Compare(key.user_key, current_user_key_) != 0) {
    current_user_key_.assign(key.user_key);
    has_current_ = true;
    last_stripe_ = kNoStripe;
  } else if (raw(key.sequence) > last_sequence_) {
    // Entries of one key come newest first, unless a table whose checksums pass holds its keys
    // out of order (damaged before it was written): the caller fails the compaction (dropping
    // the newer entry as shadowed would lose it).
    input_out_of_order_ = true;
    return false;
  }
  last_sequence_ = raw(key.sequence);
  const size_t stripe = StripeOf(key.sequence);
  if (stripe == last_stripe_) {
    ++dropped_shadowed_;
    return true;  // a newer version in the same stripe hides it from every reader
  }
  last_stripe_ = stripe;
  if (key.type == ValueType::kDeletion && stripe == 0 && is_bottommost_for_key_ &&
      is_bottommost_for_key_(key.user_key)) {
    ++dropped_tombstones_;
    return true;
  }
  return false;
}

}  // namespace ziggydb
