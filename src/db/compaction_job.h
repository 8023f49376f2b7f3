// CompactionJob: runs one picked Compaction (compaction.h) and nothing else: merges its inputs
// into new synced tables, keeping the versions VersionGarbageCollector keeps for the given
// snapshots, or, for a trivial move, moves its one input as it is. Choosing which compaction runs
// when, and installing its edit, is the DB's (db_impl_compaction.cc); the job sees the DB only
// through CompactionJobContext, so it is tested without one (compaction_job_test.cc).
//
// Thread safety: a job is used by one thread, needs no lock, and calls
// CompactionJobContext::new_output with none held.
//
// Invariants of the outputs (docs/design/compaction.md):
//   1. They hold, in internal-key order, exactly the entries of the inputs that the garbage
//      collector keeps; a kept value every reader sees, with nothing left below the output level,
//      is written with sequence 0 (docs/format/internal_key.md, "Sequence 0").
//   2. No user key spans two outputs, and outputs are cut where Compaction::ShouldStopBefore says.
//   3. Each output is synced, and the directory is synced once they all are, before Run returns
//      OK. When Run fails, no output file is left.
//   4. Each output's number stays registered as pending (table_output.h) until the job is
//      destroyed: destroy it only once its edit is installed, or its outputs removed.
#ifndef ZIGGYDB_DB_COMPACTION_JOB_H_
#define ZIGGYDB_DB_COMPACTION_JOB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "base/dbformat.h"
#include "db/compaction.h"
#include "db/table_cache.h"
#include "db/table_output.h"
#include "db/version_edit.h"
#include "ziggydb/status.h"

namespace ziggydb {

// What a job needs from the DB. Pointers are borrowed and outlive the job.
struct CompactionJobContext {
  const InternalKeyComparator* icmp = nullptr;
  TableCache* table_cache = nullptr;  // reads the input tables
  TableOutputContext output;          // writes the output tables
  // Draws the number of the next output table, registered as pending.
  std::function<Status(PendingOutput* output)> new_output;
  // When it becomes true the job gives up (Status::Busy) at its next check, every
  // kShutdownCheckEntries entries.
  const std::atomic<bool>* shutdown_requested = nullptr;
};

class CompactionJob {
 public:
  // Entries merged between two checks of shutdown_requested.
  static constexpr uint64_t kShutdownCheckEntries = 1024;

  // c: the picked compaction, borrowed for the job's life. snapshots: the sequence numbers of
  // the live snapshots (any order), each of which must keep seeing what it sees now.
  CompactionJob(CompactionJobContext context, Compaction* c, std::vector<SequenceNumber> snapshots);
  CompactionJob(const CompactionJob&) = delete;
  CompactionJob& operator=(const CompactionJob&) = delete;

  // Precondition: called once. A trivial move does no I/O; anything else merges.
  [[nodiscard]] Status Run();
  // Adds the edit that installs the result: every input removed, every output added at the
  // output level. Precondition: Run returned OK.
  void AddToEdit(VersionEdit* edit) const;
  // Removes the written outputs: the result will not be installed. A trivial move has none (its
  // input is never removed here).
  void RemoveOutputs();

  // Tables written (none for a trivial move).
  const std::vector<FileMetaData>& outputs() const { return outputs_; }
  uint64_t write_bytes() const { return write_bytes_; }  // 0 for a trivial move
  // Versions left out: shadowed ones and tombstones with nothing older below.
  uint64_t dropped_entries() const { return dropped_entries_; }

 private:
  [[nodiscard]] Status Merge();
  [[nodiscard]] Status FinishOutput(std::unique_ptr<TableOutput>* output);

  const CompactionJobContext context_;
  Compaction* const compaction_;
  const std::vector<SequenceNumber> snapshots_;
  bool ran_ = false;
  std::vector<FileMetaData> outputs_;
  std::vector<PendingOutput> pending_;  // one per output written or being written
  uint64_t write_bytes_ = 0;
  uint64_t dropped_entries_ = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_COMPACTION_JOB_H_
