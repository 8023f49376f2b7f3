// Transaction: optimistic multi-key read-modify-write transactions over a DB, at snapshot isolation
// or serializable (docs/design/transactions.md has the semantics and their proof sketch).
//
// A transaction reads from a snapshot taken when it began, overlaid with its own writes, which it
// buffers until Commit. Commit writes the buffer as one WriteBatch (all or nothing, also after a
// crash) through the DB's group commit, with the WriteOptions given at DB::BeginTransaction, after
// checking, atomically with the commit, that no conflicting write was committed since the snapshot:
//   - kSnapshot: no key this transaction writes was written by anyone after its snapshot;
//   - kSerializable: also no key it read with Get (found or not), and no key in any range one of
//     its iterators traversed (including keys that did not exist), was written after its snapshot.
// On a conflict Commit returns Busy and applies nothing: run the transaction again (RunTransaction
// does). A transaction that wrote nothing commits without a check and never fails.
//
// Conflicts are found in the DB's memtables, which hold every write since they began. A
// transaction whose snapshot is older than the oldest memtable kept (a memtable is dropped once
// flushed) cannot be checked: its Commit returns Busy saying the history is no longer kept.
//
// Thread safety: a Transaction is used by one thread at a time (like an Iterator); different
// transactions of one DB may run concurrently from any threads.
// Lifetime: a transaction ends at Commit, Rollback or destruction (which rolls back); after that
// every call returns InvalidArgument and its iterators turn invalid with that status. DB::Close
// ends the transactions still open (their calls return InvalidArgument "the DB is closed"), so a
// transaction may outlive its DB object.
#ifndef ZIGGYDB_TRANSACTION_H_
#define ZIGGYDB_TRANSACTION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

class DB;

enum class IsolationLevel : uint8_t { kSnapshot = 0, kSerializable = 1 };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::kSnapshot;
  // The most the write buffer may hold: the bytes of every distinct key written plus its value,
  // plus 16 bytes per key; while save points are set, also what they keep to roll back to (per
  // save point, each key changed since it, as it was then, counted the same way). A Put or Delete
  // that would go over it returns InvalidArgument and buffers nothing (the transaction stays
  // usable). Values above kMaxWriteBatchBytes / 2 act as
  // kMaxWriteBatchBytes / 2, so that the batch Commit writes always fits. Default: 64 MiB.
  size_t max_write_bytes = size_t{64} << 20;
  // Serializable only: the most bytes the read set may hold (keys read with Get, a key read again
  // counting once, and the bounds of the ranges iterators traversed, plus 16 bytes each). A read
  // that would go over it returns InvalidArgument (an iterator turns invalid with that status): the
  // commit could no longer be checked. Default: 64 MiB.
  size_t max_read_set_bytes = size_t{64} << 20;
};

class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // An uncommitted transaction rolls back.
  virtual ~Transaction();

  // The value as of the snapshot, or the transaction's own last write of the key. OK and *value
  // set, or NotFound. options.snapshot must be null (the transaction's snapshot is used).
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // Buffer a write; InvalidArgument over kMaxKeyBytes, kMaxValueBytes or max_write_bytes.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // An iterator over the snapshot with the transaction's writes merged in (both directions,
  // honouring options' bounds; its deletes hide keys). Writes (and save point rollbacks) made
  // while it is open show from its next move (Seek*, Next, Prev) on; key() and value() stay as
  // they were until then. It must not be used after the transaction ended: it is then invalid
  // with status InvalidArgument (destroying it stays safe). options.snapshot must be null.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;
  // Busy on a conflict (nothing applied: retry). Ends the transaction whatever it returns, and
  // also when it lets std::bad_alloc out (then before anything was applied).
  virtual Status Commit() = 0;
  // Discards the buffered writes and ends the transaction.
  virtual Status Rollback() = 0;
  // Marks the write buffer's state; save points stack.
  virtual void SetSavePoint() = 0;
  // Restores the write buffer to the last save point and removes it. NotFound when no save point
  // is set. Reads made since stay in the read set: the transaction has seen them.
  virtual Status RollbackToSavePoint() = 0;
};

// Runs `body` in a new transaction of `db` and commits it, retrying the whole (a new transaction
// each time) while Commit or `body` returns Busy, up to max_attempts attempts, with randomised
// exponential backoff between them (100 us doubling up to 10 ms). A non-Busy error from `body`
// rolls back and is returned at once. Returns OK once committed, else the last status (Busy after
// max_attempts conflicts). max_attempts < 1 acts as 1. InvalidArgument if db or body is null.
Status RunTransaction(DB* db, const WriteOptions& write_options,
                      const TransactionOptions& txn_options,
                      const std::function<Status(Transaction&)>& body, int max_attempts = 10);

}  // namespace ziggydb

#endif  // ZIGGYDB_TRANSACTION_H_
