// DBImpl: the DB implementation, split by concern over several files:
//   db_impl.cc         construction, destruction, snapshots, DestroyDB
//   db_properties.cc   GetProperty and GetStats: every property's text (db_properties.h)
//   db_impl_stall.cc   write stalls: feeds write_controller.h, sleeps and waits as it says
//   db_impl_events.cc  counters, listener events (event_queue.h) and LOG lines
//   db_impl_open.cc    Open: directory checks, LOCK, recovery (recovery.h: MANIFEST, live
//                      tables, WAL replay per Options::wal_recovery_mode), the first edit
//   db_impl_write.cc   the write path: the CommitEnv of commit_pipeline_ (commit_pipeline.h),
//                      memtable switch (opening the next log of wal_set_, wal_set.h)
//   db_impl_flush.cc   the background thread: immutable memtable -> L0 table -> MANIFEST
//   db_impl_read.cc    Get and NewIterator (db_iter.h over merging_iterator.h)
//   db_impl_compaction.cc  the compaction threads, installing CompactionJob results, CompactRange
//                      (compaction.h, compaction_scheduler.h, compaction_job.h)
//   db_impl_sizes.cc   GetApproximateSizes
//   db_impl_txn.cc     the TxnHost of the transaction module: transactions' snapshots, commits
//                      checked at the commit point (txn_host.h, memtable_history.h)
//   db_impl_memory.cc  the memory budget: usage of each part, rebalancing (memory_budget.h)
//   db_impl_steps.cc   stepped background work for deterministic tests (background_steps.h)
// Recovery and durability rules: docs/design/recovery.md.
//
// Concurrency: one mutex, mu_, guards the mutable state listed under "Guarded by mu_" below.
// Work that does I/O runs with mu_ released by exactly one thread at a time per role (each
// running compaction being a role of its own):
//   - the write leader (commit_pipeline_) appends to the WAL and inserts into mem_;
//   - the flush thread builds L0 tables and calls VersionSet::LogAndApply;
//   - each running compaction (compaction_scheduler_.running() of them: up to
//     max_background_jobs - 1 compaction threads, each running one compaction picked so that it
//     conflicts with none of the running ones (compaction.h invariant 3), or else one
//     CompactRange caller alone) merges its own inputs into its own outputs (a CompactionJob)
//     and calls VersionSet::LogAndApply.
// A stepped DB (background_steps.h, for deterministic tests) has no background thread: the flush
// and compaction roles run as steps on the caller's thread, one at a time.
// Invariants (whenever mu_ is free):
//   1. Every write with a sequence <= versions_->LastSequence() is in mem_, imm_ or a live table.
//   2. imm_ is ordered oldest first; imm_[i] holds only data of logs numbered below
//      imm_[i].next_log_number, and mem_ only data of logs >= wal_set_.live_number().
//   3. versions_->LogNumber() <= the next_log_number of imm_.front() (if any)
//      <= wal_set_.live_number().
//   4. Once bg_error_ is set it stays set: no later write is acknowledged until reopen, or, for
//      an error of a flush or compaction (bg_error_resumable_), until a successful Resume.
#ifndef ZIGGYDB_DB_DB_IMPL_H_
#define ZIGGYDB_DB_DB_IMPL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/dbformat.h"
#include "db/background_steps.h"
#include "db/checkpoint.h"
#include "db/commit_pipeline.h"
#include "db/compaction.h"
#include "db/compaction_job.h"
#include "db/compaction_scheduler.h"
#include "db/db_properties.h"
#include "db/deferred_logger.h"
#include "db/event_queue.h"
#include "db/memory_budget.h"
#include "db/read_stack.h"
#include "db/super_version.h"
#include "db/table_cache.h"
#include "db/table_output.h"
#include "db/txn_host.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "db/wal_set.h"
#include "db/write_controller.h"
#include "memtable/memtable.h"
#include "table/block_cache.h"
#include "table/filter_policy.h"
#include "table/table_options.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/listener.h"
#include "ziggydb/statistics.h"

