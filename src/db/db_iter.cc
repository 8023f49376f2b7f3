#include "db/db_iter.h"

#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* ucmp, std::unique_ptr<IteratorPins> pins,
         std::unique_ptr<Iterator> internal, SequenceNumber sequence, const ReadOptions& options)
      : ucmp_(ucmp), pins_(std::move(pins)), iter_(std::move(internal)), sequence_(sequence) {
    if (options.iterate_lower_bound) lower_bound_ = std::string(*options.iterate_lower_bound);
    if (options.iterate_upper_bound) upper_bound_ = std::string(*options.iterate_upper_bound);
  }

  bool Valid() const override { return valid_; }
  std::string_view key() const override {
    ZIGGY_ASSERT(valid_);
    return direction_ == Direction::kForward ? ExtractUserKey(iter_->key())
                                             : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    ZIGGY_ASSERT(valid_);
    return direction_ == Direction::kForward ? iter_->value() : std::string_view(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void SeekToFirst() override {
    if (lower_bound_) {
      Seek(*lower_bound_);
      return;
    }
    direction_ = Direction::kForward;
    iter_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    direction_ = Direction::kReverse;
    if (upper_bound_) {
      // (bound, max sequence) orders before every entry of bound.
      std::string ikey;
      AppendInternalKey(&ikey, *upper_bound_, SequenceNumber{kMaxSequenceNumber},
                        kValueTypeForSeek);
      PositionBefore(ikey);
    } else {
      iter_->SeekToLast();
    }
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    if (lower_bound_ && ucmp_->Compare(target, *lower_bound_) < 0) target = *lower_bound_;
    if (pins_ != nullptr) pins_->OnSeek(target);
    direction_ = Direction::kForward;
    // (target, sequence_, kValueTypeForSeek), built without a heap allocation for short keys.
    const LookupKey ikey(target, sequence_);
    iter_->Seek(ikey.internal_key());
    FindNextUserEntry(false);
  }

  void SeekForPrev(std::string_view target) override {
    if (upper_bound_ && ucmp_->Compare(target, *upper_bound_) >= 0) {
      SeekToLast();
      return;
    }
    if (pins_ != nullptr) pins_->OnSeek(target);
    direction_ = Direction::kReverse;
    // (target, 0, kDeletion) orders after every entry of target (sequence 0 is never written),
    // so the entry before the first one at or after it is the last entry <= target.
    std::string ikey;
    AppendInternalKey(&ikey, target, SequenceNumber{0}, ValueType::kDeletion);
    PositionBefore(ikey);
    FindPrevUserEntry();
  }

  void Next() override {
    ZIGGY_ASSERT(valid_);
    if (direction_ == Direction::kReverse) {
      // iter_ is just before key()'s entries; saved_key_ holds key(), which FindNextUserEntry
      // skips past.
      direction_ = Direction::kForward;
      if (iter_->Valid()) {
        iter_->Next();
      } else if (iter_->status().ok()) {
        iter_->SeekToFirst();
      }
    } else {
      saved_key_.assign(ExtractUserKey(iter_->key()));
      iter_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    ZIGGY_ASSERT(valid_);
    if (direction_ == Direction::kForward) {
      // Step back past every entry of key().
      saved_key_.assign(ExtractUserKey(iter_->key()));
      direction_ = Direction::kReverse;
      while (true) {
        iter_->Prev();
        ParsedInternalKey parsed;
        if (!iter_->Valid()) break;
        if (!ParseCurrent(&parsed)) {
          valid_ = false;
          return;
        }
        if (ucmp_->Compare(parsed.user_key, saved_key_) < 0) break;
      }
    }
    FindPrevUserEntry();
  }

 private:
  enum class Direction : uint8_t { kForward, kReverse };

  // Parses iter_'s key; on bad bytes records Corruption and returns false.
  bool ParseCurrent(ParsedInternalKey* parsed) {
    if (ParseInternalKey(iter_->key(), parsed)) return true;
    status_ = Status::Corruption("DB iterator: malformed internal key");
    return false;
  }

  // Positions iter_ at the last entry ordered before internal_key (invalid if none). Nothing at
  // or after it means the last entry; a failed Seek leaves iter_ invalid with its error.
  void PositionBefore(std::string_view internal_key) {
    iter_->Seek(internal_key);
    if (iter_->Valid()) {
      iter_->Prev();
    } else if (iter_->status().ok()) {
      iter_->SeekToLast();
    }
  }

  // Forward: from iter_'s position, finds the first visible live user key (after saved_key_ if
  // skipping).
  void FindNextUserEntry(bool skipping) {
    ZIGGY_ASSERT(direction_ == Direction::kForward);
    for (; iter_->Valid(); iter_->Next()) {
      ParsedInternalKey parsed;
      if (!ParseCurrent(&parsed)) break;
      if (upper_bound_ && ucmp_->Compare(parsed.user_key, *upper_bound_) >= 0) break;
      if (raw(parsed.sequence) > raw(sequence_)) continue;  // newer than the read
      if (skipping && ucmp_->Compare(parsed.user_key, saved_key_) <= 0) continue;  // shadowed
      if (parsed.type == ValueType::kDeletion) {
        saved_key_.assign(parsed.user_key);  // hide every older version of this key
        skipping = true;
        continue;
      }
      valid_ = true;
      return;
    }
    valid_ = false;
  }

  // Reverse: from iter_'s position (just after the candidate key's entries, going backward),
  // collects the newest visible version of the previous live user key.
  void FindPrevUserEntry() {
    ZIGGY_ASSERT(direction_ == Direction::kReverse);
    ValueType found_type = ValueType::kDeletion;  // kDeletion: nothing found yet
    for (; iter_->Valid(); iter_->Prev()) {
      ParsedInternalKey parsed;
      if (!ParseCurrent(&parsed)) {
        found_type = ValueType::kDeletion;
        break;
      }
      if (lower_bound_ && ucmp_->Compare(parsed.user_key, *lower_bound_) < 0) break;
      if (raw(parsed.sequence) > raw(sequence_)) continue;
      // Moving backward, a key's versions come oldest first; the first entry of a smaller key
      // ends the candidate if that candidate is live.
      if (found_type != ValueType::kDeletion && ucmp_->Compare(parsed.user_key, saved_key_) < 0) {
        break;
      }
      found_type = parsed.type;
      if (found_type == ValueType::kValue) {
        saved_key_.assign(parsed.user_key);
        saved_value_.assign(iter_->value());
      }
    }
    // The merge stopped on a child's error: a newer version of the candidate (a deletion, another
    // value) may be among the entries it did not return, so the candidate is no answer.
    const bool stopped_by_error = !iter_->Valid() && !iter_->status().ok();
    if (found_type == ValueType::kDeletion || !status_.ok() || stopped_by_error) {
      valid_ = false;
      saved_key_.clear();
      saved_value_.clear();
      return;
    }
    valid_ = true;
  }

  const Comparator* const ucmp_;
  const std::unique_ptr<IteratorPins> pins_;  // destroyed after iter_ (declared before it)
  const std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  std::optional<std::string> lower_bound_;
  std::optional<std::string> upper_bound_;
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  Status status_;
  std::string saved_key_;
  std::string saved_value_;
};

// Holds only an error: positioned nowhere, status() says why.
class ErrorIterator final : public Iterator {
 public:
  explicit ErrorIterator(Status status) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override { ZIGGY_ASSERT(false); }
  void Prev() override { ZIGGY_ASSERT(false); }
  std::string_view key() const override {
    ZIGGY_ASSERT(false);
    return {};
  }
  std::string_view value() const override {
    ZIGGY_ASSERT(false);
    return {};
  }
  Status status() const override { return status_; }

 private:
  const Status status_;
};

}  // namespace

std::unique_ptr<Iterator> NewErrorIterator(Status status) {
  return std::make_unique<ErrorIterator>(std::move(status));
}

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<IteratorPins> pins,
                                        std::unique_ptr<Iterator> internal, SequenceNumber sequence,
                                        const ReadOptions& options) {
  return std::make_unique<DBIter>(user_comparator, std::move(pins), std::move(internal), sequence,
                                  options);
}

}  // namespace ziggydb
