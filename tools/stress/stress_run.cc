#include "tools/stress/stress_run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>

#include "tools/cli_util.h"
#include "tools/stress/backup_floor.h"
#include "tools/stress/expected_state.h"
#include "tools/stress/point_in_time.h"
#include "tools/stress/read_window.h"
#include "tools/stress/stress_options.h"
#include "util/assert.h"
#include "util/mutex.h"
#include "util/random.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/snapshot.h"
#include "ziggydb/transaction.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::tools::stress {
namespace {

using Clock = std::chrono::steady_clock;

struct Counters {
  std::atomic<uint64_t> puts{0}, deletes{0}, batches{0}, gets{0}, iterators{0}, snapshots{0},
      flushes{0}, compactions{0}, txns{0}, txns_busy{0}, checkpoints{0}, backups{0},
      backups_restored{0}, views_checked{0};
};

// The tickets of the newest writes of each key (point_in_time.h), for the cross-key check of
// multi-key views: a ring of kSlots per key, slot id % kSlots, written by the key's owner and
// read by any thread, under a mutex per key. In memory only: it holds writes of this process.
class WriteHistory {
 public:
  static constexpr uint32_t kSlots = 16;
  explicit WriteHistory(uint32_t keys)
      : slots_(new TicketedWrite[size_t{keys} * kSlots]()), mu_(new Mutex[keys]) {}

  void Issued(uint32_t i, uint32_t id, bool is_put, uint64_t ticket) {
    MutexLock lock(&mu_[i]);
    Slot(i, id) = {id, is_put, ticket, 0};
  }
  void Acked(uint32_t i, uint32_t id, uint64_t ticket) {
    MutexLock lock(&mu_[i]);
    TicketedWrite& w = Slot(i, id);
    if (w.id == id) w.acked = ticket;
  }
  std::vector<TicketedWrite> Writes(uint32_t i) const {
    MutexLock lock(&mu_[i]);
    std::vector<TicketedWrite> writes;
    for (uint32_t k = 0; k < kSlots; ++k)
      if (slots_[size_t{i} * kSlots + k].id != 0) writes.push_back(slots_[size_t{i} * kSlots + k]);
    return writes;
  }

 private:
  TicketedWrite& Slot(uint32_t i, uint32_t id) const {
    return slots_[size_t{i} * kSlots + id % kSlots];
  }
  std::unique_ptr<TicketedWrite[]> slots_;
  std::unique_ptr<Mutex[]> mu_;
};

// State shared by the worker threads of one epoch. `failed` is set once, by the first check that
// fails or the first unexpected Status, and stops every worker.
class Run {
 public:
  Run(const RunParams& params, const RunConfig& config, ExpectedState* state)
      : params_(params),
        config_(config),
        state_(state),
        next_id_(new uint32_t[state->keys()]()),
        newest_delete_(new std::atomic<uint32_t>[state->keys()]()),
        history_(state->keys()) {}

  void set_db(DB* db) { db_ = db; }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  int exit_code() const { return exit_code_; }
  const Counters& counters() const { return counters_; }

  // Quiescent check of every key (no writer running): the DB must hold the acked write or, when
  // set, the pending one; the pending write is then resolved into the expected state. Then one
  // scan each way must show exactly the keys expected present.
  bool VerifyAll() {
    std::vector<std::optional<uint32_t>> found(state_->keys());
    for (uint32_t i = 0; i < state_->keys(); ++i) {
      if (!ReadKey(ReadOptions(), i, &found[i])) return false;
      const KeyWord w = state_->Load(i);
      if (!RecordMatches(w.acked, found[i]) &&
          !(w.pending != 0 && RecordMatches(w.pending, found[i])))
        return Mismatch(i, DescribeWord(w), found[i], "after reopen");
    }
    if (!CheckPendingCallsWhole(found)) return false;
    uint64_t expected_present = 0;
    for (uint32_t i = 0; i < state_->keys(); ++i) {
      KeyWord w = state_->Load(i);
      if (RecordMatches(w.acked, found[i])) {
        w.pending = 0;
      } else {
        w.acked = w.pending;
        w.pending = 0;
      }
      state_->Store(i, w);
      // A pending write found not applied gives its id again: in another process than the one
      // that issued it (reads of this one never saw it), or never (after a Close, none pends).
      next_id_[i] = std::max(next_id_[i], w.NextId());
      if (RecordIsPut(w.acked)) ++expected_present;
    }
    for (bool forward : {true, false}) {
      std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
      uint64_t present = 0;
      std::optional<uint32_t> previous;
      for (forward ? it->SeekToFirst() : it->SeekToLast(); it->Valid();
           forward ? it->Next() : it->Prev()) {
        std::optional<uint32_t> index = ParseStressKey(it->key());
        if (!index || *index >= state_->keys())
          return Fail(fmt::format("scan found key '{}', outside the key space", Escape(it->key())));
        if (previous && (forward ? *index <= *previous : *index >= *previous))
          return Fail(fmt::format("{} scan returned {} after {}", forward ? "forward" : "backward",
                                  StressKey(*index), StressKey(*previous)));
        previous = index;
        std::optional<uint32_t> id = ParseStressValue(*index, it->value());
        KeyWord w = state_->Load(*index);
        if (!id || !RecordMatches(w.acked, id))
          return Mismatch(*index, DescribeWord(w), id, "in a full scan", it->value());
        ++present;
      }
      if (!it->status().ok()) return Error("full scan", it->status());
      if (present != expected_present)
        return Fail(fmt::format("{} scan saw {} keys, {} expected present",
                                forward ? "forward" : "backward", present, expected_present));
    }
    return true;
  }

