// CommitPipeline: the write path's group commit. Writers queue; the front writer (the leader)
// makes room, merges the compatible batches queued behind it into one group, gives the group its
// sequence numbers, and with the mutex released writes it to the WAL as one record (synced at
// most once) and applies it to the memtable (with the group's members inserting their own
// batches in parallel: invariant 5). Back under the mutex it publishes the sequence numbers and
// wakes the writers it served; the next front writer leads the next group.
//
// The pipeline knows nothing of the DB: it works through a CommitEnv (make room, sequence,
// WAL, memtable, publication), so it can be tested without one (commit_pipeline_test.cc).
//
// Thread safety: every method may be called from any thread. The pipeline's state is guarded by
// the mutex given at construction, which is also the one CommitEnv's locked steps expect held
// (the DB's mutex: making room and publishing touch DB state).
// Invariants:
//   1. Groups commit one at a time, in queue order: a group's sequence numbers follow the last
//      published one, and it is published before the next group is formed.
//   2. A writer is acknowledged only after its group was published, and (sync writers) after the
//      WAL sync that covers it; a sync batch never rides on a non-sync leader.
//   3. Once publishing a group fails (CommitEnv::FinishGroup), the error is sticky: every
//      later write returns it without reaching the CommitEnv. So is running out of memory
//      (std::bad_alloc) where it may leave the DB half changed: in MakeRoom, the WAL write, the
//      memtable inserts or FinishGroup. Before those (queueing, validating, forming the group)
//      it fails only the writes of that turn, with a Status. No exception leaves Write with the
//      mutex held or a writer queued.
//   4. A writer's validator (CommitPipeline::Write) runs under the mutex after every earlier
//      group was published and before its own batch gets its sequence numbers. It is given the
//      batches ahead of it in its own group (numbered before it, not yet published; none when it
//      leads): with the published state they are every earlier commit, and no later one exists.
//   5. A non-sync group of several batches is inserted into the memtable in parallel: after the
//      WAL write, each member inserts its own batch at its own sequence numbers (or the leader
//      does it for a member that is asleep), and the leader publishes the group only after
//      every insert of it finished. Sequence numbers are still assigned in WAL order under the
//      mutex; only the memtable inserts of one group overlap, never two groups' (the next group
//      forms after this one is published).
#ifndef ZIGGYDB_DB_COMMIT_PIPELINE_H_
#define ZIGGYDB_DB_COMMIT_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "base/dbformat.h"
#include "db/write_batch_internal.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

// One group commit: the merged batches of the writers it serves.
struct CommitGroup {
  WriteBatch* batch = nullptr;  // holds the group's first sequence number (SetSequence)
  size_t batches = 0;           // user batches merged into it
  uint64_t leader_bytes = 0;    // the encoded size of the leader's own batch
  bool sync = false;            // sync the WAL before acknowledging
  bool disable_wal = false;     // apply to the memtable only
};

// What the pipeline needs from the DB. The pipeline calls each step from the leader, in the
// order listed, one group at a time; a Flush request, a failed MakeRoom or a rejected validator
// ends the turn after MakeRoom.
class CommitEnv {
 public:
  virtual ~CommitEnv() = default;
  // Mutex `mu` (the pipeline's) held; may be released while waiting. Makes room for the group
  // led by `leader` (throttling, memtable switch); leader == nullptr is a Flush request, which
  // forces a memtable switch and writes nothing. An error fails this group only.
  [[nodiscard]] virtual Status MakeRoom(const WriteBatch* leader, Mutex* mu) REQUIRES(mu) = 0;
  // Mutex held. The last published sequence number.
  [[nodiscard]] virtual SequenceNumber LastSequence() const = 0;
  // Mutex held, not released: the group is formed and numbered. The env notes what the unlocked
  // steps need (which log, which memtable) and charges its write delay.
  virtual void BeginGroup(const CommitGroup& group) = 0;
  // Mutex released. Appends the group to the WAL as one record and, if group.sync, syncs it;
  // *sync_micros is that fsync's duration (0: none). Not called with group.disable_wal.
  [[nodiscard]] virtual Status WriteToWal(const CommitGroup& group, uint64_t* sync_micros) = 0;
  // Mutex released, after WriteToWal succeeded (or was skipped): inserts `batch`, its records
  // numbered from `first`, into the memtable BeginGroup noted. Cannot fail: the batches were
  // built through the WriteBatch API. Either once for the whole group (the group's batch,
  // concurrent false), or once per batch of the group (concurrent true), on the leader's and the
  // members' threads at the same time (invariant 5).
  virtual void ApplyToMemtable(const WriteBatch& batch, SequenceNumber first, bool concurrent) = 0;
  // Mutex `mu` held; may be released meanwhile. `written`: WriteToWal's status. On OK,
  // publishes the group's sequence numbers and returns OK; otherwise returns the error every
  // writer of this and every later group gets (invariant 3).
  [[nodiscard]] virtual Status FinishGroup(const CommitGroup& group, const Status& written,
                                           Mutex* mu) REQUIRES(mu) = 0;
};

class CommitPipeline {
 public:
  // Checked under the mutex with `first_sequence`, the sequence number the writer's batch will
  // start at, and `ahead`, the batches of its group numbered before it (invariant 4): validated
  // writers share groups, so a check must count `ahead` as committed. A non-OK status fails that
  // write alone: its batch is not written, and the group goes on without it.
  using Validator = std::function<Status(SequenceNumber first_sequence, const WriteBatch& ahead)>;

