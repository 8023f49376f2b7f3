// The C API's handles (include/ziggydb/c.h) and the error plumbing every entry point shares.
//
// Each handle wraps the C++ object it stands for and owns whatever that object points to, since
// a C caller may free its own buffers (and the options handle a bound came from) right after a
// call. No exception may leave an entry point: each runs its body through Guard or catches inside.
#ifndef ZIGGYDB_C_C_HANDLES_H_
#define ZIGGYDB_C_C_HANDLES_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "ziggydb/c.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"
#include "ziggydb/write_batch.h"

struct ziggydb_t {
  std::unique_ptr<ziggydb::DB> db;
};

struct ziggydb_options_t {
  ziggydb::Options options;
};

struct ziggydb_readoptions_t {
  // options.iterate_*_bound view lower_bound / upper_bound when set.
  ziggydb::ReadOptions options;
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
};

struct ziggydb_writeoptions_t {
  ziggydb::WriteOptions options;
};

struct ziggydb_writebatch_t {
  ziggydb::WriteBatch batch;
  // An update could not be recorded (memory ran out): ziggydb_write rejects the batch.
  bool lost_update = false;
};

// The room for the text of an exception caught at the C boundary (DescribeCurrentException).
inline constexpr size_t kExceptionTextBytes = 256;

struct ziggydb_iterator_t {
  // Copies of the read options' bounds, which the iterator's ReadOptions view: they must live as
  // long as the iterator, whatever happens to the ziggydb_readoptions_t.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  std::unique_ptr<ziggydb::Iterator> iter;
  // A failure of the wrapper itself (memory ran out in a seek); reported before iter->status().
  // The text of an exception a step threw (DescribeCurrentException), "" if none: kept without
  // allocating, as the failure may be the allocator's. Once set the iterator is invalid.
  char step_error[kExceptionTextBytes] = {};
};

struct ziggydb_pinnable_t {
  ziggydb::PinnableValue value;
};

// ziggydb_snapshot_t is never defined: a `const ziggydb_snapshot_t*` is the engine's
// `const ziggydb::Snapshot*` under another name (ToSnapshot / FromSnapshot), so creating one
// allocates nothing beyond what the engine does.

namespace ziggydb::c_api {

inline const Snapshot* ToSnapshot(const ziggydb_snapshot_t* snapshot) {
  return reinterpret_cast<const Snapshot*>(snapshot);
}
inline const ziggydb_snapshot_t* FromSnapshot(const Snapshot* snapshot) {
  return reinterpret_cast<const ziggydb_snapshot_t*>(snapshot);
}

inline std::string_view Bytes(const char* data, size_t size) {
  return {data, size};
}

// A malloc()ed copy of `bytes` (NUL-terminated, so usable as a C string too), or nullptr if
// malloc fails.
char* CopyToMalloc(std::string_view bytes) noexcept;

// Replaces *errptr with a malloc()ed copy of text, "<code name>: <message>" (freeing the old
// one). Should that allocation fail, *errptr gets an "Out of memory" message allocated ahead of
// need, or the old message is overwritten with one: it is NULL afterwards only if it was NULL
// and an earlier failure took the one message held in reserve before malloc could replace it.
void SetError(char** errptr, std::string_view text) noexcept;
// SetError allocating with `allocate` instead of malloc (tests: a failing malloc).
using MessageAllocator = void* (*)(size_t);
void SetError(char** errptr, std::string_view text, MessageAllocator allocate) noexcept;
// Stores s's text when !s.ok(); returns s.ok().
bool SaveError(char** errptr, const Status& s) noexcept;
// The text an exception caught at the boundary becomes: "Out of memory: ..." for
// std::bad_alloc, "Internal error: ..." for anything else. Call from a catch block only.
void SaveCurrentException(char** errptr) noexcept;
// That text, composed into text[0, kExceptionTextBytes) without allocating. From a catch block.
void DescribeCurrentException(char* text) noexcept;
ziggydb_code_t CodeOf(const Status& s) noexcept;
// The code SaveCurrentException would store. Call from a catch block only.
ziggydb_code_t CurrentExceptionCode() noexcept;

// A ziggydb_iterator_t over what new_iterator returns for `options` (with the handle's own copies
// of the bounds), or nullptr if memory ran out.
ziggydb_iterator_t* NewIteratorHandle(
    const ziggydb_readoptions_t* options,
    const std::function<std::unique_ptr<Iterator>(const ReadOptions&)>& new_iterator) noexcept;

// Runs body (returning void), turning any exception into an error in *errptr.
template <typename Body>
void Guard(char** errptr, Body&& body) noexcept {
  try {
    body();
  } catch (...) {
    SaveCurrentException(errptr);
  }
}

}  // namespace ziggydb::c_api

#endif  // ZIGGYDB_C_C_HANDLES_H_
