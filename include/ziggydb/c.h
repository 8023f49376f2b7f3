/* ZiggyDB C API: the engine from C and from any language with a C FFI. C11 (and C++).
 *
 * Porting from LevelDB: for each function of leveldb/c.h whose feature ZiggyDB has, this header
 * has the same function under the prefix ziggydb_ instead of leveldb_, with the same parameters,
 * ownership rules and error convention; the handle types are renamed the same way. LevelDB
 * options that exist in ZiggyDB under another name keep LevelDB's setter name:
 *   ziggydb_options_set_write_buffer_size -> Options::memtable_bytes
 *   ziggydb_options_set_max_file_size     -> Options::target_file_size
 * Not provided, because ZiggyDB has no such extension point (a program using them must drop the
 * calls; ZiggyDB's fixed behaviour is given after each):
 *   leveldb_comparator_* and options_set_comparator   keys are always ordered bytewise
 *   leveldb_filterpolicy_* and options_set_filter_policy  a built-in Bloom filter:
 *                                                   ziggydb_options_set_bloom_bits_per_key
 *   leveldb_cache_* and options_set_cache             a built-in block cache:
 *                                                   ziggydb_options_set_block_cache_bytes
 *   leveldb_*env* and options_set_env                 the POSIX environment
 *   leveldb_options_set_info_log (a logger object)    the LOG file in the DB directory
 * Added in the same style: iterator bounds, disabling the WAL per write, a status code to switch
 * on (ziggydb_error_code), a get into a reusable value handle (ziggydb_get_pinned), flush,
 * statistics and their metrics text, more options, transactions, checkpoints, backups.
 *
 * Conventions (as in LevelDB's C API):
 *  - Handles are opaque pointers; each *_create / ziggydb_open / ziggydb_create_* result is
 *    released by its matching destroy / close / release function, exactly once.
 *  - Byte strings are (pointer, length) pairs: keys and values may hold any bytes, NULs included.
 *    The library copies what it keeps; the caller's buffers need to live only for the call.
 *  - Errors: a function that can fail takes `char** errptr` as its last argument. On entry
 *    *errptr is NULL or a message an earlier call stored there. On success it is left as is; on
 *    failure the old message is freed and *errptr receives a new malloc()ed, NUL-terminated
 *    message, which the caller frees with ziggydb_free (or free). If malloc cannot hold the
 *    message, *errptr receives an "Out of memory" message allocated ahead of need (one, made
 *    again once malloc works), or its old message is overwritten with one. A message always
 *    begins with the name of its code and ": " ("NotFound", "Corruption", "Not supported",
 *    "Invalid argument", "IO error", "Busy", "Out of memory", "Internal error");
 *    ziggydb_error_code turns it into a ziggydb_code_t, so a program need not compare strings.
 *  - Booleans are uint8_t: 0 is false, anything else true.
 *  - Pointer arguments must not be NULL unless the function's comment says what NULL means.
 *  - Strings and arrays returned to the caller (ziggydb_get, ziggydb_property_value, ...) are
 *    malloc()ed and freed by the caller with ziggydb_free (or free).
 *  - No C++ exception leaves a function of this API: an allocation failure inside becomes an
 *    "OutOfMemory" error (or, for a function without errptr, the documented failure result).
 *
 * Thread safety: a ziggydb_t may be used by many threads at once (every function taking one,
 * except ziggydb_close). Every other handle (options, read/write options, write batch, iterator,
 * pinned value, snapshot handle) is a plain value: use it from one thread at a time, or share it
 * read-only (options objects may be shared by concurrent calls that only read them).
 */
#ifndef ZIGGYDB_C_H_
#define ZIGGYDB_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Handles ---- */

typedef struct ziggydb_t ziggydb_t;
typedef struct ziggydb_options_t ziggydb_options_t;
typedef struct ziggydb_readoptions_t ziggydb_readoptions_t;
typedef struct ziggydb_writeoptions_t ziggydb_writeoptions_t;
typedef struct ziggydb_writebatch_t ziggydb_writebatch_t;
typedef struct ziggydb_iterator_t ziggydb_iterator_t;
typedef struct ziggydb_snapshot_t ziggydb_snapshot_t;
typedef struct ziggydb_pinnable_t ziggydb_pinnable_t;

