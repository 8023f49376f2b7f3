// TxnEnd: why a transaction ended. Ending keeps this code, not a Status (building one allocates),
// so that ending never throws: it runs in the destructor, after a commit was applied, and at the
// DB's Close. The Status a later call returns is built then.
#ifndef ZIGGYDB_TXN_TXN_END_H_
#define ZIGGYDB_TXN_TXN_END_H_

#include <cstdint>

#include "ziggydb/status.h"

namespace ziggydb {

enum class TxnEnd : uint8_t { kCommitted, kCommitFailed, kRolledBack, kDbClosed };

// What every call of a transaction (or its iterators) ended for `end` returns.
inline Status TxnEndStatus(TxnEnd end) {
  switch (end) {
    case TxnEnd::kCommitted:
      return Status::InvalidArgument("the transaction has ended", "committed");
    case TxnEnd::kCommitFailed:
      return Status::InvalidArgument("the transaction has ended", "its commit failed");
    case TxnEnd::kRolledBack:
      return Status::InvalidArgument("the transaction has ended", "rolled back");
    case TxnEnd::kDbClosed:
      break;
  }
  return Status::InvalidArgument("the DB is closed");
}

}  // namespace ziggydb

#endif  // ZIGGYDB_TXN_TXN_END_H_
