// The C API under allocation failure: an entry point turns std::bad_alloc into an error (or its
// documented failure result) instead of letting the exception unwind through C frames. Allocation
// failure is injected by testutil/failing_allocator.h: on the calling thread only (background
// threads allocate normally), the n-th allocation after arming throws. Each
// call is repeated with n = 0, 1, 2, ... until a run completes without meeting the failure, so
// every allocation it makes fails once.
//
// Covered: an error message malloc cannot copy (the failed call still reports an error); reads
// (get, pinned get, properties), building batches, iterators and snapshots, transactions (begin to
// commit or destroy), and writes (the write path turns an allocation failure into a Status, never
// leaving its mutex held: commit_pipeline.h, invariant 3). Open and Close under allocation failure
// are covered below the C layer, by tests/fault_oom_test.cc (an IOError "out of memory", the LOCK
// always released); the C layer catches what reaches it on those paths too.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "c/c_handles.h"
#include "testutil/failing_allocator.h"
#include "testutil/testutil.h"
#include "ziggydb/c.h"

namespace ziggydb::test {
namespace {

int out_of_memory_errors = 0;  // "Out of memory" errors ForEachAllocation has seen

// Runs `call` with the n-th allocation failing, for n = 0, 1, ... until a run meets no failure.
// `call` returns the error message of its attempt (NULL on success), which must then be an
// "Out of memory" error whenever the injected failure reached the C layer as an exception. Returns
// the number of runs.
template <typename Call>
int ForEachAllocation(Call&& call) {
  for (long n = 0;; n++) {
    ArmAllocationFailure(n);
    char* err = call();
    bool failed = DisarmAllocationFailure();
    if (err != nullptr) {
      ziggydb_code_t code = ziggydb_error_code(err);
      if (code == ZIGGYDB_OUT_OF_MEMORY) out_of_memory_errors++;
      EXPECT_TRUE(code == ZIGGYDB_OUT_OF_MEMORY || code == ZIGGYDB_IO_ERROR ||
                  code == ZIGGYDB_INVALID_ARGUMENT)
          << "allocation " << n << ": " << err;
      ziggydb_free(err);
    }
    if (!failed) return static_cast<int>(n) + 1;
    if (n > 100000) {
      ADD_FAILURE() << "the call never completed";
      return static_cast<int>(n);
    }
  }
}

class CApiOomTest : public ::testing::Test {
 protected:
  CApiOomTest() {
    options_ = ziggydb_options_create();
    ziggydb_options_set_create_if_missing(options_, 1);
    ro_ = ziggydb_readoptions_create();
    wo_ = ziggydb_writeoptions_create();
  }
  ~CApiOomTest() override {
    ziggydb_close(db_);
    ziggydb_writeoptions_destroy(wo_);
    ziggydb_readoptions_destroy(ro_);
    ziggydb_options_destroy(options_);
  }
  void OpenDB() {
    char* err = nullptr;
    db_ = ziggydb_open(options_, dir_.Join("db").c_str(), &err);
    ASSERT_EQ(err, nullptr) << err;
  }

