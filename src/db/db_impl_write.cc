// DBImpl write path: the writer queue with group commit, and the memtable switch.
//
// Writers queue in writers_. The front writer is the leader: it makes room in the memtable,
// merges the compatible batches queued behind it (up to max_write_group_bytes) into one batch,
// and with mu_ released appends it to the WAL as one record, syncs at most once (if the group was
// formed by a sync leader), and inserts it into mem_. Back under mu_ it publishes the sequence
// numbers and wakes the writers it served; the next front writer leads the next group.
#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/db_statistics.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "env/preallocated_file.h"
#include "util/assert.h"
#include "util/futex.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// The group batch keeps its buffer between groups unless one grew it past this.
constexpr size_t kGroupBatchKeepBytes = size_t{4} << 20;
// Upper bound on how long a sync leader waits for more writers to join its group.
constexpr uint64_t kGatherMicrosMax = 1000;
// A WAL file is preallocated in steps of about one memtable, at most this much.
constexpr uint64_t kWalPreallocateBytesMax = uint64_t{64} << 20;

}  // namespace

// How a queued writer learns its fate. It changes under mu_: from kWaiting to kDone (a leader
// served it and set status) or to kLeader (the previous leader made it the front of writers_);
// a gathering leader's from kLeader to kTakenOver (the writer that completed its group commits
// the group) and later to kDone. The writer reads it without mu_, so a woken writer never has to
// queue for the mutex its waker holds.
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

struct DBImpl::Writer {
  Writer(WriteBatch* b, const WriteOptions& options)
      : batch(b), sync(options.sync), disable_wal(options.disable_wal) {}

  WriteBatch* const batch;  // null: a Flush request (switch the memtable, write nothing)
  const bool sync;
  const bool disable_wal;
  uint32_t wake_bit = 0;  // a sync writer's bit, set under mu_ when queued
  Status status;          // set by the serving leader before state becomes kDone
  std::atomic<uint32_t> state{kWaiting};
};

