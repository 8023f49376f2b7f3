// DBImpl write path: DBImpl as the CommitEnv of its commit pipeline (commit_pipeline.h: the
// writer queue and group commit), and the memtable switch, which opens the next WAL (wal_set.h).
#include <algorithm>
#include <new>
#include <utility>

#include "db/db_impl.h"
#include "db/db_statistics.h"
#include "db/write_batch_internal.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

Status DBImpl::Write(const WriteOptions& options, const WriteBatch& updates) {
  const StatsTimer timer(env_, stats_, HistogramType::kWriteMicros);
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  ZIGGY_RETURN_IF_ERROR(updates.status());
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  // An empty batch writes nothing (with sync it still makes every earlier write durable, through
  // the pipeline), but it fails as any write would once writes have stopped.
  if (updates.Count() == 0 && !options.sync) {
    MutexLock lock(&mu_);
    try {
      return bg_error_;  // a copy: allocates when it is an error
    } catch (const std::bad_alloc&) {
      return Status::IOError("out of memory finishing a write");
    }
  }
  // The pipeline turns an allocation failure into a Status and releases its mutex (its
  // invariant 3); this catches one in what is left (copying a status out), with nothing held.
  Status s;
  try {
    s = commit_pipeline_.Write(options, &updates);
  } catch (const std::bad_alloc&) {
    s = Status::IOError("out of memory finishing a write");
  }
  return DeliverOutOfMemoryEvents(std::move(s));
}

Status DBImpl::DeliverOutOfMemoryEvents(Status s) {
  if (out_of_memory_event_queued_.load(std::memory_order_acquire)) {
    MutexLock lock(&mu_);
    DeliverEvents();
  }
  return s;
}

Status DBImpl::MakeRoom(const WriteBatch* leader, Mutex* mu) {
  ZIGGY_ASSERT(mu == &mu_);  // commit_pipeline_'s mutex
  mu_.AssertHeld();
  try {
    // Slow down (or stop) before taking room, so the delay is charged to the bytes written.
    if (leader != nullptr) {
      ZIGGY_RETURN_IF_ERROR(ThrottleWrites(WriteBatchInternal::ByteSize(*leader)));
    }
    return MakeRoomForWrite(leader == nullptr);
  } catch (const std::bad_alloc&) {
    // A memtable switch may be half done (SwitchMemtable returns a Status for a failure before
    // it changes anything): the pipeline makes the error sticky (commit_pipeline.h, invariant
    // 3), and so does the DB, so that Resume refuses it as it refuses a failed WAL write.
    StopWritesOutOfMemory("making room for a write");
    throw;
  }
}

SequenceNumber DBImpl::LastSequence() const {
  mu_.AssertHeld();  // called by commit_pipeline_ under its mutex, mu_
  return versions_->LastSequence();
}

void DBImpl::BeginGroup(const CommitGroup& group) {
  mu_.AssertHeld();  // called by commit_pipeline_ under its mutex, mu_
  ChargeWriteDelay(group.batch_bytes - group.leader_bytes, group.batches - 1);
  // Earlier groups may still be inserting into group_mem_ (reading it): it changes only after a
  // memtable switch, which waits for them (CommitPipeline::AwaitPublished).
  if (group_mem_ != mem_.get()) group_mem_ = mem_.get();
  // A sync write first makes the older logs durable, then (once per log) records that in the
  // live log before its own record: recovery may then treat a torn older log as corruption.
  if (!group.disable_wal) group_wal_ = wal_set_.BeginAppend(group.sync);
}

Status DBImpl::WriteToWal(const CommitGroup& group, uint64_t* sync_micros) {
  const uint32_t count = WriteBatchInternal::Count(*group.batch);
  return group_wal_.Run(count > 0 ? WriteBatchInternal::Contents(*group.batch) : "", sync_micros);
}

