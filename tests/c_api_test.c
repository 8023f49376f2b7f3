/* A C11 program using ZiggyDB the way a user's program would: through the installed
 * <ziggydb/c.h> and library, found with pkg-config (tests/c_api_test.sh builds and runs it).
 * Covers the LevelDB-style API (open, put, get, delete, batches, iterators with bounds,
 * snapshots, properties, sizes, compaction, repair, destroy, the error paths) and the additions
 * (status codes, pinned gets, transactions, checkpoints, backups).
 *
 * usage: c_api_test SCRATCH_DIR
 * Exits 0 after printing "c_api_test: ok"; otherwise prints the failed check and exits 1. Every
 * handle and string is released on the success path, so a leak checker (LSan) sees none. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ziggydb/c.h"

static int checks_run = 0;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    checks_run++;                                                                          \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "c_api_test: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                             \
    }                                                                                      \
  } while (0)

/* Fails the test if err holds a message. */
#define CHECK_NO_ERROR(err)                                                                  \
  do {                                                                                       \
    checks_run++;                                                                            \
    if ((err) != NULL) {                                                                     \
      fprintf(stderr, "c_api_test: %s:%d: unexpected error: %s\n", __FILE__, __LINE__, err); \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

/* Expects err to hold a message of the given code; frees it. */
static void ExpectError(char** err, ziggydb_code_t code, int line) {
  checks_run++;
  if (*err == NULL) {
    fprintf(stderr, "c_api_test: line %d: expected an error of code %d, got none\n", line,
            (int)code);
    exit(1);
  }
  if (ziggydb_error_code(*err) != code) {
    fprintf(stderr, "c_api_test: line %d: expected code %d, got %d: %s\n", line, (int)code,
            (int)ziggydb_error_code(*err), *err);
    exit(1);
  }
  printf("  expected error (code %d): %s\n", (int)code, *err);
  ziggydb_free(*err);
  *err = NULL;
}
#define EXPECT_ERROR(err, code) ExpectError(&(err), (code), __LINE__)

static int BytesEqual(const char* data, size_t len, const char* expected) {
  return data != NULL && len == strlen(expected) && memcmp(data, expected, len) == 0;
}

/* Checks that key holds expected (NULL: absent) as seen through options. */
static void CheckGet(ziggydb_t* db, const ziggydb_readoptions_t* options, const char* key,
                     const char* expected, int line) {
  char* err = NULL;
  size_t len = 12345;
  char* value = ziggydb_get(db, options, key, strlen(key), &len, &err);
  checks_run++;
  if (err != NULL) {
    fprintf(stderr, "c_api_test: line %d: get(%s) failed: %s\n", line, key, err);
    exit(1);
  }
  if (expected == NULL ? (value != NULL || len != 0) : !BytesEqual(value, len, expected)) {
    fprintf(stderr, "c_api_test: line %d: get(%s) = %.*s, expected %s\n", line, key,
            value ? (int)len : 6, value ? value : "(null)", expected ? expected : "(absent)");
    exit(1);
  }
  ziggydb_free(value);
}
#define CHECK_GET(db, options, key, expected) CheckGet((db), (options), (key), (expected), __LINE__)

/* Fails unless the LOG file in the DB directory `path` contains `text`. */
static void CheckLogHas(const char* path, const char* text) {
  char name[4096];
  snprintf(name, sizeof name, "%s/LOG", path);
  FILE* f = fopen(name, "rb");
  CHECK(f != NULL);
  static char log[1 << 16];
  const size_t n = fread(log, 1, sizeof log - 1, f);
  fclose(f);
  log[n] = '\0';
  if (strstr(log, text) == NULL) {
    fprintf(stderr, "c_api_test: %s does not contain \"%s\"\n", name, text);
    exit(1);
  }
  checks_run++;
}

/* The updates of a batch as text, built by the iterate callbacks. */
struct Trace {
  char text[256];
};
static void TracePut(void* state, const char* k, size_t klen, const char* v, size_t vlen) {
  struct Trace* trace = (struct Trace*)state;
  size_t used = strlen(trace->text);
  snprintf(trace->text + used, sizeof(trace->text) - used, "put(%.*s,%.*s)", (int)klen, k,
           (int)vlen, v);
}
static void TraceDelete(void* state, const char* k, size_t klen) {
  struct Trace* trace = (struct Trace*)state;
  size_t used = strlen(trace->text);
  snprintf(trace->text + used, sizeof(trace->text) - used, "del(%.*s)", (int)klen, k);
}

/* The keys an iterator visits from its current position, moving forward or backward, joined
 * with ",". */
static void CollectKeys(ziggydb_iterator_t* it, int forward, char* out, size_t out_size) {
  out[0] = '\0';
  for (; ziggydb_iter_valid(it); forward ? ziggydb_iter_next(it) : ziggydb_iter_prev(it)) {
    size_t klen = 0;
    const char* key = ziggydb_iter_key(it, &klen);
    size_t used = strlen(out);
    snprintf(out + used, out_size - used, "%s%.*s", used ? "," : "", (int)klen, key);
  }
  char* err = NULL;
  ziggydb_iter_get_error(it, &err);
  CHECK_NO_ERROR(err);
}

static void Put(ziggydb_t* db, const ziggydb_writeoptions_t* wo, const char* key,
                const char* value) {
  char* err = NULL;
  ziggydb_put(db, wo, key, strlen(key), value, strlen(value), &err);
  CHECK_NO_ERROR(err);
}

static void TestBatch(ziggydb_t* db, const ziggydb_writeoptions_t* wo,
                      const ziggydb_readoptions_t* ro) {
  ziggydb_writebatch_t* batch = ziggydb_writebatch_create();
  ziggydb_writebatch_t* more = ziggydb_writebatch_create();
  CHECK(batch != NULL && more != NULL);
  ziggydb_writebatch_put(batch, "b1", 2, "v1", 2);
  ziggydb_writebatch_delete(batch, "gone", 4);
  ziggydb_writebatch_put(more, "b2", 2, "v2", 2);
  ziggydb_writebatch_append(batch, more);
  CHECK(ziggydb_writebatch_count(batch) == 3);
  CHECK(ziggydb_writebatch_count(more) == 1);

  struct Trace trace = {{0}};
  ziggydb_writebatch_iterate(batch, &trace, TracePut, TraceDelete);
  CHECK(strcmp(trace.text, "put(b1,v1)del(gone)put(b2,v2)") == 0);

  Put(db, wo, "gone", "soon");
  char* err = NULL;
  ziggydb_write(db, wo, batch, &err);
  CHECK_NO_ERROR(err);
  CHECK_GET(db, ro, "b1", "v1");
  CHECK_GET(db, ro, "b2", "v2");
  CHECK_GET(db, ro, "gone", NULL);

  ziggydb_writebatch_clear(batch);
  CHECK(ziggydb_writebatch_count(batch) == 0);
  trace.text[0] = '\0';
  ziggydb_writebatch_iterate(batch, &trace, TracePut, TraceDelete);
  CHECK(trace.text[0] == '\0');

  /* A key over the 1 MiB limit poisons the whole batch. */
  size_t big_len = ((size_t)1 << 20) + 1;
  char* big = calloc(big_len, 1);
  CHECK(big != NULL);
  ziggydb_writebatch_put(batch, "ok", 2, "x", 1);
  ziggydb_writebatch_put(batch, big, big_len, "x", 1);
  ziggydb_write(db, wo, batch, &err);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);
  CHECK_GET(db, ro, "ok", NULL);
  ziggydb_put(db, wo, big, big_len, "x", 1, &err);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);
  free(big);

  ziggydb_writebatch_destroy(more);
  ziggydb_writebatch_destroy(batch);
}