  // After a kill: the keys whose pending writes one DB call issued (a batch, a commit) show all of
  // those writes or none of them (a key whose acked and pending records read alike says
  // nothing). `found[i]` is what key i holds; each already matched its acked or pending record.
  bool CheckPendingCallsWhole(const std::vector<std::optional<uint32_t>>& found) {
    struct Seen {
      std::optional<uint32_t> applied, not_applied;  // a key of the call showing each
    };
    std::unordered_map<uint64_t, Seen> calls;
    for (uint32_t i = 0; i < state_->keys(); ++i) {
      const KeyWord w = state_->Load(i);
      if (w.pending == 0) continue;
      const bool shows_pending = RecordMatches(w.pending, found[i]);
      if (shows_pending == RecordMatches(w.acked, found[i])) continue;  // both, so no telling
      Seen& seen = calls[state_->LoadCall(i)];
      (shows_pending ? seen.applied : seen.not_applied) = i;
      if (seen.applied && seen.not_applied) {
        return Fail(
            fmt::format(
                "TORN CALL after reopen: {} shows its pending {}, but {} of the same DB call still "
                "shows {} instead of its pending {}",
                StressKey(*seen.applied), DescribeRecord(state_->Load(*seen.applied).pending),
                StressKey(*seen.not_applied), DescribeRecord(state_->Load(*seen.not_applied).acked),
                DescribeRecord(state_->Load(*seen.not_applied).pending)),
            ExitCode::kCorruption);
      }
    }
    return true;
  }

  // One worker: random operations until `stop` or a failure.
  void Worker(int thread, uint64_t seed, const std::atomic<bool>* stop) {
    Random rng(seed);
    while (!stop->load(std::memory_order_relaxed) && !failed()) {
      const uint64_t special = rng.Uniform(1000);
      if (special < params_.txn_permille) {
        DoTransaction(thread, &rng);
        continue;
      }
      if (special < params_.txn_permille + params_.checkpoint_permille) {
        DoCheckpoint(thread, &rng);
        continue;
      }
      if (special < params_.txn_permille + params_.checkpoint_permille + params_.backup_permille) {
        DoBackup(&rng);
        continue;
      }
      const uint64_t op = rng.Uniform(1000);
      if (op < 300) {
        DoWrite(thread, &rng, 1, /*batch=*/false, /*put=*/true);
      } else if (op < 400) {
        DoWrite(thread, &rng, 1, false, false);
      } else if (op < 500) {
        DoWrite(thread, &rng, 2 + rng.Uniform(7), true, true);
      } else if (op < 750) {
        DoGet(thread, &rng);
      } else if (op < 900) {
        DoIterate(thread, &rng);
      } else if (op < 996) {
        DoSnapshot(thread, &rng);
      } else if (op < 998) {
        Status s = db_->Flush();
        if (!s.ok()) Error("Flush", s);
        counters_.flushes.fetch_add(1, std::memory_order_relaxed);
      } else {
        DoCompactRange(&rng);
      }
    }
  }

 private:
  // Keys are partitioned: thread t writes only keys i with i % threads == t, so the order of
  // one key's writes in the expected state is their commit order.
  bool Owns(int thread, uint32_t index) const {
    return static_cast<int>(index % static_cast<uint32_t>(params_.threads)) == thread;
  }
  // How many keys thread owns: at least one (RunStress refuses more threads than keys).
  uint32_t OwnedKeys(int thread) const {
    const uint32_t stride = static_cast<uint32_t>(params_.threads);
    ZIGGY_ASSERT(static_cast<uint32_t>(thread) < state_->keys());
    return (state_->keys() - static_cast<uint32_t>(thread) + stride - 1) / stride;
  }
  uint32_t OwnKey(int thread, Random* rng) const {
    return static_cast<uint32_t>(thread) +
           static_cast<uint32_t>(params_.threads) *
               static_cast<uint32_t>(rng->Uniform(OwnedKeys(thread)));
  }

  // The id of own key i's next write. Ids are given once per process (a Busy commit's are not
  // given again), so that a read's window (read_window.h) can tell a write's kind by its id.
  uint32_t TakeId(uint32_t i) { return next_id_[i]++; }

  // Publishes own key i's delete `id` as its newest, after storing it as pending and before
  // issuing it (the order read_window.h relies on); returns the newest delete it replaced.
  uint32_t PublishDelete(uint32_t i, uint32_t id) {
    return newest_delete_[i].exchange(id, std::memory_order_acq_rel);
  }

  // The window of a read of key i that began when its word was `before` and has just ended.
  ReadWindow EndWindow(uint32_t i, KeyWord before) const {
    ReadWindow w;
    w.before = before;
    w.newest_delete = newest_delete_[i].load(std::memory_order_acquire);
    w.after = state_->Load(i);
    return w;
  }

  WriteOptions NextWriteOptions(Random* rng) const {
    WriteOptions wo;
    wo.sync = config_.sync_mode == SyncMode::kAlways ||
              (config_.sync_mode == SyncMode::kMixed && rng->OneIn(8));
    return wo;
  }

