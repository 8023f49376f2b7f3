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
// leader served it, or the thread that published its group, and set status) or to kLeader (the
// previous leader made it the front of writers_); a gathering leader's from kLeader to kTakenOver
// (the writer that completed its group commits the group) and later to kDone. A leader whose
// group waits for an earlier one to be published keeps kLeader (or kWaiting, a writer that took
// over a gathering) until the publishing thread sets kDone. The writer reads it without the mutex,
// so a woken writer never has to queue for the mutex its waker holds.
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
// Parallel memtable inserts (non-sync groups of several batches, see InsertInParallel): the leader
// writes the group's WAL record, then offers each waiting member its own insert (kWaiting ->
// kInsert, a compare-and-swap that fails if the member went to sleep), inserts its own batch, and
// then either takes each offered insert back (kInsert -> kStolen) or, if the member claimed it
// (kInsert -> kInserting), waits for it to finish (kInserted). A sleeping member is never woken
// to insert: the leader inserts for it. Only after every insert of the group finished is the group
// complete, and published once every earlier group is (invariants 5 and 6); the members' offers
// are made after the leader handed the front on, so they overlap the next group (invariant 7).
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
  // The next writer of its group's chain (BuildBatchGroup), read by the leader during a parallel
  // insert and by the thread that publishes the group.
  Writer* next_served = nullptr;
  // Where its batch starts in a parallel-insert group: written by the leader before it offers
  // the insert (release), read after the claim (acquire).
  SequenceNumber sequence{};
  bool offered = false;  // the leader offered it its insert (InsertInParallel; leader only)
  // Its own insert ran out of memory: set before its kInserted store, read by the leader after.
  bool insert_failed = false;
  Status status;          // set by the serving leader before state becomes kDone
  bool rejected = false;  // its validator failed it in a group (status set then)
  // Copying its group's error into `status` ran out of memory: the writer makes its own.
  bool status_lost = false;
  // Mutable: the writer marks its sleep in it while waiting (WaitWhileSpinning).
  mutable std::atomic<uint32_t> state{kWaiting};
};