static void TestIteration(ziggydb_t* db, const ziggydb_writeoptions_t* wo) {
  const char* keys[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; i++)
    Put(db, wo, keys[i], "v");

  char seen[128];
  ziggydb_readoptions_t* ro = ziggydb_readoptions_create();
  ziggydb_iterator_t* it = ziggydb_create_iterator(db, ro);
  CHECK(it != NULL);
  CHECK(!ziggydb_iter_valid(it));
  ziggydb_iter_seek_to_first(it);
  CollectKeys(it, 1, seen, sizeof(seen));
  CHECK(strcmp(seen, "a,b,b1,b2,c,d,e") == 0);
  ziggydb_iter_seek_to_last(it);
  CollectKeys(it, 0, seen, sizeof(seen));
  CHECK(strcmp(seen, "e,d,c,b2,b1,b,a") == 0);
  ziggydb_iter_seek(it, "b5", 2);
  CHECK(ziggydb_iter_valid(it));
  size_t len = 0;
  const char* key = ziggydb_iter_key(it, &len);
  CHECK(BytesEqual(key, len, "c"));
  const char* value = ziggydb_iter_value(it, &len);
  CHECK(BytesEqual(value, len, "v"));
  ziggydb_iter_seek_for_prev(it, "b5", 2);
  key = ziggydb_iter_key(it, &len);
  CHECK(BytesEqual(key, len, "b2"));
  ziggydb_iter_destroy(it);

  /* Bounds [b1, d): the bounds are copied, so the caller's buffer may change right away. */
  char lower[3] = "b1";
  CHECK(ziggydb_readoptions_set_iterate_lower_bound(ro, lower, 2));
  CHECK(ziggydb_readoptions_set_iterate_upper_bound(ro, "d", 1));
  lower[0] = 'z';
  it = ziggydb_create_iterator(db, ro);
  ziggydb_readoptions_destroy(ro); /* the iterator keeps its own copy of the bounds */
  ziggydb_iter_seek_to_first(it);
  CollectKeys(it, 1, seen, sizeof(seen));
  CHECK(strcmp(seen, "b1,b2,c") == 0);
  ziggydb_iter_seek_to_last(it);
  CollectKeys(it, 0, seen, sizeof(seen));
  CHECK(strcmp(seen, "c,b2,b1") == 0);
  ziggydb_iter_seek(it, "a", 1);
  key = ziggydb_iter_key(it, &len);
  CHECK(BytesEqual(key, len, "b1"));
  ziggydb_iter_seek(it, "d", 1);
  CHECK(!ziggydb_iter_valid(it));
  ziggydb_iter_destroy(it);

  /* Clearing a bound. */
  ro = ziggydb_readoptions_create();
  CHECK(ziggydb_readoptions_set_iterate_upper_bound(ro, "b", 1));
  CHECK(ziggydb_readoptions_set_iterate_upper_bound(ro, NULL, 0));
  it = ziggydb_create_iterator(db, ro);
  ziggydb_iter_seek_to_last(it);
  key = ziggydb_iter_key(it, &len);
  CHECK(BytesEqual(key, len, "e"));
  ziggydb_iter_destroy(it);
  ziggydb_readoptions_destroy(ro);
}

