// Version and VersionSet: the set of live tables per level, and the MANIFEST that makes changes
// to it durable (docs/format/manifest.md).
//
// A Version is immutable once built; readers hold it through std::shared_ptr<const Version>, so a
// table stays readable while any reader uses a Version that lists it. The VersionSet installs a
// new Version for every edit and remembers (weakly) every Version still held, so that a file is
// deleted only when no live Version lists it.
//
// Invariants of a Version:
//   1. files(0) is ordered newest first (largest sequence descending, then file number
//      descending); L0 tables may overlap.
//   2. For level >= 1, files(level) is ordered by smallest key and the key ranges are disjoint.
//   3. A file number appears at most once across all levels.
//
// Thread safety: Version is immutable and may be shared, but for one statistic that readers
// update with atomics (ChargeSeek: the seeks that read-triggered compaction counts). VersionSet is
// not internally synchronised: every method requires the DB mutex, which the DB checks by keeping
// its VersionSet GUARDED_BY that mutex. LogAndApply is handed the mutex (REQUIRES it) and releases
// it during I/O; concurrent callers (the flush thread, the compaction threads) wait their turn
// inside it. Its fields carry no GUARDED_BY: the mutex is the DB's, and the analysis cannot tell
// that a pointer kept here names the same mutex as the DB's own member.
#ifndef ZIGGYDB_DB_VERSION_SET_H_
#define ZIGGYDB_DB_VERSION_SET_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "db/version_edit.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Env;
class Logger;
namespace wal {
class Writer;
}  // namespace wal

class Version {
 public:
  using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

  explicit Version(const InternalKeyComparator* icmp) : icmp_(icmp) {}

  const FileList& files(int level) const;
  const InternalKeyComparator* icmp() const { return icmp_; }
  int NumFiles(int level) const { return static_cast<int>(files(level).size()); }
  // The sum of the level's file sizes, computed once (every write group asks, through the stall
  // controller's load).
  uint64_t LevelBytes(int level) const;

  // Calls fn(level, file) for every table that may hold the user key of `internal_key` at or below
  // its sequence, in the order a point read must
  // consult them: L0 newest first, then at most one table per deeper level (binary search over the
  // disjoint ranges). Stops early when fn returns false.
  // fn: bool(int level, const FileMetaData& file). A template so that the per-read callable
  // needs no allocation.
  template <typename Fn>
  void ForEachTableForKey(std::string_view internal_key, Fn&& fn) const {
    const Comparator* ucmp = icmp_->user_comparator();
    const std::string_view user_key = ExtractUserKey(internal_key);
    for (const auto& file : files_[0]) {
      if (ucmp->Compare(user_key, ExtractUserKey(file->smallest)) >= 0 &&
          ucmp->Compare(user_key, ExtractUserKey(file->largest)) <= 0 && !fn(0, *file)) {
        return;
      }
    }
    for (int level = 1; level < kNumLevels; ++level) {
      const FileList& list = files_[level];
      // The first table whose largest key is >= the lookup key is the only one that can hold it.
      auto it = std::partition_point(list.begin(), list.end(), [&](const auto& file) {
        return icmp_->Compare(file->largest, internal_key) < 0;
      });
      if (it == list.end() || ucmp->Compare(user_key, ExtractUserKey((*it)->smallest)) < 0) {
        continue;
      }
      if (!fn(level, **it)) return;
    }
  }

  // Read-triggered compaction (docs/design/compaction.md). A seek whose target lies in the range
  // of an L0 table and of some other sorted run (another L0 table, or a deeper level) pays for
  // every run it positions in; compacting L0 into the level below would leave one run fewer.
  // Each such seek is charged as the rewrite of kSeekChargeBytes, against a budget of the bytes
  // that compaction rewrites (L0's and the first non-empty level's below it), at least
  // kMinSeekBudget seeks. ChargeSeek counts one seek of `user_key` and returns true for the one
  // charge that exhausts the budget (its caller wakes the compaction threads); once it is
  // exhausted a seek only reads the count. A new Version starts from zero.
  static constexpr uint64_t kSeekChargeBytes = 512;
  static constexpr uint64_t kMinSeekBudget = 100;
  bool ChargeSeek(std::string_view user_key) const;
  // True once the seeks charged exhausted the budget (never without an L0 table).
  bool ReadCompactionDue() const {
    return seek_budget_ != 0 && overlapped_seeks_.load(std::memory_order_relaxed) >= seek_budget_;
  }