/* ---- Status codes ---- */

/* What went wrong, for a program to switch on. The values are stable. */
typedef enum ziggydb_code_t {
  ZIGGYDB_OK = 0,
  ZIGGYDB_NOT_FOUND = 1,
  ZIGGYDB_CORRUPTION = 2, /* bad bytes on disk (checksum, format) */
  ZIGGYDB_NOT_SUPPORTED = 3,
  ZIGGYDB_INVALID_ARGUMENT = 4, /* bad option, key over the size limit, DB closed, ... */
  ZIGGYDB_IO_ERROR = 5,         /* the file system failed (missing directory, full disk, ...) */
  ZIGGYDB_BUSY = 6,             /* the DB is open in another process or handle: retry later */
  ZIGGYDB_OUT_OF_MEMORY = 7,    /* an allocation inside the call failed */
  ZIGGYDB_INTERNAL = 8          /* an unexpected failure inside the library */
} ziggydb_code_t;

/* The code of an error message this library stored in *errptr; ZIGGYDB_OK for NULL, and
 * ZIGGYDB_INTERNAL for a string that does not start with a known code name. Thread-safe. */
ziggydb_code_t ziggydb_error_code(const char* errmsg);

/* ---- DB operations ---- */

/* Opens (or, with create_if_missing, creates) the DB in directory `name`. Returns a handle to
 * release with ziggydb_close, or NULL with *errptr set: Busy if another process or handle has
 * the DB open, InvalidArgument for an option out of range or a missing DB without
 * create_if_missing, Corruption for damaged files, IO error for an unusable directory. */
ziggydb_t* ziggydb_open(const ziggydb_options_t* options, const char* name, char** errptr);

/* Closes the DB and releases the handle. Writes made with disable_wal are flushed first; an error
 * in closing (which would only be reported to the LOG) is not returned: use ziggydb_close_checked
 * to see it. Every iterator must be destroyed and every snapshot released before. NULL is
 * ignored. Must not run concurrently with any other call on the handle. */
void ziggydb_close(ziggydb_t* db);

/* ziggydb_close, reporting the first error closing met in *errptr. The handle is released
 * whatever the outcome. */
void ziggydb_close_checked(ziggydb_t* db, char** errptr);

/* Sets key to value. */
void ziggydb_put(ziggydb_t* db, const ziggydb_writeoptions_t* options, const char* key,
                 size_t keylen, const char* val, size_t vallen, char** errptr);

/* Removes key; removing an absent key is not an error. */
void ziggydb_delete(ziggydb_t* db, const ziggydb_writeoptions_t* options, const char* key,
                    size_t keylen, char** errptr);

/* Applies every update of the batch atomically (all or none survives a crash). The batch is
 * left unchanged and may be written again. InvalidArgument if an update broke a size limit. */
void ziggydb_write(ziggydb_t* db, const ziggydb_writeoptions_t* options,
                   ziggydb_writebatch_t* batch, char** errptr);

/* The value of key as a malloc()ed array of *vallen bytes (not NUL-terminated), which the caller
 * frees; NULL with *vallen = 0 if the key is absent (not an error). On error NULL and *errptr
 * set. */
char* ziggydb_get(ziggydb_t* db, const ziggydb_readoptions_t* options, const char* key,
                  size_t keylen, size_t* vallen, char** errptr);

/* An iterator over the DB as of options' snapshot (or an implicit one taken now), within
 * options' bounds; it starts unpositioned (not valid). Destroy it with ziggydb_iter_destroy
 * before closing the DB. The read options may be destroyed or changed right after this call.
 * NULL only if memory ran out. */
ziggydb_iterator_t* ziggydb_create_iterator(ziggydb_t* db, const ziggydb_readoptions_t* options);

/* A snapshot of the current state, for ziggydb_readoptions_set_snapshot; release it with
 * ziggydb_release_snapshot before closing the DB. NULL if the DB was closed. */
const ziggydb_snapshot_t* ziggydb_create_snapshot(ziggydb_t* db);

/* Releases a snapshot of this DB, once. NULL is ignored. */
void ziggydb_release_snapshot(ziggydb_t* db, const ziggydb_snapshot_t* snapshot);

