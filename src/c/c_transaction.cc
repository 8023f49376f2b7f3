// The transactions of the C API (include/ziggydb/c.h over ziggydb/transaction.h).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include "c/c_handles.h"
#include "ziggydb/transaction.h"

using ziggydb::c_api::Bytes;
using ziggydb::c_api::CopyToMalloc;
using ziggydb::c_api::Guard;
using ziggydb::c_api::SaveError;

struct ziggydb_transaction_t {
  std::unique_ptr<ziggydb::Transaction> txn;
};

struct ziggydb_transaction_options_t {
  ziggydb::TransactionOptions options;
  int isolation = ziggydb_isolation_snapshot;  // checked at begin
};

extern "C" {

ziggydb_transaction_options_t* ziggydb_transaction_options_create(void) {
  return new (std::nothrow) ziggydb_transaction_options_t;
}

void ziggydb_transaction_options_destroy(ziggydb_transaction_options_t* options) {
  delete options;
}

void ziggydb_transaction_options_set_isolation(ziggydb_transaction_options_t* options,
                                               int isolation) {
  options->isolation = isolation;
}

void ziggydb_transaction_options_set_max_write_bytes(ziggydb_transaction_options_t* options,
                                                     size_t bytes) {
  options->options.max_write_bytes = bytes;
}

ziggydb_transaction_t* ziggydb_transaction_begin(ziggydb_t* db,
                                                 const ziggydb_writeoptions_t* write_options,
                                                 const ziggydb_transaction_options_t* txn_options) {
  try {
    ziggydb::TransactionOptions options;
    if (txn_options != nullptr) {
      options = txn_options->options;
      switch (txn_options->isolation) {
        case ziggydb_isolation_snapshot:
          options.isolation = ziggydb::IsolationLevel::kSnapshot;
          break;
        case ziggydb_isolation_serializable:
          options.isolation = ziggydb::IsolationLevel::kSerializable;
          break;
        default:
          return nullptr;
      }
    }
    auto handle = std::make_unique<ziggydb_transaction_t>();
    handle->txn = db->db->BeginTransaction(write_options->options, options);
    if (handle->txn == nullptr) return nullptr;
    return handle.release();
  } catch (...) {
    return nullptr;
  }
}

void ziggydb_transaction_destroy(ziggydb_transaction_t* txn) {
  delete txn;
}

char* ziggydb_transaction_get(ziggydb_transaction_t* txn, const ziggydb_readoptions_t* options,
                              const char* key, size_t keylen, size_t* vallen, char** errptr) {
  char* result = nullptr;
  *vallen = 0;
  Guard(errptr, [&] {
    std::string value;
    ziggydb::Status s = txn->txn->Get(options->options, Bytes(key, keylen), &value);
    if (s.IsNotFound()) return;
    if (!SaveError(errptr, s)) return;
    result = CopyToMalloc(value);
    if (result == nullptr) throw std::bad_alloc();
    *vallen = value.size();
  });
  return result;
}

void ziggydb_transaction_put(ziggydb_transaction_t* txn, const char* key, size_t keylen,
                             const char* val, size_t vallen, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, txn->txn->Put(Bytes(key, keylen), Bytes(val, vallen))); });
}

void ziggydb_transaction_delete(ziggydb_transaction_t* txn, const char* key, size_t keylen,
                                char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, txn->txn->Delete(Bytes(key, keylen))); });
}

ziggydb_iterator_t* ziggydb_transaction_create_iterator(ziggydb_transaction_t* txn,
                                                        const ziggydb_readoptions_t* options) {
  return ziggydb::c_api::NewIteratorHandle(options,
                                           [txn](const ziggydb::ReadOptions& read_options) {
                                             return txn->txn->NewIterator(read_options);
                                           });
}

void ziggydb_transaction_commit(ziggydb_transaction_t* txn, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, txn->txn->Commit()); });
}

void ziggydb_transaction_rollback(ziggydb_transaction_t* txn, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, txn->txn->Rollback()); });
}

void ziggydb_transaction_set_savepoint(ziggydb_transaction_t* txn, char** errptr) {
  Guard(errptr, [&] { txn->txn->SetSavePoint(); });
}

void ziggydb_transaction_rollback_to_savepoint(ziggydb_transaction_t* txn, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, txn->txn->RollbackToSavePoint()); });
}

}  // extern "C"