  // `mu` and `env` must outlive the pipeline. max_group_bytes: the most a group's batch may
  // hold (a single larger batch still forms a group of its own).
  CommitPipeline(Mutex* mu, CommitEnv* env, size_t max_group_bytes);
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;
  ~CommitPipeline();

  // Commits `batch` (null: a Flush request) and returns when it is durable per `options` and
  // visible, or failed. The batch is not modified: the group is numbered in a batch of the
  // pipeline's own. `validator` (optional) must be non-null only with a batch; it must not call
  // back into the pipeline.
  [[nodiscard]] Status Write(const WriteOptions& options, const WriteBatch* batch,
                             const Validator* validator = nullptr) EXCLUDES(*mu_);
  // For tests: the writers queued now, the leader included. Takes the mutex.
  size_t TEST_QueuedWriters() const EXCLUDES(*mu_);

 private:
  struct Writer;

  // Merges the batches of the writers behind the front one that can share its WAL record into
  // group_batch_, running the validators of those that have one (a rejected writer is marked,
  // keeps its status and is served with the group); *last is the last writer taken.
  void BuildBatchGroup(Writer** last, size_t* batches) REQUIRES(*mu_);
  // A sync leader waits (bounded, a fraction of the last fsync) for the sync writers seen
  // recently to queue up, so that one fsync serves them all. Precondition: self is the front of
  // writers_. Returns false (mutex held throughout) when the leader should commit at once;
  // otherwise marks the leader gathering, sets *deadline, and returns true: the leader then
  // releases the mutex and waits for its group to complete (Write).
  [[nodiscard]] bool BeginGathering(std::chrono::steady_clock::time_point* deadline) REQUIRES(*mu_);
  // A gathering leader's wait timed out and it keeps its group: ends the gathering and lowers
  // the estimate of sync writers to those that came.
  void EndGathering() REQUIRES(*mu_);
  // True if `writer`, just queued, completes the group a gathering leader waits for and may
  // commit it in the leader's place.
  bool CompletesGathering(const Writer& writer) const REQUIRES(*mu_);
  // Sleeps (without the mutex) while writer's state is `from`, at most until `deadline`;
  // returns the state it found last.
  uint32_t WaitWhile(const Writer& writer, uint32_t from,
                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  // WaitWhile for a non-sync writer: spins a little, then sleeps on its own state word.
  static uint32_t WaitWhileSpinning(const Writer& writer, uint32_t from);
  // A queued writer (mutex not held) waits for its turn: inserts its own batch if its leader
  // offers it (invariant 5), and returns true once served (self->status is its result) or false
  // once it is the front of writers_ and must lead.
  bool AwaitTurn(Writer* self);
  // The leader's part of a parallel insert (invariant 5), mutex released: offers the members of
  // group_members_ their inserts, inserts its own batch (numbered from `first`), takes over the
  // offers not yet claimed, and waits for the claimed ones to finish.
  // Returns an error if an insert ran out of memory (the group is then partly inserted).
  [[nodiscard]] Status InsertInParallel(const Writer& leader, SequenceNumber first);
  // Commits the group at the front of writers_ on this thread, and the next ones while self is
  // at the front and unserved, until self's batch is served; returns its status.
  // Precondition: mutex held, self queued, and either self is the front or it took over the
  // front's gathering. Returns with the mutex released.
  [[nodiscard]] Status CommitGroups(Writer* self) RELEASE(*mu_);
  // Numbers group_batch_ (`batches` user batches, led by `leader`) and commits it through the
  // env (mutex released during I/O).
  [[nodiscard]] Status WriteGroup(const Writer& leader, size_t batches) REQUIRES(*mu_);

  Mutex* const mu_;
  CommitEnv* const env_;
  const size_t max_group_bytes_;

  // ---- Guarded by *mu_ ----
  std::deque<Writer*> writers_ GUARDED_BY(*mu_);
  WriteBatch group_batch_ GUARDED_BY(*mu_);  // used only by the leader
  // The writers whose batches follow the leader's in group_batch_ (not the rejected ones).
  // Filled under the mutex by BuildBatchGroup, then read by the leader alone, with the mutex
  // released, until its group is published: not GUARDED_BY for that reason.
  std::vector<Writer*> group_members_;
  // Set by a member whose own insert ran out of memory, before its kInserted store; read and
  // cleared by the leader after it saw every kInserted (InsertInParallel).
  std::atomic<bool> insert_failed_{false};
  const WriteBatch no_batch_;      // what a leader's validator has ahead of it
  Status error_ GUARDED_BY(*mu_);  // sticky (invariant 3)
  // Group commit gathering (see BeginGathering).
  int sync_writers_inflight_ GUARDED_BY(*mu_) = 0;  // sync writers inside Write
  // Recent peak of sync_writers_inflight_, lowered on timeout.
  int sync_writers_expected_ GUARDED_BY(*mu_) = 1;
  bool leader_gathering_ GUARDED_BY(*mu_) = false;  // the front writer waits for `expected`
  uint32_t next_wake_bit_ GUARDED_BY(*mu_) = 0;  // the next queued writer's bit: 1 << (this % 32)
  uint64_t last_sync_micros_ GUARDED_BY(*mu_) = 0;  // duration of the last WAL fsync
  // Queued sync writers sleep on this word; a leader bumps it, then wakes their bits (WaitWhile).
  std::atomic<uint32_t> writer_wakeups_{0};
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_COMMIT_PIPELINE_H_