/* The value of a property as a malloc()ed NUL-terminated string, or NULL if the name is unknown.
 * Names: "ziggydb.stats", "ziggydb.metrics", "ziggydb.sstables", "ziggydb.num-files-at-level<N>",
 * "ziggydb.estimate-live-data-size", ... (docs/design/observability.md). */
char* ziggydb_property_value(ziggydb_t* db, const char* propname);

/* For each i < num_ranges, sizes[i] receives the approximate bytes the table files use for the
 * keys in [range_start_key[i], range_limit_key[i]) (DB::GetApproximateSizes: data still in
 * memtables is not counted). An empty or inverted range gets 0. With no way to report an error
 * (as in LevelDB), a failure (a table that cannot be opened, the DB closed, memory) sets every
 * size to 0. */
void ziggydb_approximate_sizes(ziggydb_t* db, int num_ranges, const char* const* range_start_key,
                               const size_t* range_start_key_len,
                               const char* const* range_limit_key,
                               const size_t* range_limit_key_len, uint64_t* sizes);

/* Compacts the keys in [start_key, limit_key], both inclusive; a NULL key leaves that side
 * unbounded. Errors are not reported (as in LevelDB); ziggydb_compact_range_checked reports
 * them. */
void ziggydb_compact_range(ziggydb_t* db, const char* start_key, size_t start_key_len,
                           const char* limit_key, size_t limit_key_len);

/* ziggydb_compact_range with the error in *errptr. */
void ziggydb_compact_range_checked(ziggydb_t* db, const char* start_key, size_t start_key_len,
                                   const char* limit_key, size_t limit_key_len, char** errptr);

/* Writes the memtable to a table file and waits for it. */
void ziggydb_flush(ziggydb_t* db, char** errptr);

/* The DB's statistics in Prometheus text format (tickers, histograms and the DB's gauges), as a
 * malloc()ed NUL-terminated string; the same text as the property "ziggydb.metrics". Tickers and
 * histograms are all zero unless ziggydb_options_set_statistics enabled them. NULL if the DB was
 * closed. */
char* ziggydb_metrics_text(ziggydb_t* db);

/* ---- Management operations ---- */

/* Removes every file of the DB in directory `name`, and the directory if it is then empty.
 * IO error if the DB is open. */
void ziggydb_destroy_db(const ziggydb_options_t* options, const char* name, char** errptr);

/* Rebuilds the DB in directory `name` whose CURRENT or MANIFEST is lost or damaged, from its
 * readable tables and logs (RepairDB, docs/design/recovery.md "Repair"): unreadable tables are
 * moved to name/lost/, the originals kept aside in name/repair-old-N/. Busy if the DB is open. */
void ziggydb_repair_db(const ziggydb_options_t* options, const char* name, char** errptr);

/* ---- Iterator ----
 * An iterator is not thread-safe. The pointers returned by ziggydb_iter_key/value stay valid
 * until the iterator moves or is destroyed. After an error the iterator is not valid and
 * ziggydb_iter_get_error reports it. */

void ziggydb_iter_destroy(ziggydb_iterator_t* iter); /* NULL is ignored */
uint8_t ziggydb_iter_valid(const ziggydb_iterator_t* iter);
void ziggydb_iter_seek_to_first(ziggydb_iterator_t* iter);
void ziggydb_iter_seek_to_last(ziggydb_iterator_t* iter);
/* Positions at the first key >= k. */
void ziggydb_iter_seek(ziggydb_iterator_t* iter, const char* k, size_t klen);
/* Positions at the last key <= k. */
void ziggydb_iter_seek_for_prev(ziggydb_iterator_t* iter, const char* k, size_t klen);
/* Next and prev: precondition ziggydb_iter_valid. */
void ziggydb_iter_next(ziggydb_iterator_t* iter);
void ziggydb_iter_prev(ziggydb_iterator_t* iter);
/* The current key or value (precondition: valid); *klen / *vlen receive the length. */
const char* ziggydb_iter_key(const ziggydb_iterator_t* iter, size_t* klen);
const char* ziggydb_iter_value(const ziggydb_iterator_t* iter, size_t* vlen);
/* Sets *errptr if the iterator met an error (I/O, corruption); leaves it alone otherwise. */
void ziggydb_iter_get_error(const ziggydb_iterator_t* iter, char** errptr);