namespace ziggydb {

class OpenRollback;
class TableKeyRanges;

class DBImpl final : public DB, private CommitEnv, private TxnHost {
 public:
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override
      EXCLUDES(mu_);
  Status Delete(const WriteOptions& options, std::string_view key) override EXCLUDES(mu_);
  Status Write(const WriteOptions& options, const WriteBatch& updates) override EXCLUDES(mu_);
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override
      EXCLUDES(mu_);
  Status Get(const ReadOptions& options, std::string_view key, PinnableValue* value) override
      EXCLUDES(mu_);
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override EXCLUDES(mu_);
  const Snapshot* GetSnapshot() override EXCLUDES(mu_);
  void ReleaseSnapshot(const Snapshot* snapshot) override EXCLUDES(mu_);
  bool GetProperty(std::string_view name, std::string* value) override EXCLUDES(mu_);
  Status GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) override EXCLUDES(mu_);
  Status Flush() override EXCLUDES(mu_);
  using DB::CompactRange;  // the deleted nullptr overload
  Status CompactRange(std::optional<std::string_view> begin,
                      std::optional<std::string_view> end) override EXCLUDES(mu_);
  Status WaitForBackgroundWork() override EXCLUDES(mu_);
  Status Resume() override EXCLUDES(mu_);  // db_impl_events.cc
  Status Close() override EXCLUDES(mu_);

  // ---- Transactions (db_impl_txn.cc) ----
  std::unique_ptr<Transaction> BeginTransaction(const WriteOptions& write_options,
                                                const TransactionOptions& txn_options) override
      EXCLUDES(mu_);
  // ---- db_impl_checkpoint.cc (checkpoint.h) ----
  Status CreateCheckpoint(const std::string& dir) override EXCLUDES(mu_);
  // Flushes the memtables (if flush_first), then pins the current Version and describes it in
  // *files (the tables stay on disk while files->pin is held): what a checkpoint or a backup
  // copies.
  [[nodiscard]] Status GetLiveFiles(bool flush_first, LiveFiles* files) EXCLUDES(mu_);

  // Runs the whole of DB::Open on this object. On failure the object must only be destroyed.
  [[nodiscard]] Status OpenImpl() EXCLUDES(mu_);

  // For tests: `hook` runs in every compaction (automatic or manual, trivial moves included) with
  // mu_ released, after the compaction is registered as running and before it does any work.
  void TEST_SetCompactionHook(std::function<void()> hook) EXCLUDES(mu_);
  // For tests: the in-memory compaction pointers (VersionSet::compact_pointers).
  std::array<std::string, kNumLevels> TEST_CompactPointers() EXCLUDES(mu_);

  // For tests: a new MANIFEST is started once the current one reaches `bytes` (crash-state
  // tests roll it after every edit to cover the rollover).
  void TEST_SetManifestRollBytes(uint64_t bytes) EXCLUDES(mu_) {
    MutexLock guard(&mu_);
    versions_->set_manifest_roll_bytes(bytes);
  }

  // A consistent snapshot of the DB's counters and shape: what the text properties render
  // (db_properties.cc), for programs and tests that want numbers. Takes mu_.
  DBStats GetStats() const EXCLUDES(mu_);

  // ---- db_impl_steps.cc: stepped background work (background_steps.h) ----
  // Before OpenImpl: start no background thread; background work waits for RunStep, or for a
  // foreground wait to run it (steps chosen by policy, which must outlive this DB).
  void UseSteppedBackground(StepPolicy* policy) { step_policy_ = policy; }
  std::vector<BackgroundStep> RunnableSteps() EXCLUDES(mu_);
  bool RunStep(BackgroundStep step) EXCLUDES(mu_);

 private:
  class SnapshotImpl;
  struct Immutable {
    std::shared_ptr<MemTable> mem;
    // The WAL opened when mem was frozen: every log below it holds only data of mem and older.
    FileNumber next_log_number{};
    // The last sequence published when mem was frozen: mem and older hold every write up to it
    // (commit_pipeline.h, invariant 1), later memtables none of them.
    SequenceNumber last_sequence{};
  };

  // ---- db_impl_open.cc ----
  [[nodiscard]] Status CheckDirectory(bool* exists);
  // OpenImpl's part under LOCK: creates the DB if !exists, recovers, starts the new WAL and the
  // background threads. On failure OpenImpl removes what it created.
  [[nodiscard]] Status RecoverAndStart(bool exists, OpenRollback* rollback) EXCLUDES(mu_);
  void StartInfoLog();
  // The IDENTITY of the directory, made if missing or torn. Never fails the Open: a failure is
  // logged and leaves "" (backups of the DB then share no tables by name and size alone).
  std::string LoadIdentity();
  // Runs the recovery component (recovery.h) for Open: leaves in *edit the L0 tables the
  // replayed WALs were written to, for OpenImpl to commit, and counts what replay dropped.
  [[nodiscard]] Status Recover(VersionEdit* edit) REQUIRES(mu_);

