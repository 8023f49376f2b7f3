// DBImpl background work: flushing immutable memtables to L0 tables, and deleting the files that
// no live Version needs any more (after flushes and compactions).
//
// Order of a flush (docs/design/recovery.md): build the table, sync it, sync the directory, then
// LogAndApply an edit adding it and raising the log number past the memtable's logs, and only
// then delete those logs. A crash at any point leaves either the old state (logs replayed again,
// a half-built table ignored and later deleted) or the new one.
#include <cinttypes>
#include <cstdio>
#include <new>
#include <utility>
#include <vector>

#include "db/compaction.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/table_key_ranges.h"
#include "db/wal_archive.h"
#include "env/kill_point.h"
#include "util/assert.h"
#include "util/out_of_memory.h"
#include "util/status_macros.h"

namespace ziggydb {

void DBImpl::BackgroundThreadMain() {
  MutexLock lock(&mu_);
  while (true) {
    DeliverEvents();  // any that a delivery short of memory left queued
    // After a background error queued memtables stay unflushed: only shutdown ends the wait.
    while (!shutting_down_ && (imm_.empty() || !bg_error_.ok()))
      flush_needed_.Wait(&mu_);
    // Pending immutable memtables need no flush at shutdown: their WALs replay on the next Open.
    if (shutting_down_) {
      DeliverEvents();
      return;
    }
    try {
      if (HoldFlushWhileL0Full()) continue;
      BackgroundFlush();
    } catch (const std::bad_alloc&) {
      AfterBackgroundOutOfMemory();
    }
  }
}

void DBImpl::BackgroundFlush() {
  std::shared_ptr<MemTable> flushed;
  Status s;
  try {
    s = FlushOldestImmutable(&flushed);
  } catch (const std::bad_alloc&) {
    // Unwinding re-locked mu_.
    s = BackgroundOutOfMemory("flush", LeftTheQueue(flushed));
  }
  if (!s.ok()) SetResumableBackgroundError(s);
  ReportBackgroundError();
  // Listeners hear of the flush before the threads waiting for it wake.
  DeliverEvents();
  // Wakes Flush, stalled writers and WaitForBackgroundWork; the new L0 table may call for a
  // compaction.
  background_work_done_.NotifyAll();
  compaction_needed_.NotifyAll();
  if (flushed != nullptr) {
    // Iterators may still hold it. Recorded by FlushImmutable already unless a failure followed
    // its install.
    if (LeftTheQueue(flushed)) memory_budget_.AddFlushedMemtable(flushed);
    {
      // Usually the last reference: freeing a full memtable's arena takes long enough that it
      // must not hold up the writers and readers waiting for mu_.
      MutexUnlock unlock(&mu_);
      flushed.reset();
    }
    RebalanceMemory();
  }
}

Status DBImpl::FlushOldestImmutable(std::shared_ptr<MemTable>* flushed) {
  ZIGGY_ASSERT(!imm_.empty());
  const Immutable imm = imm_.front();
  *flushed = imm.mem;
  // Registered until the edit naming the table is installed (or the table is removed).
  PendingOutput pending;
  ZIGGY_RETURN_IF_ERROR(NewPendingOutput(&pending));
  FlushJobInfo info;
  info.db_name = dbname_;
  info.file_number = raw(pending.number());
  info.entries = imm.mem->NumEntries();
  NotifyFlushBegin(info);
  Status s;
  try {
    s = FlushImmutable(imm, pending.number(), &info);
  } catch (const std::bad_alloc&) {
    // Every begin has its end (listener.h rule 5). Queuing it allocates too: should that fail,
    // the end is lost and the new std::bad_alloc goes on instead.
    info.status = Status::IOError("out of memory", "flush");
    NotifyFlushCompleted(info);
    throw;
  }
  if (s.ok()) ScheduleObsoleteFileDeletion();
  return s;
}

Status DBImpl::FlushImmutable(const Immutable& imm, FileNumber number, FlushJobInfo* info_out) {
  FlushJobInfo& info = *info_out;
  FileMetaData meta;
  meta.number = number;
  const EventQueue::Batch begin_events = events_.TakeMine();
  const uint64_t start_micros = env_->NowMicros();
  // A snapshot taken later is at or above every entry of imm: it splits no stripe of these.
  std::vector<SequenceNumber> snapshots = LiveSnapshotSequences();
  // imm is the oldest memtable (one flush at a time, in order): every older version is in a
  // table of this Version, and compactions meanwhile only move data within its tables' ranges.
  std::shared_ptr<const Version> current = versions_->current();
  Status s;
  {
    MutexUnlock unlock(&mu_);
    DeliverTaken(begin_events);
    // Copied, not pinned: files a compaction makes obsolete meanwhile go at once.
    const TableKeyRanges older(*current);
    current.reset();
    s = WriteLevel0Table(*imm.mem, std::move(snapshots), &older, &meta);
  }
  if (s.ok()) {
    VersionEdit edit;
    if (meta.file_bytes > 0) edit.AddFile(0, meta);
    edit.SetLogNumber(imm.next_log_number);
    s = versions_->LogAndApply(&edit, &mu_);
  }
  info.duration_micros = env_->NowMicros() - start_micros;
  info.status = s;
  if (!s.ok()) {
    NotifyFlushCompleted(info);
    return s;
  }
  ZIGGY_ASSERT(imm_.front().mem == imm.mem);  // only this thread removes from imm_
  imm_.pop_front();
  // Counted as pinned in the same hold of mu_ it left the queue in: the obsolete-file pass and
  // the event delivery that follow release mu_, and a rebalance meanwhile must see it. (Should
  // this allocation fail, BackgroundFlush records it after the flush's failure.)
  memory_budget_.AddFlushedMemtable(imm.mem);
  InstallSuperVersion();
  ZIGGY_DB_KILL_POINT("db:flush-installed");
  flushed_sequence_ = imm.last_sequence;
  info.file_bytes = meta.file_bytes;
  NotifyFlushCompleted(info);  // counts the flush; nothing may throw after it
  return Status::OK();
}

Status DBImpl::WriteLevel0Table(const MemTable& mem, std::vector<SequenceNumber> snapshots,
                                const TableKeyRanges* older, FileMetaData* meta) {
  meta->file_bytes = 0;
  VersionGarbageCollector::BottommostForKey bottommost;  // empty: never
  if (older != nullptr) {
    bottommost = [older](std::string_view user_key) { return !older->AnyContains(user_key); };
  }
  VersionGarbageCollector gc(icmp_.user_comparator(), std::move(snapshots), std::move(bottommost));
  const TableOutputContext context = MakeTableOutputContext();
  std::unique_ptr<TableOutput> output;  // created with the first entry kept
  std::unique_ptr<Iterator> iter = mem.NewIterator();
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey parsed;
    const bool valid = ParseInternalKey(iter->key(), &parsed);
    ZIGGY_ASSERT(valid);  // the memtable holds only keys we encoded
    const bool drop = gc.ShouldDrop(parsed);
    ZIGGY_ASSERT(!gc.input_out_of_order());  // the memtable orders what it holds
    if (drop) continue;
    if (output == nullptr)
      ZIGGY_RETURN_IF_ERROR(TableOutput::Create(context, meta->number, &output));
    output->Add(iter->key(), iter->value(), parsed.sequence);
  }
  // Nothing a reader can see (keys put and deleted, none of them in a table): no table.
  if (output == nullptr) return Status::OK();
  ZIGGY_RETURN_IF_ERROR(output->Finish(meta));
  Status s = env_->SyncDir(dbname_);
  if (!s.ok()) {
    RemoveTable(context, meta->number);
    meta->file_bytes = 0;
  }
  return s;
}

