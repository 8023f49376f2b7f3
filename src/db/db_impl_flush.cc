// DBImpl background work: flushing immutable memtables to L0 tables, and deleting the files that
// no live Version needs any more (after flushes and compactions).
//
// Order of a flush (docs/design/recovery.md): build the table, sync it, sync the directory, then
// LogAndApply an edit adding it and raising the log number past the memtable's logs, and only
// then delete those logs. A crash at any point leaves either the old state (logs replayed again,
// a half-built table ignored and later deleted) or the new one.
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "table/table_builder.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

void DBImpl::BackgroundThreadMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    bg_cv_.wait(lock, [this] { return shutting_down_ || (!imm_.empty() && bg_error_.ok()); });
    // Pending immutable memtables need no flush at shutdown: their WALs replay on the next Open.
    if (shutting_down_) return;
    if (HoldFlushWhileL0Full(&lock)) continue;
    std::shared_ptr<MemTable> flushed;
    Status s = FlushOldestImmutable(&lock, &flushed);
    if (!s.ok()) SetBackgroundError(s);
    bg_cv_.notify_all();
    ReportBackgroundError(&lock);
    if (flushed != nullptr) {
      // Usually the last reference: freeing a full memtable's arena takes long enough that it
      // must not hold up the writers and readers waiting for mu_.
      lock.unlock();
      flushed.reset();
      lock.lock();
    }
  }
}

Status DBImpl::FlushOldestImmutable(std::unique_lock<std::mutex>* lock,
                                    std::shared_ptr<MemTable>* flushed) {
  ZIGGY_ASSERT(!imm_.empty());
  const Immutable imm = imm_.front();
  *flushed = imm.mem;
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  pending_outputs_.insert(meta.number);
  FlushJobInfo info;
  info.db_name = dbname_;
  info.file_number = raw(meta.number);
  info.entries = imm.mem->NumEntries();
  lock->unlock();
  NotifyFlushBegin(info, nullptr);
  const uint64_t start_micros = env_->NowMicros();
  Status s = WriteLevel0Table(*imm.mem, &meta);
  lock->lock();
  if (s.ok()) {
    VersionEdit edit;
    if (meta.file_bytes > 0) edit.AddFile(0, meta);
    edit.SetLogNumber(imm.next_log_number);
    s = versions_->LogAndApply(&edit, lock);
  }
  pending_outputs_.erase(meta.number);
  info.duration_micros = env_->NowMicros() - start_micros;
  info.status = s;
  if (!s.ok()) {
    NotifyFlushCompleted(info, lock);
    return s;
  }
  ZIGGY_ASSERT(imm_.front().mem == imm.mem);  // only this thread removes from imm_
  imm_.pop_front();
  flushes_.fetch_add(1, std::memory_order_relaxed);
  flush_bytes_.fetch_add(meta.file_bytes, std::memory_order_relaxed);
  info.file_bytes = meta.file_bytes;
  NotifyFlushCompleted(info, lock);
  DeleteObsoleteFiles(lock);
  return Status::OK();
}

Status DBImpl::WriteLevel0Table(const MemTable& mem, FileMetaData* meta) {
  std::unique_ptr<Iterator> iter = mem.NewIterator();
  iter->SeekToFirst();
  meta->file_bytes = 0;
  if (!iter->Valid()) return Status::OK();
  const std::string path = TableFileName(dbname_, meta->number);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewWritableFile(path, &file));
  TableBuilder builder(table_options_, file.get());
  uint64_t smallest_sequence = std::numeric_limits<uint64_t>::max();
  uint64_t largest_sequence = 0;
  meta->smallest.assign(iter->key());
  std::string_view last_key;
  for (; iter->Valid(); iter->Next()) {
    ParsedInternalKey parsed;
    const bool valid = ParseInternalKey(iter->key(), &parsed);
    ZIGGY_ASSERT(valid);  // the memtable holds only keys we encoded
    smallest_sequence = std::min(smallest_sequence, raw(parsed.sequence));
    largest_sequence = std::max(largest_sequence, raw(parsed.sequence));
    builder.Add(iter->key(), iter->value());
    last_key = iter->key();  // arena memory: stable for the memtable's lifetime
  }
  meta->largest.assign(last_key);
  meta->smallest_sequence = SequenceNumber{smallest_sequence};
  meta->largest_sequence = SequenceNumber{largest_sequence};
  builder.SetSequenceRange(smallest_sequence, largest_sequence);
  Status s = builder.Finish();
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok()) s = env_->SyncDir(dbname_);
  meta->file_bytes = builder.FileSize();
  if (s.ok() && options_.paranoid_checks) {
    // Read back what was just written: footer and meta blocks, through the table cache.
    std::shared_ptr<const TableReader> table;
    s = table_cache_->FindTable(meta->number, meta->file_bytes, &table);
  }
  if (!s.ok()) {
    table_cache_->Evict(meta->number);
    env_->RemoveFile(path).PermitUncheckedError();
    meta->file_bytes = 0;
  }
  return s;
}

void DBImpl::DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock) {
  // After a background error the in-memory state may lag the disk (e.g. a MANIFEST edit that
  // failed to sync may still be durable): delete nothing until the next Open works it out.
  // The flush thread and a compaction may both get here: one pass at a time, so that a file is
  // removed once and the directory listing is not raced by a second remover.
  bg_cv_.wait(*lock, [this] { return !deleting_obsolete_files_; });
  if (!bg_error_.ok()) return;
  deleting_obsolete_files_ = true;
  std::set<FileNumber> live = pending_outputs_;
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
  lock->unlock();
  closed_logs.clear();
  // INVARIANT: logs created meanwhile by the write leader are numbered above log_number, and
  // tables and MANIFESTs created meanwhile at or above first_new_number: all kept.
  std::vector<std::string> names;
  Status s = env_->GetChildren(dbname_, &names);
  bool removed_any = false;
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
        break;
    }
    if (keep) continue;
    if (type == FileType::kTableFile) table_cache_->Evict(number);
    Status removed = env_->RemoveFile(dbname_ + "/" + name);
    removed_any = removed_any || removed.ok();
    Log("event=file_deleted file=" + name +
        (removed.ok() ? "" : " status=\"" + removed.ToString() + "\""));
  }
  if (!s.ok()) Log("event=error what=list_db_dir status=\"" + s.ToString() + "\"");
  // Make the removals durable. Not needed for correctness (a resurrected obsolete file is found
  // and deleted again by the next Open), but it bounds the space a crash can bring back.
  if (removed_any) {
    Status synced = env_->SyncDir(dbname_);
    if (!synced.ok()) Log("event=error what=sync_db_dir status=\"" + synced.ToString() + "\"");
  }
  lock->lock();
  deleting_obsolete_files_ = false;
  bg_cv_.notify_all();
}

Status DBImpl::Flush() {
  ZIGGY_RETURN_IF_ERROR(commit_pipeline_.Write(WriteOptions(), nullptr));
  std::unique_lock<std::mutex> lock(mu_);
  // Every memtable frozen so far holds only logs below the live one: once the MANIFEST's log
  // number reaches it, they are all in tables.
  const FileNumber target = wal_set_.live_number();
  bg_cv_.wait(lock, [&] { return raw(versions_->LogNumber()) >= raw(target) || !bg_error_.ok(); });
  return bg_error_;
}

}  // namespace ziggydb