  // Writes `count` distinct own keys: one Put or Delete, or a WriteBatch mixing both.
  void DoWrite(int thread, Random* rng, uint64_t count, bool batch, bool put) {
    std::vector<uint32_t> indexes;
    while (indexes.size() < count) {
      uint32_t i = OwnKey(thread, rng);
      if (std::find(indexes.begin(), indexes.end(), i) == indexes.end()) indexes.push_back(i);
      if (indexes.size() == OwnedKeys(thread)) break;
    }
    WriteBatch wb;
    std::vector<WriteRecord> records;
    const uint64_t call = NextCall();
    for (uint32_t i : indexes) {
      KeyWord w = state_->Load(i);
      const bool is_put = batch ? !rng->OneIn(4) : put;
      const WriteRecord r = MakeRecord(TakeId(i), is_put);
      records.push_back(r);
      state_->StoreCall(i, call);      // before the record it describes
      state_->Store(i, {w.acked, r});  // pending before the write is issued
      if (!is_put) PublishDelete(i, RecordId(r));
      if (is_put) {
        wb.Put(StressKey(i), StressValue(i, RecordId(r)));
      } else {
        wb.Delete(StressKey(i));
      }
    }
    const WriteOptions wo = NextWriteOptions(rng);
    const uint64_t issued = NextTicket();
    for (size_t k = 0; k < indexes.size(); ++k)
      history_.Issued(indexes[k], RecordId(records[k]), RecordIsPut(records[k]), issued);
    Status s;
    if (batch) {
      s = db_->Write(wo, wb);
      counters_.batches.fetch_add(1, std::memory_order_relaxed);
    } else if (put) {
      s = db_->Put(wo, StressKey(indexes[0]), StressValue(indexes[0], RecordId(records[0])));
      counters_.puts.fetch_add(1, std::memory_order_relaxed);
    } else {
      s = db_->Delete(wo, StressKey(indexes[0]));
      counters_.deletes.fetch_add(1, std::memory_order_relaxed);
    }
    if (!s.ok()) {
      Error(batch ? "Write" : put ? "Put" : "Delete", s);
      return;
    }
    const uint64_t acked = NextTicket();
    for (size_t k = 0; k < indexes.size(); ++k) {
      history_.Acked(indexes[k], RecordId(records[k]), acked);
      state_->Store(indexes[k], {records[k], 0});
    }
  }

  void DoGet(int thread, Random* rng) {
    const uint32_t i = static_cast<uint32_t>(rng->Uniform(state_->keys()));
    const KeyWord before = state_->Load(i);
    std::optional<uint32_t> found;
    if (!ReadKey(ReadOptions(), i, &found)) return;
    CheckRead(i, EndWindow(i, before), found, Owns(thread, i) ? "Get of an own key" : "Get");
    counters_.gets.fetch_add(1, std::memory_order_relaxed);
  }

  // A bounded scan of up to 64 keys, forward or backward: every key in the bounds is checked,
  // the ones the iterator skipped too, each alone and all as one point in time.
  void DoIterate(int /*thread*/, Random* rng) {
    const uint32_t lo = static_cast<uint32_t>(rng->Uniform(state_->keys()));
    const uint32_t hi = std::min<uint32_t>(state_->keys(), lo + 1 + rng->Uniform(64));
    std::vector<KeyWord> before;
    for (uint32_t i = lo; i < hi; ++i)
      before.push_back(state_->Load(i));
    const std::string lower = StressKey(lo), upper = StressKey(hi);
    ReadOptions ro;
    ro.iterate_lower_bound = lower;
    ro.iterate_upper_bound = upper;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    const bool forward = rng->OneIn(2);
    if (forward) {
      if (rng->OneIn(2))
        it->SeekToFirst();
      else
        it->Seek(lower);
    } else {
      if (rng->OneIn(2))
        it->SeekToLast();
      else
        it->SeekForPrev(upper);
    }
    std::vector<std::optional<uint32_t>> found(hi - lo);
    std::optional<uint32_t> previous;
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      std::optional<uint32_t> index = ParseStressKey(it->key());
      if (!index || *index < lo || *index >= hi) {
        Fail(fmt::format("iterator bounded to [{}, {}) returned key '{}'", lower, upper,
                         Escape(it->key())));
        return;
      }
      if (previous && (forward ? *index <= *previous : *index >= *previous)) {
        Fail(fmt::format("{} iterator returned {} after {}", forward ? "forward" : "backward",
                         StressKey(*index), StressKey(*previous)));
        return;
      }
      previous = index;
      std::optional<uint32_t> id = ParseStressValue(*index, it->value());
      if (!id) {
        Mismatch(*index, DescribeWord(before[*index - lo]), std::nullopt, "iterator value",
                 it->value());
        return;
      }
      found[*index - lo] = id;
    }
    if (!it->status().ok()) {
      Error("iterator", it->status());
      return;
    }
    std::vector<ReadWindow> windows;
    for (uint32_t i = lo; i < hi; ++i) {
      windows.push_back(EndWindow(i, before[i - lo]));
      if (!CheckRead(i, windows.back(), found[i - lo], "bounded iterator")) return;
    }
    std::vector<uint32_t> indexes;
    for (uint32_t i = lo; i < hi; ++i)
      indexes.push_back(i);
    if (!CheckOneView(indexes, found, windows,
                      forward ? "forward bounded iterator" : "backward bounded iterator"))
      return;
    counters_.iterators.fetch_add(1, std::memory_order_relaxed);
  }

