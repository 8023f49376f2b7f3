// TxnIterator: a transaction's iterator. It merges the transaction's write buffer over a DB
// iterator at the transaction's snapshot (a buffered write of a key shadows the snapshot's
// version; a buffered delete hides the key), in both directions, within ReadOptions' bounds, and
// (serializable) records in the read set the key range it traversed since each positioning.
//
// Invariants while valid_ (the base iterator then reads ahead of the position):
//   1. kForward: base_ is at the first snapshot key > key_ (or exhausted).
//   2. kReverse: base_ is at the last snapshot key < key_ (or exhausted).
//   3. range_ covers the seek target, every key landed on since the positioning and, once the
//      iterator ran off an end, everything to that end (the bound, or past every key). It is in
//      the read set as slot_.
// The write buffer is read afresh at every move (by key, never by a kept map iterator), so the
// transaction may write, or roll back to a save point, while the iterator exists.
// Thread safety: none (a transaction is used by one thread at a time).
#ifndef ZIGGYDB_TXN_TXN_ITERATOR_H_
#define ZIGGYDB_TXN_TXN_ITERATOR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "txn/read_set.h"
#include "txn/txn_end.h"
#include "txn/write_buffer.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"

namespace ziggydb {

// What a TxnIterator tells its transaction: that it is gone.
class TxnIteratorOwner {
 public:
  virtual void ForgetIterator(class TxnIterator* iterator) = 0;

 protected:
  ~TxnIteratorOwner() = default;
};

class TxnIterator final : public Iterator {
 public:
  // Reads `db` with `options` (its snapshot set to the transaction's; the bounds are copied) and
  // `buffer`; records ranges in `reads` unless null. owner, buffer and reads must stay valid
  // until Detach or the iterator's destruction.
  TxnIterator(TxnIteratorOwner* owner, DB* db, const ReadOptions& options,
              const WriteBuffer* buffer, ReadSet* reads);
  // An iterator that is invalid with `status` from the start.
  explicit TxnIterator(Status status);
  ~TxnIterator() override;

  // The transaction ended: drops the DB iterator and every pointer into the transaction; from
  // now on the iterator is invalid with status TxnEndStatus(why). Allocates nothing.
  void Detach(TxnEnd why) noexcept;

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return ended_ ? TxnEndStatus(*ended_) : status_; }

 private:
  enum class Direction : uint8_t { kForward, kReverse };
  using BufferIt = WriteBuffer::Map::const_iterator;

  // The start of Seek*: false once detached; else clears an earlier positioning's error.
  bool BeginPositioning();
  bool BelowUpper(std::string_view key) const { return !upper_ || key < *upper_; }
  bool AtOrAboveLower(std::string_view key) const { return !lower_ || key >= *lower_; }
  // The last buffer entry below `key` (or at it if `inclusive`), end() if none.
  BufferIt LastBefore(std::string_view key, bool inclusive) const;
  // Lands on the first visible key from buffer entry `it` and base_ onwards (invariant 1).
  void FillForward(BufferIt it);
  // Lands on the last visible key from buffer entry `it` (end(): none) and base_ back (inv. 2).
  void FillReverse(BufferIt it);
  void Land(std::string_view key, std::string_view value);
  void Fail(const Status& status);
  // Read tracking (invariant 3): a positioning starts a range where it started (forward) or
  // ended (reverse), a move widens it to the key landed on, or to the bound it ran off.
  void StartForwardRange(std::optional<std::string> start);
  void StartReverseRange(std::optional<std::string> end);
  void WidenHi(std::optional<std::string> end);    // nullopt: past every key
  void WidenLo(std::optional<std::string> start);  // nullopt: from the first key
  void Record(bool new_range);

  TxnIteratorOwner* owner_ = nullptr;
  const WriteBuffer* buffer_ = nullptr;
  ReadSet* reads_ = nullptr;
  // The bounds, owned: base_ holds views of them.
  std::optional<std::string> lower_;
  std::optional<std::string> upper_;
  std::unique_ptr<Iterator> base_;  // null once detached

  bool valid_ = false;
  Direction direction_ = Direction::kForward;
  std::string key_;
  std::string value_;
  Status status_;
  std::optional<TxnEnd> ended_;  // set by Detach
  KeyRange range_;
  size_t slot_ = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TXN_TXN_ITERATOR_H_