TableOutputContext DBImpl::MakeTableOutputContext() const {
  TableOutputContext context;
  context.env = env_;
  context.dbname = dbname_;
  context.table_options = &reads_.table_options();
  context.table_cache = reads_.table_cache();
  context.verify = options_.paranoid_checks;
  return context;
}

Status DBImpl::NewPendingOutput(PendingOutput* output) {
  // Drawn and registered under mu_: DeleteObsoleteFiles' snapshot sees it (table_output.h).
  FileNumber number{};
  ZIGGY_RETURN_IF_ERROR(versions_->NewFileNumber(&number));
  *output = pending_outputs_.Register(number);
  return Status::OK();
}

void DBImpl::DeleteObsoleteFiles() {
  // After a background error the in-memory state may lag the disk (e.g. a MANIFEST edit that
  // failed to sync may still be durable): delete nothing until the next Open works it out.
  // The flush thread and a compaction may both get here: one pass at a time, so that a file is
  // removed once and the directory listing is not raced by a second remover.
  while (deleting_obsolete_files_)
    obsolete_file_deletion_done_.Wait(&mu_);
  // Also between a failed MANIFEST write and the background error it leads to (the failed job
  // delivers its events first, which releases mu_), and during shutdown, which sets no error.
  if (!bg_error_.ok() || versions_->manifest_in_doubt()) return;
  deleting_obsolete_files_ = true;
  // An allocation failure ends the pass early: what it left is still obsolete, for the next pass
  // or the next Open. Nothing escapes: background threads run this after their job's try.
  try {
    DeleteObsoleteFilesPass();
  } catch (const std::bad_alloc&) {  // unwinding re-locked mu_
  }
  deleting_obsolete_files_ = false;
  obsolete_file_deletion_done_.NotifyAll();
}