  // ---- db_impl_write.cc ----
  // CommitEnv, called by commit_pipeline_'s leader (see CommitEnv for locking). The pipeline's
  // mutex is mu_: the steps that run under it tell the analysis so with mu_.AssertHeld().
  [[nodiscard]] Status MakeRoom(const WriteBatch* leader, Mutex* mu) override;
  [[nodiscard]] SequenceNumber LastSequence() const override;
  void BeginGroup(const CommitGroup& group) override;
  [[nodiscard]] Status WriteToWal(const CommitGroup& group, uint64_t* sync_micros) override;
  void ApplyToMemtable(const WriteBatch& batch, SequenceNumber first, bool concurrent) override;
  [[nodiscard]] Status FinishWalWrite(const CommitGroup& group, const Status& written,
                                      Mutex* mu) override;
  [[nodiscard]] Status PublishGroup(const CommitGroup& group, const Status& inserted,
                                    Mutex* mu) override;
  // A WAL write or memtable insert failed: sets the sticky background error and returns it.
  [[nodiscard]] Status StopWrites(std::string_view step, const Status& failure) REQUIRES(mu_);
  // One of the write path's CommitEnv steps threw std::bad_alloc, which the pipeline makes its
  // sticky error (commit_pipeline.h, invariant 3): sets the background error to match, IOError
  // "out of memory <step>", not resumable, and reports it. Never throws: short of memory for
  // that too, the background error becomes out_of_memory_reserve_.
  void StopWritesOutOfMemory(std::string_view step) noexcept REQUIRES(mu_);
  // After every call through commit_pipeline_: once StopWritesOutOfMemory has queued its event
  // (on the thread whose step failed, which leaves it queued so that no listener runs inside a
  // pipeline step; that thread's own call may have succeeded, its group published before the
  // failed one), delivers this thread's queued events. Returns s.
  [[nodiscard]] Status DeliverOutOfMemoryEvents(Status s) EXCLUDES(mu_);
  // Precondition: this thread is the write leader. May release mu_ while waiting for room or
  // creating a log. force: switch even if mem_ has room (Flush).
  [[nodiscard]] Status MakeRoomForWrite(bool force) REQUIRES(mu_);
  [[nodiscard]] Status SwitchMemtable() REQUIRES(mu_);
  // Sets bg_error_ (once) and wakes background_work_done_'s waiters.
  void SetBackgroundError(const Status& s) REQUIRES(mu_);

  // ---- db_impl_flush.cc ----
  void BackgroundThreadMain() EXCLUDES(mu_);
  // One flush of the flush thread (or a flush step) and what follows it: the error, events,
  // wake-ups, the flushed memtable's memory. Precondition: imm_ is not empty.
  void BackgroundFlush() REQUIRES(mu_);
  // True once `flushed` (null: no flush began) was installed: the install takes the flushed
  // memtable off imm_'s front.
  bool LeftTheQueue(const std::shared_ptr<MemTable>& flushed) const REQUIRES(mu_) {
    return flushed != nullptr && (imm_.empty() || imm_.front().mem != flushed);
  }
  // Flushes imm_.front() and removes it; *flushed keeps a reference to that memtable so the
  // caller can release it with mu_ unlocked.
  [[nodiscard]] Status FlushOldestImmutable(std::shared_ptr<MemTable>* flushed) REQUIRES(mu_);
  // FlushOldestImmutable's job once its begin event is queued: writes imm to table `number`,
  // installs it and queues the end event (*info completed), its last step.
  [[nodiscard]] Status FlushImmutable(const Immutable& imm, FileNumber number, FlushJobInfo* info)
      REQUIRES(mu_);
  // Writes mem's entries to table meta->number (synced, directory synced) and fills *meta,
  // leaving out what no reader can see (VersionGarbageCollector, with `snapshots` the live
  // snapshots' sequences): of a key's versions in one stripe only the newest, and a tombstone no
  // snapshot predates whose key no range of `older` contains. `older` must cover every version
  // older than mem's (the current Version's tables when mem is the oldest memtable); null keeps
  // every tombstone. With nothing left (an empty memtable; keys put and deleted that no table
  // holds) meta->file_bytes == 0 and no file; a failure leaves no file. Needs no lock; the caller
  // keeps meta->number out of DeleteObsoleteFiles' reach meanwhile.
  [[nodiscard]] Status WriteLevel0Table(const MemTable& mem, std::vector<SequenceNumber> snapshots,
                                        const TableKeyRanges* older, FileMetaData* meta);
  // How this DB writes tables (table_output.h).
  TableOutputContext MakeTableOutputContext() const;
  // Draws a table number, registered in pending_outputs_.
  // Draws a table number and registers it; fails only when file numbers run out.
  [[nodiscard]] Status NewPendingOutput(PendingOutput* output) REQUIRES(mu_);
  // Deletes files no live Version needs and no work in progress writes (mu_ released while
  // deleting; one pass at a time). Skipped after a background error; never throws (an allocation
  // failure ends the pass early).
  void DeleteObsoleteFiles() REQUIRES(mu_);
  // The pass itself, with deleting_obsolete_files_ set.
  void DeleteObsoleteFilesPass() REQUIRES(mu_);

