#include "db/commit_pipeline.h"

#include <algorithm>
#include <array>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "util/assert.h"
#include "util/futex.h"

namespace ziggydb {
namespace {

// The group batch keeps its buffer between groups unless one grew it past this.
constexpr size_t kGroupBatchKeepBytes = size_t{4} << 20;
// Upper bound on how long a sync leader waits for more writers to join its group.
constexpr uint64_t kGatherMicrosMax = 1000;

using SteadyClock = std::chrono::steady_clock;

// How long a queued non-sync writer spins before it sleeps: a few groups' worth.
constexpr std::chrono::microseconds kSpinTime{20};

// A hint to the CPU that this thread spins (frees the sibling hyperthread, saves power).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

// How a queued writer learns its fate. It changes under the mutex: from kWaiting to kDone (a
// leader served it and set status) or to kLeader (the previous leader made it the front of
// writers_); a gathering leader's from kLeader to kTakenOver (the writer that completed its group
// commits the group) and later to kDone. The writer reads it without the mutex, so a woken writer
// never has to queue for the mutex its waker holds.
//
// A non-sync writer sleeps on its state word and is woken alone. Sync writers all sleep on one
// word, writer_wakeups_, each with its own bit (wake_bit, one of 32 by queue position): the leader
// that served a group of them wakes them all with one FutexWakeBits, one system call instead of
// one per writer, whose wake-ups the kernel can batch to the other CPU (waking 4 writers one call
// at a time had cost the committing thread ~22 us between two fsyncs). Non-sync writers keep
// their own words: they wait only microseconds, and with them on the shared word too, 4-thread
// fillrandom measured 24x more context switches and ran at 40% of the speed (not analysed
// further).
//
// Parallel memtable inserts (non-sync groups of several batches, see InsertGroup): the leader
// writes the group's WAL record, then offers each waiting member its own insert (kWaiting ->
// kInsert, a compare-and-swap that fails if the member went to sleep), inserts its own batch, and
// then either takes each offered insert back (kInsert -> kStolen) or, if the member claimed it
// (kInsert -> kInserting), waits for it to finish (kInserted). A sleeping member is never woken
// to insert: the leader inserts for it. Only after every insert of the group finished does the
// leader publish the group (invariant 5).
//
// A non-sync writer spins briefly before it sleeps, and sets kSleepingBit in its state word
// (compare-and-swap) when it does: a waker changes the state with an exchange and makes the
// futex call only if the bit was set, so a writer that is still spinning costs no system call.
enum WriterState : uint32_t {
  kWaiting = 0,
  kLeader = 1,
  kDone = 2,
  kTakenOver = 3,
  kInsert = 4,
  kInserting = 5,
  kInserted = 6,
  kStolen = 7,
};
constexpr uint32_t kSleepingBit = 0x100;

struct CommitPipeline::Writer {
  Writer(const WriteBatch* b, const WriteOptions& options, const Validator* v)
      : batch(b), validator(v), sync(options.sync), disable_wal(options.disable_wal) {}

  const WriteBatch* const batch;     // null: a Flush request (switch the memtable, write nothing)
  const Validator* const validator;  // null: none
  const bool sync;
  const bool disable_wal;
  uint32_t wake_bit = 0;  // a sync writer's bit, set under the mutex when queued
  // Where its batch starts in a parallel-insert group: written by the leader before it offers
  // the insert (release), read after the claim (acquire).
  SequenceNumber sequence{};
  bool offered = false;   // the leader offered it its insert (InsertInParallel; leader only)
  Status status;          // set by the serving leader before state becomes kDone
  bool rejected = false;  // its validator failed it in a group (status set then)
  // Copying its group's error into `status` ran out of memory: the writer makes its own.
  bool status_lost = false;
  // Mutable: the writer marks its sleep in it while waiting (WaitWhileSpinning).
  mutable std::atomic<uint32_t> state{kWaiting};
};

namespace {

// The wake-ups a leader owes the writers it served (see WriterState).
class WakeUps {
 public:
  // Once the state is kDone the writer may be gone: only its bit or its word's address is kept.
  // Sets writer's state to `state` and notes the wake-up it needs, if any. Allocates nothing
  // (the serving loop must not throw): past kMaxWords sleepers, it wakes at once.
  template <typename QueuedWriter>  // CommitPipeline::Writer, private to CommitPipeline
  void Set(QueuedWriter* writer, uint32_t state) {
    if (writer->sync) {
      bits_ |= writer->wake_bit;
      writer->state.store(state, std::memory_order_release);
    } else if ((writer->state.exchange(state, std::memory_order_acq_rel) & kSleepingBit) != 0) {
      if (num_words_ < kMaxWords) {
        words_[num_words_++] = &writer->state;
      } else {
        FutexWakeOne(&writer->state);
      }
    }
  }
  // With the mutex released, after the states were published.
  void Send(std::atomic<uint32_t>* shared_word) const {
    for (size_t i = 0; i < num_words_; ++i)
      FutexWakeOne(words_[i]);
    if (bits_ != 0) {
      shared_word->fetch_add(1, std::memory_order_release);
      FutexWakeBits(shared_word, bits_);
    }
  }

