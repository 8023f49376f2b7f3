// MergingIterator: the union of several sorted iterators as one sorted iterator, both directions.
//
// Children are ordered by an injected comparator (the DB passes the internal-key comparator). A
// binary heap over the children's current keys picks the next entry in O(log n): a min-heap when
// moving forward, a max-heap backward. The heap caches each child's current key, so a step calls
// key() once, on the child that moved, and sifts only that child down from the top (in a scan the
// same child usually supplies the next key too: one comparison with the cached runner-up).
// Equal keys in several children are all returned, in an unspecified order between them; on a
// change of direction the children other than the current one are repositioned strictly past the
// current key, so such duplicates may be skipped then (the DB iterator collapses equal user keys
// anyway).
//
// A child that fails (invalid with a non-OK status: a damaged block, an I/O error) stops the merge:
// it goes invalid with that status until the next positioning call. Going on without the child
// would return what it hides (an older version of a key it overwrote or deleted) as valid.
//
// Thread safety: none (as any Iterator). The children are owned; the comparator is borrowed.
#ifndef ZIGGYDB_DB_MERGING_ITERATOR_H_
#define ZIGGYDB_DB_MERGING_ITERATOR_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "util/comparator.h"
#include "ziggydb/iterator.h"

namespace ziggydb {

class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* comparator, std::vector<std::unique_ptr<Iterator>> children);

  bool Valid() const override { return !heap_.empty(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override;
  std::string_view value() const override;
  // The error that stopped the merge, else the first error of any child, else OK.
  Status status() const override;

 private:
  enum class Direction : uint8_t { kForward, kReverse };
  // A valid child and its current key (valid until the child moves).
  struct HeapEntry {
    Iterator* child;
    std::string_view key;
  };

  // Rebuilds the heap from every valid child for `direction` (none if a child failed).
  void RebuildHeap(Direction direction);
  // Stops the merge if `child` (now invalid) failed; returns whether it did.
  bool StopIfFailed(const Iterator& child);
  // True if a's key comes first in the current direction (smaller forward, larger backward).
  bool Before(const HeapEntry& a, const HeapEntry& b) const;
  // Restores the heap below heap_[index], whose key may have moved away from the top.
  void SiftDown(size_t index);
  // After heap_.front().child moved: re-reads its key and re-sifts it, or drops it when it is
  // no longer valid.
  void RepositionTop();

  const Comparator* const comparator_;
  const std::vector<std::unique_ptr<Iterator>> children_;
  // INVARIANT: the valid children, a heap under Before; heap_.front() is the current entry, and
  // every entry's key is its child's key().
  std::vector<HeapEntry> heap_;
  // 0, or the index (1 or 2) of the entry that comes first after heap_.front(): cached while
  // heap_[1] and heap_[2] do not move, so a step that leaves the top child first costs one
  // comparison.
  size_t runner_up_ = 0;
  Direction direction_ = Direction::kForward;
  Status error_;  // why the merge stopped (heap_ then empty); cleared by positioning
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_MERGING_ITERATOR_H_