  void AddLiveFiles(std::set<FileNumber>* live) const;
  // One line per level with its file numbers and sizes.
  std::string DebugString() const;

 private:
  friend class VersionBuilder;

  const InternalKeyComparator* icmp_;
  std::array<FileList, kNumLevels> files_;
  // INVARIANT: level_bytes_[l] is the sum of files_[l]'s file_bytes (set with files_, by
  // VersionBuilder::Finish).
  std::array<uint64_t, kNumLevels> level_bytes_{};
  // Set by VersionBuilder::Finish: 0 when L0 is empty (nothing to charge).
  uint64_t seek_budget_ = 0;
  // Relaxed: a count, read by the compaction picker under the DB mutex, which the charge that
  // exhausts the budget takes before it wakes the picker.
  mutable std::atomic<uint64_t> overlapped_seeks_{0};
};

// Applies edits to a base Version and produces the next one, checking that every edit makes sense
// against the files it changes (removing a file that is not live, adding one twice, overlapping
// ranges in a level >= 1 are Corruption: such an edit can only come from a damaged MANIFEST).
class VersionBuilder {
 public:
  VersionBuilder(const InternalKeyComparator* icmp, const Version& base);
  [[nodiscard]] Status Apply(const VersionEdit& edit);
  [[nodiscard]] Status Finish(std::shared_ptr<const Version>* version) const;

 private:
  const InternalKeyComparator* icmp_;
  std::array<std::vector<std::shared_ptr<const FileMetaData>>, kNumLevels> files_;
};

class VersionSet {
 public:
  // A MANIFEST past this size is replaced by a fresh one (holding one snapshot edit) on the next
  // LogAndApply.
  static constexpr uint64_t kManifestRollBytes = uint64_t{64} << 20;

