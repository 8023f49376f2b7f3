// RunTransaction (ziggydb/transaction.h): the retry loop around a transaction.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

#include "ziggydb/db.h"
#include "ziggydb/transaction.h"

namespace ziggydb {
namespace {

constexpr int64_t kFirstBackoffMicros = 100;
constexpr int64_t kMaxBackoffMicros = 10'000;

}  // namespace

Status RunTransaction(DB* db, const WriteOptions& write_options,
                      const TransactionOptions& txn_options,
                      const std::function<Status(Transaction&)>& body, int max_attempts) {
  // Randomised so that transactions that conflicted with each other do not retry in lockstep.
  thread_local std::minstd_rand rng(static_cast<uint32_t>(
      std::hash<std::thread::id>{}(std::this_thread::get_id()) ^
      static_cast<size_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  if (db == nullptr || !body)
    return Status::InvalidArgument("RunTransaction needs a DB and a body");
  const int attempts = std::max(max_attempts, 1);
  int64_t backoff_micros = kFirstBackoffMicros;
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<Transaction> txn = db->BeginTransaction(write_options, txn_options);
    Status s = body(*txn);
    if (s.ok()) {
      s = txn->Commit();
    } else {
      txn->Rollback().PermitUncheckedError();  // the body's status is the one to report
    }
    if (!s.IsBusy() || attempt >= attempts) return s;
    std::uniform_int_distribution<int64_t> jitter(backoff_micros / 2, backoff_micros);
    std::this_thread::sleep_for(std::chrono::microseconds(jitter(rng)));
    backoff_micros = std::min(backoff_micros * 2, kMaxBackoffMicros);
  }
}

}  // namespace ziggydb