namespace {

// Inserts a batch's records into a memtable alongside other writers (MemTable::AddConcurrently).
class ConcurrentInserter final : public WriteBatch::Handler {
 public:
  ConcurrentInserter(MemTable* mem, SequenceNumber first) : mem_(mem), next_(raw(first)) {}
  void Put(std::string_view key, std::string_view value) override {
    mem_->AddConcurrently(SequenceNumber{next_++}, ValueType::kValue, key, value);
  }
  void Delete(std::string_view key) override {
    mem_->AddConcurrently(SequenceNumber{next_++}, ValueType::kDeletion, key, {});
  }

 private:
  MemTable* const mem_;
  uint64_t next_;
};

}  // namespace

void DBImpl::ApplyToMemtable(const WriteBatch& batch, SequenceNumber first, bool concurrent) {
  // group_mem_ is read, not written, by the group's threads (set before the leader released the
  // mutex, and the members' offers are release/acquire after that).
  Status inserted;
  if (concurrent) {
    ConcurrentInserter inserter(group_mem_, first);
    inserted = batch.Iterate(&inserter);
  } else {
    ZIGGY_ASSERT(raw(WriteBatchInternal::Sequence(batch)) == raw(first));
    inserted = WriteBatchInternal::InsertInto(batch, group_mem_);
  }
  ZIGGY_ASSERT(inserted.ok());  // batches built through the API always decode
}

Status DBImpl::FinishWalWrite(const CommitGroup& group, const Status& written, Mutex* mu) {
  ZIGGY_ASSERT(mu == &mu_);  // commit_pipeline_'s mutex
  mu_.AssertHeld();
  try {
    if (!group.disable_wal) wal_set_.FinishAppend(group_wal_, written);
    group_wal_ = WalSet::Append();
    if (!written.ok()) return StopWrites("WAL write", written);
    return Status::OK();
  } catch (const std::bad_alloc&) {
    StopWritesOutOfMemory("writing the WAL");  // sticky in the pipeline too (invariant 3)
    throw;
  }
}

Status DBImpl::PublishGroup(const CommitGroup& group, const Status& inserted, Mutex* mu) {
  ZIGGY_ASSERT(mu == &mu_);  // commit_pipeline_'s mutex
  mu_.AssertHeld();
  try {
    if (!inserted.ok()) return StopWrites("memtable insert", inserted);
    const bool use_wal = !group.disable_wal;
    // The group shares one header; each user batch had its own.
    RecordWriteGroup(group.batches,
                     group.batch_bytes + (group.batches - 1) * kWriteBatchHeaderBytes, group.count,
                     use_wal && group.count > 0 ? group.batch_bytes : 0);
    versions_->SetLastSequence(SequenceNumber{raw(group.first) + group.count - 1});
    super_versions_.PublishSequence(versions_->LastSequence());
    if (!use_wal) has_unlogged_writes_ = true;
    return Status::OK();
  } catch (const std::bad_alloc&) {
    StopWritesOutOfMemory("publishing a write group");  // sticky in the pipeline too (invariant 3)
    throw;
  }
}

Status DBImpl::StopWrites(std::string_view step, const Status& failure) {
  SetBackgroundError(Status::IOError(
      std::string(step) +
          " failed; acknowledged writes since the last sync may be lost and the DB refuses "
          "writes until reopened",
      failure.ToString()));
  ReportBackgroundError();
  DeliverEvents();  // the background error's event
  return bg_error_;
}

void DBImpl::StopWritesOutOfMemory(std::string_view step) noexcept {
  try {
    SetBackgroundError(Status::IOError("out of memory " + std::string(step) +
                                       "; the DB refuses writes until it is reopened"));
    ReportBackgroundError();  // its event is delivered once the pipeline call is done
    out_of_memory_event_queued_.store(true, std::memory_order_release);
    return;
  } catch (const std::bad_alloc&) {
  }
  StopWritesWithReservedError();
}

void DBImpl::StopWritesWithReservedError() noexcept {
  // Moving the error reserved at Open allocates nothing; it is needed at most once, as a
  // background error set here is never cleared before a reopen.
  bg_error_resumable_ = false;
  if (bg_error_.ok()) bg_error_ = std::move(out_of_memory_reserve_);
  background_work_done_.NotifyAll();
}

