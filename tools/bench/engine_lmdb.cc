// LMDB (Debian's liblmdb-dev) behind the bench adapter: one environment with a large sparse map,
// one write transaction per Put/Delete/WriteBatch, MDB_NOSYNC unless sync is on. LMDB has no
// memtable or block cache (the OS page cache plays both parts), so those settings do not apply.
// A bench transaction is an LMDB write transaction (serializable: it holds the single writer's
// lock from Begin to Commit, so it never conflicts), or a read transaction when read-only.
#include <lmdb.h>

#include <memory>

#include "tools/bench/engine.h"

namespace ziggydb::bench {
namespace {

Status FromMdb(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return Status::OK();
  if (rc == MDB_NOTFOUND) return Status::NotFound(what);
  if (rc == MDB_CORRUPTED) return Status::Corruption(what, mdb_strerror(rc));
  return Status::IOError(what, mdb_strerror(rc));
}

MDB_val ToVal(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};  // LMDB never writes through it
}

class LmdbTxn final : public EngineTxn {
 public:
  LmdbTxn(MDB_txn* txn, MDB_dbi dbi, bool read_only)
      : txn_(txn), dbi_(dbi), read_only_(read_only) {}
  ~LmdbTxn() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }

  Status Get(std::string_view key, std::string* value) override {
    if (txn_ == nullptr) return Status::InvalidArgument("lmdb transaction already finished");
    MDB_val k = ToVal(key);
    MDB_val v;
    const int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc == MDB_SUCCESS) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    return FromMdb(rc, "mdb_get");
  }
  Status Put(std::string_view key, std::string_view value) override {
    if (txn_ == nullptr || read_only_) {
      return Status::InvalidArgument("lmdb transaction finished or read-only");
    }
    MDB_val k = ToVal(key);
    MDB_val v = ToVal(value);
    return FromMdb(mdb_put(txn_, dbi_, &k, &v, 0), "mdb_put");
  }
  Status Commit() override {
    if (txn_ == nullptr) return Status::InvalidArgument("lmdb transaction already finished");
    MDB_txn* txn = txn_;
    txn_ = nullptr;
    if (read_only_) {
      mdb_txn_abort(txn);  // a read transaction has nothing to apply
      return Status::OK();
    }
    return FromMdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  Status Rollback() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
    return Status::OK();
  }

 private:
  MDB_txn* txn_;  // nullptr once committed or rolled back
  const MDB_dbi dbi_;
  const bool read_only_;
};

class LmdbEngine final : public Engine {
 public:
  ~LmdbEngine() override { Close().PermitUncheckedError(); }

  std::string_view name() const override { return "lmdb"; }

  Status Open(const std::string& dir, const EngineConfig& config) override {
    int rc = mdb_env_create(&env_);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_env_create");
    rc = mdb_env_set_mapsize(env_, config.lmdb_map_bytes);
    // Reader slots: one per concurrent read transaction (one per bench thread).
    if (rc == MDB_SUCCESS) rc = mdb_env_set_maxreaders(env_, 1024);
    const unsigned flags = config.sync ? 0u : unsigned{MDB_NOSYNC};
    if (rc == MDB_SUCCESS) rc = mdb_env_open(env_, dir.c_str(), flags | MDB_NORDAHEAD, 0644);
    MDB_txn* txn = nullptr;
    if (rc == MDB_SUCCESS) rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == MDB_SUCCESS) {
      rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
      if (rc == MDB_SUCCESS) {
        rc = mdb_txn_commit(txn);
      } else {
        mdb_txn_abort(txn);
      }
    }
    if (rc != MDB_SUCCESS) {
      mdb_env_close(env_);
      env_ = nullptr;
    }
    return FromMdb(rc, "mdb_env_open");
  }
  Status Put(std::string_view key, std::string_view value) override {
    return WriteBatch({KeyValue{key, value}});
  }
  Status Get(std::string_view key, std::string* value) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_txn_begin");
    MDB_val k = ToVal(key);
    MDB_val v;
    rc = mdb_get(txn, dbi_, &k, &v);
    if (rc == MDB_SUCCESS) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_abort(txn);
    return FromMdb(rc, "mdb_get");
  }
  Status Delete(std::string_view key) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_txn_begin");
    MDB_val k = ToVal(key);
    rc = mdb_del(txn, dbi_, &k, nullptr);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;  // deleting an absent key is not an error
    return Finish(txn, rc, "mdb_del");
  }
  Status WriteBatch(const std::vector<KeyValue>& updates) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_txn_begin");
    for (size_t i = 0; i < updates.size() && rc == MDB_SUCCESS; ++i) {
      MDB_val k = ToVal(updates[i].key);
      MDB_val v = ToVal(updates[i].value);
      rc = mdb_put(txn, dbi_, &k, &v, 0);
    }
    return Finish(txn, rc, "mdb_put");
  }
  Status Scan(std::string_view start, size_t count, bool reverse, size_t* read) override {
    *read = 0;
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_txn_begin");
    MDB_cursor* cursor = nullptr;
    rc = mdb_cursor_open(txn, dbi_, &cursor);
    MDB_val k = ToVal(start);
    MDB_val v;
    if (rc == MDB_SUCCESS) rc = Position(cursor, start, reverse, &k, &v);
    const MDB_cursor_op step = reverse ? MDB_PREV : MDB_NEXT;
    while (rc == MDB_SUCCESS && *read < count) {
      ++*read;
      rc = mdb_cursor_get(cursor, &k, &v, step);
    }
    if (cursor != nullptr) mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    return FromMdb(rc == MDB_NOTFOUND ? MDB_SUCCESS : rc, "mdb_cursor_get");
  }
  std::vector<TxnIsolation> TxnIsolations() const override { return {TxnIsolation::kSerializable}; }
  Status BeginTransaction(const TxnOptions& options, std::unique_ptr<EngineTxn>* txn) override {
    txn->reset();
    if (options.isolation != TxnIsolation::kSerializable) {
      return Status::NotSupported("lmdb transactions", "serializable only");
    }
    MDB_txn* handle = nullptr;
    const int rc =
        mdb_txn_begin(env_, nullptr, options.read_only ? unsigned{MDB_RDONLY} : 0u, &handle);
    if (rc != MDB_SUCCESS) return FromMdb(rc, "mdb_txn_begin");
    *txn = std::make_unique<LmdbTxn>(handle, dbi_, options.read_only);
    return Status::OK();
  }
  // Writes are in the file when their transaction commits; nothing is buffered.
  Status Flush() override { return Status::OK(); }
  Status Close() override {
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = nullptr;
    return Status::OK();
  }

 private:
  // Forward: first key >= start. Reverse: last key <= start (the last key for an empty start).
  static int Position(MDB_cursor* cursor, std::string_view start, bool reverse, MDB_val* k,
                      MDB_val* v) {
    if (!reverse) return mdb_cursor_get(cursor, k, v, MDB_SET_RANGE);
    if (start.empty()) return mdb_cursor_get(cursor, k, v, MDB_LAST);
    int rc = mdb_cursor_get(cursor, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return mdb_cursor_get(cursor, k, v, MDB_LAST);
    if (rc != MDB_SUCCESS) return rc;
    const std::string_view found(static_cast<const char*>(k->mv_data), k->mv_size);
    return found == start ? rc : mdb_cursor_get(cursor, k, v, MDB_PREV);
  }
  static Status Finish(MDB_txn* txn, int rc, const char* what) {
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return FromMdb(rc, what);
    }
    return FromMdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

std::unique_ptr<Engine> NewLmdbEngine() {
  return std::make_unique<LmdbEngine>();
}

}  // namespace ziggydb::bench
