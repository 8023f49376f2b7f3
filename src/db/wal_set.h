// WalSet: the DB's write-ahead logs, the live one that takes new records and the earlier ones
// whose memtables are not yet flushed (formats: docs/format/wal.md; rules:
// docs/design/recovery.md, "Older logs").
//
// Thread safety: none of its own. The DB mutex guards every method (GUARDED_BY(mu_) in DBImpl)
// except CreateLog (needs no lock) and Append::Run, which the write leader calls with the mutex
// released; one leader at a time appends, so the logs are never written by two threads at once.
// Invariants:
//   1. Earlier logs are ordered oldest first and numbered below the live log; each was the live
//      log once and takes no more records. They stay open, unsynced, until Retire drops them
//      (their memtable is flushed), so that a sync write can make them durable first.
//   2. Every log but the first of an open names its predecessor and that log's end in its head,
//      so recovery can tell whether the predecessor lost its tail.
//   3. The live log holds the earlier-logs-synced marker only after every earlier log was
//      synced; live_marked() says it holds one, and then a sync write syncs no earlier log.
#ifndef ZIGGYDB_DB_WAL_SET_H_
#define ZIGGYDB_DB_WAL_SET_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/dbformat.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb {

class WalSet {
 public:
  // Observes each fsync of a log (its duration, at least 1), without the DB mutex.
  using SyncObserver = std::function<void(uint64_t micros)>;

  // A log is preallocated in steps of about one memtable, at most this much.
  static constexpr uint64_t kPreallocateBytesMax = uint64_t{64} << 20;

  // Logs are created in `dbname`, preallocated in steps of min(memtable_bytes,
  // kPreallocateBytesMax) (memtable_bytes > 0). info_log (may be null) takes the problems that
  // no Status reports.
  WalSet(Env* env, std::string dbname, uint64_t memtable_bytes, Logger* info_log,
         SyncObserver on_sync);
  WalSet(const WalSet&) = delete;
  WalSet& operator=(const WalSet&) = delete;

  // Creates log `number` (preallocated), syncs the directory and writes `head`. On failure the
  // file is removed again (DiscardLog). Out of memory, it returns IOError "out of memory" rather
  // than throw. Needs no lock.
  [[nodiscard]] Status CreateLog(FileNumber number, const wal::LogHead& head,
                                 std::unique_ptr<wal::Writer>* log) const;
  // Closes `log` (may be null), created by CreateLog as `number` but never installed, and removes
  // its file. Best effort, and never throws: a log left behind holds no record but its head, and
  // recovery passes over it. Needs no lock.
  void DiscardLog(FileNumber number, std::unique_ptr<wal::Writer> log) const noexcept;
  // The head of the log that will follow the live one: the live log's number and end (empty
  // when there is no live log: every older log is obsolete once the first one is installed).
  wal::LogHead NextHead() const;
  // Makes `log` (created by CreateLog with NextHead()) the live log; the live one, left unsynced,
  // becomes the newest earlier log.
  void Install(FileNumber number, std::unique_ptr<wal::Writer> log);

  bool has_live() const { return live_ != nullptr; }
  FileNumber live_number() const { return live_number_; }
  bool live_marked() const { return live_marked_; }
  size_t earlier_count() const { return earlier_.size(); }

  // One append of a record to the live log, prepared under the mutex (what to write where),
  // run without it by the write leader, and finished under it (Finish).
  class Append {
   public:
    // Sync: the earlier logs first, then (once per live log) the marker, then the record (none
    // if `record` is empty), then the live log; *sync_micros is the live log's fsync time (0
    // when not synced). Without sync, only appends the record.
    [[nodiscard]] Status Run(std::string_view record, uint64_t* sync_micros);

   private:
    friend class WalSet;
    const WalSet* set_ = nullptr;
    wal::Writer* live_ = nullptr;
    bool sync_ = false;
    bool add_marker_ = false;
    // Held so that Retire may drop a log while it is being synced here.
    std::vector<std::shared_ptr<wal::Writer>> earlier_;
  };
  // Precondition: has_live().
  Append BeginAppend(bool sync) const;
  // After append.Run returned `s`: a marker written by it now counts (invariant 3).
  void FinishAppend(const Append& append, const Status& s);

  // Removes the earlier logs numbered below `number` (their memtables are flushed) into
  // *retired, for the caller to close with the mutex released.
  void Retire(FileNumber number, std::vector<std::shared_ptr<wal::Writer>>* retired);
  // Closes the live log (trimming its preallocation) and drops every log; a reopen replays
  // them. Returns the live log's Close status.
  [[nodiscard]] Status Close();

 private:
  // Syncs `log` if it holds unsynced data, reporting the time to on_sync_.
  [[nodiscard]] Status SyncLog(wal::Writer* log, uint64_t* micros) const;

  Env* const env_;
  const std::string dbname_;
  const uint64_t preallocate_bytes_;
  Logger* const info_log_;
  const SyncObserver on_sync_;
  std::unique_ptr<wal::Writer> live_;
  FileNumber live_number_{};
  bool live_marked_ = false;
  std::deque<std::shared_ptr<wal::Writer>> earlier_;  // oldest first (invariant 1)
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_WAL_SET_H_
