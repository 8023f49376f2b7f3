#include "db/commit_pipeline.h"

#include <algorithm>
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
enum WriterState : uint32_t { kWaiting = 0, kLeader = 1, kDone = 2, kTakenOver = 3 };

struct CommitPipeline::Writer {
  Writer(const WriteBatch* b, const WriteOptions& options, const Validator* v)
      : batch(b), validator(v), sync(options.sync), disable_wal(options.disable_wal) {}

  const WriteBatch* const batch;     // null: a Flush request (switch the memtable, write nothing)
  const Validator* const validator;  // null: none
  const bool sync;
  const bool disable_wal;
  uint32_t wake_bit = 0;  // a sync writer's bit, set under the mutex when queued
  Status status;          // set by the serving leader before state becomes kDone
  bool rejected = false;  // its validator failed it in a group (status set then)
  std::atomic<uint32_t> state{kWaiting};
};

namespace {

// The wake-ups a leader owes the writers it served (see WriterState).
class WakeUps {
 public:
  // Call before the writer's new state is published: after that it may be gone.
  template <typename QueuedWriter>  // CommitPipeline::Writer, private to CommitPipeline
  void Add(const QueuedWriter& writer) {
    if (writer.sync) {
      bits_ |= writer.wake_bit;
    } else {
      words_.push_back(&writer.state);
    }
  }
  // With the mutex released, after the states were published.
  void Send(std::atomic<uint32_t>* shared_word) const {
    for (const std::atomic<uint32_t>* word : words_)
      FutexWakeOne(word);
    if (bits_ != 0) {
      shared_word->fetch_add(1, std::memory_order_release);
      FutexWakeBits(shared_word, bits_);
    }
  }

 private:
  uint32_t bits_ = 0;
  std::vector<const std::atomic<uint32_t>*> words_;
};

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
    if (!writer.sync) {
      FutexWait(&writer.state, from);
      continue;
    }
    if (deadline.has_value() && SteadyClock::now() >= *deadline) return current;
    FutexWaitBits(&writer_wakeups_, wakeups, writer.wake_bit, deadline.has_value(),
                  deadline.value_or(SteadyClock::time_point{}));
  }
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
  writers_.push_back(&self);
  if (writers_.size() == 1) {
    self.state.store(kLeader, std::memory_order_relaxed);
  } else if (CompletesGathering(self)) {
    // The leader sleeps until its group is complete, and this writer completes it: commit the
    // group here rather than wake the leader to do it (one wake-up less on the path between
    // two fsyncs). The leader becomes an ordinary member of its group.
    leader_gathering_ = false;
    writers_.front()->state.store(kTakenOver, std::memory_order_release);
    return CommitGroups(&self);
  } else {
    mu_->Unlock();
    // The serving leader also did this writer's sync accounting: no need to take the mutex.
    if (WaitWhile(self, kWaiting) == kDone) return self.status;
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
      return self.status;
    }
    mu_->Lock();
    if (self.state.load(std::memory_order_relaxed) != kLeader) {
      mu_->Unlock();
      WaitWhile(self, kTakenOver);
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
    Status s = error_;
    if (s.ok()) s = env_->MakeRoom(front->batch, mu_);
    // The validator runs after MakeRoom, which may release the mutex, and before anything else
    // can commit: every earlier group is published, no later one exists (invariant 4).
    if (s.ok() && front->validator != nullptr) {
      s = (*front->validator)(SequenceNumber{raw(env_->LastSequence()) + 1}, no_batch_);
    }
    if (s.ok() && front->batch != nullptr) {
      size_t batches = 0;
      BuildBatchGroup(&last, &batches);
      s = WriteGroup(*front, batches);
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
        if (!served->rejected) served->status = s;
        wake.Add(*served);
        served->state.store(kDone, std::memory_order_release);
      }
      if (served == last) break;
    }
    // A writer that completed a gathering may not fit in the group it commits (group bytes).
    const bool lead_again = !served_self && writers_.front() == self;
    if (!writers_.empty() && !lead_again) {
      wake.Add(*writers_.front());
      writers_.front()->state.store(kLeader, std::memory_order_release);
    }
    if (served_self && self->sync) --sync_writers_inflight_;
    mu_->Unlock();
    wake.Send(&writer_wakeups_);
    if (served_self) return self->rejected ? self->status : s;
    if (!lead_again && WaitWhile(*self, kWaiting) == kDone) return self->status;
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
  WriteBatchInternal::SetSequence(&group_batch_, SequenceNumber{last_sequence + 1});
  const ::ziggydb::CommitGroup group{&group_batch_, batches,
                                     WriteBatchInternal::ByteSize(*leader.batch), leader.sync,
                                     leader.disable_wal};
  env_->BeginGroup(group);
  Status s;
  uint64_t sync_micros = 0;
  {
    MutexUnlock unlock(mu_);
    // INVARIANT: only the leader runs these steps while the mutex is released.
    if (!group.disable_wal) s = env_->WriteToWal(group, &sync_micros);
    if (s.ok()) env_->ApplyToMemtable(group);
  }
  if (sync_micros > 0) last_sync_micros_ = sync_micros;
  s = env_->FinishGroup(group, s, mu_);
  if (!s.ok()) error_ = s;
  return s;
}

}  // namespace ziggydb
