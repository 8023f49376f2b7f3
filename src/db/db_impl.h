// DBImpl: the DB implementation, split by concern over several files:
//   db_impl.cc         construction, destruction, snapshots, properties, DestroyDB
//   db_impl_open.cc    Open: directory checks, LOCK, checks of what the MANIFEST names
//   db_impl_recover.cc WAL replay per Options::wal_recovery_mode
//   db_impl_write.cc   the write path: the CommitEnv of commit_pipeline_ (commit_pipeline.h),
//                      memtable switch (opening the next log of wal_set_, wal_set.h)
//   db_impl_flush.cc   the background thread: immutable memtable -> L0 table -> MANIFEST
//   db_impl_read.cc    Get and NewIterator (db_iter.h over merging_iterator.h)
//   db_impl_compaction.cc  the compaction threads, compaction jobs, CompactRange (compaction.h)
// Recovery and durability rules: docs/design/recovery.md.
//
// Concurrency: one mutex, mu_, guards the mutable state listed under "Guarded by mu_" below.
// Work that does I/O runs with mu_ released by exactly one thread at a time per role (each
// running compaction being a role of its own):
//   - the write leader (commit_pipeline_) appends to the WAL and inserts into mem_;
//   - the flush thread builds L0 tables and calls VersionSet::LogAndApply;
//   - each running compaction (compactions_running_ of them: up to max_background_jobs - 1
//     compaction threads, each running one compaction picked so that it conflicts with none of
//     compactions_in_progress_ (compaction.h invariant 3), or else one CompactRange caller
//     alone) merges its own inputs into its own outputs and calls VersionSet::LogAndApply.
// Invariants (whenever mu_ is free):
//   1. Every write with a sequence <= versions_->LastSequence() is in mem_, imm_ or a live table.
//   2. imm_ is ordered oldest first; imm_[i] holds only data of logs numbered below
//      imm_[i].next_log_number, and mem_ only data of logs >= wal_set_.live_number().
//   3. versions_->LogNumber() <= the next_log_number of imm_.front() (if any)
//      <= wal_set_.live_number().
//   4. Once bg_error_ is set it stays set: no later write is acknowledged until reopen.
#ifndef ZIGGYDB_DB_DB_IMPL_H_
#define ZIGGYDB_DB_DB_IMPL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/dbformat.h"
#include "db/commit_pipeline.h"
#include "db/compaction.h"
#include "db/deferred_logger.h"
#include "db/table_cache.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "db/wal_set.h"
#include "memtable/memtable.h"
#include "table/block_cache.h"
#include "table/filter_policy.h"
#include "table/table_options.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/listener.h"
#include "ziggydb/statistics.h"

namespace ziggydb {

class DBImpl final : public DB, private CommitEnv {
 public:
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Flush() override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  Status WaitForBackgroundWork() override;

  // Runs the whole of DB::Open on this object. On failure the object must only be destroyed.
  [[nodiscard]] Status OpenImpl();

  // For tests: `hook` runs in every compaction (automatic or manual, trivial moves included) with
  // mu_ released, after the compaction is registered as running and before it does any work.
  void TEST_SetCompactionHook(std::function<void()> hook);
  // For tests: the in-memory compaction pointers (VersionSet::compact_pointers).
  std::array<std::string, kNumLevels> TEST_CompactPointers();

 private:
  class SnapshotImpl;
  struct Immutable {
    std::shared_ptr<MemTable> mem;
    // The WAL opened when mem was frozen: every log below it holds only data of mem and older.
    FileNumber next_log_number{};
  };
  struct RecoveryState;
  struct WalDamage;

  // ---- db_impl_open.cc ----
  [[nodiscard]] Status CheckDirectory(bool* exists);
  void StartInfoLog();
  [[nodiscard]] Status Recover(VersionEdit* edit);
  [[nodiscard]] Status CheckLiveTables();
  [[nodiscard]] Status FindLogsToReplay(std::vector<FileNumber>* logs);

