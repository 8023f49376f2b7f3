// CommitPipeline: the write path's group commit. Writers queue; the front writer (the leader)
// makes room, merges the compatible batches queued behind it into one group, gives the group its
// sequence numbers, and with the mutex released writes it to the WAL as one record (synced at
// most once). Then the group is inserted into the memtable (its members inserting their own
// batches in parallel: invariant 5) and published in sequence order (invariant 6). A non-sync
// leader hands the front to the next writer right after its WAL write, so that group N+1's WAL
// write and inserts overlap group N's inserts (invariant 7): the WAL is written by one leader at
// a time, the memtable by many.
//
// The pipeline knows nothing of the DB: it works through a CommitEnv (make room, sequence,
// WAL, memtable, publication), so it can be tested without one (commit_pipeline_test.cc).
//
// Thread safety: every method may be called from any thread. The pipeline's state is guarded by
// the mutex given at construction, which is also the one CommitEnv's locked steps expect held
// (the DB's mutex: making room and publishing touch DB state).
// Invariants:
//   1. Groups are numbered and written to the WAL one at a time, in queue order: a group's
//      sequence numbers follow the previous group's, and WAL order is sequence order.
//   2. A writer is acknowledged only after its group was published, and (sync writers) after the
//      WAL sync that covers it; a sync batch never rides on a non-sync leader.
//   3. Once a group's WAL write or publication fails (CommitEnv::FinishWalWrite,
//      CommitEnv::PublishGroup), the error is sticky: every later write returns it without
//      reaching the CommitEnv, and the groups still inserting behind the failed one are not
//      published. So is running out of memory (std::bad_alloc) where it may leave the DB half
//      changed: thrown by MakeRoom (which returns a Status for a failure that changed nothing),
//      in the WAL write, the memtable inserts or the publication. Before those
//      (queueing, validating, forming the group) it fails only the writes of that turn, with a
//      Status. No exception leaves Write with the mutex held or a writer queued.
//   4. A writer's validator (CommitPipeline::Write) runs under the mutex after every earlier
//      group was published (the leader waits for the groups still inserting: AwaitPublished)
//      and before its own batch gets its sequence numbers. It is given the batches ahead of it in
//      its own group (numbered before it, not yet published; none when it leads): with the
//      published state they are every earlier commit, and no later one exists.
//   5. A non-sync group of several batches is inserted into the memtable in parallel: after the
//      WAL write, each member inserts its own batch at its own sequence numbers (or the leader
//      does it for a member that is asleep), and the group is complete only after every insert
//      of it finished.
//   6. Groups are published in sequence order: a complete group is published (CommitEnv::
//      PublishGroup) only after every earlier group was, by whichever thread completes the last
//      of them, so a reader never sees a sequence number while a lower one is missing from the
//      memtable. A writer returns only after its group was published.
//   7. Inserts of several groups may overlap (a leader that handed the front on inserts while
//      the next group is written): the memtable is then written only with AddConcurrently
//      (ApplyToMemtable's `concurrent`). A group inserts with the single-writer Add only if no
//      earlier group was still inserting when it formed and it kept the front until published.
//      The memtable is switched only when no group is inserting (CommitPipeline::AwaitPublished,
//      called by the env's MakeRoom before a switch).
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
  // Holds the group's first sequence number (SetSequence). The pipeline reuses it for the next
  // group once this one's WAL write is over: PublishGroup must use the fields below instead.
  WriteBatch* batch = nullptr;
  size_t batches = 0;         // user batches merged into it
  uint64_t leader_bytes = 0;  // the encoded size of the leader's own batch
  bool sync = false;          // sync the WAL before acknowledging
  bool disable_wal = false;   // apply to the memtable only
  SequenceNumber first{};     // the group's first sequence number
  uint32_t count = 0;         // its records (sequence numbers first .. first + count - 1)
  uint64_t batch_bytes = 0;   // the encoded size of the merged batch
};