static void TestSnapshot(ziggydb_t* db, const ziggydb_writeoptions_t* wo,
                         const ziggydb_readoptions_t* latest) {
  Put(db, wo, "snap", "old");
  const ziggydb_snapshot_t* snapshot = ziggydb_create_snapshot(db);
  CHECK(snapshot != NULL);
  Put(db, wo, "snap", "new");
  Put(db, wo, "snap2", "after");

  ziggydb_readoptions_t* ro = ziggydb_readoptions_create();
  ziggydb_readoptions_set_snapshot(ro, snapshot);
  CHECK_GET(db, ro, "snap", "old");
  CHECK_GET(db, ro, "snap2", NULL);
  CHECK_GET(db, latest, "snap", "new");

  ziggydb_iterator_t* it = ziggydb_create_iterator(db, ro);
  ziggydb_iter_seek(it, "snap", 4);
  size_t len = 0;
  const char* value = ziggydb_iter_value(it, &len);
  CHECK(BytesEqual(value, len, "old"));
  ziggydb_iter_next(it);
  CHECK(!ziggydb_iter_valid(it)); /* snap2 came after the snapshot */
  ziggydb_iter_destroy(it);

  ziggydb_readoptions_set_snapshot(ro, NULL);
  CHECK_GET(db, ro, "snap", "new");
  ziggydb_readoptions_destroy(ro);
  ziggydb_release_snapshot(db, snapshot);
}