void DBImpl::DeleteObsoleteFilesPass() {
  std::set<FileNumber> live;
  pending_outputs_.AddTo(&live);
  versions_->AddLiveFiles(&live);
  const FileNumber log_number = versions_->LogNumber();
  const FileNumber manifest_number = versions_->ManifestFileNumber();
  // Files numbered from here on are created after this snapshot of the live set (numbers are
  // drawn under mu_): they belong to work in progress and are kept.
  const FileNumber first_new_number = versions_->next_file_number();
  // Older logs whose memtables are flushed need no sync any more: close them (below, without
  // mu_) before their files go. A write leader syncing one holds its own reference.
  std::vector<std::shared_ptr<wal::Writer>> closed_logs;
  wal_set_.Retire(log_number, &closed_logs);
  bool evicted_tables = false;
  {
    MutexUnlock unlock(&mu_);
    closed_logs.clear();
    // INVARIANT: logs created meanwhile by the write leader are numbered above log_number, and
    // tables and MANIFESTs created meanwhile at or above first_new_number: all kept.
    std::vector<std::string> names;
    Status s = env_->GetChildren(dbname_, &names);
    bool removed_any = false;
    bool archived_any = false;
    for (const std::string& name : names) {
      FileNumber number{};
      FileType type{};
      if (!ParseFileName(name, &number, &type)) continue;
      bool keep = true;
      switch (type) {
        case FileType::kLogFile:
          keep = raw(number) >= raw(log_number);
          break;
        case FileType::kManifestFile:
          keep = raw(number) >= raw(manifest_number);
          break;
        case FileType::kTableFile:
          keep = live.contains(number) || raw(number) >= raw(first_new_number);
          break;
        case FileType::kTempFile:
          // <n>.dbtmp above the installed MANIFEST may be another thread's CURRENT switch in
          // flight; at or below it, a leftover of an interrupted switch.
          keep = raw(number) > raw(manifest_number);
          break;
        case FileType::kCurrentFile:
        case FileType::kLockFile:
        case FileType::kInfoLogFile:
        case FileType::kIdentityFile:
          break;
      }
      if (keep) continue;
      if (type == FileType::kTableFile) {
        reads_.table_cache()->Evict(number);
        evicted_tables = true;
      }
      // With a log archive, flushed logs are kept there for point-in-time restore.
      const bool archive = type == FileType::kLogFile && !options_.wal_archive_dir.empty();
      bool already_held = false;
      Status removed =
          archive ? ArchiveLog(env_, dbname_, number, options_.wal_archive_dir, &already_held)
                  : env_->RemoveFile(dbname_ + "/" + name);
      if (removed.ok()) ZIGGY_DB_KILL_POINT("db:obsolete-deleted");
      removed_any = removed_any || removed.ok();
      archived_any = archived_any || (archive && !already_held && removed.ok());
      const char* event = !archive       ? "event=file_deleted file="
                          : already_held ? "event=file_not_archived file="
                                         : "event=file_archived file=";
      Log(event + name +
          (already_held ? " reason=\"the log archive already holds one of this number (another "
                          "DB writes to it?): that one kept, this one deleted\""
                        : "") +
          (removed.ok() ? "" : " status=\"" + removed.ToString() + "\""));
    }
    if (archived_any) {
      Status pruned =
          PruneLogArchive(env_, options_.wal_archive_dir, options_.wal_archive_max_bytes,
                          options_.wal_archive_max_age_seconds);
      if (!pruned.ok())
        Log("event=error what=prune_wal_archive status=\"" + pruned.ToString() + "\"");
    }
    if (!s.ok()) Log("event=error what=list_db_dir status=\"" + s.ToString() + "\"");
    // Make the removals durable. Not needed for correctness (a resurrected obsolete file is found
    // and deleted again by the next Open), but it bounds the space a crash can bring back.
    if (removed_any) {
      Status synced = env_->SyncDir(dbname_);
      if (!synced.ok()) Log("event=error what=sync_db_dir status=\"" + synced.ToString() + "\"");
    }
  }
  // A compaction's inputs released their index and filter blocks: the budget gives them back.
  if (evicted_tables) RebalanceMemory();
}

Status DBImpl::Flush() {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  // The memtable switch; as in Write, an allocation failure after the pipeline is a Status too.
  ZIGGY_RETURN_IF_ERROR(DeliverOutOfMemoryEvents(CatchOutOfMemory(
      "DB::Flush", [this] { return commit_pipeline_.Write(WriteOptions(), nullptr); })));
  MutexLock lock(&mu_);
  // Every memtable frozen so far holds only logs below the live one: once the MANIFEST's log
  // number reaches it, they are all in tables. Each flush ends with a notify.
  const FileNumber target = wal_set_.live_number();
  while (raw(versions_->LogNumber()) < raw(target) && bg_error_.ok()) {
    AwaitBackgroundWork();
  }
  return bg_error_;
}

}  // namespace ziggydb