namespace {

using SteadyClock = std::chrono::steady_clock;

// The wake-ups a leader owes the writers it served (see WriterState).
class WakeUps {
 public:
  // Call before the writer's new state is published: after that it may be gone.
  template <typename QueuedWriter>  // DBImpl::Writer, private to DBImpl
  void Add(const QueuedWriter& writer) {
    if (writer.sync) {
      bits_ |= writer.wake_bit;
    } else {
      words_.push_back(&writer.state);
    }
  }
  // With mu_ released, after the states were published.
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

uint32_t DBImpl::WaitWhile(const Writer& writer, uint32_t from,
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

Status DBImpl::Write(const WriteOptions& options, WriteBatch* updates) {
  const StatsTimer timer(env_, stats_, HistogramType::kWriteMicros);
  if (updates == nullptr) return Status::InvalidArgument("Write: null batch");
  ZIGGY_RETURN_IF_ERROR(updates->status());
  // An empty batch writes nothing, but with sync it still makes every earlier write durable.
  if (updates->Count() == 0 && !options.sync) return Status::OK();
  return WriteImpl(options, updates);
}

Status DBImpl::WriteImpl(const WriteOptions& options, WriteBatch* updates) {
  Writer self(updates, options);
  std::unique_lock<std::mutex> lock(mu_);
  if (self.sync) {
    ++sync_writers_inflight_;
    sync_writers_expected_ = std::max(sync_writers_expected_, sync_writers_inflight_);
  }
  if (self.sync) self.wake_bit = uint32_t{1} << (next_wake_bit_++ % 32);
  writers_.push_back(&self);
  if (writers_.size() == 1) {
    self.state.store(kLeader, std::memory_order_relaxed);
  } else if (CompletesGathering(self)) {
    // The leader sleeps until its group is complete, and this writer completes it: commit the
    // group here rather than wake the leader to do it (one wake-up less on the path between
    // two fsyncs). The leader becomes an ordinary member of its group.
    leader_gathering_ = false;
    writers_.front()->state.store(kTakenOver, std::memory_order_release);
    return CommitGroups(&self, &lock);
  } else {
    lock.unlock();
    // The serving leader also did this writer's sync accounting: no need to take mu_ again.
    if (WaitWhile(self, kWaiting) == kDone) return self.status;
    lock.lock();
  }
  // INVARIANT: this thread is the leader (front of writers_).
  ZIGGY_ASSERT(writers_.front() == &self);
  if (self.sync && updates != nullptr && !GatherSyncWriters(&self, &lock)) {
    // The writer that completed the group commits it, this batch included.
    ZIGGY_ASSERT(!lock.owns_lock());
    WaitWhile(self, kTakenOver);
    return self.status;
  }
  return CommitGroups(&self, &lock);
}

bool DBImpl::CompletesGathering(const Writer& writer) const {
  if (!leader_gathering_ || writers_.size() < static_cast<size_t>(sync_writers_expected_)) {
    return false;
  }
  // Only a writer that can share the leader's WAL record may commit the group for it; any
  // other lets the leader's wait time out (a Flush request or a WAL-less write among sync
  // writers is rare).
  return writer.batch != nullptr && writer.disable_wal == writers_.front()->disable_wal;
}

Status DBImpl::CommitGroups(Writer* self, std::unique_lock<std::mutex>* lock) {
  while (true) {
    Writer* front = writers_.front();
    WriteBatch* const updates = front->batch;
    // Slow down (or stop) before taking room, so the delay is charged to the bytes written.
    Status s = updates == nullptr ? Status::OK()
                                  : ThrottleWrites(lock, WriteBatchInternal::ByteSize(*updates));
    if (s.ok()) s = MakeRoomForWrite(lock, updates == nullptr);
    Writer* last = front;
    if (s.ok() && updates != nullptr) {
      size_t batches = 0;
      BuildBatchGroup(&last, &batches);
      ChargeWriteDelay(
          WriteBatchInternal::ByteSize(group_batch_) - WriteBatchInternal::ByteSize(*updates),
          batches - 1);
      s = WriteGroup(*front, batches, mem_.get(), lock);
      if (group_batch_.ApproximateSize() > kGroupBatchKeepBytes) group_batch_ = WriteBatch();
    }
    // Pop the group and hand the queue to the next writer, then wake them all with mu_
    // released. Once a writer's state is kDone it may return and free its Writer: only its bit,
    // or the address of its state word, is kept.
    WakeUps wake;
    bool served_self = false;
    while (true) {
      Writer* served = writers_.front();
      writers_.pop_front();
      if (served == self) {
        served_self = true;
      } else {
        if (served->sync) --sync_writers_inflight_;
        served->status = s;
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
    const EventQueue::Batch events = events_.TakeMine();  // a background error's
    lock->unlock();
    wake.Send(&writer_wakeups_);
    events_.Deliver(events);
    if (served_self) return s;
    if (!lead_again && WaitWhile(*self, kWaiting) == kDone) return self->status;
    lock->lock();
    ZIGGY_ASSERT(writers_.front() == self);
  }
}

bool DBImpl::GatherSyncWriters(Writer* self, std::unique_lock<std::mutex>* lock) {
  // Sync writers in a loop come back microseconds after their group is acknowledged. A leader
  // that syncs at once splits N such threads into two alternating groups (2 fsyncs per N
  // writes); waiting a fraction of one fsync for the writers seen recently lets one fsync serve
  // them all. The writer completing the group commits it (CompletesGathering); after a timeout
  // the estimate drops to the writers that did come, so idle threads cost one short wait at
  // most.
  const size_t expected = static_cast<size_t>(sync_writers_expected_);
  if (writers_.size() >= expected || last_sync_micros_ == 0) return true;
  const uint64_t budget_micros = std::clamp<uint64_t>(last_sync_micros_ / 2, 1, kGatherMicrosMax);
  const auto deadline = SteadyClock::now() + std::chrono::microseconds(budget_micros);
  leader_gathering_ = true;
  lock->unlock();
  // The writer that completes the group takes it over without waking this leader: the leader
  // wakes at its deadline or at its group's wake-up, whichever comes first, and after a takeover
  // waits for the latter.
  WaitWhile(*self, kLeader, deadline);
  // The state leaves kLeader only by a takeover, which happens under mu_: with mu_ held, a
  // state still kLeader means the wait timed out and this leader keeps its group.
  if (self->state.load(std::memory_order_acquire) != kLeader) return false;
  lock->lock();
  if (self->state.load(std::memory_order_relaxed) != kLeader) {
    lock->unlock();
    return false;
  }
  leader_gathering_ = false;
  sync_writers_expected_ = std::max<int>(1, static_cast<int>(writers_.size()));
  return true;
}

void DBImpl::BuildBatchGroup(Writer** last, size_t* batches) {
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
    if (group_bytes + added > options_.max_write_group_bytes) break;
    WriteBatchInternal::Append(&group_batch_, *writer->batch);
    group_bytes += added;
    *last = writer;
    ++*batches;
  }
  ZIGGY_ASSERT(group_batch_.status().ok());
}

Status DBImpl::WriteGroup(const Writer& leader, size_t batches, MemTable* mem,
                          std::unique_lock<std::mutex>* lock) {
  const uint64_t last_sequence = raw(versions_->LastSequence());
  const uint32_t count = WriteBatchInternal::Count(group_batch_);
  if (count > kMaxSequenceNumber - last_sequence) {
    return Status::NotSupported("sequence numbers exhausted");
  }
  WriteBatchInternal::SetSequence(&group_batch_, SequenceNumber{last_sequence + 1});
  wal::Writer* log = log_.get();
  const bool use_wal = !leader.disable_wal;
  // A sync write first makes the older logs durable, then (once per log) records that in log_
  // before its own record: recovery may then treat a torn older log as corruption.
  std::vector<std::shared_ptr<wal::Writer>> earlier_logs;
  const bool add_marker = use_wal && leader.sync && !log_marked_;
  if (use_wal && leader.sync) earlier_logs.assign(earlier_logs_.begin(), earlier_logs_.end());

  lock->unlock();
  // INVARIANT: only the leader touches log, the earlier logs and mem (as a writer) while mu_ is
  // released.
  Status s;
  uint64_t sync_micros = 0;
  if (use_wal) {
    if (leader.sync) s = SyncEarlierLogs(earlier_logs);
    if (s.ok() && add_marker) s = log->AddEarlierLogsSyncedMarker();
    if (s.ok() && count > 0) s = log->AddRecord(WriteBatchInternal::Contents(group_batch_));
    if (s.ok() && leader.sync) {
      const uint64_t start_micros = env_->NowMicros();
      s = log->Sync();
      sync_micros = std::max<uint64_t>(env_->NowMicros() - start_micros, 1);
      RecordWalSync(sync_micros);
    }
  }
  if (s.ok()) {
    Status inserted = WriteBatchInternal::InsertInto(group_batch_, mem);
    ZIGGY_ASSERT(inserted.ok());  // batches built through the API always decode
  }
  lock->lock();
  if (sync_micros > 0) last_sync_micros_ = sync_micros;
  if (s.ok() && add_marker) log_marked_ = true;

  if (!s.ok()) {
    SetBackgroundError(Status::IOError(
        "WAL write failed; acknowledged writes since the last sync may be lost and the DB refuses "
        "writes until reopened",
        s.ToString()));
    ReportBackgroundError();
    return bg_error_;
  }
  // The group shares one header; each user batch had its own.
  RecordWriteGroup(
      batches, WriteBatchInternal::ByteSize(group_batch_) + (batches - 1) * kWriteBatchHeaderBytes,
      count, use_wal && count > 0 ? WriteBatchInternal::Contents(group_batch_).size() : 0);
  versions_->SetLastSequence(SequenceNumber{last_sequence + count});
  if (!use_wal) has_unlogged_writes_ = true;
  return Status::OK();
}

void DBImpl::SetBackgroundError(const Status& s) {
  ZIGGY_ASSERT(!s.ok());
  if (!bg_error_.ok()) return;
  bg_error_ = s;
  Log("background error (writes refused until reopen): " + s.ToString());
  bg_cv_.notify_all();
}

Status DBImpl::MakeRoomForWrite(std::unique_lock<std::mutex>* lock, bool force) {
  StalledWrite write;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    if (!force && mem_->ApproximateMemoryBytes() < options_.memtable_bytes) return Status::OK();
    if (mem_->Empty()) return Status::OK();
    // False after it waited for a flush (the immutable memtables were full): look again.
    if (!MemtableSwitchMayProceed(lock, &write)) continue;
    ZIGGY_RETURN_IF_ERROR(SwitchMemtable(lock));
    force = false;
  }
}

Status DBImpl::CreateLogFile(FileNumber number, const wal::LogHead& head,
                             std::unique_ptr<wal::Writer>* writer) {
  const uint64_t preallocate_bytes =
      std::min<uint64_t>(options_.memtable_bytes, kWalPreallocateBytesMax);
  const std::string path = LogFileName(dbname_, number);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(NewPreallocatedWritableFile(env_, path, preallocate_bytes, &file));
  Status s = env_->SyncDir(dbname_);
  auto log = std::make_unique<wal::Writer>(std::move(file), raw(number), 0);
  if (s.ok()) s = log->AddHead(head);
  if (!s.ok()) {
    // Not needed for recovery (which passes over a log file without a head), but tidy.
    log.reset();
    Status removed = env_->RemoveFile(path);
    if (!removed.ok()) Log("removing the WAL that failed to start: " + removed.ToString());
    return s;
  }
  *writer = std::move(log);
  return Status::OK();
}

Status DBImpl::SyncEarlierLogs(const std::vector<std::shared_ptr<wal::Writer>>& logs) {
  for (const std::shared_ptr<wal::Writer>& log : logs) {
    if (log->all_synced()) continue;
    const uint64_t start_micros = env_->NowMicros();
    ZIGGY_RETURN_IF_ERROR(log->Sync());
    RecordWalSync(env_->NowMicros() - start_micros);
  }
  return Status::OK();
}

Status DBImpl::SwitchMemtable(std::unique_lock<std::mutex>* lock) {
  const FileNumber new_number = versions_->NewFileNumber();
  // The old log is left unsynced: once its memtable is flushed it is deleted, usually before the
  // kernel has written it, so its bytes never reach the disk. The new log's head records where
  // the old one ends, so that recovery sees if it lost its tail in a power loss.
  const wal::LogHead head{raw(log_number_), log_->file_bytes()};
  lock->unlock();
  std::unique_ptr<wal::Writer> new_log;
  Status s = CreateLogFile(new_number, head, &new_log);
  lock->lock();
  if (!s.ok()) {
    Log("creating WAL " + std::to_string(raw(new_number)) + " failed: " + s.ToString());
    return s;
  }
  imm_.push_back(Immutable{mem_, new_number});
  mem_ = std::make_shared<MemTable>(icmp_, options_.memtable_bytes);
  earlier_logs_.push_back(std::move(log_));
  log_ = std::move(new_log);
  log_number_ = new_number;
  log_marked_ = false;
  Log("switched to WAL " + std::to_string(raw(new_number)) + "; " + std::to_string(imm_.size()) +
      " memtable(s) waiting for flush");
  bg_cv_.notify_all();
  return Status::OK();
}

}  // namespace ziggydb