static void TestPinnedGet(ziggydb_t* db, const ziggydb_readoptions_t* ro) {
  ziggydb_pinnable_t* value = ziggydb_pinnable_create();
  CHECK(value != NULL);
  size_t len = 99;
  ziggydb_pinnable_value(value, &len);
  CHECK(len == 0);
  CHECK(ziggydb_get_pinned(db, ro, "b1", 2, value, NULL) == ZIGGYDB_OK);
  const char* bytes = ziggydb_pinnable_value(value, &len);
  CHECK(BytesEqual(bytes, len, "v1"));
  char* err = NULL;
  CHECK(ziggydb_get_pinned(db, ro, "absent", 6, value, &err) == ZIGGYDB_NOT_FOUND);
  CHECK(err == NULL);
  ziggydb_pinnable_value(value, &len);
  CHECK(len == 0);
  /* The pinned bytes stay valid while the key is overwritten, its memtable flushed and the
   * tables compacted away. */
  ziggydb_writeoptions_t* wo = ziggydb_writeoptions_create();
  ziggydb_put(db, wo, "pin", 3, "pinned", 6, &err);
  CHECK_NO_ERROR(err);
  CHECK(ziggydb_get_pinned(db, ro, "pin", 3, value, NULL) == ZIGGYDB_OK);
  ziggydb_put(db, wo, "pin", 3, "other", 5, &err);
  CHECK_NO_ERROR(err);
  ziggydb_flush(db, &err);
  CHECK_NO_ERROR(err);
  ziggydb_compact_range_checked(db, NULL, 0, NULL, 0, &err);
  CHECK_NO_ERROR(err);
  bytes = ziggydb_pinnable_value(value, &len);
  CHECK(BytesEqual(bytes, len, "pinned"));
  ziggydb_pinnable_reset(value);
  ziggydb_pinnable_value(value, &len);
  CHECK(len == 0);
  ziggydb_delete(db, wo, "pin", 3, &err);
  CHECK_NO_ERROR(err);
  ziggydb_writeoptions_destroy(wo);
  ziggydb_pinnable_destroy(value);
}

static void TestPropertiesAndSizes(ziggydb_t* db, const ziggydb_writeoptions_t* wo) {
  /* Enough data in [r000, r999] for tables of some size once flushed. */
  char key[16];
  char value[200];
  memset(value, 'x', sizeof(value) - 1);
  value[sizeof(value) - 1] = '\0';
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof(key), "r%03d", i);
    Put(db, wo, key, value);
  }
  char* err = NULL;
  ziggydb_flush(db, &err);
  CHECK_NO_ERROR(err);

  char* stats = ziggydb_property_value(db, "ziggydb.stats");
  CHECK(stats != NULL && strlen(stats) > 0);
  ziggydb_free(stats);
  char* files = ziggydb_property_value(db, "ziggydb.num-files-at-level0");
  CHECK(files != NULL && atoi(files) >= 1);
  ziggydb_free(files);
  CHECK(ziggydb_property_value(db, "no.such.property") == NULL);
  char* metrics = ziggydb_metrics_text(db);
  CHECK(metrics != NULL && strstr(metrics, "ziggydb_") != NULL);
  ziggydb_free(metrics);

  const char* starts[] = {"r000", "u"};
  const char* limits[] = {"r999~", "w"};
  const size_t start_lens[] = {4, 1};
  const size_t limit_lens[] = {5, 1};
  uint64_t sizes[2] = {0, 12345};
  ziggydb_approximate_sizes(db, 2, starts, start_lens, limits, limit_lens, sizes);
  CHECK(sizes[0] >= 100000); /* 1000 values of 200 bytes, uncompressed */
  CHECK(sizes[1] == 0);

  ziggydb_compact_range(db, NULL, 0, NULL, 0);
  ziggydb_compact_range_checked(db, "r100", 4, "r200", 4, &err);
  CHECK_NO_ERROR(err);
}

