#include "db/wal_set.h"

#include <algorithm>
#include <new>
#include <utility>

#include "db/filename.h"
#include "env/kill_point.h"
#include "env/preallocated_file.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {

WalSet::WalSet(Env* env, std::string dbname, uint64_t memtable_bytes, Logger* info_log,
               SyncObserver on_sync)
    : env_(env),
      dbname_(std::move(dbname)),
      preallocate_bytes_(std::min(memtable_bytes, kPreallocateBytesMax)),
      info_log_(info_log),
      on_sync_(std::move(on_sync)) {
  ZIGGY_ASSERT(preallocate_bytes_ > 0);
}

Status WalSet::CreateLog(FileNumber number, const wal::LogHead& head,
                         std::unique_ptr<wal::Writer>* log) const {
  std::unique_ptr<wal::Writer> created;
  Status s;
  try {
    std::unique_ptr<WritableFile> file;
    // A failed creation may still have left the file (an Env that does not undo it): removed
    // below like any other failure's. The number is new, so no other file has the name.
    s = NewPreallocatedWritableFile(env_, LogFileName(dbname_, number), preallocate_bytes_, &file);
    if (s.ok()) s = env_->SyncDir(dbname_);
    if (file != nullptr) created = std::make_unique<wal::Writer>(std::move(file), raw(number), 0);
    if (s.ok()) s = created->AddHead(head);
  } catch (const std::bad_alloc&) {
    // The file may exist (the unwinding closed it); nothing else was changed.
    DiscardLog(number, std::move(created));
    return Status::IOError("out of memory", "creating a WAL");
  }
  if (!s.ok()) {
    DiscardLog(number, std::move(created));
    return s;
  }
  ZIGGY_DB_KILL_POINT("db:wal-created");
  *log = std::move(created);
  return Status::OK();
}

void WalSet::DiscardLog(FileNumber number, std::unique_ptr<wal::Writer> log) const noexcept {
  log.reset();
  try {
    // Not needed for recovery (which passes over a log that holds no record), but tidy.
    Status removed = env_->RemoveFile(LogFileName(dbname_, number));
    if (!removed.ok() && !removed.IsNotFound() && info_log_ != nullptr) {
      info_log_->Log("removing the WAL that failed to start: " + removed.ToString());
    }
  } catch (const std::bad_alloc&) {
    // Left behind: harmless, as above.
  }
}

wal::LogHead WalSet::NextHead() const {
  if (live_ == nullptr) return wal::LogHead{};
  return wal::LogHead{raw(live_number_), live_->file_bytes()};
}

void WalSet::Install(FileNumber number, std::unique_ptr<wal::Writer> log) {
  ZIGGY_ASSERT(log != nullptr);
  ZIGGY_ASSERT(live_ == nullptr || raw(number) > raw(live_number_));  // invariant 1
  if (live_ != nullptr) earlier_.push_back(std::move(live_));
  live_ = std::move(log);
  live_number_ = number;
  live_marked_ = false;
}

WalSet::Append WalSet::BeginAppend(bool sync) const {
  ZIGGY_ASSERT(live_ != nullptr);
  Append append;
  append.set_ = this;
  append.live_ = live_.get();
  append.sync_ = sync;
  append.add_marker_ = sync && !live_marked_;
  if (sync) append.earlier_.assign(earlier_.begin(), earlier_.end());
  return append;
}

Status WalSet::Append::Run(std::string_view record, uint64_t* sync_micros) {
  *sync_micros = 0;
  if (sync_) {
    // Older logs first (invariant 3), so that recovery may treat a torn one as corruption.
    for (const std::shared_ptr<wal::Writer>& log : earlier_) {
      uint64_t micros = 0;
      if (!log->all_synced()) ZIGGY_RETURN_IF_ERROR(set_->SyncLog(log.get(), &micros));
    }
    if (add_marker_) ZIGGY_RETURN_IF_ERROR(live_->AddEarlierLogsSyncedMarker());
  }
  if (!record.empty()) ZIGGY_RETURN_IF_ERROR(live_->AddRecord(record));
  if (!sync_) return Status::OK();
  uint64_t micros = 0;
  ZIGGY_RETURN_IF_ERROR(set_->SyncLog(live_, &micros));
  *sync_micros = std::max<uint64_t>(micros, 1);
  return Status::OK();
}

void WalSet::FinishAppend(const Append& append, const Status& s) {
  // The live log may have been replaced only by the leader that ran `append`, after this call.
  ZIGGY_ASSERT(append.live_ == live_.get());
  if (s.ok() && append.add_marker_) live_marked_ = true;
}

Status WalSet::SyncLog(wal::Writer* log, uint64_t* micros) const {
  const uint64_t start_micros = env_->NowMicros();
  Status s = log->Sync();
  *micros = env_->NowMicros() - start_micros;
  if (on_sync_) on_sync_(*micros);
  return s;
}

void WalSet::Retire(FileNumber number, std::vector<std::shared_ptr<wal::Writer>>* retired) {
  while (!earlier_.empty() && earlier_.front()->log_number() < raw(number)) {
    retired->push_back(std::move(earlier_.front()));
    earlier_.pop_front();
  }
}

Status WalSet::Close() {
  earlier_.clear();  // their memtables' data is in them; a reopen replays it
  if (live_ == nullptr) return Status::OK();
  // Every acknowledged record was already handed to the OS; Close trims the preallocation.
  Status s = live_->Close();
  live_.reset();
  return s;
}

}  // namespace ziggydb