/* ---- Write batch ----
 * Updates apply in the order they were added. A put or delete that cannot be recorded (a key or
 * value over its size limit, or memory running out) marks the batch so that ziggydb_write
 * rejects all of it. */

ziggydb_writebatch_t* ziggydb_writebatch_create(void);        /* NULL only if memory ran out */
void ziggydb_writebatch_destroy(ziggydb_writebatch_t* batch); /* NULL is ignored */
/* Empties the batch (and clears its error mark). */
void ziggydb_writebatch_clear(ziggydb_writebatch_t* batch);
void ziggydb_writebatch_put(ziggydb_writebatch_t* batch, const char* key, size_t klen,
                            const char* val, size_t vlen);
void ziggydb_writebatch_delete(ziggydb_writebatch_t* batch, const char* key, size_t klen);
/* Calls put or deleted for each update in order, passing state through. The pointers are valid
 * during the callback only. A callback must not change the batch. */
void ziggydb_writebatch_iterate(const ziggydb_writebatch_t* batch, void* state,
                                void (*put)(void*, const char* k, size_t klen, const char* v,
                                            size_t vlen),
                                void (*deleted)(void*, const char* k, size_t klen));
/* Appends the updates of source after those of destination; source is unchanged. */
void ziggydb_writebatch_append(ziggydb_writebatch_t* destination,
                               const ziggydb_writebatch_t* source);
/* Number of updates in the batch. */
int ziggydb_writebatch_count(const ziggydb_writebatch_t* batch);

/* ---- Options (for ziggydb_open and ziggydb_destroy_db) ----
 * Created with ZiggyDB's defaults (include/ziggydb/options.h documents each option, its default
 * and range); ziggydb_open rejects a value out of range with InvalidArgument. */

ziggydb_options_t* ziggydb_options_create(void);          /* NULL only if memory ran out */
void ziggydb_options_destroy(ziggydb_options_t* options); /* NULL is ignored */
void ziggydb_options_set_create_if_missing(ziggydb_options_t* options, uint8_t v);
void ziggydb_options_set_error_if_exists(ziggydb_options_t* options, uint8_t v);
void ziggydb_options_set_paranoid_checks(ziggydb_options_t* options, uint8_t v);
/* Options::memtable_bytes. */
void ziggydb_options_set_write_buffer_size(ziggydb_options_t* options, size_t bytes);
void ziggydb_options_set_max_open_files(ziggydb_options_t* options, int n);
void ziggydb_options_set_block_size(ziggydb_options_t* options, size_t bytes);
void ziggydb_options_set_block_restart_interval(ziggydb_options_t* options, int n);
/* Options::target_file_size. */
void ziggydb_options_set_max_file_size(ziggydb_options_t* options, size_t bytes);

/* Compression of data blocks; the numbers of LevelDB's enum are kept. */
enum {
  ziggydb_no_compression = 0,
  ziggydb_snappy_compression = 1,
  ziggydb_zstd_compression = 2,
  ziggydb_lz4_compression = 3
};
/* One of the values above; another number makes ziggydb_open fail with InvalidArgument. */
void ziggydb_options_set_compression(ziggydb_options_t* options, int compression);

/* ZiggyDB's own options. */
/* Bloom filter bits per key, 0 to disable (instead of LevelDB's filter policy object). */
void ziggydb_options_set_bloom_bits_per_key(ziggydb_options_t* options, int bits);
/* Bytes of the block cache (instead of LevelDB's cache object). */
void ziggydb_options_set_block_cache_bytes(ziggydb_options_t* options, size_t bytes);
/* Bytes of the row cache for hot keys' point reads; 0 (the default) for none. */
void ziggydb_options_set_row_cache_bytes(ziggydb_options_t* options, size_t bytes);
void ziggydb_options_set_max_background_jobs(ziggydb_options_t* options, int n);
void ziggydb_options_set_use_mmap_reads(ziggydb_options_t* options, uint8_t v);
/* Keep tickers and histograms for ziggydb_metrics_text (a small cost per operation). */
void ziggydb_options_set_statistics(ziggydb_options_t* options, uint8_t v);
/* One cap on memtables, block cache and pins (Options::memory_budget_bytes); 0: none. */
void ziggydb_options_set_memory_budget_bytes(ziggydb_options_t* options, size_t bytes);
/* Level-0 table counts that start a compaction, slow writes down and stop them
 * (Options::l0_compaction_trigger, l0_slowdown_trigger, l0_stop_trigger: defaults 4, 20, 36;
 * ziggydb_open checks 1 <= compaction <= slowdown <= stop <= 1000). */