  // ---- db_impl_compaction.cc ----
  // Starts the max_background_jobs - 1 compaction threads.
  void StartCompactionThreads();
  void CompactionThreadMain() EXCLUDES(mu_);
  // Runs c, started by StartAutomatic, as a compaction thread does (or a compaction step), and
  // finishes it: the error, events, wake-ups, obsolete files.
  void BackgroundCompaction(std::unique_ptr<Compaction> c) REQUIRES(mu_);
  // Runs c (a trivial move or a merge) and installs its result; the caller deletes the inputs
  // (DeleteObsoleteFiles) once it has dropped c, which pins them. Precondition: c was started in
  // compaction_scheduler_; mu_ is released during I/O.
  [[nodiscard]] Status RunCompaction(Compaction* c) REQUIRES(mu_);
  // RunCompaction's job once its begin event is queued: runs c, installs the result and queues
  // the end event (*info completed), its last step.
  [[nodiscard]] Status RunCompactionJob(Compaction* c, uint64_t start_micros,
                                        CompactionJobInfo* info) REQUIRES(mu_);
  // What a CompactionJob of this DB works with; its new_output takes mu_ to draw numbers.
  CompactionJobContext MakeCompactionJobContext();

  // ---- db_impl_read.cc ----
  // Get into a string or a PinnableValue, without the DB mutex (super_version.h).
  template <typename Value>
  [[nodiscard]] Status GetImpl(const ReadOptions& options, std::string_view key, Value* value)
      EXCLUDES(mu_);
  // The sequence a read sees: its snapshot's, or the last published one. InvalidArgument for a
  // snapshot ahead of the last published sequence (not one of this DB's: reading at it could
  // show a write group still being inserted).
  [[nodiscard]] Status ReadSequence(const ReadOptions& options, SequenceNumber* sequence) const;
  // Publishes mem_, imm_ and the current Version to readers. Called wherever one of them
  // changes, before any write goes into a new mem_ (super_version.h, invariant 3).
  void InstallSuperVersion() REQUIRES(mu_);

  // ---- db_impl_stall.cc: write stalls, decided by write_controller_ ----
  // Called by the write leader before it writes `bytes` (mu_ released while it sleeps, waits or
  // delivers its events): delays or stops the write as write_controller_ decides. Returns the
  // background error if one occurs meanwhile.
  [[nodiscard]] Status ThrottleWrites(uint64_t bytes) REQUIRES(mu_);
  // The stall part of MakeRoomForWrite: when the leader needs a new memtable, waits while the
  // immutable memtables are at max_immutable_memtables. Returns true when the leader may switch,
  // false after it waited or delivered events (mu_ was released: look again).
  bool MemtableSwitchMayProceed(StalledWrite* write) REQUIRES(mu_);
  // The `writes` that followed a leader into its group owe delay for their `bytes` under a
  // slowdown (ThrottleWrites charged the leader's own batch).
  void ChargeWriteDelay(uint64_t bytes, size_t writes) REQUIRES(mu_);
  // Called by the flush thread before a flush: while L0 holds l0_stop_trigger tables, waits for
  // a compaction (so L0 never exceeds the trigger; writers then stop on the full immutable
  // memtable queue) and returns true. Waits on background_work_done_.
  bool HoldFlushWhileL0Full() REQUIRES(mu_);
  // Counts, logs and queues the events of a stall decision.
  void RecordStallDecision(const WriteDecision& decision) REQUIRES(mu_);
  void RecordStallMicros(WriteStallCause cause, uint64_t micros) const;
  // Waits on background_work_done_ (a stalled writer waits for a flush or a compaction to end),
  // or, when this thread has events queued, delivers them instead (mu_ released meanwhile).
  // Either way the caller decides again, as after any wake-up.
  void WaitOrDeliverEvents() REQUIRES(mu_);
  // A delayed writer's pause for a slowdown of `cause`: delivers `events`, then waits `micros`
  // (both with mu_ released) on background_work_done_, ending early when the DB stops (Close, a
  // background error) or a flush or compaction leaves `cause` no longer called for; or,
  // stepped, lets the policy's clock advance and runs one step. Returns the micros it paused.
  uint64_t DelayWrite(const EventQueue::Batch& events, WriteStallCause cause, uint64_t micros)
      REQUIRES(mu_);
  // What the current Version's shape calls for (write_controller_'s input).
  CompactionLoad CurrentCompactionLoad() const REQUIRES(mu_);

