// Leveled compaction: level size targets, scores, the choice of a compaction's input files, and
// the rule that decides which versions of a key a compaction keeps (docs/design/compaction.md).
//
// Everything here is a pure function of a Version, the options, the live snapshots and the
// compactions already running, so it is unit-tested without a DB. Thread safety: Compaction,
// CompactionsInProgress and VersionGarbageCollector are used by one thread at a time (the DB
// guards CompactionsInProgress with its mutex); the free functions are reentrant.
//
// Invariants relied upon (and kept by the compaction job, which never splits a user key over two
// output tables):
//   1. In a level >= 1 no two tables share a user key, so picking one table never separates the
//      versions of a key.
//   2. An output level below the start level holds only data older than the inputs of the
//      start level for every key in the inputs' user-key range, and no level strictly between
//      them holds a table overlapping that range.
//   3. Compactions running at the same time share no input table, at most one of them starts at
//      L0, and two whose level spans [start_level, output_level] share a level have disjoint
//      user-key ranges (CompactionsInProgress::Conflicts). So each installs against whatever the
//      others installed meanwhile without overlapping their outputs, no data moves under a running
//      compaction to a level below its output (which would void IsBottommostForKey), and newer
//      data never lands below older data of the same key.
#ifndef ZIGGYDB_DB_COMPACTION_H_
#define ZIGGYDB_DB_COMPACTION_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "ziggydb/listener.h"
#include "ziggydb/options.h"

namespace ziggydb {

// Size targets per level (dynamic level sizing: derived from the last level upward).
struct LevelTargets {
  int base_level = kNumLevels - 1;  // the level L0 compacts into
  std::array<uint64_t, kNumLevels> target_bytes{};
};

LevelTargets ComputeLevelTargets(const Version& version, const Options& options);

class CompactionsInProgress;

// Score per level: L0 by file count / l0_compaction_trigger, levels 1..kNumLevels-2 by bytes /
// target. The last level has no level to compact into and scores 0. With `running`, tables that
// running compactions already read are left out: the score is of the work still to start.
std::array<double, kNumLevels> ComputeScores(const Version& version, const Options& options,
                                             const LevelTargets& targets,
                                             const CompactionsInProgress* running = nullptr);

// An estimate of the bytes compaction must still rewrite to bring every level under its
// target: L0's bytes once it reaches the trigger, plus each level's excess over its target
// times the fan-out it is merged into.
uint64_t EstimatePendingCompactionBytes(const Version& version, const Options& options,
                                        const LevelTargets& targets);

// The user-key range [smallest, largest] covered by the files (non-empty list).
void UserKeyRange(const Comparator* user_comparator, const Version::FileList& files,
                  std::string* smallest, std::string* largest);

// Files of `level` whose user-key range intersects [begin, end]; null bounds are open. For L0
// the set is closed under overlap (a file overlapping a chosen one is chosen too).
Version::FileList OverlappingFiles(const Version& version, int level, const std::string_view* begin,
                                   const std::string_view* end);

class Compaction {
 public:
  Compaction(std::shared_ptr<const Version> version, int start_level, int output_level,
             const Options& options);

  int start_level() const { return start_level_; }
  int output_level() const { return output_level_; }
  // Set by the picker that made it.
  CompactionReason reason() const { return reason_; }
  void set_reason(CompactionReason reason) { reason_ = reason; }
  const Version& version() const { return *version_; }
  // inputs(0): tables of start_level; inputs(1): tables of output_level (empty when both are the
  // same level).
  const Version::FileList& inputs(int which) const { return inputs_[which]; }
  Version::FileList& mutable_inputs(int which) { return inputs_[which]; }
  const Version::FileList& grandparents() const { return grandparents_; }
  uint64_t InputBytes() const;