  // ---- db_impl_recover.cc ----
  // Replays logs[index] (logs: every log to replay, ascending).
  [[nodiscard]] Status ReplayLog(const std::vector<FileNumber>& logs, size_t index,
                                 RecoveryState* state, VersionEdit* edit);
  // Before anything of logs[index] is applied: checks, from its head, that the log replayed
  // before it is whole (docs/design/recovery.md, "Older logs"). `head` and `has_records` are what
  // the first read of logs[index] found.
  [[nodiscard]] Status CheckPreviousLog(const std::vector<FileNumber>& logs, size_t index,
                                        const std::optional<wal::LogHead>& head, bool has_records,
                                        RecoveryState* state);
  // The log before logs[index] lost its tail (`where`): per the recovery mode, stop replay there,
  // skip on, or fail (Corruption if a later log says that log had been synced).
  [[nodiscard]] Status ResolveTornLog(const std::vector<FileNumber>& logs, size_t index,
                                      std::string where, RecoveryState* state);
  // True if log `number` says every earlier log was synced: it holds the marker, or it is a
  // version-1 log (no head, some records), whose writers synced each log at the switch.
  [[nodiscard]] Status SaysEarlierLogsSynced(FileNumber number, bool* synced);
  // Applies the recovery mode to one piece of damage: an error fails Open; OK goes on (or, with
  // state->stopped, stops replay).
  [[nodiscard]] Status HandleWalDamage(const std::string& path, const WalDamage& damage,
                                       bool last_log, RecoveryState* state);
  [[nodiscard]] Status ApplyRecoveredBatch(const WriteBatch& batch, RecoveryState* state,
                                           VersionEdit* edit);
  [[nodiscard]] Status FlushRecoveredMemTable(RecoveryState* state, VersionEdit* edit);

  // ---- db_impl_write.cc ----
  // CommitEnv, called by commit_pipeline_'s leader (see CommitEnv for locking).
  [[nodiscard]] Status MakeRoom(const WriteBatch* leader,
                                std::unique_lock<std::mutex>* lock) override;
  [[nodiscard]] SequenceNumber LastSequence() const override;
  void BeginGroup(const CommitGroup& group) override;
  [[nodiscard]] Status WriteToWal(const CommitGroup& group, uint64_t* sync_micros) override;
  void ApplyToMemtable(const CommitGroup& group) override;
  [[nodiscard]] Status FinishGroup(const CommitGroup& group, const Status& written,
                                   std::unique_lock<std::mutex>* lock) override;
  // Precondition: lock holds mu_ and this thread is the write leader. May release mu_ while
  // waiting for room or creating a log. force: switch even if mem_ has room (Flush).
  [[nodiscard]] Status MakeRoomForWrite(std::unique_lock<std::mutex>* lock, bool force);
  [[nodiscard]] Status SwitchMemtable(std::unique_lock<std::mutex>* lock);
  void SetBackgroundError(const Status& s);  // Precondition: mu_ held

  // ---- db_impl_flush.cc ----
  void BackgroundThreadMain();
  // Flushes imm_.front() and removes it; *flushed keeps a reference to that memtable so the
  // caller can release it with mu_ unlocked.
  [[nodiscard]] Status FlushOldestImmutable(std::unique_lock<std::mutex>* lock,
                                            std::shared_ptr<MemTable>* flushed);
  // Writes mem's entries to table meta->number (synced, directory synced) and fills *meta. An
  // empty memtable yields meta->file_bytes == 0 and no file. Needs no lock.
  [[nodiscard]] Status WriteLevel0Table(const MemTable& mem, FileMetaData* meta);
  // Deletes files no live Version needs and no work in progress writes. Precondition: mu_ held
  // (released while deleting). Skipped after a background error.
  void DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock);

