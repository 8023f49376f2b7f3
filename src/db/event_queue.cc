#include "db/event_queue.h"

#include <algorithm>
#include <utility>

namespace ziggydb {

void EventQueue::Push(Callback callback) {
  if (listeners_.empty()) return;
  queued_.push_back(Queued{std::this_thread::get_id(), std::move(callback)});
}

bool EventQueue::HasMine() const {
  const std::thread::id self = std::this_thread::get_id();
  return std::any_of(queued_.begin(), queued_.end(),
                     [self](const Queued& q) { return q.thread == self; });
}

EventQueue::Batch EventQueue::TakeMine() {
  Batch batch;
  if (queued_.empty()) return batch;
  const std::thread::id self = std::this_thread::get_id();
  std::deque<Queued> others;
  for (Queued& q : queued_) {
    if (q.thread == self) {
      batch.push_back(std::move(q.callback));
    } else {
      others.push_back(std::move(q));
    }
  }
  queued_ = std::move(others);
  return batch;
}

void EventQueue::Deliver(const Batch& batch) const {
  for (const Callback& callback : batch) {
    for (const auto& listener : listeners_) {
      if (listener != nullptr) callback(*listener);
    }
  }
}

}  // namespace ziggydb