void ziggydb_options_set_l0_compaction_trigger(ziggydb_options_t* options, int n);
void ziggydb_options_set_l0_slowdown_trigger(ziggydb_options_t* options, int n);
void ziggydb_options_set_l0_stop_trigger(ziggydb_options_t* options, int n);
/* Merge level-0 tables below their trigger once seeks over them have paid for the rewrite
 * (Options::read_compactions; default on). */
void ziggydb_options_set_read_compactions(ziggydb_options_t* options, uint8_t v);

/* ---- Read options ---- */

ziggydb_readoptions_t* ziggydb_readoptions_create(void);          /* NULL only if memory ran out */
void ziggydb_readoptions_destroy(ziggydb_readoptions_t* options); /* NULL is ignored */
void ziggydb_readoptions_set_verify_checksums(ziggydb_readoptions_t* options, uint8_t v);
void ziggydb_readoptions_set_fill_cache(ziggydb_readoptions_t* options, uint8_t v);
/* Read as of the snapshot; NULL means the latest state. The snapshot must stay unreleased while
 * reads use these options. */
void ziggydb_readoptions_set_snapshot(ziggydb_readoptions_t* options,
                                      const ziggydb_snapshot_t* snapshot);
/* Iterator bounds: an iterator created with these options never returns nor reads past a key
 * below the lower bound (inclusive) or at or above the upper bound (exclusive). The bytes are
 * copied. key NULL removes the bound. Returns 0 (and changes nothing) if memory ran out. */
uint8_t ziggydb_readoptions_set_iterate_lower_bound(ziggydb_readoptions_t* options, const char* key,
                                                    size_t keylen);
uint8_t ziggydb_readoptions_set_iterate_upper_bound(ziggydb_readoptions_t* options, const char* key,
                                                    size_t keylen);

/* ---- Write options ---- */

ziggydb_writeoptions_t* ziggydb_writeoptions_create(void); /* NULL only if memory ran out */
void ziggydb_writeoptions_destroy(ziggydb_writeoptions_t* options); /* NULL is ignored */
/* Sync the write-ahead log before returning, so the write survives power loss. Default 0. */
void ziggydb_writeoptions_set_sync(ziggydb_writeoptions_t* options, uint8_t v);
/* Skip the write-ahead log: the write is lost on a crash before the next flush. Default 0. */
void ziggydb_writeoptions_set_disable_wal(ziggydb_writeoptions_t* options, uint8_t v);

/* ---- Zero-copy reads into a value handle ----
 * ziggydb_get copies the value into a fresh malloc()ed array. ziggydb_get_pinned instead makes a
 * handle the caller keeps and reuses point at the value where the DB holds it (its memtable, or
 * the table's mapped or cached data block): no copy and no allocation, and the status code
 * returned directly. The handle holds a reference that keeps those bytes alive (the whole
 * memtable or block: release it with ziggydb_pinnable_reset once done) until the next read into
 * it, ziggydb_pinnable_reset or ziggydb_pinnable_destroy, even across writes, flushes,
 * compactions and ziggydb_close: a handle may outlive the DB it read from. */

ziggydb_pinnable_t* ziggydb_pinnable_create(void);        /* NULL only if memory ran out */
void ziggydb_pinnable_destroy(ziggydb_pinnable_t* value); /* NULL is ignored */
/* Reads key into *value. Returns ZIGGYDB_OK (value holds the bytes), ZIGGYDB_NOT_FOUND (the key
 * is absent; *errptr untouched) or the code of the error stored in *errptr. errptr may be NULL
 * when the caller needs only the code. */
ziggydb_code_t ziggydb_get_pinned(ziggydb_t* db, const ziggydb_readoptions_t* options,
                                  const char* key, size_t keylen, ziggydb_pinnable_t* value,
                                  char** errptr);
/* The bytes the last successful ziggydb_get_pinned left in the handle (*vallen receives their
 * length; empty before the first one). Valid until the next read into the handle or its
 * destruction. */