  // ---- db_impl_steps.cc: stepped background work (background_steps.h) ----
  std::vector<BackgroundStep> RunnableStepsLocked() REQUIRES(mu_);
  bool RunStepLocked(BackgroundStep step) REQUIRES(mu_);
  // Waits for a flush or compaction to end (background_work_done_), or, stepped, runs one step
  // chosen by the policy. Either way the caller looks at its condition again.
  void AwaitBackgroundWork() REQUIRES(mu_);
  // Stepped DelayWrite, after the events: the policy's Sleep, then one step if any is runnable.
  void SteppedSleep(uint64_t micros) REQUIRES(mu_);
  // Runs one step the policy chooses among the runnable ones; false if none is runnable.
  bool RunChosenStepLocked() REQUIRES(mu_);
  // After a flush or compaction installed its edit: deletes the obsolete files now, or, stepped,
  // makes the deletion step runnable.
  void ScheduleObsoleteFileDeletion() REQUIRES(mu_);

  // ---- db_impl_events.cc: statistics, listeners and LOG events (docs/design/observability.md)
  // Listener events are queued in events_ under mu_ and delivered by the same thread once mu_ is
  // released (event_queue.h). The Notify* functions count, log and queue.
  // One "event=options key=value ..." LOG line.
  void LogOptions() const;
  void NotifyFlushBegin(const FlushJobInfo& info) REQUIRES(mu_);
  // Counts, logs (event=flush_finished or flush_failed) and notifies.
  void NotifyFlushCompleted(const FlushJobInfo& info) REQUIRES(mu_);
  // c's inputs; the caller fills what it knows at completion.
  CompactionJobInfo MakeCompactionJobInfo(const Compaction& c) const;
  void NotifyCompactionBegin(const CompactionJobInfo& info) REQUIRES(mu_);
  // Counts, logs (event=compaction_finished, trivial_move or compaction_failed) and notifies.
  void NotifyCompactionCompleted(const CompactionJobInfo& info) REQUIRES(mu_);
  // Logs and notifies a change of the stall condition in force.
  void NotifyStallChange(const StallChange& change) REQUIRES(mu_);
  // Once per open: after bg_error_ is set, counts, logs (event=background_error) and notifies.
  void ReportBackgroundError() REQUIRES(mu_);
  // SetBackgroundError for a failed flush or compaction: one that Resume may clear.
  void SetResumableBackgroundError(const Status& s) REQUIRES(mu_);
  // A flush or compaction job threw std::bad_alloc (caught by its thread): sets and returns the
  // background error IOError "out of memory", resumable unless the job had `installed` its
  // Version (another job's install meanwhile changes nothing). db_impl_events.cc.
  Status BackgroundOutOfMemory(std::string_view job, bool installed) REQUIRES(mu_);
  // Whether the compaction whose first input (of its start level) is `first_input` installed its
  // edit: that input has left `level` of the current Version.
  bool CompactionInstalled(int level, FileNumber first_input) const REQUIRES(mu_);
  // The flush or compaction thread's last resort: std::bad_alloc escaped BackgroundFlush or
  // BackgroundCompaction after the job (which catches its own) had ended and been accounted for,
  // in the steps that follow it (setting or reporting its error, the wake-ups). Wakes every waiter;
  // what was skipped happens at the next chance (a failed job's error unrecorded: the job is
  // redone).
  void AfterBackgroundOutOfMemory() REQUIRES(mu_);
  // std::bad_alloc on a background thread outside any job (picking one): a resumable background
  // error names `step` (the reserved one, not resumable, if even that cannot be built), so the
  // work is reported rather than silently skipped. db_impl_events.cc.
  void OutOfMemoryBetweenJobs(std::string_view step) noexcept REQUIRES(mu_);
  // The last resort when even an error Status cannot be built: out_of_memory_reserve_ becomes the
  // background error (unless one stands), not resumable; wakes the waiters. db_impl_write.cc.
  void StopWritesWithReservedError() noexcept REQUIRES(mu_);
  // Delivers the events this thread queued; mu_ is released around the callbacks when there are
  // any (true returned). Never throws: out of memory, the events stay queued for the next call.
  bool DeliverEvents() REQUIRES(mu_);
  // Runs events taken from events_ (EventQueue::TakeMine) with mu_ released. Not analysed:
  // EventQueue::Deliver reads only the listeners, fixed at construction, but the analysis counts
  // any use of events_ (GUARDED_BY(mu_)) as a read of the guarded queue.
  void DeliverTaken(const EventQueue::Batch& batch) const EXCLUDES(mu_) NO_THREAD_SAFETY_ANALYSIS;
  // Write path counters: one group commit of `batches` user batches (`bytes` encoded, `keys`
  // updates), and `wal_bytes` appended to the WAL (0 without WAL).
  void RecordWriteGroup(size_t batches, uint64_t bytes, uint64_t keys, uint64_t wal_bytes) const;
  void RecordWalSync(uint64_t micros) const;

