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

bool MergingIterator::HeapLess(const Iterator* a, const Iterator* b) const {
  const int order = comparator_->Compare(a->key(), b->key());
  return direction_ == Direction::kForward ? order > 0 : order < 0;
}

void MergingIterator::RebuildHeap(Direction direction) {
  direction_ = direction;
  heap_.clear();
  for (const auto& child : children_) {
    if (child->Valid()) heap_.push_back(child.get());
  }
  auto less = [this](const Iterator* a, const Iterator* b) { return HeapLess(a, b); };
  std::make_heap(heap_.begin(), heap_.end(), less);
  current_ = heap_.empty() ? nullptr : heap_.front();
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
  if (direction_ != Direction::kForward) {
    // Every other child sits at or before key(); move it to the first entry after key().
    const std::string_view key = current_->key();
    for (const auto& child : children_) {
      if (child.get() == current_) continue;
      child->Seek(key);
      if (child->Valid() && comparator_->Compare(child->key(), key) == 0) child->Next();
    }
    current_->Next();
    RebuildHeap(Direction::kForward);
    return;
  }
  auto less = [this](const Iterator* a, const Iterator* b) { return HeapLess(a, b); };
  std::pop_heap(heap_.begin(), heap_.end(), less);
  ZIGGY_ASSERT(heap_.back() == current_);
  current_->Next();
  if (current_->Valid()) {
    std::push_heap(heap_.begin(), heap_.end(), less);
  } else {
    heap_.pop_back();
  }
  current_ = heap_.empty() ? nullptr : heap_.front();
}

void MergingIterator::Prev() {
  ZIGGY_ASSERT(Valid());
  if (direction_ != Direction::kReverse) {
    // Every other child sits at or after key(); move it to the last entry before key().
    const std::string_view key = current_->key();
    for (const auto& child : children_) {
      if (child.get() == current_) continue;
      child->SeekForPrev(key);
      if (child->Valid() && comparator_->Compare(child->key(), key) == 0) child->Prev();
    }
    current_->Prev();
    RebuildHeap(Direction::kReverse);
    return;
  }
  auto less = [this](const Iterator* a, const Iterator* b) { return HeapLess(a, b); };
  std::pop_heap(heap_.begin(), heap_.end(), less);
  ZIGGY_ASSERT(heap_.back() == current_);
  current_->Prev();
  if (current_->Valid()) {
    std::push_heap(heap_.begin(), heap_.end(), less);
  } else {
    heap_.pop_back();
  }
  current_ = heap_.empty() ? nullptr : heap_.front();
}

std::string_view MergingIterator::key() const {
  ZIGGY_ASSERT(Valid());
  return current_->key();
}

std::string_view MergingIterator::value() const {
  ZIGGY_ASSERT(Valid());
  return current_->value();
}

Status MergingIterator::status() const {
  for (const auto& child : children_) {
    Status s = child->status();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace ziggydb
