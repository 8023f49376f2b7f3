/* The C side of ziggy_capi_bench: the benchmark loops written in C against include/ziggydb/c.h,
 * mirrored by the C++ loops in capi_bench.cc. Keys are key_bytes each, packed in `keys`. */
#ifndef ZIGGYDB_BENCH_CAPI_CAPI_OPS_H_
#define ZIGGYDB_BENCH_CAPI_CAPI_OPS_H_

#include <stddef.h>

#include "ziggydb/c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Puts every key with `value`; returns the number of failed puts. */
size_t CApiFill(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n, const char* value,
                size_t value_bytes);

/* Gets every key with ziggydb_get (a malloc()ed copy per read); returns the number found. */
size_t CApiRead(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n);

/* Gets every key with ziggydb_get_pinned into one reused handle; returns the number found. */
size_t CApiReadPinned(ziggydb_t* db, const char* keys, size_t key_bytes, size_t n);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZIGGYDB_BENCH_CAPI_CAPI_OPS_H_ */