static void TestTransactions(ziggydb_t* db, const ziggydb_writeoptions_t* wo,
                             const ziggydb_readoptions_t* ro) {
  char* err = NULL;
  Put(db, wo, "acct", "100");
  ziggydb_transaction_options_t* txn_options = ziggydb_transaction_options_create();
  ziggydb_transaction_options_set_isolation(txn_options, ziggydb_isolation_serializable);

  /* Reads see the snapshot plus the transaction's own writes; others see nothing until commit. */
  ziggydb_transaction_t* txn = ziggydb_transaction_begin(db, wo, txn_options);
  CHECK(txn != NULL);
  size_t len = 0;
  char* value = ziggydb_transaction_get(txn, ro, "acct", 4, &len, &err);
  CHECK_NO_ERROR(err);
  CHECK(BytesEqual(value, len, "100"));
  ziggydb_free(value);
  ziggydb_transaction_put(txn, "acct", 4, "90", 2, &err);
  CHECK_NO_ERROR(err);
  ziggydb_transaction_set_savepoint(txn, &err);
  CHECK_NO_ERROR(err);
  ziggydb_transaction_put(txn, "tmp", 3, "x", 1, &err);
  ziggydb_transaction_rollback_to_savepoint(txn, &err);
  CHECK_NO_ERROR(err);
  ziggydb_transaction_rollback_to_savepoint(txn, &err);
  EXPECT_ERROR(err, ZIGGYDB_NOT_FOUND); /* no save point left */
  value = ziggydb_transaction_get(txn, ro, "acct", 4, &len, &err);
  CHECK(BytesEqual(value, len, "90"));
  ziggydb_free(value);
  CHECK(ziggydb_transaction_get(txn, ro, "tmp", 3, &len, &err) == NULL && err == NULL);
  CHECK_GET(db, ro, "acct", "100");

  ziggydb_iterator_t* it = ziggydb_transaction_create_iterator(txn, ro);
  CHECK(it != NULL);
  ziggydb_iter_seek(it, "acct", 4);
  const char* v = ziggydb_iter_value(it, &len);
  CHECK(BytesEqual(v, len, "90"));
  ziggydb_iter_destroy(it);

  /* A conflicting write committed meanwhile: Busy, nothing applied. */
  Put(db, wo, "acct", "50");
  ziggydb_transaction_commit(txn, &err);
  EXPECT_ERROR(err, ZIGGYDB_BUSY);
  CHECK_GET(db, ro, "acct", "50");
  ziggydb_transaction_put(txn, "acct", 4, "1", 1, &err); /* ended */
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);
  ziggydb_transaction_destroy(txn);

  /* Retry: commits. */
  txn = ziggydb_transaction_begin(db, wo, NULL);
  ziggydb_transaction_put(txn, "acct", 4, "40", 2, &err);
  ziggydb_transaction_delete(txn, "snap2", 5, &err);
  ziggydb_transaction_commit(txn, &err);
  CHECK_NO_ERROR(err);
  ziggydb_transaction_destroy(txn);
  CHECK_GET(db, ro, "acct", "40");
  CHECK_GET(db, ro, "snap2", NULL);

  /* Rollback discards; destroy of an open transaction rolls back too. */
  txn = ziggydb_transaction_begin(db, wo, txn_options);
  ziggydb_transaction_put(txn, "acct", 4, "0", 1, &err);
  ziggydb_transaction_rollback(txn, &err);
  CHECK_NO_ERROR(err);
  ziggydb_transaction_destroy(txn);
  txn = ziggydb_transaction_begin(db, wo, txn_options);
  ziggydb_transaction_put(txn, "acct", 4, "0", 1, &err);
  ziggydb_transaction_destroy(txn);
  CHECK_GET(db, ro, "acct", "40");

  ziggydb_transaction_options_set_isolation(txn_options, 7);
  CHECK(ziggydb_transaction_begin(db, wo, txn_options) == NULL);
  ziggydb_transaction_options_destroy(txn_options);
}

