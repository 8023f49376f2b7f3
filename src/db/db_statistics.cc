#include "db/db_statistics.h"

#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

class StatisticsIterator final : public Iterator {
 public:
  StatisticsIterator(std::unique_ptr<Iterator> iter, Env* env, Statistics* stats)
      : iter_(std::move(iter)), env_(env), stats_(stats) {
    ZIGGY_ASSERT(stats_ != nullptr);
  }

  bool Valid() const override { return iter_->Valid(); }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override { return iter_->status(); }

  void SeekToFirst() override {
    Timed(HistogramType::kSeekMicros, [this] { iter_->SeekToFirst(); });
  }
  void SeekToLast() override {
    Timed(HistogramType::kSeekMicros, [this] { iter_->SeekToLast(); });
  }
  void Seek(std::string_view target) override {
    Timed(HistogramType::kSeekMicros, [this, target] { iter_->Seek(target); });
  }
  void SeekForPrev(std::string_view target) override {
    Timed(HistogramType::kSeekMicros, [this, target] { iter_->SeekForPrev(target); });
  }
  void Next() override {
    Timed(HistogramType::kNextMicros, [this] { iter_->Next(); });
  }
  void Prev() override {
    Timed(HistogramType::kNextMicros, [this] { iter_->Prev(); });
  }

 private:
  template <typename Move>
  void Timed(HistogramType type, Move move) {
    const uint64_t start_micros = env_->NowMicros();
    move();
    stats_->RecordHistogram(type, env_->NowMicros() - start_micros);
    if (iter_->Valid()) {
      stats_->RecordTick(Ticker::kKeysRead);
      stats_->RecordTick(Ticker::kBytesRead, iter_->key().size() + iter_->value().size());
    }
  }

  const std::unique_ptr<Iterator> iter_;
  Env* const env_;
  Statistics* const stats_;
};

}  // namespace

std::unique_ptr<Iterator> NewStatisticsIterator(std::unique_ptr<Iterator> iter, Env* env,
                                                Statistics* stats) {
  return std::make_unique<StatisticsIterator>(std::move(iter), env, stats);
}

}  // namespace ziggydb