  TempDir dir_;
  ziggydb_options_t* options_;
  ziggydb_readoptions_t* ro_;
  ziggydb_writeoptions_t* wo_;
  ziggydb_t* db_ = nullptr;
};

TEST_F(CApiOomTest, WritesAndReads) {
  OpenDB();
  const std::string value(300, 'v');  // past the small-string buffer: the copies allocate
  char* err = nullptr;
  ziggydb_put(db_, wo_, "key", 3, value.data(), value.size(), &err);
  ASSERT_EQ(err, nullptr);
  int runs = 0;
  runs = ForEachAllocation([&]() -> char* {
    char* err = nullptr;
    size_t len = 0;
    char* got = ziggydb_get(db_, ro_, "key", 3, &len, &err);
    WithoutAllocationFailure(
        [&] { EXPECT_TRUE(got == nullptr || std::string(got, len) == value); });
    ziggydb_free(got);
    return err;
  });
  EXPECT_GE(runs, 2) << "the value copy allocates, so at least one run must have failed";
  EXPECT_GT(out_of_memory_errors, 0);

  ziggydb_pinnable_t* pinned = ziggydb_pinnable_create();
  ForEachAllocation([&]() -> char* {
    char* err = nullptr;
    ziggydb_code_t code = ziggydb_get_pinned(db_, ro_, "key", 3, pinned, &err);
    WithoutAllocationFailure(
        [&] { EXPECT_EQ(code, ziggydb_error_code(err)); });  // ZIGGYDB_OK when err is NULL
    return err;
  });
  ziggydb_pinnable_destroy(pinned);

  // Building a batch (writing it is not covered: see the file comment).
  ziggydb_writebatch_t* batch = ziggydb_writebatch_create();
  ForEachAllocation([&]() -> char* {
    ziggydb_writebatch_clear(batch);
    ziggydb_writebatch_put(batch, "b", 1, value.data(), value.size());
    ziggydb_writebatch_delete(batch, "key", 3);
    ziggydb_writebatch_t* copy = ziggydb_writebatch_create();
    if (copy != nullptr) {
      ziggydb_writebatch_append(copy, batch);
      ziggydb_writebatch_destroy(copy);
    }
    return nullptr;
  });
  // The last run met no failure: the batch holds both updates and is written whole.
  EXPECT_EQ(ziggydb_writebatch_count(batch), 2);
  ziggydb_write(db_, wo_, batch, &err);
  EXPECT_EQ(err, nullptr);
  ziggydb_writebatch_destroy(batch);

  ForEachAllocation([&]() -> char* {
    char* property = ziggydb_property_value(db_, "ziggydb.stats");
    ziggydb_free(property);
    return nullptr;
  });
}

// Writes under allocation failure: each attempt returns (never hangs on a mutex the failed
// attempt left held) with OK or an error; once the DB refuses writes it says so; and after a
// reopen every write acknowledged OK is there.
TEST_F(CApiOomTest, WritesFailWithAnErrorAndNeverHang) {
  OpenDB();
  const std::string value(300, 'v');
  char* err = nullptr;
  ziggydb_put(db_, wo_, "before", 6, value.data(), value.size(), &err);
  ASSERT_EQ(err, nullptr) << err;
  std::vector<std::string> acknowledged = {"before"};
  for (int sync = 0; sync <= 1; sync++) {
    ziggydb_writeoptions_set_sync(wo_, static_cast<unsigned char>(sync));
    int attempt = 0;
    ForEachAllocation([&]() -> char* {
      std::string key;
      WithoutAllocationFailure(
          [&] { key = "w" + std::to_string(sync) + "/" + std::to_string(attempt++); });
      char* err = nullptr;
      ziggydb_put(db_, wo_, key.data(), key.size(), value.data(), value.size(), &err);
      if (err == nullptr) WithoutAllocationFailure([&] { acknowledged.push_back(key); });
      return err;
    });
  }
  ziggydb_writeoptions_set_sync(wo_, 0);
  // Usable, or refusing writes with an error (a failure writing the WAL or the memtable stops
  // writes until a reopen): either way a further write returns.
  ziggydb_put(db_, wo_, "after", 5, "x", 1, &err);
  if (err != nullptr) {
    EXPECT_NE(std::string(err).find("reopened"), std::string::npos) << err;
    ziggydb_free(err);
    err = nullptr;
  } else {
    acknowledged.push_back("after");
  }
  ziggydb_close(db_);
  db_ = nullptr;
  OpenDB();
  for (const std::string& key : acknowledged) {
    size_t len = 0;
    char* got = ziggydb_get(db_, ro_, key.data(), key.size(), &len, &err);
    ASSERT_EQ(err, nullptr) << err;
    ASSERT_NE(got, nullptr) << key;
    EXPECT_EQ(std::string(got, len), key == "after" ? "x" : value) << key;
    ziggydb_free(got);
  }
  ziggydb_put(db_, wo_, "reopened", 8, "y", 1, &err);  // writable again
  EXPECT_EQ(err, nullptr) << err;
}

TEST_F(CApiOomTest, IteratorsAndSnapshots) {
  OpenDB();
  char* err = nullptr;
  for (int i = 0; i < 100; i++) {
    std::string key = "key" + std::to_string(i);
    ziggydb_put(db_, wo_, key.data(), key.size(), "v", 1, &err);
    ASSERT_EQ(err, nullptr);
  }
  ziggydb_flush(db_, &err);
  ASSERT_EQ(err, nullptr);

  ForEachAllocation([&]() -> char* {
    ziggydb_readoptions_set_iterate_lower_bound(ro_, "key1", 4);  // 0 when its copy failed
    const ziggydb_snapshot_t* snapshot = ziggydb_create_snapshot(db_);
    ziggydb_iterator_t* it = ziggydb_create_iterator(db_, ro_);
    char* iter_err = nullptr;
    if (it != nullptr) {
      int seen = 0;
      for (ziggydb_iter_seek_to_first(it); ziggydb_iter_valid(it); ziggydb_iter_next(it))
        seen++;
      ziggydb_iter_get_error(it, &iter_err);
      WithoutAllocationFailure([&] { EXPECT_TRUE(iter_err != nullptr || seen > 0); });
      ziggydb_iter_destroy(it);
    }
    ziggydb_release_snapshot(db_, snapshot);
    return iter_err;
  });
}

// A whole transaction through the C API, every allocation failing once: each entry point returns
// an error (or NULL), the commit applies both writes or neither, and destroying the handle (an
// open transaction rolls back) never aborts.
TEST_F(CApiOomTest, Transactions) {
  OpenDB();
  char* err = nullptr;
  ziggydb_put(db_, wo_, "base", 4, "v", 1, &err);
  ASSERT_EQ(err, nullptr);
  ziggydb_transaction_options_t* txn_options = ziggydb_transaction_options_create();
  ASSERT_NE(txn_options, nullptr);
  ziggydb_transaction_options_set_isolation(txn_options, ziggydb_isolation_serializable);
  int round = 0;
  ForEachAllocation([&]() -> char* {
    const std::string a = "a" + std::to_string(round);
    const std::string b = "b" + std::to_string(round);
    ++round;
    ziggydb_transaction_t* txn = ziggydb_transaction_begin(db_, wo_, txn_options);
    if (txn == nullptr) return nullptr;  // out of memory, as documented
    char* txn_err = nullptr;
    size_t length = 0;
    char* value = ziggydb_transaction_get(txn, ro_, "base", 4, &length, &txn_err);
    ziggydb_free(value);
    ziggydb_iterator_t* it = ziggydb_transaction_create_iterator(txn, ro_);
    if (it != nullptr) ziggydb_iter_seek_to_first(it);
    if (txn_err == nullptr) ziggydb_transaction_set_savepoint(txn, &txn_err);
    if (txn_err == nullptr) ziggydb_transaction_put(txn, a.data(), a.size(), "1", 1, &txn_err);
    if (txn_err == nullptr) ziggydb_transaction_put(txn, b.data(), b.size(), "2", 1, &txn_err);
    bool committed = false;
    if (txn_err == nullptr) {
      ziggydb_transaction_commit(txn, &txn_err);
      committed = txn_err == nullptr;
    }
    ziggydb_iter_destroy(it);
    ziggydb_transaction_destroy(txn);  // rolls back an open one
    WithoutAllocationFailure([&] {
      char* read_err = nullptr;
      size_t a_length = 0, b_length = 0;
      char* a_value = ziggydb_get(db_, ro_, a.data(), a.size(), &a_length, &read_err);
      char* b_value = ziggydb_get(db_, ro_, b.data(), b.size(), &b_length, &read_err);
      EXPECT_EQ(read_err, nullptr);
      EXPECT_EQ(a_value != nullptr, b_value != nullptr) << a;  // both or neither
      if (committed) {
        EXPECT_NE(a_value, nullptr) << a;
      }
      ziggydb_free(a_value);
      ziggydb_free(b_value);
      ziggydb_free(read_err);
    });
    return txn_err;
  });
  ziggydb_transaction_options_destroy(txn_options);
}

void* FailingMalloc(size_t /*size*/) {
  return nullptr;
}

// When malloc cannot copy an error's message, the failed call still leaves an error in *errptr
// (before, *errptr stayed NULL: a failed Put read as a success, a failed Get as an absent key).
TEST(CApiErrorMessage, AMessageThatCannotBeAllocatedStillReportsTheFailure) {
  using ziggydb::c_api::SetError;
  // An error message that can be allocated leaves the reserve full, whatever ran before.
  char* err = nullptr;
  SetError(&err, "Busy: x", std::malloc);
  ziggydb_free(err);
  // The reserve message, allocated ahead of need.
  err = nullptr;
  SetError(&err, "IO error: disk gone", FailingMalloc);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(ziggydb_error_code(err), ZIGGYDB_OUT_OF_MEMORY) << err;
  ziggydb_free(err);

  // The reserve is spent and malloc still fails: an earlier message is overwritten in place.
  char* earlier = nullptr;
  SetError(&earlier, "Corruption: an earlier error, still held", std::malloc);  // refills
  err = nullptr;
  SetError(&err, "IO error: disk gone", FailingMalloc);  // takes the reserve
  ASSERT_NE(err, nullptr);
  char* const earlier_buffer = earlier;
  SetError(&earlier, "IO error: disk gone", FailingMalloc);
  EXPECT_EQ(earlier, earlier_buffer);
  EXPECT_EQ(ziggydb_error_code(earlier), ZIGGYDB_OUT_OF_MEMORY) << earlier;
  ziggydb_free(earlier);
  ziggydb_free(err);

  // One SetError that can allocate refills the reserve.
  err = nullptr;
  SetError(&err, "Busy: x", std::malloc);
  ziggydb_free(err);
  err = nullptr;
  SetError(&err, "IO error: disk gone", FailingMalloc);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(ziggydb_error_code(err), ZIGGYDB_OUT_OF_MEMORY) << err;
  ziggydb_free(err);
}

}  // namespace
}  // namespace ziggydb::test