 private:
  static constexpr size_t kMaxWords = 32;
  uint32_t bits_ = 0;
  size_t num_words_ = 0;
  std::array<const std::atomic<uint32_t>*, kMaxWords> words_{};
};

// The error of a write that ran out of memory `during` a step. `fatal`: the step may have left
// the DB half changed (a memtable switch, the WAL, the memtable), so writes stop (invariant 3).
Status OutOfMemory(std::string_view during, bool fatal) {
  std::string message = "out of memory ";
  message += during;
  if (fatal) message += "; the DB refuses writes until it is reopened";
  return Status::IOError(message);
}

}  // namespace

CommitPipeline::CommitPipeline(Mutex* mu, CommitEnv* env, size_t max_group_bytes)
    : mu_(mu), env_(env), max_group_bytes_(max_group_bytes) {}

CommitPipeline::~CommitPipeline() {
  MutexLock lock(mu_);
  ZIGGY_ASSERT(writers_.empty());
}

size_t CommitPipeline::TEST_QueuedWriters() const {
  MutexLock lock(mu_);
  return writers_.size();
}

uint32_t CommitPipeline::WaitWhile(const Writer& writer, uint32_t from,
                                   std::optional<SteadyClock::time_point> deadline) {
  // INVARIANT: only sync writers wait with a deadline (a gathering leader).
  ZIGGY_ASSERT(writer.sync || !deadline.has_value());
  while (true) {
    // The shared word first: a wake-up after this load changes it, so the wait cannot miss it.
    const uint32_t wakeups = writer_wakeups_.load(std::memory_order_acquire);
    const uint32_t current = writer.state.load(std::memory_order_acquire);
    if (current != from) return current;
    if (!writer.sync) return WaitWhileSpinning(writer, from);
    if (deadline.has_value() && SteadyClock::now() >= *deadline) return current;
    FutexWaitBits(&writer_wakeups_, wakeups, writer.wake_bit, deadline.has_value(),
                  deadline.value_or(SteadyClock::time_point{}));
  }
}

uint32_t CommitPipeline::WaitWhileSpinning(const Writer& writer, uint32_t from) {
  // The group ahead usually completes within microseconds (a WAL append and a few inserts):
  // spinning that long is cheaper than a futex sleep and wake-up.
  const SteadyClock::time_point spin_until = SteadyClock::now() + kSpinTime;
  std::atomic<uint32_t>* const state = &writer.state;
  for (uint32_t i = 1;; ++i) {
    const uint32_t current = state->load(std::memory_order_acquire);
    if (current != from) return current;
    CpuRelax();
    if (i % 64 == 0 && SteadyClock::now() >= spin_until) break;
  }
  uint32_t current = from;
  while (true) {
    if (current == from &&
        !state->compare_exchange_strong(current, from | kSleepingBit, std::memory_order_acquire)) {
      continue;  // current is the new state (or from again: retry)
    }
    if (current != from && current != (from | kSleepingBit)) return current;
    FutexWait(state, from | kSleepingBit);
    current = state->load(std::memory_order_acquire);
  }
}

bool CommitPipeline::AwaitTurn(Writer* self) {
  uint32_t state = WaitWhile(*self, kWaiting);
  if (state == kInsert) {
    uint32_t offered = kInsert;
    if (self->state.compare_exchange_strong(offered, kInserting, std::memory_order_acquire)) {
      try {
        env_->ApplyToMemtable(*self->batch, self->sequence, /*concurrent=*/true);
      } catch (const std::bad_alloc&) {
        insert_failed_.store(true, std::memory_order_relaxed);  // published by the store below
      }
      // Release: the leader publishes the group only after it acquired this (invariant 5).
      self->state.store(kInserted, std::memory_order_release);
      state = WaitWhile(*self, kInserted);
    } else {
      state = offered;  // the leader took the offer back first (kStolen, or already kDone)
    }
  }
  // The leader may also have taken the offer back before this writer saw it.
  if (state == kStolen) state = WaitWhile(*self, kStolen);
  ZIGGY_ASSERT(state == kDone || state == kLeader);
  if (state == kDone && self->status_lost) self->status = OutOfMemory("reporting an error", false);
  return state == kDone;
}

Status CommitPipeline::Write(const WriteOptions& options, const WriteBatch* batch,
                             const Validator* validator) {
  ZIGGY_ASSERT(batch != nullptr || validator == nullptr);
  Writer self(batch, options, validator);
  mu_->Lock();
  if (self.sync) {
    ++sync_writers_inflight_;
    sync_writers_expected_ = std::max(sync_writers_expected_, sync_writers_inflight_);
    self.wake_bit = uint32_t{1} << (next_wake_bit_++ % 32);
  }
  try {
    writers_.push_back(&self);
  } catch (const std::bad_alloc&) {
    if (self.sync) --sync_writers_inflight_;
    mu_->Unlock();
    return OutOfMemory("queueing a write", /*fatal=*/false);
  }
  if (writers_.size() == 1) {
    self.state.store(kLeader, std::memory_order_relaxed);
  } else if (CompletesGathering(self)) {
    // The leader sleeps until its group is complete, and this writer completes it: commit the
    // group here rather than wake the leader to do it (one wake-up less on the path between
    // two fsyncs). The leader becomes an ordinary member of its group.
    leader_gathering_ = false;
    writers_.front()->state.store(kTakenOver, std::memory_order_release);  // a sync writer
    return CommitGroups(&self);
  } else {
    mu_->Unlock();
    // The serving leader also did this writer's sync accounting: no need to take the mutex.
    if (AwaitTurn(&self)) return self.status;
    mu_->Lock();
  }
  // INVARIANT: this thread is the leader (front of writers_).
  ZIGGY_ASSERT(writers_.front() == &self);
  SteadyClock::time_point deadline;
  if (self.sync && batch != nullptr && BeginGathering(&deadline)) {
    mu_->Unlock();
    // The writer that completes the group takes it over without waking this leader: the leader
    // wakes at its deadline or at its group's wake-up, whichever comes first, and after a
    // takeover waits for the latter (the taker commits this batch with its group).
    WaitWhile(self, kLeader, deadline);
    // The state leaves kLeader only by a takeover, which happens under the mutex: with it held, a
    // state still kLeader means the wait timed out and this leader keeps its group.
    if (self.state.load(std::memory_order_acquire) != kLeader) {
      WaitWhile(self, kTakenOver);
      if (self.status_lost) return OutOfMemory("reporting an error", /*fatal=*/false);
      return self.status;
    }
    mu_->Lock();
    if (self.state.load(std::memory_order_relaxed) != kLeader) {
      mu_->Unlock();
      WaitWhile(self, kTakenOver);
      if (self.status_lost) return OutOfMemory("reporting an error", /*fatal=*/false);
      return self.status;
    }
    EndGathering();
  }
  return CommitGroups(&self);
}

bool CommitPipeline::CompletesGathering(const Writer& writer) const {
  if (!leader_gathering_ || writers_.size() < static_cast<size_t>(sync_writers_expected_)) {
    return false;
  }
  // Only a writer that can share the leader's WAL record may commit the group for it; any
  // other lets the leader's wait time out (a Flush request or a WAL-less write among sync
  // writers is rare).
  return writer.batch != nullptr && writer.disable_wal == writers_.front()->disable_wal;
}

Status CommitPipeline::CommitGroups(Writer* self) {
  while (true) {
    Writer* front = writers_.front();
    Writer* last = front;
    // An allocation failure fails this turn's writers with a Status; where it may have left
    // the DB half changed, it also stops later writes (OutOfMemory's `fatal`). Copying a
    // sticky error allocates too: if that fails, each writer makes its own (status_lost).
    Status s;
    bool status_lost = false;
    try {
      s = error_;
    } catch (const std::bad_alloc&) {
      status_lost = true;
    }
    if (s.ok() && !status_lost) {
      try {
        s = env_->MakeRoom(front->batch, mu_);
      } catch (const std::bad_alloc&) {
        s = error_ = OutOfMemory("making room for a write", /*fatal=*/true);
      }
    }
    // The validator runs after MakeRoom, which may release the mutex, and before anything else
    // can commit: every earlier group is published, no later one exists (invariant 4).
    if (s.ok() && !status_lost && front->validator != nullptr) {
      try {
        s = (*front->validator)(SequenceNumber{raw(env_->LastSequence()) + 1}, no_batch_);
      } catch (const std::bad_alloc&) {
        s = OutOfMemory("validating a write", /*fatal=*/false);
      }
    }
    if (s.ok() && !status_lost && front->batch != nullptr) {
      size_t batches = 0;
      try {
        BuildBatchGroup(&last, &batches);
      } catch (const std::bad_alloc&) {
        s = OutOfMemory("forming a write group", /*fatal=*/false);  // nothing written yet
      }
      if (s.ok()) s = WriteGroup(*front, batches);
      if (group_batch_.ApproximateSize() > kGroupBatchKeepBytes) group_batch_ = WriteBatch();
    }
    // Pop the group and hand the queue to the next writer, then wake them all with the mutex
    // released. Once a writer's state is kDone it may return and free its Writer: only its
    // bit, or the address of its state word, is kept.
    WakeUps wake;
    bool served_self = false;
    while (true) {
      Writer* served = writers_.front();
      writers_.pop_front();
      if (served == self) {
        served_self = true;
      } else {
        if (served->sync) --sync_writers_inflight_;
        if (status_lost) {
          served->status_lost = true;
        } else if (!served->rejected) {
          try {
            served->status = s;  // copying an error allocates
          } catch (const std::bad_alloc&) {
            served->status_lost = true;
          }
        }
        wake.Set(served, kDone);
      }
      if (served == last) break;
    }
    // A writer that completed a gathering may not fit in the group it commits (group bytes).
    const bool lead_again = !served_self && writers_.front() == self;
    if (!writers_.empty() && !lead_again) wake.Set(writers_.front(), kLeader);
    if (served_self && self->sync) --sync_writers_inflight_;
    mu_->Unlock();
    wake.Send(&writer_wakeups_);
    if (served_self) {
      if (status_lost) return OutOfMemory("reporting an error", /*fatal=*/false);
      return self->rejected ? self->status : s;
    }
    if (!lead_again && AwaitTurn(self)) return self->status;
    mu_->Lock();
    ZIGGY_ASSERT(writers_.front() == self);
  }
}

bool CommitPipeline::BeginGathering(SteadyClock::time_point* deadline) {
  // Sync writers in a loop come back microseconds after their group is acknowledged. A leader
  // that syncs at once splits N such threads into two alternating groups (2 fsyncs per N
  // writes); waiting a fraction of one fsync for the writers seen recently lets one fsync serve
  // them all. The writer completing the group commits it (CompletesGathering); after a timeout
  // the estimate drops to the writers that did come, so idle threads cost one short wait at
  // most.
  const size_t expected = static_cast<size_t>(sync_writers_expected_);
  if (writers_.size() >= expected || last_sync_micros_ == 0) return false;
  const uint64_t budget_micros = std::clamp<uint64_t>(last_sync_micros_ / 2, 1, kGatherMicrosMax);
  *deadline = SteadyClock::now() + std::chrono::microseconds(budget_micros);
  leader_gathering_ = true;
  return true;
}

void CommitPipeline::EndGathering() {
  leader_gathering_ = false;
  sync_writers_expected_ = std::max<int>(1, static_cast<int>(writers_.size()));
}

void CommitPipeline::BuildBatchGroup(Writer** last, size_t* batches) {
  const Writer* leader = writers_.front();
  ZIGGY_ASSERT(leader->batch != nullptr);
  group_batch_ = *leader->batch;
  size_t group_bytes = WriteBatchInternal::ByteSize(group_batch_);
  *last = writers_.front();
  *batches = 1;
  group_members_.clear();
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* writer = *it;
    // A Flush request leads its own turn; a sync write never rides on a non-sync leader (it
    // would return before its fsync); WAL and no-WAL writes never share a record.
    if (writer->batch == nullptr || (writer->sync && !leader->sync) ||
        writer->disable_wal != leader->disable_wal) {
      break;
    }
    const size_t added = WriteBatchInternal::ByteSize(*writer->batch) - kWriteBatchHeaderBytes;
    if (group_bytes + added > max_group_bytes_) break;
    if (writer->validator != nullptr) {
      // Invariant 4: the published state plus the batches ahead in this group.
      const SequenceNumber first{raw(env_->LastSequence()) + 1 +
                                 WriteBatchInternal::Count(group_batch_)};
      Status verdict = (*writer->validator)(first, group_batch_);
      if (!verdict.ok()) {
        writer->status = std::move(verdict);
        writer->rejected = true;
        *last = writer;  // served (with its own status) when the group is
        continue;
      }
    }
    WriteBatchInternal::Append(&group_batch_, *writer->batch);
    group_members_.push_back(writer);
    group_bytes += added;
    *last = writer;
    ++*batches;
  }
  ZIGGY_ASSERT(group_batch_.status().ok());
}

Status CommitPipeline::WriteGroup(const Writer& leader, size_t batches) {
  const uint64_t last_sequence = raw(env_->LastSequence());
  const uint32_t count = WriteBatchInternal::Count(group_batch_);
  if (count > kMaxSequenceNumber - last_sequence) {
    return Status::NotSupported("sequence numbers exhausted");
  }
  const SequenceNumber first{last_sequence + 1};
  WriteBatchInternal::SetSequence(&group_batch_, first);
  const ::ziggydb::CommitGroup group{&group_batch_, batches,
                                     WriteBatchInternal::ByteSize(*leader.batch), leader.sync,
                                     leader.disable_wal};
  // A sync group is waiting for its fsync, not for the inserts; its members sleep on the shared
  // word and insert nothing themselves.
  const bool parallel = !leader.sync && !group_members_.empty();
  if (parallel) {
    uint64_t next = raw(first) + WriteBatchInternal::Count(*leader.batch);
    for (Writer* member : group_members_) {
      member->sequence = SequenceNumber{next};
      next += WriteBatchInternal::Count(*member->batch);
    }
  }
  try {
    env_->BeginGroup(group);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("starting a write group", /*fatal=*/false);  // nothing written yet
  }
  Status s;
  uint64_t sync_micros = 0;
  {
    MutexUnlock unlock(mu_);
    // INVARIANT: only the leader runs these steps while the mutex is released (the members it
    // hands inserts to run only ApplyToMemtable, and are done before it relocks: invariant 5).
    // From here on a failure may leave part of the group in the WAL or the memtable: it goes
    // to FinishGroup as the group's failure, which stops writes.
    try {
      if (!group.disable_wal) s = env_->WriteToWal(group, &sync_micros);
    } catch (const std::bad_alloc&) {
      s = OutOfMemory("writing the WAL", /*fatal=*/true);
    }
    if (s.ok()) {
      if (parallel) {
        s = InsertInParallel(leader, first);
      } else {
        try {
          env_->ApplyToMemtable(*group.batch, first, /*concurrent=*/false);
        } catch (const std::bad_alloc&) {
          s = OutOfMemory("inserting into the memtable", /*fatal=*/true);
        }
      }
    }
  }
  if (sync_micros > 0) last_sync_micros_ = sync_micros;
  try {
    s = env_->FinishGroup(group, s, mu_);
  } catch (const std::bad_alloc&) {
    s = OutOfMemory("publishing a write group", /*fatal=*/true);
  }
  if (!s.ok()) error_ = s;
  return s;
}

Status CommitPipeline::InsertInParallel(const Writer& leader, SequenceNumber first) {
  bool failed = false;  // an insert ran out of memory
  // Offer each member its insert; one that is asleep keeps sleeping (see WriterState).
  for (Writer* member : group_members_) {
    uint32_t waiting = kWaiting;
    member->offered =
        member->state.compare_exchange_strong(waiting, kInsert, std::memory_order_release);
  }
  // Every offer is settled before returning, even after a failure: members use group state.
  try {
    env_->ApplyToMemtable(*leader.batch, first, /*concurrent=*/true);
  } catch (const std::bad_alloc&) {
    failed = true;
  }
  for (Writer* member : group_members_) {
    uint32_t offered = kInsert;
    if (!member->offered ||
        member->state.compare_exchange_strong(offered, kStolen, std::memory_order_acquire)) {
      try {
        env_->ApplyToMemtable(*member->batch, member->sequence, /*concurrent=*/true);
      } catch (const std::bad_alloc&) {
        failed = true;
      }
      continue;
    }
    // Claimed: the member is running its insert. Acquire pairs with its kInserted store.
    for (uint32_t i = 1;
         (member->state.load(std::memory_order_acquire) & ~kSleepingBit) != kInserted; ++i) {
      if (i % 256 == 0) {
        std::this_thread::yield();  // it may have been preempted
      } else {
        CpuRelax();
      }
    }
  }
  // Acquired with the members' kInserted stores above.
  if (insert_failed_.exchange(false, std::memory_order_relaxed)) failed = true;
  return failed ? OutOfMemory("inserting into the memtable", /*fatal=*/true) : Status::OK();
}

}  // namespace ziggydb
