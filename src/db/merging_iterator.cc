#include "db/merging_iterator.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"

namespace ziggydb {

MergingIterator::MergingIterator(const Comparator* comparator,
                                 std::vector<std::unique_ptr<Iterator>> children)
    : comparator_(comparator), children_(std::move(children)) {
  heap_.reserve(children_.size());
}

bool MergingIterator::Before(const HeapEntry& a, const HeapEntry& b) const {
  const int order = comparator_->Compare(a.key, b.key);
  return direction_ == Direction::kForward ? order < 0 : order > 0;
}

void MergingIterator::SiftDown(size_t index) {
  const size_t size = heap_.size();
  while (true) {
    const size_t left = 2 * index + 1;
    if (left >= size) return;
    size_t first = left;
    if (left + 1 < size && Before(heap_[left + 1], heap_[left])) first = left + 1;
    if (!Before(heap_[first], heap_[index])) return;
    std::swap(heap_[index], heap_[first]);
    index = first;
  }
}

bool MergingIterator::StopIfFailed(const Iterator& child) {
  Status s = child.status();
  if (s.ok()) return false;
  error_ = std::move(s);
  heap_.clear();
  return true;
}

void MergingIterator::RebuildHeap(Direction direction) {
  direction_ = direction;
  runner_up_ = 0;
  heap_.clear();
  error_ = Status::OK();
  for (const auto& child : children_) {
    if (child->Valid()) {
      heap_.push_back(HeapEntry{child.get(), child->key()});
    } else if (StopIfFailed(*child)) {
      return;
    }
  }
  for (size_t i = heap_.size() / 2; i-- > 0;)
    SiftDown(i);
}

void MergingIterator::RepositionTop() {
  HeapEntry& top = heap_.front();
  if (!top.child->Valid()) {
    if (StopIfFailed(*top.child)) return;
    top = heap_.back();
    heap_.pop_back();
    runner_up_ = 0;
    SiftDown(0);
    return;
  }
  top.key = top.child->key();
  const size_t size = heap_.size();
  if (size == 1) return;
  if (runner_up_ == 0) runner_up_ = size > 2 && Before(heap_[2], heap_[1]) ? 2 : 1;
  // In a scan the child that supplied the entry usually supplies the next one too: one
  // comparison with the runner-up settles it, and heap_[1..2] stay as they are.
  if (!Before(heap_[runner_up_], top)) return;
  std::swap(top, heap_[runner_up_]);
  const size_t moved = runner_up_;
  runner_up_ = 0;
  SiftDown(moved);
}

void MergingIterator::SeekToFirst() {
  for (const auto& child : children_)
    child->SeekToFirst();
  RebuildHeap(Direction::kForward);
}

void MergingIterator::SeekToLast() {
  for (const auto& child : children_)
    child->SeekToLast();
  RebuildHeap(Direction::kReverse);
}

void MergingIterator::Seek(std::string_view target) {
  for (const auto& child : children_)
    child->Seek(target);
  RebuildHeap(Direction::kForward);
}

void MergingIterator::SeekForPrev(std::string_view target) {
  for (const auto& child : children_)
    child->SeekForPrev(target);
  RebuildHeap(Direction::kReverse);
}

void MergingIterator::Next() {
  ZIGGY_ASSERT(Valid());
  Iterator* const current = heap_.front().child;
  if (direction_ != Direction::kForward) {
    // Every other child sits at or before key(); move it to the first entry after key().
    const std::string_view key = heap_.front().key;
    for (const auto& child : children_) {
      if (child.get() == current) continue;
      child->Seek(key);
      if (child->Valid() && comparator_->Compare(child->key(), key) == 0) child->Next();
    }
    current->Next();
    RebuildHeap(Direction::kForward);
    return;
  }
  current->Next();
  RepositionTop();
}

void MergingIterator::Prev() {
  ZIGGY_ASSERT(Valid());
  Iterator* const current = heap_.front().child;
  if (direction_ != Direction::kReverse) {
    // Every other child sits at or after key(); move it to the last entry before key().
    const std::string_view key = heap_.front().key;
    for (const auto& child : children_) {
      if (child.get() == current) continue;
      child->SeekForPrev(key);
      if (child->Valid() && comparator_->Compare(child->key(), key) == 0) child->Prev();
    }
    current->Prev();
    RebuildHeap(Direction::kReverse);
    return;
  }
  current->Prev();
  RepositionTop();
}

std::string_view MergingIterator::key() const {
  ZIGGY_ASSERT(Valid());
  ZIGGY_DASSERT(heap_.front().key == heap_.front().child->key());
  return heap_.front().key;
}

std::string_view MergingIterator::value() const {
  ZIGGY_ASSERT(Valid());
  return heap_.front().child->value();
}

Status MergingIterator::status() const {
  if (!error_.ok()) return error_;
  for (const auto& child : children_) {
    Status s = child->status();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace ziggydb
