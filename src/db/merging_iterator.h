// MergingIterator: the union of several sorted iterators as one sorted iterator, both directions.
//
// Children are ordered by an injected comparator (the DB passes the internal-key comparator). A
// binary heap over the children's current keys picks the next entry in O(log n): a min-heap when
// moving forward, a max-heap backward. Equal keys in several children are all returned, in an
// unspecified order between them; on a change of direction the children other than the current
// one are repositioned strictly past the current key, so such duplicates may be skipped then (the
// DB iterator collapses equal user keys anyway).
//
// Thread safety: none (as any Iterator). The children are owned; the comparator is borrowed.
#ifndef ZIGGYDB_DB_MERGING_ITERATOR_H_
#define ZIGGYDB_DB_MERGING_ITERATOR_H_

#include <memory>
#include <string_view>
#include <vector>

#include "util/comparator.h"
#include "ziggydb/iterator.h"

namespace ziggydb {

class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* comparator, std::vector<std::unique_ptr<Iterator>> children);

  bool Valid() const override { return current_ != nullptr; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override;
  std::string_view value() const override;
  // The first error of any child, else OK.
  Status status() const override;

 private:
  enum class Direction : uint8_t { kForward, kReverse };

  // Rebuilds the heap from every valid child for `direction` and sets current_ to its top.
  void RebuildHeap(Direction direction);
  // True if a orders after b in the heap (so the heap's top is the smallest key going forward,
  // the largest going backward).
  bool HeapLess(const Iterator* a, const Iterator* b) const;

  const Comparator* const comparator_;
  const std::vector<std::unique_ptr<Iterator>> children_;
  std::vector<Iterator*> heap_;  // the valid children; heap_.front() == current_
  Iterator* current_ = nullptr;
  Direction direction_ = Direction::kForward;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_MERGING_ITERATOR_H_