// The wake-ups a leader owes the writers it served (see WriterState).
class CommitPipeline::WakeUps {
 public:
  // Once the state is kDone the writer may be gone: only its bit or its word's address is kept.
  // Sets writer's state to `state` and notes the wake-up it needs, if any. Allocates nothing
  // (the serving loop must not throw): past kMaxWords sleepers, it wakes at once.
  void Set(Writer* writer, uint32_t state) {
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

namespace {

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
  ZIGGY_ASSERT(inflight_head_ == nullptr);
}

void CommitPipeline::AwaitPublished(Mutex* mu) {
  ZIGGY_ASSERT(mu == mu_);
  mu_->AssertHeld();
  AwaitPublishedLocked();
}

void CommitPipeline::AwaitPublishedLocked() {
  while (inflight_head_ != nullptr) {
    ++publish_waiters_;
    published_cv_.Wait(mu_);
    --publish_waiters_;
  }
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
        self->insert_failed = true;  // published by the store below
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

namespace {

// Gives a served writer its status; copying an error allocates, and if that fails the writer
// makes its own (status_lost).
template <typename ServedWriter>  // CommitPipeline::Writer, private to CommitPipeline
void SetStatus(ServedWriter* writer, const Status& s, bool status_lost) {
  if (status_lost) {
    writer->status_lost = true;
    return;
  }
  try {
    writer->status = s;
  } catch (const std::bad_alloc&) {
    writer->status_lost = true;
  }
}

}  // namespace

Status CommitPipeline::CommitGroups(Writer* self) {
  while (true) {
    Writer* const front = writers_.front();
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
    // can commit, once every earlier group is published: no later one exists (invariant 4).
    if (s.ok() && !status_lost && front->validator != nullptr) {
      AwaitPublishedLocked();
      try {
        s = (*front->validator)(SequenceNumber{raw(env_->LastSequence()) + 1}, no_batch_);
      } catch (const std::bad_alloc&) {
        s = OutOfMemory("validating a write", /*fatal=*/false);
      }
    }
    size_t batches = 0;
    if (s.ok() && !status_lost && front->batch != nullptr) {
      try {
        BuildBatchGroup(&last, &batches);
      } catch (const std::bad_alloc&) {
        s = OutOfMemory("forming a write group", /*fatal=*/false);  // nothing written yet
        batches = 0;
      }
    }
    // MakeRoom, the validators' wait for publication and BuildBatchGroup's may release the
    // mutex: an earlier group that failed meanwhile fails this one too (invariant 3).
    if (batches > 0 && !error_.ok()) {
      batches = 0;
      try {
        s = error_;
      } catch (const std::bad_alloc&) {
        status_lost = true;
      }
    }
    // Pop the group and hand the queue to the next writer, then wake them with the mutex
    // released. Once a writer's state is kDone it may return and free its Writer: only its
    // bit, or the address of its state word, is kept.
    WakeUps wake;
    InFlight unit;  // this thread returns (or leads again) only after it was published
    const bool served_self = batches > 0 ? WriteGroup(self, last, batches, &unit, &wake)
                                         : Serve(self, last, s, status_lost, nullptr, &wake);
    // A writer that completed a gathering may not fit in the group it commits (group bytes);
    // WriteGroup then published that group before returning.
    const bool lead_again = !served_self && writers_.front() == self;
    // Self's group still waits for an earlier one: its publisher sets self's state to kDone.
    const bool await_publication = served_self && unit.committer == self && !unit.published;
    const uint32_t state = self->state.load(std::memory_order_relaxed);
    mu_->Unlock();
    wake.Send(&writer_wakeups_);
    if (served_self) {
      if (await_publication) {
        [[maybe_unused]] const uint32_t done = WaitWhile(*self, state);
        ZIGGY_ASSERT(done == kDone);
      }
      if (self->status_lost) return OutOfMemory("reporting an error", /*fatal=*/false);
      return self->status;
    }
    if (!lead_again && AwaitTurn(self)) return self->status;
    mu_->Lock();
    ZIGGY_ASSERT(writers_.front() == self);
  }
}

bool CommitPipeline::Serve(Writer* self, Writer* last, const Status& s, bool status_lost,
                           const InFlight* unit, WakeUps* wake) {
  bool served_self = false;
  while (true) {
    Writer* served = writers_.front();
    writers_.pop_front();
    if (served->sync) --sync_writers_inflight_;
    if (served == self) served_self = true;
    // A group's accepted writers get their status when it is published; a rejected one has its
    // own already.
    if (unit == nullptr || served->rejected) {
      if (!served->rejected) SetStatus(served, s, status_lost);
      if (served != self) wake->Set(served, kDone);
    }
    if (served == last) break;
  }
  if (!writers_.empty() && writers_.front() != self) wake->Set(writers_.front(), kLeader);
  return served_self;
}

void CommitPipeline::Enqueue(InFlight* unit) {
  unit->next = nullptr;
  if (inflight_tail_ != nullptr) {
    inflight_tail_->next = unit;
  } else {
    inflight_head_ = unit;
  }
  inflight_tail_ = unit;
}

void CommitPipeline::PublishCompleted(const Writer* self, WakeUps* wake) {
  while (inflight_head_ != nullptr && inflight_head_->complete) {
    InFlight* const unit = inflight_head_;
    inflight_head_ = unit->next;
    if (inflight_head_ == nullptr) inflight_tail_ = nullptr;
    Status s;
    try {
      if (!publish_error_.ok()) {
        s = publish_error_;  // an earlier group failed: this one is not published (invariant 3)
      } else {
        // Before the env may release the mutex: the groups behind must not be published.
        if (!unit->inserted.ok()) publish_error_ = error_ = unit->inserted;
        s = env_->PublishGroup(unit->group, unit->inserted, mu_);
        if (!s.ok()) publish_error_ = error_ = s;
      }
    } catch (const std::bad_alloc&) {
      s = publish_error_ = error_ = OutOfMemory("publishing a write group", /*fatal=*/true);
    }
    // The unit lives on its committer's stack, which may return once its writer is kDone.
    unit->published = true;
    for (Writer* writer = unit->writers; writer != nullptr;) {
      Writer* const next = writer->next_served;
      SetStatus(writer, s, /*status_lost=*/false);
      if (writer != self) wake->Set(writer, kDone);
      writer = next;
    }
  }
  if (inflight_head_ == nullptr && publish_waiters_ > 0) published_cv_.NotifyAll();
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
  Writer* const leader = writers_.front();
  ZIGGY_ASSERT(leader->batch != nullptr);
  // group_batch_ is the front leader's from here until its WAL write ends (a group handed on
  // inserts from its writers' own batches): only here may it be freed. Moved out, its buffer
  // goes; assigning a small batch would keep it.
  if (WriteBatchInternal::Capacity(group_batch_) > kGroupBatchKeepBytes) {
    [[maybe_unused]] const WriteBatch released = std::move(group_batch_);
  }
  group_batch_ = *leader->batch;
  size_t group_bytes = WriteBatchInternal::ByteSize(group_batch_);
  *last = leader;
  *batches = 1;
  leader->next_served = nullptr;
  Writer* chain_tail = leader;
  // By index: waiting for the groups still inserting releases the mutex, and writers may queue.
  for (size_t index = 1; index < writers_.size(); ++index) {
    Writer* writer = writers_[index];
    // A Flush request leads its own turn; a sync write never rides on a non-sync leader (it
    // would return before its fsync); WAL and no-WAL writes never share a record.
    if (writer->batch == nullptr || (writer->sync && !leader->sync) ||
        writer->disable_wal != leader->disable_wal) {
      break;
    }
    const size_t added = WriteBatchInternal::ByteSize(*writer->batch) - kWriteBatchHeaderBytes;
    if (group_bytes + added > max_group_bytes_) break;
    if (writer->validator != nullptr) {
      // Invariant 4: the published state, once every earlier group is published (the front
      // stays this leader's meanwhile), plus the batches ahead in this group.
      AwaitPublishedLocked();
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
    writer->next_served = nullptr;
    chain_tail->next_served = writer;
    chain_tail = writer;
    group_bytes += added;
    *last = writer;
    ++*batches;
  }
  ZIGGY_ASSERT(group_batch_.status().ok());
}

bool CommitPipeline::WriteGroup(Writer* self, Writer* last, size_t batches, InFlight* unit,
                                WakeUps* wake) {
  Writer* const leader = writers_.front();
  // Groups still inserting hold the sequence numbers after the published ones.
  const uint64_t last_sequence =
      inflight_tail_ != nullptr ? raw(inflight_tail_->group.first) + inflight_tail_->group.count - 1
                                : raw(env_->LastSequence());
  const uint32_t count = WriteBatchInternal::Count(group_batch_);
  if (count > kMaxSequenceNumber - last_sequence) {
    return Serve(self, last, Status::NotSupported("sequence numbers exhausted"), false, nullptr,
                 wake);
  }
  const SequenceNumber first{last_sequence + 1};
  WriteBatchInternal::SetSequence(&group_batch_, first);
  const ::ziggydb::CommitGroup group{&group_batch_,
                                     batches,
                                     WriteBatchInternal::ByteSize(*leader->batch),
                                     leader->sync,
                                     leader->disable_wal,
                                     first,
                                     count,
                                     WriteBatchInternal::ByteSize(group_batch_)};
  // A sync group is waiting for its fsync, not for the inserts; its members sleep on the shared
  // word and insert nothing themselves.
  const bool parallel = !leader->sync && leader->next_served != nullptr;
  bool self_in_chain = false;
  uint64_t next = raw(first);
  for (Writer* writer = leader; writer != nullptr; writer = writer->next_served) {
    writer->sequence = SequenceNumber{next};
    next += WriteBatchInternal::Count(*writer->batch);
    if (writer == self) self_in_chain = true;
  }
  // Earlier groups still inserting: this group's inserts run alongside theirs (invariant 7).
  const bool older_inserts = inflight_head_ != nullptr;
  try {
    env_->BeginGroup(group);
  } catch (const std::bad_alloc&) {
    // Nothing written yet.
    return Serve(self, last, OutOfMemory("starting a write group", false), false, nullptr, wake);
  }
  Status s;
  Status inserted;
  uint64_t sync_micros = 0;
  bool hand_on = false;
  {
    MutexUnlock unlock(mu_);
    // INVARIANT: only the leader runs these steps while the mutex is released (the members it
    // hands inserts to run only ApplyToMemtable). From here on a failure may leave part of the
    // group in the WAL or the memtable: it stops writes (invariant 3).
    try {
      if (!group.disable_wal) s = env_->WriteToWal(group, &sync_micros);
    } catch (const std::bad_alloc&) {
      s = OutOfMemory("writing the WAL", /*fatal=*/true);
    }
    // Let the next writer write its group while this one inserts (invariant 7). A sync group's
    // writers wait for the fsync anyway; a writer that took over a gathering leader's group
    // may not be in it.
    hand_on = s.ok() && !leader->sync && leader == self;
    if (s.ok() && !hand_on) {
      if (parallel) {
        inserted = InsertInParallel(*leader, first);
      } else {
        try {
          env_->ApplyToMemtable(*group.batch, first, /*concurrent=*/older_inserts);
        } catch (const std::bad_alloc&) {
          inserted = OutOfMemory("inserting into the memtable", /*fatal=*/true);
        }
      }
    }
  }
  if (sync_micros > 0) last_sync_micros_ = sync_micros;
  try {
    s = env_->FinishWalWrite(group, s, mu_);
  } catch (const std::bad_alloc&) {
    s = OutOfMemory("writing the WAL", /*fatal=*/true);
  }
  if (!s.ok()) {
    error_ = s;
    return Serve(self, last, s, false, nullptr, wake);
  }
  unit->group = group;
  unit->writers = leader;
  unit->committer = self;
  if (!hand_on) {
    // This thread returns only after its unit was published: if it is not among the group's
    // writers, no one wakes it for that, so every earlier group must be published first.
    if (!self_in_chain) AwaitPublishedLocked();
    unit->complete = true;
    unit->inserted = std::move(inserted);
    Enqueue(unit);
    const bool served_self = Serve(self, last, Status(), false, unit, wake);
    PublishCompleted(self, wake);
    return served_self;
  }
  Enqueue(unit);
  [[maybe_unused]] const bool served_self = Serve(self, last, Status(), false, unit, wake);
  ZIGGY_ASSERT(served_self);
  mu_->Unlock();
  wake->Send(&writer_wakeups_);
  *wake = WakeUps();
  inserted = InsertInParallel(*leader, first);
  mu_->Lock();
  unit->complete = true;
  unit->inserted = std::move(inserted);
  PublishCompleted(self, wake);
  return true;
}

Status CommitPipeline::InsertInParallel(const Writer& leader, SequenceNumber first) {
  bool failed = false;  // an insert ran out of memory
  // Offer each member its insert; one that is asleep keeps sleeping (see WriterState).
  for (Writer* member = leader.next_served; member != nullptr; member = member->next_served) {
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
  for (Writer* member = leader.next_served; member != nullptr; member = member->next_served) {
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
    if (member->insert_failed) failed = true;  // written before its kInserted store
  }
  return failed ? OutOfMemory("inserting into the memtable", /*fatal=*/true) : Status::OK();
}

}  // namespace ziggydb
