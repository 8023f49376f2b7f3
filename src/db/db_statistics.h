// Recording helpers for Options::statistics inside the DB. Every helper takes the Statistics
// pointer and does nothing, reading no clock, when it is null: statistics off costs a pointer
// test per event.
#ifndef ZIGGYDB_DB_DB_STATISTICS_H_
#define ZIGGYDB_DB_DB_STATISTICS_H_

#include <cstdint>
#include <memory>

#include "ziggydb/env.h"
#include "ziggydb/iterator.h"
#include "ziggydb/statistics.h"

namespace ziggydb {

inline void RecordTick(Statistics* stats, Ticker ticker, uint64_t count = 1) {
  if (stats != nullptr) stats->RecordTick(ticker, count);
}

inline void RecordHistogram(Statistics* stats, HistogramType type, uint64_t value) {
  if (stats != nullptr) stats->RecordHistogram(type, value);
}

// Records the microseconds of its scope into a histogram.
class StatsTimer {
 public:
  StatsTimer(Env* env, Statistics* stats, HistogramType type)
      : env_(env),
        stats_(stats),
        type_(type),
        start_micros_(stats != nullptr ? env->NowMicros() : 0) {}
  StatsTimer(const StatsTimer&) = delete;
  StatsTimer& operator=(const StatsTimer&) = delete;
  ~StatsTimer() {
    if (stats_ != nullptr) stats_->RecordHistogram(type_, env_->NowMicros() - start_micros_);
  }

 private:
  Env* const env_;
  Statistics* const stats_;
  const HistogramType type_;
  const uint64_t start_micros_;
};

// Wraps a DB iterator: times positioning calls (kSeekMicros, kNextMicros) and counts the
// positions it lands on (kKeysRead, kBytesRead). Precondition: stats != nullptr.
std::unique_ptr<Iterator> NewStatisticsIterator(std::unique_ptr<Iterator> iter, Env* env,
                                                Statistics* stats);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_STATISTICS_H_