  // Fills inputs(1) from output_level and the grandparents from the level below it. Call once
  // inputs(0) is set.
  void SetupOtherInputs();
  // One input table, nothing to merge with, and little grandparent overlap: the table can be
  // moved to the output level by a MANIFEST edit alone.
  bool IsTrivialMove() const;
  // Removes every input from its level.
  void AddInputDeletions(VersionEdit* edit) const;
  // True if no level below the output level holds a table whose range contains the user key.
  bool IsBottommostForKey(std::string_view user_key) const;
  // IsBottommostForKey as a callable (for VersionGarbageCollector); this must outlive it.
  std::function<bool(std::string_view user_key)> BottommostForKeyFn() const {
    return [this](std::string_view user_key) { return IsBottommostForKey(user_key); };
  }
  // True if no level below the output holds a table: every key the compaction writes is
  // bottommost.
  bool OutputIsBottommost() const;
  // Called with each new user key in output order (internal key of its first version) and the
  // bytes of the output table being written (0 when none is open): true when that table should
  // end before this key, because
  //   - it reached target_file_bytes; or
  //   - it would overlap more than kGrandparentOverlapFactor tables' worth of the grandparent
  //     level; or
  //   - it holds at least half of target_file_bytes and a grandparent table ended between the
  //     previous key and this one: ending outputs where the level below has a table boundary
  //     keeps a later compaction of this output from dragging in a grandparent table it only
  //     grazes (partial tables at both ends are rewritten in full for a sliver of their keys).
  bool ShouldStopBefore(std::string_view internal_key, uint64_t output_bytes);

  // The user-key range [smallest_user_key, largest_user_key] of all inputs (start and output
  // level); set by SetupOtherInputs.
  const std::string& smallest_user_key() const { return smallest_user_key_; }
  const std::string& largest_user_key() const { return largest_user_key_; }

  // An output overlapping more grandparent bytes than this many target files is cut.
  static constexpr uint64_t kGrandparentOverlapFactor = 10;

 private:
  const std::shared_ptr<const Version> version_;  // pins the input tables
  const int start_level_;
  const int output_level_;
  const uint64_t target_file_bytes_;
  CompactionReason reason_ = CompactionReason::kLevelSize;
  std::array<Version::FileList, 2> inputs_;
  Version::FileList grandparents_;
  std::string smallest_user_key_;
  std::string largest_user_key_;
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;
};

// The compactions running now, as the picker must see them. Holds borrowed pointers: a
// compaction is added when it is picked and removed before it is destroyed.
class CompactionsInProgress {
 public:
  // Precondition: !Conflicts(*c).
  // Strong exception guarantee: on std::bad_alloc nothing is registered.
  void Add(const Compaction* c);
  // Precondition: c was added.
  void Remove(const Compaction* c);
  size_t size() const { return running_.size(); }
  bool IsBeingCompacted(FileNumber number) const { return files_.count(number) != 0; }
  bool HasLevel0Compaction() const;
  // True if c may not run alongside the running compactions (compaction.h, invariant 3).
  [[nodiscard]] bool Conflicts(const Compaction& c) const;