/* Checks that a DB at `path` opens and holds key -> expected. */
static void CheckDBHolds(const char* path, const char* key, const char* expected) {
  ziggydb_options_t* options = ziggydb_options_create();
  ziggydb_readoptions_t* ro = ziggydb_readoptions_create();
  char* err = NULL;
  ziggydb_t* db = ziggydb_open(options, path, &err);
  CHECK_NO_ERROR(err);
  CHECK_GET(db, ro, key, expected);
  ziggydb_close(db);
  ziggydb_readoptions_destroy(ro);
  ziggydb_options_destroy(options);
}

static void TestCheckpointAndBackup(ziggydb_t* db, const ziggydb_writeoptions_t* wo,
                                    const char* scratch) {
  char* err = NULL;
  char dir[4200];
  Put(db, wo, "copied", "yes");

  snprintf(dir, sizeof(dir), "%s/checkpoint", scratch);
  ziggydb_checkpoint_create(db, dir, &err);
  CHECK_NO_ERROR(err);
  ziggydb_checkpoint_create(db, dir, &err);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT); /* the directory exists */
  CheckDBHolds(dir, "copied", "yes");

  char backups[4200];
  snprintf(backups, sizeof(backups), "%s/backups", scratch);
  ziggydb_backup_engine_t* engine = ziggydb_backup_engine_open(backups, &err);
  CHECK_NO_ERROR(err);
  CHECK(ziggydb_backup_engine_open(backups, &err) == NULL);
  EXPECT_ERROR(err, ZIGGYDB_BUSY); /* one engine per directory */
  uint32_t first = ziggydb_backup_engine_create_new_backup(engine, db, 1, &err);
  CHECK_NO_ERROR(err);
  Put(db, wo, "copied", "twice");
  uint32_t second = ziggydb_backup_engine_create_new_backup(engine, db, 1, &err);
  CHECK_NO_ERROR(err);
  CHECK(first >= 1 && second > first);
  ziggydb_backup_engine_verify_backup(engine, second, &err);
  CHECK_NO_ERROR(err);
  ziggydb_backup_engine_verify_backup(engine, second + 100, &err);
  EXPECT_ERROR(err, ZIGGYDB_NOT_FOUND);

  ziggydb_backup_info_t* info = ziggydb_backup_engine_get_backup_info(engine);
  CHECK(info != NULL && ziggydb_backup_info_count(info) == 2);
  CHECK(ziggydb_backup_info_id(info, 0) == first && ziggydb_backup_info_id(info, 1) == second);
  CHECK(ziggydb_backup_info_size(info, 1) > 0 && ziggydb_backup_info_file_count(info, 1) > 0);
  CHECK(ziggydb_backup_info_timestamp(info, 1) > 0);
  CHECK(ziggydb_backup_info_sequence(info, 1) > ziggydb_backup_info_sequence(info, 0));
  ziggydb_backup_info_destroy(info);

  snprintf(dir, sizeof(dir), "%s/restored", scratch);
  ziggydb_backup_engine_restore_db_from_backup(engine, first, dir, 0, &err);
  CHECK_NO_ERROR(err);
  CheckDBHolds(dir, "copied", "yes");
  ziggydb_backup_engine_restore_db_from_backup(engine, second, dir, 0, &err);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT); /* a DB is there */
  ziggydb_backup_engine_restore_db_from_backup(engine, second, dir, 1, &err);
  CHECK_NO_ERROR(err);
  CheckDBHolds(dir, "copied", "twice");

  ziggydb_backup_engine_purge_old_backups(engine, 1, &err);
  CHECK_NO_ERROR(err);
  ziggydb_backup_engine_delete_backup(engine, first, &err);
  EXPECT_ERROR(err, ZIGGYDB_NOT_FOUND); /* purged */
  ziggydb_backup_engine_delete_backup(engine, second, &err);
  CHECK_NO_ERROR(err);
  ziggydb_backup_engine_close(engine);

  /* Unreadable metadata: listed apart, and deleted like any backup. */
  char meta[4300];
  snprintf(meta, sizeof(meta), "%s/meta/9", backups);
  FILE* garbage = fopen(meta, "w");
  CHECK(garbage != NULL && fputs("not metadata", garbage) >= 0 && fclose(garbage) == 0);
  engine = ziggydb_backup_engine_open(backups, &err);
  CHECK_NO_ERROR(err);
  size_t count = 0;
  uint32_t* corrupted = ziggydb_backup_engine_get_corrupted_backups(engine, &count, &err);
  CHECK_NO_ERROR(err);
  CHECK(count == 1 && corrupted != NULL && corrupted[0] == 9);
  ziggydb_free(corrupted);
  ziggydb_backup_engine_verify_backup(engine, 9, &err);
  EXPECT_ERROR(err, ZIGGYDB_CORRUPTION);
  ziggydb_backup_engine_delete_backup(engine, 9, &err);
  CHECK_NO_ERROR(err);
  CHECK(ziggydb_backup_engine_get_corrupted_backups(engine, &count, &err) == NULL && count == 0);
  CHECK_NO_ERROR(err);
  ziggydb_backup_engine_close(engine);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/db", argv[1]);
  printf("c_api_test: ZiggyDB %d.%d at %s\n", ziggydb_major_version(), ziggydb_minor_version(),
         path);

  ziggydb_options_t* options = ziggydb_options_create();
  ziggydb_readoptions_t* ro = ziggydb_readoptions_create();
  ziggydb_writeoptions_t* wo = ziggydb_writeoptions_create();
  CHECK(options != NULL && ro != NULL && wo != NULL);
  char* err = NULL;

  /* Error paths before the DB exists. */
  ziggydb_t* db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT); /* no DB and create_if_missing is off */
  ziggydb_options_set_create_if_missing(options, 1);
  db = ziggydb_open(options, "/dev/null/not-a-directory", &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_IO_ERROR);
  ziggydb_options_set_write_buffer_size(options, 1); /* below the 64 KiB minimum */
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);

  ziggydb_options_set_write_buffer_size(options, (size_t)1 << 20);
  ziggydb_options_set_row_cache_bytes(options, 1); /* below the 64 KiB minimum */
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);

  ziggydb_options_set_row_cache_bytes(options, (size_t)1 << 20);
  ziggydb_options_set_l0_compaction_trigger(options, 30); /* above the slowdown trigger (20) */
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);

  ziggydb_options_set_l0_compaction_trigger(options, 2);
  ziggydb_options_set_l0_slowdown_trigger(options, 8);
  ziggydb_options_set_l0_stop_trigger(options, 12);
  ziggydb_options_set_read_compactions(options, 0);
  ziggydb_options_set_max_file_size(options, (size_t)1 << 20);
  ziggydb_options_set_compression(options, ziggydb_no_compression);
  ziggydb_options_set_bloom_bits_per_key(options, 10);
  ziggydb_options_set_statistics(options, 1);
  ziggydb_options_set_paranoid_checks(options, 1);
  ziggydb_writeoptions_set_sync(wo, 0);
  ziggydb_readoptions_set_verify_checksums(ro, 1);
  ziggydb_readoptions_set_fill_cache(ro, 1);
  db = ziggydb_open(options, path, &err);
  CHECK_NO_ERROR(err);
  CHECK(db != NULL);

  /* The options reached the DB: its LOG's options line shows them. */
  CheckLogHas(path, "l0_compaction_trigger=2 read_compactions=0 l0_slowdown_trigger=8 ");
  CheckLogHas(path, "l0_stop_trigger=12 ");

  /* A second opener of the same directory is told to retry later. */
  ziggydb_t* second = ziggydb_open(options, path, &err);
  CHECK(second == NULL);
  EXPECT_ERROR(err, ZIGGYDB_BUSY);

  /* Put, get, delete; values may hold NULs. */
  Put(db, wo, "hello", "world");
  CHECK_GET(db, ro, "hello", "world");
  CHECK_GET(db, ro, "missing", NULL);
  ziggydb_put(db, wo, "nul", 3, "a\0b", 3, &err);
  CHECK_NO_ERROR(err);
  size_t len = 0;
  char* value = ziggydb_get(db, ro, "nul", 3, &len, &err);
  CHECK(value != NULL && len == 3 && memcmp(value, "a\0b", 3) == 0);
  ziggydb_free(value);
  ziggydb_delete(db, wo, "nul", 3, &err);
  CHECK_NO_ERROR(err);
  ziggydb_delete(db, wo, "hello", 5, &err);
  CHECK_NO_ERROR(err);
  CHECK_GET(db, ro, "hello", NULL);
  ziggydb_delete(db, wo, "never-there", 11, &err); /* not an error */
  CHECK_NO_ERROR(err);

  TestBatch(db, wo, ro);
  TestIteration(db, wo);
  TestSnapshot(db, wo, ro);
  TestPinnedGet(db, ro);
  TestPropertiesAndSizes(db, wo);
  TestTransactions(db, wo, ro);
  TestCheckpointAndBackup(db, wo, argv[1]);

  /* Writes without the WAL survive a clean close (it flushes them). */
  ziggydb_writeoptions_t* no_wal = ziggydb_writeoptions_create();
  ziggydb_writeoptions_set_disable_wal(no_wal, 1);
  Put(db, no_wal, "unlogged", "kept");
  ziggydb_writeoptions_destroy(no_wal);
  ziggydb_close_checked(db, &err);
  CHECK_NO_ERROR(err);

  /* Reopen: everything is still there. */
  ziggydb_options_set_create_if_missing(options, 0);
  db = ziggydb_open(options, path, &err);
  CHECK_NO_ERROR(err);
  CHECK_GET(db, ro, "b1", "v1");
  CHECK_GET(db, ro, "unlogged", "kept");
  CHECK_GET(db, ro, "hello", NULL);

  /* DestroyDB refuses an open DB. */
  ziggydb_destroy_db(options, path, &err);
  CHECK(err != NULL);
  ziggydb_free(err);
  err = NULL;
  ziggydb_close(db);

  /* A damaged CURRENT file: Open reports corruption, it does not crash. */
  char current[4200];
  snprintf(current, sizeof(current), "%s/CURRENT", path);
  FILE* f = fopen(current, "wb");
  CHECK(f != NULL);
  fputs("garbage\n", f);
  CHECK(fclose(f) == 0);
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_CORRUPTION);

  /* Repair rebuilds it from the tables and logs: the data is back. */
  ziggydb_repair_db(options, path, &err);
  CHECK_NO_ERROR(err);
  db = ziggydb_open(options, path, &err);
  CHECK_NO_ERROR(err);
  CHECK_GET(db, ro, "b1", "v1");
  CHECK_GET(db, ro, "acct", "40");
  ziggydb_close(db);

  /* Destroy, then the directory holds no DB any more. */
  ziggydb_destroy_db(options, path, &err);
  CHECK_NO_ERROR(err);
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL);
  EXPECT_ERROR(err, ZIGGYDB_INVALID_ARGUMENT);

  /* An earlier message in errptr is freed and replaced by the next error. */
  err = malloc(8);
  CHECK(err != NULL);
  strcpy(err, "stale");
  db = ziggydb_open(options, path, &err);
  CHECK(db == NULL && err != NULL && strcmp(err, "stale") != 0);
  ziggydb_free(err);
  CHECK(ziggydb_error_code(NULL) == ZIGGYDB_OK);
  CHECK(ziggydb_error_code("not a message of ours") == ZIGGYDB_INTERNAL);

  ziggydb_options_destroy(options);
  ziggydb_readoptions_destroy(ro);
  ziggydb_writeoptions_destroy(wo);
  printf("c_api_test: ok (%d checks)\n", checks_run);
  return 0;
}