  // ---- db_impl_compaction.cc ----
  struct CompactionOutput;
  // Starts the max_background_jobs - 1 compaction threads.
  void StartCompactionThreads();
  void CompactionThreadMain();
  // The next automatic compaction that can run alongside the running ones, or null.
  // Precondition: mu_ held.
  std::unique_ptr<Compaction> PickAutomaticCompaction();
  // Runs c (a trivial move or a merge) and installs its result; the caller deletes the inputs
  // (DeleteObsoleteFiles) once it has dropped c, which pins them. Precondition: lock holds mu_ and
  // this thread counted c in compactions_running_ (and, if automatic, registered it in
  // compactions_in_progress_); mu_ is released during I/O.
  [[nodiscard]] Status RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock);
  // Merges c's inputs into new synced tables (*outputs), dropping the versions no snapshot in
  // `snapshots` needs. Needs no lock (takes mu_ briefly to draw file numbers).
  [[nodiscard]] Status WriteCompactionOutputs(Compaction* c,
                                              const std::vector<SequenceNumber>& snapshots,
                                              std::vector<FileMetaData>* outputs,
                                              uint64_t* dropped_entries);
  [[nodiscard]] Status FinishCompactionOutput(CompactionOutput* out,
                                              std::vector<FileMetaData>* outputs);
  [[nodiscard]] Status OpenCompactionOutput(CompactionOutput* out);
  void RemoveCompactionOutputs(const std::vector<FileMetaData>& outputs);
  // Write stall control, called by the write leader before it writes `bytes` (mu_ held; released
  // while waiting). Past a slowdown threshold the leader sleeps bytes / delayed_write_bytes_per_sec
  // (accumulated until worth a sleep); past a stop threshold it waits for compactions to bring
  // the DB back under it. Returns the background error if one occurs meanwhile.
  [[nodiscard]] Status ThrottleWrites(std::unique_lock<std::mutex>* lock, uint64_t bytes);
  // While a slowdown is in force, counts the `writes` that followed a leader into its group and
  // adds the delay owed for their `bytes` (ThrottleWrites charged the leader's own batch) to the
  // debt the next leader sleeps. Precondition: mu_ held.
  void ChargeWriteDelay(uint64_t bytes, size_t writes);
  // Called by the flush thread before a flush: while L0 holds l0_stop_trigger tables, waits for
  // a compaction (so L0 never exceeds the trigger; writers then stop on the full immutable
  // memtable queue) and returns true. Precondition: mu_ held.
  bool HoldFlushWhileL0Full(std::unique_lock<std::mutex>* lock);
  // Per-level table and compaction/stall counters for "ziggydb.stats". Precondition: mu_ held.
  std::string LevelStatsString() const;
  // "ziggydb.sstables": every table per level with its key range. Precondition: mu_ held.
  std::string SstablesString() const;

  // ---- db_impl_read.cc ----
  // Get without the statistics of the call itself.
  [[nodiscard]] Status GetImpl(const ReadOptions& options, std::string_view key,
                               std::string* value);
  // The tables of `version` that may hold the key, in read order; needs no lock.
  [[nodiscard]] Status GetFromTables(const ReadOptions& options, const Version& version,
                                     const LookupKey& lookup, std::string* value);

  // ---- db_impl_events.cc: statistics, listeners and LOG events (docs/design/observability.md)
  // Listener callbacks run with mu_ released: a `lock` argument holds mu_ on entry and exit and
  // is released around the callbacks (only when there are listeners); null means mu_ is not held.
  // One "event=options key=value ..." LOG line.
  void LogOptions() const;
  // "ziggydb.metrics": statistics and gauges in the Prometheus text format. Takes mu_.
  std::string MetricsString() const;
  void NotifyFlushBegin(const FlushJobInfo& info, std::unique_lock<std::mutex>* lock);
  // Counts, logs (event=flush_finished or flush_failed) and notifies.
  void NotifyFlushCompleted(const FlushJobInfo& info, std::unique_lock<std::mutex>* lock);
  // c's inputs; the caller fills what it knows at completion.
  CompactionJobInfo MakeCompactionJobInfo(const Compaction& c) const;
  void NotifyCompactionBegin(const CompactionJobInfo& info, std::unique_lock<std::mutex>* lock);
  // Counts, logs (event=compaction_finished, trivial_move or compaction_failed) and notifies.
  void NotifyCompactionCompleted(const CompactionJobInfo& info, std::unique_lock<std::mutex>* lock);
  // The write stall condition now in force (nullopt: none). On a change, logs and notifies the
  // end of the old one and the start of the new one. Precondition: lock holds mu_, and this thread
  // is the write leader. Returns true if mu_ was released meanwhile (for listeners): the caller
  // must re-check whatever it decided under mu_.
  bool SetWriteStall(std::optional<WriteStallCause> cause, std::unique_lock<std::mutex>* lock);
  void RecordStallMicros(WriteStallCause cause, uint64_t micros) const;
  // Once per open: after bg_error_ is set, counts, logs (event=background_error) and notifies.
  // Precondition: lock holds mu_.
  void ReportBackgroundError(std::unique_lock<std::mutex>* lock);
  // Write path counters: one group commit of `batches` user batches (`bytes` encoded, `keys`
  // updates), and `wal_bytes` appended to the WAL (0 without WAL).
  void RecordWriteGroup(size_t batches, uint64_t bytes, uint64_t keys, uint64_t wal_bytes) const;
  void RecordWalSync(uint64_t micros) const;
  template <typename Callback>
  void NotifyListeners(std::unique_lock<std::mutex>* lock, const Callback& callback);

  // ---- db_impl.cc ----
  void Log(const std::string& line) const;
  std::string StatsString() const;  // Precondition: mu_ held
  // Sequence numbers of the live snapshots, oldest first. Precondition: mu_ held.
  std::vector<SequenceNumber> LiveSnapshotSequences() const;

  // ---- Fixed after construction ----
  const Options options_;
  const std::string dbname_;
  Env* const env_;
  Statistics* const stats_ = options_.statistics.get();  // null: statistics off
  const InternalKeyComparator icmp_;
  std::unique_ptr<FilterPolicy> user_filter_policy_;  // null when bloom_bits_per_key == 0
  std::unique_ptr<FilterPolicy> filter_policy_;       // wraps user_filter_policy_
  std::unique_ptr<BlockCache> block_cache_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  // Holds lines until Open succeeds, then writes to Options::info_log or the LOG file.
  const std::shared_ptr<DeferredLogger> info_log_;
  std::unique_ptr<FileLock> db_lock_;

  mutable std::mutex mu_;
  // Signalled when a background thread finishes a flush or compaction or fails, and when there
  // is work for one.
  std::condition_variable bg_cv_;
  std::thread bg_thread_;                        // flushes
  std::vector<std::thread> compaction_threads_;  // max_background_jobs - 1 of them
  // Set with shutting_down_; read without mu_ by a compaction to abandon its work early.
  std::atomic<bool> shutdown_requested_{false};

  // ---- Guarded by mu_ ----
  std::unique_ptr<VersionSet> versions_;
  std::shared_ptr<MemTable> mem_;
  std::deque<Immutable> imm_;
  // The live WAL and the earlier ones not yet retired. The write leader alone appends, syncs
  // and switches logs; the flush thread retires them (DeleteObsoleteFiles).
  WalSet wal_set_{env_, dbname_, options_.memtable_bytes, info_log_.get(), [this](uint64_t micros) {
                    RecordWalSync(micros);
                    wal_syncs_.fetch_add(1, std::memory_order_relaxed);
                  }};
  // The writer queue and group commit; its state is guarded by mu_.
  CommitPipeline commit_pipeline_{&mu_, this, options_.max_write_group_bytes};
  // Set by BeginGroup for the leader's group; used by the leader alone until FinishGroup.
  MemTable* group_mem_ = nullptr;
  WalSet::Append group_wal_;
  Status bg_error_;
  bool shutting_down_ = false;
  // A disable_wal write reached a memtable: closing must flush, or the write would be lost.
  bool has_unlogged_writes_ = false;
  std::set<FileNumber> pending_outputs_;  // tables being written, not yet in a Version
  // Compactions running now, automatic or manual. A manual one (CompactRange) runs alone: it
  // waits for this to reach 0, and no automatic one starts while it runs or waits.
  int compactions_running_ = 0;
  int peak_compactions_running_ = 0;        // the most ever running at once
  bool manual_compaction_running_ = false;  // a CompactRange holds the compaction role
  int manual_compactions_waiting_ = 0;      // CompactRange callers waiting: automatic ones yield
  // The automatic compactions running (their inputs, levels and key ranges).
  CompactionsInProgress compactions_in_progress_;
  // Set by TEST_SetCompactionHook; empty outside tests.
  std::function<void()> compaction_test_hook_;
  bool deleting_obsolete_files_ = false;  // one DeleteObsoleteFiles at a time
  // Per output level: what compactions into it read and wrote.
  struct LevelCompactionStats {
    uint64_t compactions = 0;
    uint64_t trivial_moves = 0;
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
    uint64_t micros = 0;
  };
  std::array<LevelCompactionStats, kNumLevels> compaction_stats_;
  // Why writes were slowed or stopped (index: StallCause in db_impl_compaction.cc).
  static constexpr int kNumStallCauses = 4;
  std::array<uint64_t, kNumStallCauses> stall_cause_micros_{};
  std::array<uint64_t, kNumStallCauses> stall_cause_count_{};  // writes (batches) affected
  // Flushes that waited for L0 to drop below l0_stop_trigger (writers then stop on a full
  // immutable memtable queue, counted in MakeRoomForWrite), and how long.
  uint64_t flushes_held_ = 0;
  uint64_t flush_held_micros_ = 0;
  uint64_t delay_debt_micros_ = 0;                      // write delay owed but not yet slept
  std::list<std::unique_ptr<SnapshotImpl>> snapshots_;  // oldest first
  std::optional<WriteStallCause> write_stall_;  // the stall condition in force (SetWriteStall)
  uint64_t write_stall_begin_micros_ = 0;
  bool bg_error_reported_ = false;  // ReportBackgroundError ran

  // ---- Statistics: written under mu_ or by the leader, read anywhere (relaxed) ----
  std::atomic<uint64_t> wal_writes_{0};   // batches written to the WAL
  std::atomic<uint64_t> wal_records_{0};  // WAL records (one per group)
  std::atomic<uint64_t> wal_syncs_{0};    // WAL syncs
  std::atomic<uint64_t> writes_{0};       // batches applied (WAL or not)
  std::atomic<uint64_t> stall_micros_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> flush_bytes_{0};
  std::atomic<uint64_t> wal_tail_records_dropped_{0};
  std::atomic<uint64_t> wal_records_skipped_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_IMPL_H_