  // Reads of 1-8 own keys and 1-8 random keys through one snapshot. Own keys are written only by
  // this thread, so their state at the snapshot is known exactly: after more writes to them,
  // reads through the snapshot must still return it. A random key must hold a state of its window
  // from before the snapshot was taken to right after; and all of them one point in time.
  void DoSnapshot(int thread, Random* rng) {
    std::vector<uint32_t> indexes;
    for (uint64_t n = 1 + rng->Uniform(8); n > 0; --n)
      indexes.push_back(OwnKey(thread, rng));
    for (uint64_t n = 1 + rng->Uniform(8); n > 0; --n)
      indexes.push_back(static_cast<uint32_t>(rng->Uniform(state_->keys())));
    std::sort(indexes.begin(), indexes.end());
    indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
    std::vector<KeyWord> at_snapshot;
    for (uint32_t i : indexes)
      at_snapshot.push_back(state_->Load(i));
    ManagedSnapshot snapshot(db_);
    std::vector<ReadWindow> windows;
    for (size_t k = 0; k < indexes.size(); ++k)
      windows.push_back(EndWindow(indexes[k], at_snapshot[k]));
    for (uint64_t n = rng->Uniform(4); n > 0 && !failed(); --n)
      DoWrite(thread, rng, 1, false, !rng->OneIn(3));
    ReadOptions ro;
    ro.snapshot = snapshot.snapshot();
    std::vector<std::optional<uint32_t>> found(indexes.size());
    for (size_t k = 0; k < indexes.size(); ++k) {
      if (failed() || !ReadKey(ro, indexes[k], &found[k])) return;
      if (!Owns(thread, indexes[k])) {
        if (!CheckRead(indexes[k], windows[k], found[k], "read through a snapshot")) return;
      } else if (!RecordMatches(at_snapshot[k].acked, found[k])) {
        Mismatch(indexes[k], DescribeRecord(at_snapshot[k].acked), found[k],
                 "read through a snapshot");
        return;
      }
    }
    if (!CheckOneView(indexes, found, windows, "reads through a snapshot")) return;
    counters_.snapshots.fetch_add(1, std::memory_order_relaxed);
  }

  // A transaction reading 1-4 random keys and writing 1-4 own keys, at a random isolation level.
  // Its reads come from the snapshot taken at BeginTransaction (or its own writes). In the
  // expected state its writes are one batch: all pending before Commit, all acked after OK, all
  // pending cleared on Busy (a conflict applies nothing). Own keys are written by no one else, so
  // a snapshot-isolation commit conflicts only when the memtables no longer reach back to its
  // snapshot; a serializable one also when another thread wrote a key it read.
  void DoTransaction(int thread, Random* rng) {
    std::vector<uint32_t> reads;
    for (uint64_t n = 1 + rng->Uniform(4); n > 0; --n)
      reads.push_back(static_cast<uint32_t>(rng->Uniform(state_->keys())));
    std::vector<uint32_t> writes;
    for (uint64_t n = 1 + rng->Uniform(4); n > 0; --n) {
      const uint32_t i = OwnKey(thread, rng);
      if (std::find(writes.begin(), writes.end(), i) == writes.end()) writes.push_back(i);
    }
    std::vector<KeyWord> before;
    for (uint32_t i : reads)
      before.push_back(state_->Load(i));
    TransactionOptions to;
    to.isolation = rng->OneIn(2) ? IsolationLevel::kSnapshot : IsolationLevel::kSerializable;
    std::unique_ptr<Transaction> txn = db_->BeginTransaction(NextWriteOptions(rng), to);
    std::vector<std::optional<uint32_t>> found(reads.size());
    std::vector<ReadWindow> windows;
    for (size_t k = 0; k < reads.size(); ++k) {
      if (!TxnReadKey(txn.get(), reads[k], &found[k])) return;
      windows.push_back(EndWindow(reads[k], before[k]));
      if (!CheckRead(reads[k], windows.back(), found[k], "transaction Get")) return;
    }
    // The reads (before any write of its own) all come from the transaction's one snapshot.
    if (!CheckOneView(reads, found, windows, "reads of a transaction")) return;
    std::vector<WriteRecord> records;
    for (uint32_t i : writes) {
      const WriteRecord r = MakeRecord(TakeId(i), !rng->OneIn(4));
      records.push_back(r);
      Status s = RecordIsPut(r) ? txn->Put(StressKey(i), StressValue(i, RecordId(r)))
                                : txn->Delete(StressKey(i));
      if (!s.ok()) {
        Error("transaction write", s);
        return;
      }
    }
    // Read-your-writes: the transaction sees its buffered write of the first key.
    std::optional<uint32_t> own;
    if (!TxnReadKey(txn.get(), writes[0], &own)) return;
    if (!RecordMatches(records[0], own)) {
      Mismatch(writes[0], DescribeRecord(records[0]), own, "transaction reading its own write");
      return;
    }
    std::vector<uint32_t> replaced_deletes(writes.size());
    const uint64_t call = NextCall();
    for (size_t k = 0; k < writes.size(); ++k) {
      state_->StoreCall(writes[k], call);  // before the record it describes
      state_->Store(writes[k], {state_->Load(writes[k]).acked, records[k]});
      replaced_deletes[k] = RecordIsPut(records[k])
                                ? newest_delete_[writes[k]].load()
                                : PublishDelete(writes[k], RecordId(records[k]));
    }
    const uint64_t issued = NextTicket();
    for (size_t k = 0; k < writes.size(); ++k)
      history_.Issued(writes[k], RecordId(records[k]), RecordIsPut(records[k]), issued);
    Status s = txn->Commit();
    counters_.txns.fetch_add(1, std::memory_order_relaxed);
    if (s.IsBusy()) {
      // Nothing applied: the writes leave the expected state, and their deletes the newest ones
      // (a read overlapping the commit may still have taken them as possible).
      counters_.txns_busy.fetch_add(1, std::memory_order_relaxed);
      for (size_t k = 0; k < writes.size(); ++k) {
        state_->Store(writes[k], {state_->Load(writes[k]).acked, 0});
        newest_delete_[writes[k]].store(replaced_deletes[k], std::memory_order_release);
      }
      return;
    }
    if (!s.ok()) {
      Error("transaction Commit", s);
      return;
    }
    const uint64_t acked = NextTicket();
    for (size_t k = 0; k < writes.size(); ++k) {
      history_.Acked(writes[k], RecordId(records[k]), acked);
      state_->Store(writes[k], {records[k], 0});
    }
  }

