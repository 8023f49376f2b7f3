// The DB operations of the C API (include/ziggydb/c.h): open/close, reads and writes, snapshots,
// properties, sizes, compaction, destroy.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "c/c_handles.h"
#include "ziggydb/db.h"

using ziggydb::c_api::Bytes;
using ziggydb::c_api::CopyToMalloc;
using ziggydb::c_api::FromSnapshot;
using ziggydb::c_api::Guard;
using ziggydb::c_api::SaveError;
using ziggydb::c_api::ToSnapshot;

namespace {

// The optional bound of a C range argument: NULL means unbounded.
std::optional<std::string_view> OptionalKey(const char* key, size_t keylen) {
  if (key == nullptr) return std::nullopt;
  return Bytes(key, keylen);
}

}  // namespace

extern "C" {

ziggydb_t* ziggydb_open(const ziggydb_options_t* options, const char* name, char** errptr) {
  ziggydb_t* result = nullptr;
  Guard(errptr, [&] {
    auto handle = std::make_unique<ziggydb_t>();
    if (SaveError(errptr, ziggydb::DB::Open(options->options, name, &handle->db))) {
      result = handle.release();
    }
  });
  return result;
}

void ziggydb_close(ziggydb_t* db) {
  char* err = nullptr;
  ziggydb_close_checked(db, &err);
  std::free(err);
}

void ziggydb_close_checked(ziggydb_t* db, char** errptr) {
  if (db == nullptr) return;
  Guard(errptr, [&] { SaveError(errptr, db->db->Close()); });
  delete db;  // ~DB of a closed DB does no more work, so it cannot throw anything to catch
}

void ziggydb_put(ziggydb_t* db, const ziggydb_writeoptions_t* options, const char* key,
                 size_t keylen, const char* val, size_t vallen, char** errptr) {
  Guard(errptr, [&] {
    SaveError(errptr, db->db->Put(options->options, Bytes(key, keylen), Bytes(val, vallen)));
  });
}

void ziggydb_delete(ziggydb_t* db, const ziggydb_writeoptions_t* options, const char* key,
                    size_t keylen, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, db->db->Delete(options->options, Bytes(key, keylen))); });
}

void ziggydb_write(ziggydb_t* db, const ziggydb_writeoptions_t* options,
                   ziggydb_writebatch_t* batch, char** errptr) {
  Guard(errptr, [&] {
    if (batch->lost_update) {
      SaveError(errptr, ziggydb::Status::InvalidArgument(
                            "write batch: an update could not be recorded (out of memory)"));
      return;
    }
    SaveError(errptr, db->db->Write(options->options, batch->batch));
  });
}

char* ziggydb_get(ziggydb_t* db, const ziggydb_readoptions_t* options, const char* key,
                  size_t keylen, size_t* vallen, char** errptr) {
  char* result = nullptr;
  *vallen = 0;
  Guard(errptr, [&] {
    std::string value;
    ziggydb::Status s = db->db->Get(options->options, Bytes(key, keylen), &value);
    if (s.IsNotFound()) return;
    if (!SaveError(errptr, s)) return;
    result = CopyToMalloc(value);
    if (result == nullptr) throw std::bad_alloc();
    *vallen = value.size();
  });
  return result;
}

ziggydb_pinnable_t* ziggydb_pinnable_create(void) {
  return new (std::nothrow) ziggydb_pinnable_t;
}

void ziggydb_pinnable_destroy(ziggydb_pinnable_t* value) {
  delete value;
}

const char* ziggydb_pinnable_value(const ziggydb_pinnable_t* value, size_t* vallen) {
  *vallen = value->value.size();
  return value->value.data();
}

void ziggydb_pinnable_reset(ziggydb_pinnable_t* value) {
  value->value.Reset();
}

ziggydb_code_t ziggydb_get_pinned(ziggydb_t* db, const ziggydb_readoptions_t* options,
                                  const char* key, size_t keylen, ziggydb_pinnable_t* value,
                                  char** errptr) {
  try {
    ziggydb::Status s = db->db->Get(options->options, Bytes(key, keylen), &value->value);
    if (s.IsNotFound()) return ZIGGYDB_NOT_FOUND;
    SaveError(errptr, s);
    return ziggydb::c_api::CodeOf(s);
  } catch (...) {
    ziggydb::c_api::SaveCurrentException(errptr);
    return ziggydb::c_api::CurrentExceptionCode();
  }
}

const ziggydb_snapshot_t* ziggydb_create_snapshot(ziggydb_t* db) {
  try {
    return FromSnapshot(db->db->GetSnapshot());
  } catch (...) {
    return nullptr;
  }
}

void ziggydb_release_snapshot(ziggydb_t* db, const ziggydb_snapshot_t* snapshot) {
  db->db->ReleaseSnapshot(ToSnapshot(snapshot));
}

char* ziggydb_property_value(ziggydb_t* db, const char* propname) {
  try {
    std::string value;
    if (!db->db->GetProperty(propname, &value)) return nullptr;
    return CopyToMalloc(value);
  } catch (...) {
    return nullptr;
  }
}

void ziggydb_approximate_sizes(ziggydb_t* db, int num_ranges, const char* const* range_start_key,
                               const size_t* range_start_key_len,
                               const char* const* range_limit_key,
                               const size_t* range_limit_key_len, uint64_t* sizes) {
  if (num_ranges <= 0) return;
  const size_t n = static_cast<size_t>(num_ranges);
  std::fill(sizes, sizes + n, uint64_t{0});
  try {
    std::vector<ziggydb::DB::Range> ranges(n);
    for (size_t i = 0; i < n; i++) {
      ranges[i] = {Bytes(range_start_key[i], range_start_key_len[i]),
                   Bytes(range_limit_key[i], range_limit_key_len[i])};
    }
    // On error the sizes stay 0, as documented: LevelDB's signature has no error to report.
    if (!db->db->GetApproximateSizes(ranges.data(), n, sizes).ok()) {
      std::fill(sizes, sizes + n, uint64_t{0});
    }
  } catch (...) {
    std::fill(sizes, sizes + n, uint64_t{0});
  }
}

char* ziggydb_metrics_text(ziggydb_t* db) {
  return ziggydb_property_value(db, "ziggydb.metrics");
}

void ziggydb_compact_range(ziggydb_t* db, const char* start_key, size_t start_key_len,
                           const char* limit_key, size_t limit_key_len) {
  char* err = nullptr;
  ziggydb_compact_range_checked(db, start_key, start_key_len, limit_key, limit_key_len, &err);
  std::free(err);
}

void ziggydb_compact_range_checked(ziggydb_t* db, const char* start_key, size_t start_key_len,
                                   const char* limit_key, size_t limit_key_len, char** errptr) {
  Guard(errptr, [&] {
    SaveError(errptr, db->db->CompactRange(OptionalKey(start_key, start_key_len),
                                           OptionalKey(limit_key, limit_key_len)));
  });
}

void ziggydb_flush(ziggydb_t* db, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, db->db->Flush()); });
}

void ziggydb_destroy_db(const ziggydb_options_t* options, const char* name, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, ziggydb::DestroyDB(name, options->options)); });
}

}  // extern "C"
