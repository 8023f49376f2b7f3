// The write batch of the C API (include/ziggydb/c.h).
#include <cstddef>
#include <new>
#include <string_view>

#include "c/c_handles.h"
#include "ziggydb/write_batch.h"

using ziggydb::c_api::Bytes;

namespace {

// Forwards a batch's updates to the C callbacks.
class CallbackHandler final : public ziggydb::WriteBatch::Handler {
 public:
  using PutFn = void (*)(void*, const char*, size_t, const char*, size_t);
  using DeleteFn = void (*)(void*, const char*, size_t);

  CallbackHandler(void* state, PutFn put, DeleteFn deleted)
      : state_(state), put_(put), deleted_(deleted) {}

  void Put(std::string_view key, std::string_view value) override {
    put_(state_, key.data(), key.size(), value.data(), value.size());
  }
  void Delete(std::string_view key) override { deleted_(state_, key.data(), key.size()); }

 private:
  void* const state_;
  const PutFn put_;
  const DeleteFn deleted_;
};

}  // namespace

extern "C" {

ziggydb_writebatch_t* ziggydb_writebatch_create(void) {
  try {
    return new ziggydb_writebatch_t;  // WriteBatch's constructor allocates its header
  } catch (...) {
    return nullptr;
  }
}

void ziggydb_writebatch_destroy(ziggydb_writebatch_t* batch) {
  delete batch;
}

void ziggydb_writebatch_clear(ziggydb_writebatch_t* batch) {
  batch->batch.Clear();
  batch->lost_update = false;
}

void ziggydb_writebatch_put(ziggydb_writebatch_t* batch, const char* key, size_t klen,
                            const char* val, size_t vlen) {
  try {
    batch->batch.Put(Bytes(key, klen), Bytes(val, vlen));
  } catch (...) {
    batch->lost_update = true;
  }
}

void ziggydb_writebatch_delete(ziggydb_writebatch_t* batch, const char* key, size_t klen) {
  try {
    batch->batch.Delete(Bytes(key, klen));
  } catch (...) {
    batch->lost_update = true;
  }
}

void ziggydb_writebatch_iterate(const ziggydb_writebatch_t* batch, void* state,
                                void (*put)(void*, const char* k, size_t klen, const char* v,
                                            size_t vlen),
                                void (*deleted)(void*, const char* k, size_t klen)) {
  CallbackHandler handler(state, put, deleted);
  // A batch built through this API is well-formed, so Iterate cannot report corruption; the
  // callbacks are C functions and throw nothing.
  batch->batch.Iterate(&handler).PermitUncheckedError();
}

void ziggydb_writebatch_append(ziggydb_writebatch_t* destination,
                               const ziggydb_writebatch_t* source) {
  try {
    destination->batch.Append(source->batch);
    destination->lost_update = destination->lost_update || source->lost_update;
  } catch (...) {
    destination->lost_update = true;
  }
}

int ziggydb_writebatch_count(const ziggydb_writebatch_t* batch) {
  return static_cast<int>(batch->batch.Count());
}

}  // extern "C"