  // Transaction::Get of key i, like ReadKey.
  bool TxnReadKey(Transaction* txn, uint32_t i, std::optional<uint32_t>* found) {
    std::string value;
    Status s = txn->Get(ReadOptions(), StressKey(i), &value);
    if (s.IsNotFound()) {
      found->reset();
      return true;
    }
    if (!s.ok()) return Error("transaction Get " + StressKey(i), s);
    *found = ParseStressValue(i, value);
    if (!*found)
      return Mismatch(i, DescribeWord(state_->Load(i)), std::nullopt, "transaction Get", value);
    return true;
  }

  // A checkpoint in a fresh directory, opened read-only: each key of a random range of up to 128
  // must hold a write no older than the one acked before CreateCheckpoint began and no newer than
  // the newest issued when it returned (so exactly the acked one for a key not written meanwhile,
  // as this thread's own keys are not). The directory is removed afterwards.
  void DoCheckpoint(int thread, Random* rng) {
    const uint32_t lo = static_cast<uint32_t>(rng->Uniform(state_->keys()));
    const uint32_t hi = std::min<uint32_t>(state_->keys(), lo + 1 + rng->Uniform(128));
    std::vector<KeyWord> before;
    for (uint32_t i = lo; i < hi; ++i)
      before.push_back(state_->Load(i));
    const std::string dir =
        fmt::format("{}/checkpoints/{}-{}", params_.dir, thread, checkpoint_serial_.fetch_add(1));
    Status s = db_->CreateCheckpoint(dir);
    if (!s.ok()) {
      Error("CreateCheckpoint " + dir, s);
      return;
    }
    std::vector<ReadWindow> windows;
    for (uint32_t i = lo; i < hi; ++i)
      windows.push_back(EndWindow(i, before[i - lo]));
    if (!CheckCopy(dir, lo, windows, "checkpoint")) return;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) {
      Fail(fmt::format("cannot remove checkpoint {}: {}", dir, ec.message()), ExitCode::kError);
      return;
    }
    counters_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  }

  // Opens the DB copy in `dir` (a checkpoint, a restored backup) read-only: each key i of
  // [lo, lo + windows.size()) must hold a state it had in windows[i - lo] (ReadIsLegal), and all
  // of them one point in time (vacuous for writes of an earlier process: no tickets).
  bool CheckCopy(const std::string& dir, uint32_t lo, const std::vector<ReadWindow>& windows,
                 std::string_view what) {
    const std::string get_what = fmt::format("Get from a {}", what);
    std::unique_ptr<DB> copy;
    Status s = DB::OpenReadOnly(config_.options, dir, &copy);
    if (!s.ok()) return Error(fmt::format("OpenReadOnly of {} {}", what, dir), s);
    std::vector<uint32_t> indexes;
    std::vector<std::optional<uint32_t>> shown;
    for (uint32_t i = lo; i < lo + windows.size(); ++i) {
      std::string value;
      s = copy->Get(ReadOptions(), StressKey(i), &value);
      std::optional<uint32_t> found;
      if (s.ok()) {
        found = ParseStressValue(i, value);
        if (!found)
          return Mismatch(i, DescribeWindow(windows[i - lo]), std::nullopt, get_what.c_str(),
                          value);
      } else if (!s.IsNotFound()) {
        return Error(fmt::format("Get from {} {}", what, dir), s);
      }
      if (!CheckRead(i, windows[i - lo], found, get_what.c_str())) return false;
      indexes.push_back(i);
      shown.push_back(found);
    }
    if (!CheckOneView(indexes, shown, windows, what)) return false;
    s = copy->Close();
    if (!s.ok()) return Error(fmt::format("Close of {} {}", what, dir), s);
    return true;
  }

  // Restores backup `id` into DIR/restore and checks keys [lo, lo + windows.size()) of it with
  // CheckCopy; the directory is removed afterwards.
  bool RestoreAndCheck(BackupEngine* engine, uint32_t id, uint32_t lo,
                       const std::vector<ReadWindow>& windows) {
    const std::string dir = params_.dir + "/restore";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);  // a kill may have left a restore behind
    Status s = engine->RestoreDBFromBackup(id, dir);
    if (!s.ok()) return Error(fmt::format("RestoreDBFromBackup {} to {}", id, dir), s);
    if (!CheckCopy(dir, lo, windows, fmt::format("restored backup {}", id))) return false;
    std::filesystem::remove_all(dir, ec);
    if (ec) return Fail(fmt::format("cannot remove {}: {}", dir, ec.message()), ExitCode::kError);
    counters_.backups_restored.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // An incremental backup into DIR/backups (flush_first: it must hold every write acked before
  // it began), its window per key (backup_floor.h) written once it is listed; one in four
  // verified, one in four restored with up to 128 consecutive keys checked like a checkpoint's.
  // The two newest backups are kept. Backups run one at a time: an engine's directory takes one
  // engine.
  void DoBackup(Random* rng) {
    MutexLock lock(&backup_mu_);
    const uint32_t keys = state_->keys();
    std::vector<KeyWord> before(keys);
    for (uint32_t i = 0; i < keys; ++i)
      before[i] = state_->Load(i);
    std::unique_ptr<BackupEngine> engine;
    Status s = BackupEngine::Open(BackupDir(), BackupEngineOptions(), &engine);
    if (!s.ok()) {
      Error("BackupEngine::Open " + BackupDir(), s);
      return;
    }
    uint32_t id = 0;
    s = engine->CreateNewBackup(db_, /*flush_first=*/true, &id);
    if (!s.ok()) {
      Error("CreateNewBackup", s);
      return;
    }
    std::vector<ReadWindow> windows(keys);
    for (uint32_t i = 0; i < keys; ++i)
      windows[i] = EndWindow(i, before[i]);
    s = WriteBackupFloor(FloorsDir(), id, windows);
    if (!s.ok()) {
      Fail("backup floor: " + s.ToString(), ExitCode::kError);
      return;
    }
    if (rng->OneIn(4)) {
      s = engine->VerifyBackup(id);
      if (!s.ok()) {
        Error(fmt::format("VerifyBackup {}", id), s);
        return;
      }
    }
    if (rng->OneIn(4)) {
      const uint32_t lo = static_cast<uint32_t>(rng->Uniform(keys));
      const uint32_t hi = std::min<uint32_t>(keys, lo + 1 + rng->Uniform(128));
      if (!RestoreAndCheck(engine.get(), id, lo, {windows.begin() + lo, windows.begin() + hi}))
        return;
    }
    // The floors of the backups the purge deletes go first: a saved floor says its backup must
    // be listed (VerifyLatestBackup), even after a kill between the two.
    std::vector<uint32_t> kept;
    for (const BackupInfo& info : engine->GetBackupInfo())
      kept.push_back(info.id);
    if (kept.size() > 2) kept.erase(kept.begin(), kept.end() - 2);
    s = PruneBackupFloors(FloorsDir(), kept);
    if (s.ok()) s = engine->PurgeOldBackups(2);
    if (!s.ok()) {
      Error("pruning old backups", s);
      return;
    }
    counters_.backups.fetch_add(1, std::memory_order_relaxed);
  }

  std::string BackupDir() const { return params_.dir + "/backups"; }
  std::string FloorsDir() const { return params_.dir + "/backup_floors"; }

 public:
  // Before the first VerifyAll of a run (the expected state not yet resolved after a kill): the
  // latest listed backup, restored, must hold per key a state of the window saved for it when
  // CreateNewBackup returned (backup_floor.h). Without one (killed before it was saved), only an
  // upper bound: a write no newer than the acked or pending one of the expected state. Each
  // backup is checked so once (marked then), so that crash rounds do not restore it again.
  // Before that, every backup whose floor was saved (CreateNewBackup had returned OK) must be
  // listed, and no metadata may be unreadable: a kill must not lose an acknowledged backup.
  bool VerifyLatestBackup() {
    std::vector<uint32_t> acknowledged;
    Status s = BackupFloorIds(FloorsDir(), &acknowledged);
    if (!s.ok()) return Error("backup floors", s);
    std::error_code ec;
    if (!std::filesystem::exists(BackupDir(), ec)) {
      if (acknowledged.empty()) return true;
      return Fail(fmt::format("backup {} was acknowledged, but {} is gone", acknowledged.back(),
                              BackupDir()),
                  ExitCode::kCorruption);
    }
    std::unique_ptr<BackupEngine> engine;
    s = BackupEngine::Open(BackupDir(), BackupEngineOptions(), &engine);
    if (!s.ok()) return Error("BackupEngine::Open " + BackupDir(), s);
    const std::vector<BackupInfo> infos = engine->GetBackupInfo();
    if (const std::vector<uint32_t> bad = engine->GetCorruptedBackups(); !bad.empty()) {
      return Fail(fmt::format("backup {}'s metadata is unreadable", bad.front()),
                  ExitCode::kCorruption);
    }
    for (const uint32_t id : acknowledged) {
      if (std::none_of(infos.begin(), infos.end(),
                       [id](const BackupInfo& info) { return info.id == id; })) {
        return Fail(fmt::format("backup {} was acknowledged but is not listed", id),
                    ExitCode::kCorruption);
      }
    }
    if (infos.empty()) return true;
    const uint32_t id = infos.back().id;
    if (BackupChecked(FloorsDir(), id)) return true;
    std::optional<std::vector<ReadWindow>> floor;
    s = ReadBackupFloor(FloorsDir(), id, state_->keys(), &floor);
    if (!s.ok()) return Error("backup floor", s);
    std::vector<ReadWindow> windows;
    if (floor) {
      windows = std::move(*floor);
    } else {
      // From "never written" (so NotFound and any value made by now are legal) to the state now.
      windows.resize(state_->keys());
      for (uint32_t i = 0; i < state_->keys(); ++i)
        windows[i].after = state_->Load(i);
    }
    if (!RestoreAndCheck(engine.get(), id, 0, windows)) return false;
    s = MarkBackupChecked(FloorsDir(), id);
    if (!s.ok()) return Fail("backup floor: " + s.ToString(), ExitCode::kError);
    PrintToStderr("ziggy stress: latest backup ({}) restored and checked{}\n", id,
                  floor ? "" : " (no floor: killed before it was written)");
    return true;
  }

 private:
  void DoCompactRange(Random* rng) {
    const uint32_t a = static_cast<uint32_t>(rng->Uniform(state_->keys()));
    const uint32_t b = std::min<uint32_t>(state_->keys(), a + 1 + rng->Uniform(state_->keys()));
    const std::string begin = StressKey(a), end = StressKey(b);
    Status s = rng->OneIn(4) ? db_->CompactRange(std::nullopt, std::nullopt)
                             : db_->CompactRange(begin, end);
    if (!s.ok()) Error("CompactRange", s);
    counters_.compactions.fetch_add(1, std::memory_order_relaxed);
  }

  // Get of key i: *found is the value id, nullopt when absent. A value that is not a stress
  // value of this key is a mismatch.
  bool ReadKey(const ReadOptions& ro, uint32_t i, std::optional<uint32_t>* found) {
    std::string value;
    Status s = db_->Get(ro, StressKey(i), &value);
    if (s.IsNotFound()) {
      found->reset();
      return true;
    }
    if (!s.ok()) return Error("Get " + StressKey(i), s);
    *found = ParseStressValue(i, value);
    if (!*found) return Mismatch(i, DescribeWord(state_->Load(i)), std::nullopt, "Get", value);
    return true;
  }

  // A ticket of the global counter (point_in_time.h): taken right before a write is issued and
  // right after it returned OK.
  uint64_t NextTicket() { return tickets_.fetch_add(1, std::memory_order_seq_cst) + 1; }

  // A new id for the DB call about to be made (its keys' pending writes record it).
  uint64_t NextCall() { return call_base_ | (calls_.fetch_add(1, std::memory_order_relaxed) + 1); }

  // The cross-key check of one multi-key view (point_in_time.h): key indexes[k] showed found[k],
  // within windows[k] (already checked alone). Run after the view ended, so that the history
  // holds every write the view may show.
  bool CheckOneView(const std::vector<uint32_t>& indexes,
                    const std::vector<std::optional<uint32_t>>& found,
                    const std::vector<ReadWindow>& windows, std::string_view what) {
    std::vector<ViewedKey> view(indexes.size());
    for (size_t k = 0; k < indexes.size(); ++k)
      view[k] = {indexes[k], found[k], NewestIssuedId(windows[k]), history_.Writes(indexes[k])};
    counters_.views_checked.fetch_add(1, std::memory_order_relaxed);
    std::optional<std::string> error = CheckPointInTime(view);
    if (!error) return true;
    return Fail(fmt::format("NOT ONE POINT IN TIME ({}): {}", what, *error), ExitCode::kCorruption);
  }

  // A read that raced with writers over window `w`: `found` must be a state the key had in it.
  bool CheckRead(uint32_t i, const ReadWindow& w, std::optional<uint32_t> found, const char* what) {
    return ReadIsLegal(w, found) ? true : Mismatch(i, DescribeWindow(w), found, what);
  }

  static std::string DescribeWord(KeyWord w) {
    std::string expected = DescribeRecord(w.acked);
    if (w.pending != 0) expected += " or pending " + DescribeRecord(w.pending);
    return expected;
  }

  bool Mismatch(uint32_t i, const std::string& expected, std::optional<uint32_t> found,
                const char* what, std::string_view raw = {}) {
    std::string got;
    if (found) {
      got = fmt::format("value id {}", *found);
    } else if (!raw.empty()) {
      got = fmt::format("a value no write made: '{}'", Escape(raw));
    } else {
      got = "no value (absent)";
    }
    return Fail(fmt::format("MISMATCH ({}) key {}: expected {}, found {}", what, StressKey(i),
                            expected, got),
                ExitCode::kCorruption);
  }

  bool Error(const std::string& what, const Status& s) {
    return Fail(fmt::format("{} failed: {}", what, s.ToString()),
                s.IsCorruption() ? ExitCode::kCorruption : ExitCode::kError);
  }

  bool Fail(const std::string& message, ExitCode code = ExitCode::kCorruption) {
    if (!failed_.exchange(true)) {
      exit_code_ = ToInt(code);
      PrintToStderr("ziggy stress: {} (seed {}; repeat with: {})\n", message, params_.seed,
                    RunCommandLine(params_));
    }
    return false;
  }

  const RunParams& params_;
  const RunConfig& config_;
  ExpectedState* state_;
  // Per key, the id its next write gets; written only by the key's owner (and by VerifyAll, with
  // no worker running).
  std::unique_ptr<uint32_t[]> next_id_;
  // Per key, the id of the newest delete issued in this process (0: none); see PublishDelete.
  std::unique_ptr<std::atomic<uint32_t>[]> newest_delete_;
  // The global ticket counter and the tickets of each key's newest writes (point_in_time.h).
  std::atomic<uint64_t> tickets_{0};
  // Call ids of pending writes (expected_state.h): this process's id in the high half, so that
  // no id of another process that used the same expected state can equal one of ours.
  const uint64_t call_base_ = uint64_t{static_cast<uint32_t>(::getpid())} << 32;
  std::atomic<uint64_t> calls_{0};
  WriteHistory history_;
  DB* db_ = nullptr;
  std::atomic<uint64_t> checkpoint_serial_{0};
  // Serializes DoBackup: the state it guards is the backup directory, on disk.
  Mutex backup_mu_;
  std::atomic<bool> failed_{false};
  int exit_code_ = 0;  // written once, by the thread that set failed_
  Counters counters_;
};