  // ---- db_impl_txn.cc: TxnHost (txn_host.h), what the transaction module uses ----
  [[nodiscard]] Status RegisterTransaction(TxnClient* client, SequenceNumber* snapshot) override
      EXCLUDES(mu_);
  void UnregisterTransaction(TxnClient* client) override EXCLUDES(mu_);
  [[nodiscard]] Status CommitTransaction(const WriteOptions& options, const WriteBatch& batch,
                                         SequenceNumber snapshot,
                                         const TxnValidator& validate) override EXCLUDES(mu_);
  DB* TxnDb() override { return this; }
  // The commit-point check of CommitTransaction: the memtables cover `snapshot`, then `validate`
  // over them and `ahead`, the batches before it in its commit group.
  [[nodiscard]] Status ValidateTransaction(SequenceNumber snapshot, const WriteBatch& ahead,
                                           const TxnValidator& validate) REQUIRES(mu_);
  // Close's first step: ends the open transactions (TxnClient::OnHostClosed).
  void CloseTransactions() EXCLUDES(mu_);
  // After a failed OpenImpl step (status s): removes what the Open created (if rollback, whose
  // names were noted under the lock, is given) and releases the LOCK.
  void UndoFailedOpen(const Status& s, OpenRollback* rollback) EXCLUDES(mu_);
  // Sets shutting_down_, wakes every background thread and joins them (Close, a failed Open).
  // Idempotent; never throws.
  void StopBackgroundThreads() EXCLUDES(mu_);
  // Close's first step (db_impl.cc): ends the open transactions and writes unlogged writes to a
  // table.
  [[nodiscard]] Status FlushBeforeClose() EXCLUDES(mu_);

  // ---- db_impl_memory.cc: Options::memory_budget_bytes (memory_budget.h) ----
  // What each part of the budget holds now.
  MemoryUsage MemoryUsageNow() REQUIRES(mu_);
  // Applies the budget's policy to the usage now: the memtable switch size and the block cache
  // capacity (the cache evicts down to it). Called at open, and when a memtable is switched or
  // flushed.
  void RebalanceMemory() REQUIRES(mu_);

  // ---- db_impl.cc ----
  void Log(const std::string& line) const;
  // OK until Close; then InvalidArgument "the DB is closed". The first check of every entry
  // point (what a closed DB answers: DB::Close).
  [[nodiscard]] Status CheckOpen() const;
  // Sequence numbers of the live snapshots, oldest first.
  std::vector<SequenceNumber> LiveSnapshotSequences() const REQUIRES(mu_);
  // The oldest of those; kMaxSequenceNumber when there is none.
  SequenceNumber OldestSnapshot() const REQUIRES(mu_);

