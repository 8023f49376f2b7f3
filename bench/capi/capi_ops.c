/* The C API loops of ziggy_capi_bench (capi_ops.h). */
#include "capi_ops.h"

#include <stdlib.h>

size_t CApiFill(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n, const char* value,
                size_t value_bytes) {
  ziggydb_writeoptions_t* options = ziggydb_writeoptions_create();
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) {
    char* err = NULL;
    ziggydb_put(db, options, keys + i * key_bytes, key_bytes, value, value_bytes, &err);
    if (err != NULL) {
      failed++;
      ziggydb_free(err);
    }
  }
  ziggydb_writeoptions_destroy(options);
  return failed;
}

size_t CApiRead(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n) {
  ziggydb_readoptions_t* options = ziggydb_readoptions_create();
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    char* err = NULL;
    size_t len = 0;
    char* value = ziggydb_get(db, options, keys + i * key_bytes, key_bytes, &len, &err);
    if (value != NULL) found++;
    ziggydb_free(value);
    ziggydb_free(err);
  }
  ziggydb_readoptions_destroy(options);
  return found;
}

size_t CApiReadPinned(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n) {
  ziggydb_readoptions_t* options = ziggydb_readoptions_create();
  ziggydb_pinnable_t* value = ziggydb_pinnable_create();
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    if (ziggydb_get_pinned(db, options, keys + i * key_bytes, key_bytes, value, NULL) ==
        ZIGGYDB_OK) {
      found++;
    }
  }
  ziggydb_pinnable_destroy(value);
  ziggydb_readoptions_destroy(options);
  return found;
}