const char* ziggydb_pinnable_value(const ziggydb_pinnable_t* value, size_t* vallen);
/* Releases the bytes the handle holds (its value is then empty); the handle stays usable. */
void ziggydb_pinnable_reset(ziggydb_pinnable_t* value);

/* ---- Transactions (include/ziggydb/transaction.h; docs/design/transactions.md) ----
 * Optimistic transactions: reads see a snapshot taken at begin plus the transaction's own
 * writes, which are buffered until commit; commit applies them atomically, or fails with Busy
 * (nothing applied) when a conflicting write was committed since the snapshot: run it again.
 * A transaction is used by one thread at a time; different transactions may run concurrently.
 * It ends at commit, rollback or destroy; afterwards its calls fail with Invalid argument (and
 * its iterators turn invalid). Closing the DB ends the transactions still open; destroy them
 * after the close as before it. */

typedef struct ziggydb_transaction_t ziggydb_transaction_t;
typedef struct ziggydb_transaction_options_t ziggydb_transaction_options_t;

enum { ziggydb_isolation_snapshot = 0, ziggydb_isolation_serializable = 1 };

ziggydb_transaction_options_t* ziggydb_transaction_options_create(void); /* NULL: no memory */
void ziggydb_transaction_options_destroy(ziggydb_transaction_options_t* options); /* NULL ok */
/* ziggydb_isolation_snapshot (default) or ziggydb_isolation_serializable; another number makes
 * ziggydb_transaction_begin return NULL. */
void ziggydb_transaction_options_set_isolation(ziggydb_transaction_options_t* options,
                                               int isolation);
/* Bytes the write buffer may hold (keys + values + 16 per key). Default 64 MiB. */
void ziggydb_transaction_options_set_max_write_bytes(ziggydb_transaction_options_t* options,
                                                     size_t bytes);

/* Begins a transaction whose commit writes with write_options. txn_options NULL: defaults.
 * Release it with ziggydb_transaction_destroy. NULL if memory ran out or the isolation number is
 * unknown. */
ziggydb_transaction_t* ziggydb_transaction_begin(ziggydb_t* db,
                                                 const ziggydb_writeoptions_t* write_options,
                                                 const ziggydb_transaction_options_t* txn_options);
/* Rolls back a transaction still open and releases the handle. NULL is ignored. */
void ziggydb_transaction_destroy(ziggydb_transaction_t* txn);
/* As ziggydb_get, through the transaction (its snapshot, its own writes). options' snapshot
 * must be NULL (Invalid argument otherwise). */
char* ziggydb_transaction_get(ziggydb_transaction_t* txn, const ziggydb_readoptions_t* options,
                              const char* key, size_t keylen, size_t* vallen, char** errptr);
void ziggydb_transaction_put(ziggydb_transaction_t* txn, const char* key, size_t keylen,
                             const char* val, size_t vallen, char** errptr);
void ziggydb_transaction_delete(ziggydb_transaction_t* txn, const char* key, size_t keylen,
                                char** errptr);
/* An iterator over the transaction's view (options' bounds honoured, snapshot must be NULL);
 * destroy it with ziggydb_iter_destroy, before or after the transaction ends. NULL only if
 * memory ran out. */
ziggydb_iterator_t* ziggydb_transaction_create_iterator(ziggydb_transaction_t* txn,
                                                        const ziggydb_readoptions_t* options);
/* Commits; Busy on a conflict (nothing applied). Ends the transaction whatever the outcome. */
void ziggydb_transaction_commit(ziggydb_transaction_t* txn, char** errptr);
/* Discards the buffered writes and ends the transaction. */
void ziggydb_transaction_rollback(ziggydb_transaction_t* txn, char** errptr);
/* Marks the write buffer's state; save points stack. Fails only if memory ran out. */
void ziggydb_transaction_set_savepoint(ziggydb_transaction_t* txn, char** errptr);
/* Restores the write buffer to the last save point and removes it; NotFound if none is set. */
void ziggydb_transaction_rollback_to_savepoint(ziggydb_transaction_t* txn, char** errptr);

/* ---- Checkpoints (docs/design/checkpoint.md) ----
 * Makes directory `dir` (which must not exist; its parent must) a DB of its own holding this
 * DB's state, while writes continue: every write acknowledged before the call is in it. Tables
 * are hard-linked where possible. Invalid argument if dir exists; a failure removes what the call
 * created. */