  // ---- Fixed after construction ----
  const Options options_;
  const std::string dbname_;
  Env* const env_;
  // Options::statistics (null: off): per-operation timings and read-path counters, which must
  // cost nothing but a pointer test when off.
  Statistics* const stats_ = options_.statistics.get();
  // Never null: the one home of every count the DB keeps about its own work (writes, WAL, flushes,
  // compactions, stalls), which the properties read. Options::statistics when set (so that a
  // Statistics shared by several DBs shows their sums), else a private one.
  const std::shared_ptr<Statistics> db_stats_owner_ =
      options_.statistics != nullptr ? options_.statistics : CreateStatistics();
  Statistics* const db_stats_ = db_stats_owner_.get();
  const InternalKeyComparator icmp_;
  // The filter policy, block cache, table options and table cache; Get and NewIterator.
  ReadStack reads_;
  // Handed to every iterator: the seek that makes a read compaction due wakes the compaction
  // threads (compaction.h, PickReadCompaction).
  const ReadStack::ReadCompactionDue read_compaction_due_ = [this] {
    MutexLock lock(&mu_);
    compaction_needed_.NotifyAll();
  };
  // Holds lines until Open succeeds, then writes to Options::info_log or the LOG file.
  const std::shared_ptr<DeferredLogger> info_log_;
  std::unique_ptr<FileLock> db_lock_;

  mutable Mutex mu_;
  // The conditions waited for under mu_, one CondVar each (docs/design/concurrency.md lists every
  // waiter and notifier). Each waiter loops on its own condition.
  // Work for the flush thread: an immutable memtable queued, or shutdown. Waiter: the flush
  // thread (BackgroundThreadMain). Notifiers: SwitchMemtable, the destructor.
  CondVar flush_needed_;
  // Work may have appeared for a compaction thread: the Version changed (a flush or a compaction
  // installed), a running compaction ended (its inputs no longer conflict), CompactRange ended
  // (automatic compactions may start again), or shutdown. Waiters: the compaction threads.
  // Notifiers: the flush thread after each flush, the compaction threads after each compaction,
  // CompactRange at its end, the destructor; ReleaseSnapshot and a transaction's end (reclaim
  // candidates), the seek that makes a read compaction due (read_compaction_due_).
  CondVar compaction_needed_;
  // A flush or a compaction ended (successfully or not), a background error was set, or shutdown.
  // Waiters: Flush, CompactRange (waiting for the running compactions), WaitForBackgroundWork,
  // writers stopped by the write controller (WaitOrDeliverEvents), the flush thread held by a
  // full L0 (HoldFlushWhileL0Full). Notifiers: the flush thread after each flush, the compaction
  // threads after each compaction, CompactRange at its end, SetBackgroundError, the destructor.
  CondVar background_work_done_;
  // deleting_obsolete_files_ went false. Waiters and notifier: DeleteObsoleteFiles.
  CondVar obsolete_file_deletion_done_;
  std::thread bg_thread_;                        // flushes
  std::vector<std::thread> compaction_threads_;  // max_background_jobs - 1 of them
  // Set by UseSteppedBackground before OpenImpl, then fixed; null: background threads.
  StepPolicy* step_policy_ = nullptr;
  // Set with shutting_down_; read without mu_ by a compaction to abandon its work early.
  std::atomic<bool> shutdown_requested_{false};
  // Set by Close once it has flushed what it must; read without mu_ by CheckOpen (a call after
  // Close is ordered after it by the caller, so relaxed loads suffice).
  std::atomic<bool> closed_{false};
  // What the first Close returned; only Close and the destructor touch it.
  std::optional<Status> close_status_;