void DBImpl::SetBackgroundError(const Status& s) {
  ZIGGY_ASSERT(!s.ok());
  // Only a reopen lifts this stop, even when a resumable error stopped writes first (a WAL write
  // that failed beside a failed flush: Resume must refuse).
  bg_error_resumable_ = false;
  if (!bg_error_.ok()) {
    Log("background error (writes already refused): " + s.ToString());
    return;
  }
  bg_error_ = s;
  Log("background error (writes refused until reopen): " + s.ToString());
  background_work_done_.NotifyAll();
}

Status DBImpl::MakeRoomForWrite(bool force) {
  StalledWrite write;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    // memtable_bytes, or less under a memory budget.
    const size_t switch_bytes = memory_budget_.memtable_switch_bytes();
    if (!force && mem_->ApproximateMemoryBytes() < switch_bytes) return Status::OK();
    if (mem_->Empty()) return Status::OK();
    // False after it waited for a flush (the immutable memtables were full): look again.
    if (!MemtableSwitchMayProceed(&write)) continue;
    ZIGGY_RETURN_IF_ERROR(SwitchMemtable());
    force = false;
  }
}

Status DBImpl::SwitchMemtable() {
  // Earlier groups may still be inserting into mem_: the switch records LastSequence as the
  // last write mem_ holds, and the flush reads it.
  commit_pipeline_.AwaitPublished(&mu_);
  FileNumber new_number{};
  ZIGGY_RETURN_IF_ERROR(versions_->NewFileNumber(&new_number));
  // The old log is left unsynced: once its memtable is flushed it is deleted, usually before the
  // kernel has written it, so its bytes never reach the disk. The new log's head records where
  // the old one ends, so that recovery sees if it lost its tail in a power loss.
  const wal::LogHead head = wal_set_.NextHead();
  WalSet* const wal_set = &wal_set_;  // CreateLog needs no lock
  // The leader switches between groups: every sequence published so far is in older memtables,
  // and none is published until it is done.
  const SequenceNumber last_sequence = versions_->LastSequence();
  const size_t memtable_bytes = memory_budget_.memtable_switch_bytes();
  std::unique_ptr<wal::Writer> new_log;
  std::shared_ptr<MemTable> new_mem;
  Status s;
  {
    MutexUnlock unlock(&mu_);
    // INVARIANT: until mu_ is held again nothing but the new log's file (and the file number) has
    // changed, so a failure here, out of memory included, returns a Status: the write fails, the
    // DB stays as it was, and the next write tries the switch again.
    s = wal_set->CreateLog(new_number, head, &new_log);  // never throws
    // Building a memtable zeroes its filter and key index (~7 MB for 64 MiB): not under mu_. It
    // is the switch's large allocation, the one most likely to fail.
    if (s.ok()) {
      try {
        new_mem = std::make_shared<MemTable>(icmp_, memtable_bytes,
                                             SequenceNumber{raw(last_sequence) + 1});
      } catch (const std::bad_alloc&) {
        wal_set->DiscardLog(new_number, std::move(new_log));
        s = Status::IOError("out of memory", "building the next memtable");
      }
    }
  }
  if (!s.ok()) {
    try {
      Log("switching to WAL " + std::to_string(raw(new_number)) + " failed: " + s.ToString());
    } catch (const std::bad_alloc&) {
      // Unlogged: the Status stands, and nothing has changed.
    }
    return s;
  }
  // From here on the switch changes the DB's state: an allocation failure escapes to MakeRoom,
  // which stops writes until a reopen.
  ZIGGY_ASSERT(versions_->LastSequence() == last_sequence);
  imm_.push_back(Immutable{mem_, new_number, last_sequence});
  mem_ = std::move(new_mem);
  InstallSuperVersion();
  wal_set_.Install(new_number, std::move(new_log));
  RebalanceMemory();  // the queued memtable now counts as immutable
  Log("switched to WAL " + std::to_string(raw(new_number)) + "; " + std::to_string(imm_.size()) +
      " memtable(s) waiting for flush");
  flush_needed_.NotifyAll();
  return Status::OK();
}

}  // namespace ziggydb