void ziggydb_checkpoint_create(ziggydb_t* db, const char* dir, char** errptr);

/* ---- Backups (include/ziggydb/backup.h; docs/format/backup.md) ----
 * Verified, incremental backups of a live DB into a directory of their own. An engine holds its
 * directory's LOCK while open (a second engine on it: Busy). One engine is used by one thread at
 * a time. */

typedef struct ziggydb_backup_engine_t ziggydb_backup_engine_t;
typedef struct ziggydb_backup_info_t ziggydb_backup_info_t;

/* Opens (creating if needed) the backup directory; release with ziggydb_backup_engine_close.
 * NULL with *errptr set on failure. */
ziggydb_backup_engine_t* ziggydb_backup_engine_open(const char* backup_dir, char** errptr);
void ziggydb_backup_engine_close(ziggydb_backup_engine_t* engine); /* NULL is ignored */
/* Backs up db (open in this process) and returns the new backup's id (0 on error). flush_first:
 * flush the memtables first, so the backup holds every write acknowledged before the call. */
uint32_t ziggydb_backup_engine_create_new_backup(ziggydb_backup_engine_t* engine, ziggydb_t* db,
                                                 uint8_t flush_first, char** errptr);
/* Re-reads every file of backup id against its recorded size and checksum: NotFound for no such
 * backup, Corruption naming the first bad file. */
void ziggydb_backup_engine_verify_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                         char** errptr);
/* Restores backup id into directory db_dir (which must not hold an open DB). overwrite: replace
 * a DB already there; otherwise such a directory is refused with Invalid argument. */
void ziggydb_backup_engine_restore_db_from_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                                  const char* db_dir, uint8_t overwrite,
                                                  char** errptr);
/* As above, to the state right after sequence number `sequence` (point-in-time restore: needs
 * the log archive the DB kept, see BackupEngine::RestoreDBFromBackup). */
void ziggydb_backup_engine_restore_db_to_sequence(ziggydb_backup_engine_t* engine, uint32_t id,
                                                  const char* db_dir, uint64_t sequence,
                                                  uint8_t overwrite, char** errptr);
void ziggydb_backup_engine_delete_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                         char** errptr);
/* Deletes all but the `keep` newest backups. */
void ziggydb_backup_engine_purge_old_backups(ziggydb_backup_engine_t* engine, uint32_t keep,
                                             char** errptr);
/* The backups, by id ascending, as a list to release with ziggydb_backup_info_destroy (NULL only
 * if memory ran out). index runs from 0 to count - 1. */
ziggydb_backup_info_t* ziggydb_backup_engine_get_backup_info(ziggydb_backup_engine_t* engine);
int ziggydb_backup_info_count(const ziggydb_backup_info_t* info);
uint32_t ziggydb_backup_info_id(const ziggydb_backup_info_t* info, int index);
int64_t ziggydb_backup_info_timestamp(const ziggydb_backup_info_t* info, int index);
uint64_t ziggydb_backup_info_sequence(const ziggydb_backup_info_t* info, int index);
uint64_t ziggydb_backup_info_size(const ziggydb_backup_info_t* info, int index);
uint32_t ziggydb_backup_info_file_count(const ziggydb_backup_info_t* info, int index);
void ziggydb_backup_info_destroy(ziggydb_backup_info_t* info); /* NULL is ignored */
/* The ids, ascending, of backups whose metadata is unreadable (BackupEngine::GetCorruptedBackups:
 * not in the list above; verify and restore fail on them with Corruption, delete removes them).
 * Sets *count; returns an array to free with ziggydb_free (NULL when *count is 0, or with
 * *errptr set if memory ran out). */
uint32_t* ziggydb_backup_engine_get_corrupted_backups(ziggydb_backup_engine_t* engine,
                                                      size_t* count, char** errptr);

/* ---- Utility ---- */

/* Frees a string or array this library returned (error messages, ziggydb_get values, property
 * values). NULL is ignored. */
void ziggydb_free(void* ptr);

/* The library's version (ZIGGYDB_VERSION_MAJOR/MINOR of the build that made it). */
int ziggydb_major_version(void);
int ziggydb_minor_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZIGGYDB_C_H_ */
