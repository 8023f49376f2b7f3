// The iterator of the C API (include/ziggydb/c.h).
//
// The engine's iterator moves without allocating in the common case, but a step that loads a
// block may allocate; a failure there is kept in step_error and makes the iterator invalid (the
// C caller sees it through ziggydb_iter_get_error: "Out of memory: ..." for std::bad_alloc).
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>

#include "c/c_handles.h"

using ziggydb::c_api::Bytes;

namespace {

// Runs one movement of `iter`; a thrown exception ends the iteration with an error.
template <typename Move>
void Step(ziggydb_iterator_t* iter, Move&& move) noexcept {
  if (iter->step_error[0] != '\0') return;
  try {
    move(*iter->iter);
  } catch (...) {
    ziggydb::c_api::DescribeCurrentException(iter->step_error);
  }
}

}  // namespace

namespace ziggydb::c_api {

ziggydb_iterator_t* NewIteratorHandle(
    const ziggydb_readoptions_t* options,
    const std::function<std::unique_ptr<Iterator>(const ReadOptions&)>& new_iterator) noexcept {
  try {
    auto handle = std::make_unique<ziggydb_iterator_t>();
    handle->lower_bound = options->lower_bound;
    handle->upper_bound = options->upper_bound;
    ReadOptions read_options = options->options;
    read_options.iterate_lower_bound = handle->lower_bound;
    read_options.iterate_upper_bound = handle->upper_bound;
    handle->iter = new_iterator(read_options);
    return handle.release();
  } catch (...) {
    return nullptr;
  }
}

}  // namespace ziggydb::c_api

extern "C" {

ziggydb_iterator_t* ziggydb_create_iterator(ziggydb_t* db, const ziggydb_readoptions_t* options) {
  return ziggydb::c_api::NewIteratorHandle(options, [db](const ziggydb::ReadOptions& read_options) {
    return db->db->NewIterator(read_options);
  });
}

void ziggydb_iter_destroy(ziggydb_iterator_t* iter) {
  delete iter;
}

uint8_t ziggydb_iter_valid(const ziggydb_iterator_t* iter) {
  return iter->step_error[0] == '\0' && iter->iter->Valid() ? 1 : 0;
}

void ziggydb_iter_seek_to_first(ziggydb_iterator_t* iter) {
  Step(iter, [](ziggydb::Iterator& it) { it.SeekToFirst(); });
}

void ziggydb_iter_seek_to_last(ziggydb_iterator_t* iter) {
  Step(iter, [](ziggydb::Iterator& it) { it.SeekToLast(); });
}

void ziggydb_iter_seek(ziggydb_iterator_t* iter, const char* k, size_t klen) {
  Step(iter, [&](ziggydb::Iterator& it) { it.Seek(Bytes(k, klen)); });
}

void ziggydb_iter_seek_for_prev(ziggydb_iterator_t* iter, const char* k, size_t klen) {
  Step(iter, [&](ziggydb::Iterator& it) { it.SeekForPrev(Bytes(k, klen)); });
}

void ziggydb_iter_next(ziggydb_iterator_t* iter) {
  Step(iter, [](ziggydb::Iterator& it) { it.Next(); });
}

void ziggydb_iter_prev(ziggydb_iterator_t* iter) {
  Step(iter, [](ziggydb::Iterator& it) { it.Prev(); });
}

const char* ziggydb_iter_key(const ziggydb_iterator_t* iter, size_t* klen) {
  std::string_view key = iter->iter->key();
  *klen = key.size();
  return key.data();
}

const char* ziggydb_iter_value(const ziggydb_iterator_t* iter, size_t* vlen) {
  std::string_view value = iter->iter->value();
  *vlen = value.size();
  return value.data();
}

void ziggydb_iter_get_error(const ziggydb_iterator_t* iter, char** errptr) {
  if (iter->step_error[0] != '\0') {
    ziggydb::c_api::SetError(errptr, iter->step_error);
    return;
  }
  try {
    ziggydb::c_api::SaveError(errptr, iter->iter->status());
  } catch (...) {
    ziggydb::c_api::SaveCurrentException(errptr);
  }
}

}  // extern "C"