  // `icmp` must outlive the VersionSet; info_log may be null.
  VersionSet(std::string dbname, Env* env, const InternalKeyComparator* icmp, Logger* info_log);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Writes MANIFEST-000001 holding an empty version (format version, comparator, log number 0,
  // next file 2, last sequence 0), syncs it, and points CURRENT at it. For a new DB only.
  [[nodiscard]] static Status CreateNew(Env* env, const std::string& dbname,
                                        const InternalKeyComparator& icmp);

  // Reads CURRENT and replays the MANIFEST it names into the current Version and counters. Only a
  // torn tail of the MANIFEST (a crash mid-append) is tolerated; other damage, an empty or garbage
  // CURRENT, a missing MANIFEST, a comparator mismatch, or missing counters yield Corruption (or
  // InvalidArgument for the comparator, NotSupported for a newer format). Writes nothing.
  [[nodiscard]] Status Recover();

  // Completes the edit with the log number (if unset), next file number and last sequence,
  // appends it to the MANIFEST and syncs it, then installs the resulting Version. Opens a new
  // MANIFEST (a snapshot edit first, then CURRENT switched) when none is open yet (after Recover)
  // or the current one is past kManifestRollBytes. `mu` is the DB mutex; it is released while
  // writing (one caller writes at a time, the others wait on manifest_write_done_). On failure
  // the current Version is unchanged and the MANIFEST writer is dropped, so the next call starts
  // a new MANIFEST. An allocation failure (std::bad_alloc) while writing is such a failure, an
  // IOError "out of memory"; before the write it propagates with nothing changed but file
  // numbers drawn; after a durable write nothing allocates, so none can leave the MANIFEST ahead
  // of the installed state.
  [[nodiscard]] Status LogAndApply(VersionEdit* edit, Mutex* mu) REQUIRES(mu);

  std::shared_ptr<const Version> current() const { return current_; }

  // Draws the next file number. Corruption when none is left (a name above kMaxFileNumber
  // would not parse, and a MANIFEST recording such a counter would not open): Recover leaves at
  // least kFileNumbersKeptFree, so only a DB that has since drawn that many gets here.
  [[nodiscard]] Status NewFileNumber(FileNumber* number) {
    if (next_file_number_ > kMaxFileNumber) {
      return Status::Corruption("no file numbers left", dbname_);
    }
    *number = FileNumber{next_file_number_++};
    return Status::OK();
  }
  // Recover refuses (Corruption) a MANIFEST whose counters, or live files, leave fewer numbers
  // than this below kMaxFileNumber. Far below RepairDB's margin (it keeps 2^32 back), so a
  // repaired DB opens.
  static constexpr uint64_t kFileNumbersKeptFree = uint64_t{1} << 20;
  // Ensures later NewFileNumber calls return numbers above `number`.
  void MarkFileNumberUsed(FileNumber number);
  FileNumber next_file_number() const { return FileNumber{next_file_number_}; }

  SequenceNumber LastSequence() const { return last_sequence_; }
  // Precondition: sequence >= LastSequence().
  void SetLastSequence(SequenceNumber sequence);

  FileNumber LogNumber() const { return log_number_; }
  FileNumber ManifestFileNumber() const { return manifest_file_number_; }
  uint64_t manifest_file_bytes() const { return manifest_file_bytes_; }
  // True if Recover dropped a torn tail from the MANIFEST.
  bool manifest_tail_dropped() const { return manifest_tail_dropped_; }
  // True from a failed MANIFEST write until an edit is written to a new MANIFEST: the failed edit
  // may be durable, so the files it added must not be deleted as obsolete meanwhile.
  bool manifest_in_doubt() const { return manifest_in_doubt_; }
  // The intact edits Recover replayed.
  uint64_t manifest_edits_replayed() const { return manifest_edits_replayed_; }

  // Every file listed by the current Version or by an older one some reader still holds.
  void AddLiveFiles(std::set<FileNumber>* live);

  // Where the next automatic compaction of `level` resumes (an internal key; empty: the start).
  // The picker advances them in memory; LogAndApply writes every pointer that changed since the
  // last successful MANIFEST write into the edit it appends (so a compaction's install edit
  // carries the advance its pick made), and a new MANIFEST's snapshot holds them all. Recover
  // restores them, so the round-robin continues across a reopen.
  std::array<std::string, kNumLevels>* compact_pointers() { return &compact_pointers_; }

  // For tests: the MANIFEST size past which the next LogAndApply starts a new one.
  void set_manifest_roll_bytes(uint64_t bytes) { manifest_roll_bytes_ = bytes; }

 private:
  [[nodiscard]] Status ReplayManifest(const std::string& path, VersionBuilder* builder,
                                      VersionEdit* totals);
  // Adds to `edit` every compaction pointer that differs from the persisted one.
  void AddChangedCompactPointers(VersionEdit* edit) const;
  [[nodiscard]] Status OpenNewManifest(std::unique_ptr<wal::Writer>* writer,
                                       FileNumber* number) const;
  void WriteSnapshot(std::string* record) const;
  // Install allocates nothing after ReserveInstall (LogAndApply calls it before its write).
  void ReserveInstall();
  void Install(std::shared_ptr<const Version> version);
  void Log(const std::string& line) const;

  const std::string dbname_;
  Env* const env_;
  const InternalKeyComparator* const icmp_;
  Logger* const info_log_;

  uint64_t next_file_number_ = 2;
  SequenceNumber last_sequence_{0};
  FileNumber log_number_{0};
  FileNumber manifest_file_number_{0};
  uint64_t manifest_file_bytes_ = 0;
  bool manifest_tail_dropped_ = false;
  uint64_t manifest_edits_replayed_ = 0;
  bool manifest_write_in_progress_ = false;
  bool manifest_in_doubt_ = false;
  // manifest_write_in_progress_ went false. Mutex: the DB mutex (LogAndApply's `mu`). Waiters:
  // LogAndApply callers waiting their turn. Notifier: LogAndApply when its write ends.
  CondVar manifest_write_done_;
  uint64_t manifest_roll_bytes_ = kManifestRollBytes;
  std::array<std::string, kNumLevels> compact_pointers_;
  // The pointers as the MANIFEST holds them (after the last successful LogAndApply or Recover).
  std::array<std::string, kNumLevels> persisted_compact_pointers_;
  std::unique_ptr<wal::Writer> manifest_writer_;  // null until the first LogAndApply

  std::shared_ptr<const Version> current_;
  // Every Version installed so far that may still be referenced; expired entries are pruned.
  std::vector<std::weak_ptr<const Version>> installed_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_VERSION_SET_H_