 private:
  std::vector<const Compaction*> running_;
  std::set<FileNumber> files_;  // every input table of running_
};

// Picks the next automatic compaction for `version`, or null when no level whose score is >= 1
// offers one that can run alongside `running`. Levels are tried by descending score. In a level
// >= 1 the tables are tried in options.compaction_priority order, skipping tables a conflicting
// compaction holds; compact_pointers[level] (internal keys) is where key order starts (the
// round-robin position, and the tie order among equal overlap ratios) and is advanced to the
// chosen table's largest key.
std::unique_ptr<Compaction> PickCompaction(std::shared_ptr<const Version> version,
                                           const Options& options,
                                           std::array<std::string, kNumLevels>* compact_pointers,
                                           const CompactionsInProgress& running);

// Reclaim compactions. A flush or compaction keeps tombstones and older versions of a key that a
// snapshot or the data below still needed, and a table that reaches the bottom of the tree by
// trivial moves is never rewritten: what it kept would stay for good. A table of a level >= 1
// is a reclaim candidate when
//   - no table of a deeper level overlaps its user-key range (every key in it is bottommost),
//   - no live snapshot is older than its newest entry (largest_sequence <= oldest_snapshot: all
//     its entries fall in one stripe of VersionGarbageCollector), and
//   - at least 1/kReclaimShare of its entries are reclaimable (FileMetaData).
// Rewriting it in place (start level == output level) then drops every reclaimable entry, so
// the outputs are no candidates: the rewrite is done once. L0 tables are compacted anyway.
inline constexpr uint64_t kReclaimShare = 4;
bool IsReclaimCandidate(const Version& version, int level, const FileMetaData& file,
                        SequenceNumber oldest_snapshot);
// The candidate with the largest reclaimable share that can run alongside `running`, as a
// compaction of that one table into its own level; null when there is none. oldest_snapshot:
// the oldest live snapshot's sequence, kMaxSequenceNumber when none is live.
std::unique_ptr<Compaction> PickReclaimCompaction(std::shared_ptr<const Version> version,
                                                  const Options& options,
                                                  SequenceNumber oldest_snapshot,
                                                  const CompactionsInProgress& running);
// Read compactions. When seeks have paid for L0 tables overlapping other sorted runs as much as
// merging L0 below would cost (Version::ChargeSeek), L0 is compacted as at its trigger, before
// it reaches it: a read-mostly workload would otherwise pay for every extra run on every seek
// until enough writes came. Null when not due or when another L0 compaction runs.
std::unique_ptr<Compaction> PickReadCompaction(std::shared_ptr<const Version> version,
                                               const Options& options,
                                               const CompactionsInProgress& running);
// True when automatic compaction has work: a level scores >= 1, a table is a reclaim
// candidate, or a read compaction is due. With nothing running such work always yields a pick.
bool NeedsCompaction(const Version& version, const Options& options,
                     SequenceNumber oldest_snapshot);

// A manual compaction of the tables of `level` that overlap [begin, end] (null: open) into the
// first deeper level holding a table that overlaps them, or the last level. At the last level
// the tables are rewritten in place. Null when no table of `level` overlaps the range.
std::unique_ptr<Compaction> PickManualCompaction(std::shared_ptr<const Version> version,
                                                 const Options& options, int level,
                                                 const std::string_view* begin,
                                                 const std::string_view* end);

// Decides, entry by entry in internal-key order, which versions a compaction keeps.
//
// The live snapshots split the sequence space into stripes: entries visible to the same oldest
// snapshot (the first snapshot >= the entry's sequence, or "no snapshot" above them all) are in
// one stripe. Within a stripe every reader sees at most the newest version of a key, so the
// older ones are dropped. A tombstone in the first stripe (no snapshot predates it) is dropped
// too when no table below the output can hold an older version of its key; the older versions
// in the input, being in the same stripe, go with it.
class VersionGarbageCollector {
 public:
  // True when no table below the output can hold an older version of the user key.
  using BottommostForKey = std::function<bool(std::string_view user_key)>;

  // snapshots: sequence numbers of the live snapshots, any order, duplicates allowed.
  // is_bottommost_for_key: empty means "never bottommost" (every tombstone stays).
  VersionGarbageCollector(const Comparator* user_comparator, std::vector<SequenceNumber> snapshots,
                          BottommostForKey is_bottommost_for_key);

  // Keys should come in internal-key order; when a key's versions do not (a damaged table),
  // input_out_of_order() turns true and the entry is kept.
  [[nodiscard]] bool ShouldDrop(const ParsedInternalKey& key);
  bool input_out_of_order() const { return input_out_of_order_; }

  // After ShouldDrop kept an entry: true if no live snapshot is older than it, so every reader
  // sees it (and ShouldDrop drops every older version of its key in this compaction).
  bool KeptEntryVisibleToAll() const { return last_stripe_ == 0; }

  uint64_t dropped_shadowed() const { return dropped_shadowed_; }
  uint64_t dropped_tombstones() const { return dropped_tombstones_; }

 private:
  size_t StripeOf(SequenceNumber sequence) const;

  static constexpr size_t kNoStripe = ~size_t{0};

  const Comparator* const user_comparator_;
  std::vector<uint64_t> snapshots_;  // ascending, unique
  const BottommostForKey is_bottommost_for_key_;
  std::string current_user_key_;
  bool has_current_ = false;
  size_t last_stripe_ = kNoStripe;  // stripe of the previous entry of current_user_key_
  uint64_t last_sequence_ = 0;      // sequence of the previous entry of current_user_key_
  uint64_t dropped_shadowed_ = 0;
  uint64_t dropped_tombstones_ = 0;
  bool input_out_of_order_ = false;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_COMPACTION_H_