// What the pipeline needs from the DB. The pipeline calls each step in the order listed: MakeRoom
// to FinishWalWrite from the leader, one group at a time; ApplyToMemtable and PublishGroup from
// the group's threads, possibly while the next group runs the earlier steps (invariant 7). A
// Flush request, a failed MakeRoom or a rejected validator ends the turn after MakeRoom.
class CommitEnv {
 public:
  virtual ~CommitEnv() = default;
  // Mutex `mu` (the pipeline's) held; may be released while waiting. Makes room for the group
  // led by `leader` (throttling, memtable switch); leader == nullptr is a Flush request, which
  // forces a memtable switch and writes nothing. Before switching the memtable it must call
  // CommitPipeline::AwaitPublished. An error fails this group only.
  [[nodiscard]] virtual Status MakeRoom(const WriteBatch* leader, Mutex* mu) REQUIRES(mu) = 0;
  // Mutex held. The last published sequence number (PublishGroup).
  [[nodiscard]] virtual SequenceNumber LastSequence() const = 0;
  // Mutex held, not released: the group is formed and numbered. The env notes what the unlocked
  // steps need (which log, which memtable) and charges its write delay. Earlier groups may still
  // be inserting into the memtable noted (it changes only after AwaitPublished).
  virtual void BeginGroup(const CommitGroup& group) = 0;
  // Mutex released. Appends the group to the WAL as one record and, if group.sync, syncs it;
  // *sync_micros is that fsync's duration (0: none). Not called with group.disable_wal.
  [[nodiscard]] virtual Status WriteToWal(const CommitGroup& group, uint64_t* sync_micros) = 0;
  // Mutex `mu` held; may be released meanwhile. `written`: WriteToWal's status. Ends the WAL
  // write; on OK returns OK, otherwise the error every writer of this and every later group gets
  // (invariant 3).
  [[nodiscard]] virtual Status FinishWalWrite(const CommitGroup& group, const Status& written,
                                              Mutex* mu) REQUIRES(mu) = 0;
  // Mutex released, after WriteToWal succeeded (or was skipped): inserts `batch`, its records
  // numbered from `first`, into the memtable BeginGroup noted. Cannot fail: the batches were
  // built through the WriteBatch API. Either once for the whole group (the group's batch), or
  // once per batch of the group. concurrent: other threads may insert at the same time (the
  // group's members, or other groups: invariants 5 and 7).
  virtual void ApplyToMemtable(const WriteBatch& batch, SequenceNumber first, bool concurrent) = 0;
  // Mutex `mu` held; may be released meanwhile. Called in sequence order once every earlier
  // group was published (invariant 6); `inserted`: whether the group's inserts succeeded. On OK,
  // publishes the group's sequence numbers (group.first .. group.first + group.count - 1) and
  // returns OK; otherwise returns the error every writer of this and every later group gets.
  [[nodiscard]] virtual Status PublishGroup(const CommitGroup& group, const Status& inserted,
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
  // Waits (releasing `mu`, the pipeline's mutex) until every numbered group was published: no
  // insert runs into the memtable and LastSequence is the last sequence number given out. For
  // the env's MakeRoom before a memtable switch (invariant 7).
  void AwaitPublished(Mutex* mu) REQUIRES(mu);
  // For tests: the writers queued now, the leader included. Takes the mutex.
  size_t TEST_QueuedWriters() const EXCLUDES(*mu_);

 private:
  struct Writer;
  class WakeUps;
  // A numbered group between its WAL write and its publication (invariant 6), on the stack of
  // the thread that committed it, which returns only after the group was published.
  struct InFlight {
    CommitGroup group;
    // The group's writers (Writer::next_served), its leader first; `committer` among them
    // unless it committed the group of a gathering leader without fitting into it.
    Writer* writers = nullptr;
    Writer* committer = nullptr;
    InFlight* next = nullptr;  // the next group in sequence order
    bool complete = false;     // every insert of the group finished
    bool published = false;    // unlinked: its writers were given their status
    Status inserted;           // the inserts' outcome (an allocation failure)
  };

  // Merges the batches of the writers behind the front one that can share its WAL record into
  // group_batch_, running the validators of those that have one (a rejected writer is marked,
  // keeps its status and is served with the group); chains the front and the accepted writers
  // through Writer::next_served; *last is the last writer taken. A writer with a validator
  // first waits (mutex released) for the groups still inserting (invariant 4).
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
  // The leader's part of a parallel insert (invariant 5), mutex released: offers the other
  // writers of its chain (Writer::next_served) their inserts, inserts its own batch (numbered
  // from `first`), takes over the offers not yet claimed, and waits for the claimed ones.
  // Returns an error if an insert ran out of memory (the group is then partly inserted).
  [[nodiscard]] Status InsertInParallel(const Writer& leader, SequenceNumber first);
  // Commits the group at the front of writers_ on this thread, and the next ones while self is
  // at the front and unserved, until self's batch is served; returns its status.
  // Precondition: mutex held, self queued, and either self is the front or it took over the
  // front's gathering. Returns with the mutex released.
  [[nodiscard]] Status CommitGroups(Writer* self) RELEASE(*mu_);
  // Numbers group_batch_ (`batches` user batches, of the writers from the front through
  // `last`), writes it to the WAL, inserts it and enters it into the in-flight list as *unit;
  // pops its writers off writers_ and hands the front on (mutex released during I/O, and during
  // the inserts if it hands the front on before them: invariant 7). Returns with the mutex held,
  // whether self was among the writers served; on error the group was served at once and
  // *unit is not in the list. If self is not among the group's writers, *unit is published on
  // return.
  [[nodiscard]] bool WriteGroup(Writer* self, Writer* last, size_t batches, InFlight* unit,
                                WakeUps* wake) REQUIRES(*mu_);
  // Pops writers_ from the front through `last`. With `unit`, the accepted writers are left to
  // its publication; otherwise (and always the rejected ones) each is given status `s` (unless
  // rejected) and kDone. Returns whether self was among them.
  [[nodiscard]] bool Serve(Writer* self, Writer* last, const Status& s, bool status_lost,
                           const InFlight* unit, WakeUps* wake) REQUIRES(*mu_);
  // Appends unit to the in-flight list (sequence order).
  void Enqueue(InFlight* unit) REQUIRES(*mu_);
  // Publishes the complete groups at the head of the in-flight list, in order (invariant 6),
  // giving their writers their status; self (this thread) gets no wake-up.
  void PublishCompleted(const Writer* self, WakeUps* wake) REQUIRES(*mu_);
  // AwaitPublished with the pipeline's own mutex.
  void AwaitPublishedLocked() REQUIRES(*mu_);

  Mutex* const mu_;
  CommitEnv* const env_;
  const size_t max_group_bytes_;

  // ---- Guarded by *mu_ ----
  std::deque<Writer*> writers_ GUARDED_BY(*mu_);
  WriteBatch group_batch_ GUARDED_BY(*mu_);  // used only by the leader
  const WriteBatch no_batch_;                // what a leader's validator has ahead of it
  Status error_ GUARDED_BY(*mu_);            // sticky (invariant 3)
  // The groups numbered and written but not yet published, oldest first (invariant 6).
  InFlight* inflight_head_ GUARDED_BY(*mu_) = nullptr;
  InFlight* inflight_tail_ GUARDED_BY(*mu_) = nullptr;
  // Set when a group's publication failed: the groups behind it fail with it (invariant 3).
  Status publish_error_ GUARDED_BY(*mu_);
  CondVar published_cv_;  // signalled when the in-flight list becomes empty
  int publish_waiters_ GUARDED_BY(*mu_) = 0;
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