Status OpenDb(const RunConfig& config, const std::string& path, std::unique_ptr<DB>* db) {
  return DB::Open(config.options, path, db);
}

}  // namespace

std::string RunCommandLine(const RunParams& params) {
  std::string line = fmt::format("ziggy stress --dir {} --seed {} --threads {} --keys {}",
                                 params.dir, params.seed, params.threads, params.keys);
  if (params.verify_only) return line + " --verify-only";
  return line + fmt::format(
                    " --seconds {} --txn-permille {} --checkpoint-permille {} --backup-permille {}",
                    params.seconds, params.txn_permille, params.checkpoint_permille,
                    params.backup_permille);
}

int RunStress(const RunParams& params) {
  if (params.threads < 1 || static_cast<uint32_t>(params.threads) > params.keys) {
    PrintToStderr("ziggy stress: --threads must be 1 to --keys ({})\n", params.keys);
    return ToInt(ExitCode::kUsage);
  }
  if (params.txn_permille + params.checkpoint_permille + params.backup_permille > 1000) {
    PrintToStderr(
        "ziggy stress: --txn-permille, --checkpoint-permille and --backup-permille "
        "together exceed 1000\n");
    return ToInt(ExitCode::kUsage);
  }
  std::error_code ec;
  std::filesystem::create_directories(params.dir, ec);
  if (ec) {
    PrintToStderr("ziggy stress: cannot create {}: {}\n", params.dir, ec.message());
    return ToInt(ExitCode::kError);
  }
  // A killed run may have left checkpoints behind.
  const std::string checkpoints = params.dir + "/checkpoints";
  std::filesystem::remove_all(checkpoints, ec);
  if (!ec) std::filesystem::create_directories(checkpoints, ec);
  if (ec) {
    PrintToStderr("ziggy stress: cannot empty {}: {}\n", checkpoints, ec.message());
    return ToInt(ExitCode::kError);
  }
  std::unique_ptr<ExpectedState> state;
  Status s = ExpectedState::Open(params.dir + "/expected_state", params.keys, &state);
  if (!s.ok()) return ToInt(ReportError("stress", "expected state", s));
  const RunConfig config = RandomConfig(params.seed);
  PrintToStderr("ziggy stress: {}\n  options: {}\n", RunCommandLine(params),
                DescribeConfig(config));
  const std::string db_path = params.dir + "/db";
  std::unique_ptr<DB> db;
  s = OpenDb(config, db_path, &db);
  if (!s.ok()) return ToInt(ReportError("stress", "open " + db_path, s));
  Run run(params, config, state.get());
  run.set_db(db.get());
  if (!run.VerifyLatestBackup() || !run.VerifyAll()) return run.exit_code();
  PrintToStderr("ziggy stress: verified {} keys{}\n", params.keys,
                params.verify_only ? "" : "; workers starting");
  if (params.verify_only) return ToInt(ExitCode::kOk);
  Random rng(params.seed);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(params.seconds));
  uint64_t reopens = 0;
  for (uint64_t epoch = 0; params.seconds <= 0 || Clock::now() < deadline; ++epoch) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < params.threads; ++t)
      workers.emplace_back(&Run::Worker, &run, t, rng.Next64(), &stop);
    auto epoch_end = Clock::now() + std::chrono::milliseconds(200 + rng.Uniform(2800));
    if (params.seconds > 0) epoch_end = std::min(epoch_end, deadline);
    while (Clock::now() < epoch_end && !run.failed())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop.store(true);
    for (std::thread& w : workers)
      w.join();
    if (run.failed()) return run.exit_code();
    // Close + reopen, then the full check (every write acked, none pending).
    s = db->Close();
    if (!s.ok()) return ToInt(ReportError("stress", "close", s));
    db.reset();
    s = OpenDb(config, db_path, &db);
    if (!s.ok()) return ToInt(ReportError("stress", "reopen " + db_path, s));
    run.set_db(db.get());
    ++reopens;
    if (!run.VerifyAll()) return run.exit_code();
  }
  const Counters& c = run.counters();
  PrintToStderr(
      "ziggy stress: ok after {:.1f} s: {} puts, {} deletes, {} batches, {} gets, {} "
      "iterators, {} snapshots, {} flushes, {} compactions, {} transactions ({} busy), {} "
      "checkpoints, {} backups ({} restored), {} reopens; {} multi-key views checked as one "
      "point in time\n",
      std::chrono::duration<double>(Clock::now() - start).count(), c.puts.load(), c.deletes.load(),
      c.batches.load(), c.gets.load(), c.iterators.load(), c.snapshots.load(), c.flushes.load(),
      c.compactions.load(), c.txns.load(), c.txns_busy.load(), c.checkpoints.load(),
      c.backups.load(), c.backups_restored.load(), reopens, c.views_checked.load());
  return ToInt(ExitCode::kOk);
}

}  // namespace ziggydb::tools::stress
