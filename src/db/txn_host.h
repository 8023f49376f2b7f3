// TxnHost: the narrow interface the transaction module (src/txn/) works through. The DB implements
// it; a transaction holds a TxnHost* and uses nothing else of the DB's internals (its reads go
// through the public DB API with its snapshot).
//
// The one call from db up into txn is NewTransaction below, declared here and defined by the txn
// module: DB::BeginTransaction hands the new transaction over to it. It is resolved at link time
// (the db library's link interface includes the txn library).
//
// Conflict checking (docs/design/transactions.md): the DB keeps every write in its memtables
// until they are flushed, and each memtable knows the first sequence it can hold. At the commit
// point (commit_pipeline.h, invariant 4) the DB checks that its memtables still cover the
// transaction's snapshot and then gives the transaction a ConflictHistory over them.
#ifndef ZIGGYDB_DB_TXN_HOST_H_
#define ZIGGYDB_DB_TXN_HOST_H_

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/dbformat.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"
#include "ziggydb/transaction.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

// The writes committed after a snapshot: the memtables, and the batches ahead of the transaction
// in its commit group. Valid only during the validator call it is passed to (DB mutex held).
class ConflictHistory {
 public:
  virtual ~ConflictHistory() = default;
  // True if `key` was written (put or deleted) with a sequence > snapshot.
  [[nodiscard]] virtual bool KeyWrittenAfter(std::string_view key,
                                             SequenceNumber snapshot) const = 0;
  // True if any key k with lo <= k < hi was written with a sequence > snapshot. std::nullopt
  // leaves that side unbounded.
  [[nodiscard]] virtual bool RangeWrittenAfter(std::optional<std::string_view> lo,
                                               std::optional<std::string_view> hi,
                                               SequenceNumber snapshot) const = 0;
};

// Returns OK to let the commit proceed, or the status that fails it (Busy on a conflict).
using TxnValidator = std::function<Status(const ConflictHistory& history)>;

// Implemented by a transaction: what the DB tells it.
class TxnClient {
 public:
  // The DB is closing (DB::Close, with no other call of the DB or of its transactions running):
  // the transaction drops every DB resource it holds (its iterators' DB iterators) and never calls
  // the host again. Called without the DB mutex.
  virtual void OnHostClosed() = 0;

 protected:
  ~TxnClient() = default;
};

class TxnHost {
 public:
  // Registers `client`, a transaction beginning now, and sets *snapshot to the last published
  // sequence. While registered, compaction keeps every version the snapshot sees, and Close calls
  // client->OnHostClosed() and forgets it. InvalidArgument once the DB is closed.
  [[nodiscard]] virtual Status RegisterTransaction(TxnClient* client, SequenceNumber* snapshot) = 0;
  // Forgets a registered client (its transaction ended). Not called after OnHostClosed.
  virtual void UnregisterTransaction(TxnClient* client) = 0;
  // Commits `batch` (non-empty, built through the WriteBatch API) with `options` through the
  // commit pipeline. At the commit point, if the memtables still hold every write after
  // `snapshot`, `validate` decides (a non-OK status fails the commit, nothing applied); otherwise
  // the commit fails with Busy ("history no longer kept"). Conflicts and those aborts are
  // counted in the DB's statistics.
  [[nodiscard]] virtual Status CommitTransaction(const WriteOptions& options,
                                                 const WriteBatch& batch, SequenceNumber snapshot,
                                                 const TxnValidator& validate) = 0;
  // The DB, for the transaction's reads (with its snapshot in ReadOptions).
  virtual DB* TxnDb() = 0;

 protected:
  ~TxnHost() = default;
};

// Defined by the txn module. host == nullptr (the DB is closed): a transaction every call of which
// returns InvalidArgument "the DB is closed".
std::unique_ptr<Transaction> NewTransaction(TxnHost* host, const WriteOptions& write_options,
                                            const TransactionOptions& txn_options);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_TXN_HOST_H_
