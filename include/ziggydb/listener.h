// EventListener: callbacks a program registers (Options::listeners) to learn about a DB's
// background work: flushes, compactions, write stalls and background errors.
//
// Calling rules:
//   1. Callbacks run on the thread that did the work (the flush thread, the compacting thread,
//      the write leader for stalls), synchronously: a slow callback slows that work down. The DB
//      decides an event under its mutex and that thread delivers it as soon as it releases the
//      mutex (a trivial move's begin together with its end).
//   2. The DB mutex is NOT held during a callback: it may call the DB's read-only methods
//      (GetProperty, Get, NewIterator). It must not wait for background work (Flush,
//      CompactRange, or a write that might stall): that work may be waiting on this thread.
//   3. Several callbacks of one listener may run concurrently (from different threads).
//   4. Listeners are called in registration order; a listener outlives the DB (shared_ptr).
//   5. Every begin has a matching end (flushes, compactions, trivial moves and failures
//      included, stalls), delivered after it. Short of memory (std::bad_alloc) an event may be
//      delivered late, by the same thread at its next delivery: a flush or compaction thread's at
//      the latest when that thread exits at Close, a writer's stall event when that thread next
//      leads a write.
//   6. A callback should not throw. If one does, the exception stops at the DB: the other
//      callbacks still run, the work that delivered the event goes on as if it had returned, and
//      the LOG gets an `event=listener_threw` line with the exception's what().
#ifndef ZIGGYDB_LISTENER_H_
#define ZIGGYDB_LISTENER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ziggydb/status.h"

namespace ziggydb {

class DB;

struct FlushJobInfo {
  std::string db_name;
  uint64_t file_number = 0;      // the L0 table written (no file when file_bytes == 0)
  uint64_t entries = 0;          // memtable entries flushed
  uint64_t file_bytes = 0;       // Completed only
  uint64_t duration_micros = 0;  // Completed only: building, syncing and installing the table
  Status status;                 // Completed only
};

// Why a compaction runs. Not persisted.
enum class CompactionReason : uint8_t {
  kLevel0Files = 0,  // L0 reached l0_compaction_trigger
  kLevelSize = 1,    // a level over its target size
  kManual = 2,       // CompactRange
  kReclaim = 3,      // a table at the bottom of its key range holding entries no reader needs,
                     // rewritten in place (docs/design/compaction.md, "Reclaim compactions")
  kReads = 4,        // seeks paid for L0 tables overlapping other runs: L0 merged below before
                     // it reached the trigger (docs/design/compaction.md, "Read compactions")
};
// "level0-files", "level-size", "manual", "reclaim", "reads" (also in LOG lines); "unknown" for
// any other value.
const char* CompactionReasonName(CompactionReason reason);

struct CompactionJobInfo {
  std::string db_name;
  CompactionReason reason = CompactionReason::kLevelSize;
  int input_level = 0;
  int output_level = 0;
  bool trivial_move = false;  // the input table was moved, not rewritten
  // Input tables, with the level each was in (input_level or output_level).
  std::vector<uint64_t> input_file_numbers;
  std::vector<int> input_file_levels;
  uint64_t read_bytes = 0;  // input table bytes
  // Completed only.
  std::vector<uint64_t> output_file_numbers;
  uint64_t write_bytes = 0;
  uint64_t dropped_entries = 0;  // shadowed versions and tombstones dropped
  uint64_t duration_micros = 0;
  Status status;
};

// Why writes are slowed or stopped. Not persisted.
enum class WriteStallCause : uint8_t {
  kL0Slowdown = 0,            // L0 tables >= l0_slowdown_trigger: writes delayed
  kPendingBytesSlowdown = 1,  // pending compaction bytes >= soft limit: writes delayed
  kL0Stop = 2,                // L0 tables >= l0_stop_trigger: writes wait
  kPendingBytesStop = 3,      // pending compaction bytes >= hard limit: writes wait
  kMemtableStop = 4,          // max_immutable_memtables wait for flush: writes wait
};
// "l0-slowdown", "pending-bytes-slowdown", "l0-stop", "pending-bytes-stop", "memtable-stop" (also
// the names of LOG lines, metric labels and "ziggydb.stats"); "unknown" for any other value.
const char* WriteStallCauseName(WriteStallCause cause);

struct WriteStallInfo {
  std::string db_name;
  WriteStallCause cause = WriteStallCause::kL0Slowdown;
  uint64_t duration_micros = 0;  // End only: since the matching Begin
};

class EventListener {
 public:
  virtual ~EventListener() = default;

  virtual void OnFlushBegin(DB* db, const FlushJobInfo& info) {
    (void)db;
    (void)info;
  }
  virtual void OnFlushCompleted(DB* db, const FlushJobInfo& info) {
    (void)db;
    (void)info;
  }
  virtual void OnCompactionBegin(DB* db, const CompactionJobInfo& info) {
    (void)db;
    (void)info;
  }
  virtual void OnCompactionCompleted(DB* db, const CompactionJobInfo& info) {
    (void)db;
    (void)info;
  }
  // A stall condition began; at most one is current at a time (a change of cause ends the old
  // one first).
  virtual void OnStallBegin(DB* db, const WriteStallInfo& info) {
    (void)db;
    (void)info;
  }
  virtual void OnStallEnd(DB* db, const WriteStallInfo& info) {
    (void)db;
    (void)info;
  }
  // The DB stopped accepting writes because of `status`; called once per DB open (and once more
  // for each later error after a successful DB::Resume).
  virtual void OnBackgroundError(DB* db, const Status& status) {
    (void)db;
    (void)status;
  }
};

}  // namespace ziggydb

#endif  // ZIGGYDB_LISTENER_H_