  // ---- Guarded by mu_ ----
  // Every VersionSet call goes through versions_, so every one is made under mu_ (VersionSet has
  // no lock of its own; LogAndApply releases mu_ during its I/O).
  std::unique_ptr<VersionSet> versions_ GUARDED_BY(mu_);
  std::shared_ptr<MemTable> mem_ GUARDED_BY(mu_);
  std::deque<Immutable> imm_ GUARDED_BY(mu_);
  // What readers see of mem_, imm_ and versions_->current(), and the last published sequence,
  // without mu_ (InstallSuperVersion; the writer publishes the sequence after each group).
  SuperVersionPublisher super_versions_;
  // The live WAL and the earlier ones not yet retired. The write leader alone appends, syncs
  // and switches logs; the flush thread retires them (DeleteObsoleteFiles). WalSet::CreateLog
  // needs no lock: SwitchMemtable calls it through a pointer taken under mu_.
  WalSet wal_set_ GUARDED_BY(mu_){env_, dbname_, options_.memtable_bytes, info_log_.get(),
                                  [this](uint64_t micros) { RecordWalSync(micros); }};
  // The writer queue and group commit; its state is guarded by mu_ (given to it as its mutex).
  CommitPipeline commit_pipeline_{&mu_, this, options_.max_write_group_bytes};
  // Not guarded: set by BeginGroup (mu_ held) for the leader's group, then used with mu_
  // released: group_wal_ by the leader alone until FinishWalWrite, group_mem_ by the inserting
  // threads of every group not yet published (it changes only when none is: SwitchMemtable).
  MemTable* group_mem_ = nullptr;
  WalSet::Append group_wal_;
  Status bg_error_ GUARDED_BY(mu_);
  bool shutting_down_ GUARDED_BY(mu_) = false;
  // A disable_wal write reached a memtable: closing must flush, or the write would be lost.
  bool has_unlogged_writes_ GUARDED_BY(mu_) = false;
  PendingOutputs pending_outputs_;  // tables being written, not yet in a Version (own lock)
  // Compactions running now, automatic or manual, and which may start.
  CompactionScheduler compaction_scheduler_ GUARDED_BY(mu_);
  // Set by TEST_SetCompactionHook; empty outside tests.
  std::function<void()> compaction_test_hook_ GUARDED_BY(mu_);
  // Stepped: a flush or compaction installed an edit since the last deletion step.
  bool obsolete_files_pending_ GUARDED_BY(mu_) = false;
  // One DeleteObsoleteFiles at a time; waiters: obsolete_file_deletion_done_.
  bool deleting_obsolete_files_ GUARDED_BY(mu_) = false;
  // Per output level: what compactions into it read and wrote.
  struct LevelCompactionStats {
    uint64_t compactions = 0;
    uint64_t trivial_moves = 0;
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
    uint64_t micros = 0;
  };
  std::array<LevelCompactionStats, kNumLevels> compaction_stats_ GUARDED_BY(mu_);
  // When writes slow down or stop (fed by the write leader and the flush thread).
  WriteController write_controller_ GUARDED_BY(mu_){options_};
  // Push, HasMine and TakeMine under mu_ (checked through the GUARDED_BY); delivery without it
  // (DeliverTaken).
  EventQueue events_ GUARDED_BY(mu_){options_.listeners};
  std::list<std::unique_ptr<SnapshotImpl>> snapshots_ GUARDED_BY(mu_);  // oldest first
  // The open transactions and their snapshots (db_impl_txn.cc): live snapshots for compaction,
  // ended by Close.
  std::unordered_map<TxnClient*, SequenceNumber> transactions_ GUARDED_BY(mu_);
  bool transactions_closed_ GUARDED_BY(mu_) = false;  // CloseTransactions ran: none may register
  bool bg_error_reported_ GUARDED_BY(mu_) = false;    // ReportBackgroundError ran
  bool bg_error_logged_ GUARDED_BY(mu_) = false;      // ... and wrote its LOG line
  bool bg_error_resumable_ GUARDED_BY(mu_) = false;   // bg_error_ came from a flush or compaction
  // The background error StopWritesOutOfMemory or OutOfMemoryBetweenJobs sets when it cannot
  // build its own; made with the DB, moved out at most once (that background error lasts until a
  // reopen, a new DBImpl).
  Status out_of_memory_reserve_ GUARDED_BY(mu_){
      Status::IOError("out of memory; the DB refuses writes until it is reopened")};
  // Set once StopWritesOutOfMemory queued its event; never cleared (that error lasts until a
  // reopen). Read without mu_ by DeliverOutOfMemoryEvents, to take mu_ only when needed.
  std::atomic<bool> out_of_memory_event_queued_{false};
  // Checkpoints and backups: the tables of versions_->current() hold every write up to this
  // sequence and none after it. Set by Open (recovery flushes everything) and by each flush.
  SequenceNumber flushed_sequence_ GUARDED_BY(mu_){0};
  // The DB's identity (db/db_identity.h), set by Open; empty if it could not be read or made.
  std::string db_identity_ GUARDED_BY(mu_);
  // The memtable switch size and the block cache capacity under memory_budget_bytes (without
  // one, the fixed Options values), and the flushed memtables iterators may still hold.
  MemoryBudget memory_budget_ GUARDED_BY(mu_){options_.memory_budget_bytes, options_.memtable_bytes,
                                              options_.max_immutable_memtables,
                                              options_.block_cache_bytes};

  // ---- Recovery counters: written by Open, read anywhere (relaxed) ----
  std::atomic<uint64_t> wal_tail_records_dropped_{0};
  std::atomic<uint64_t> wal_records_skipped_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_IMPL_H_
