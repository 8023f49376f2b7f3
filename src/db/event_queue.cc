#include "db/event_queue.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace ziggydb {
namespace {

// The text of the exception being handled; "" when even that cannot be had (out of memory).
std::string DescribeCurrentException() noexcept {
  try {
    try {
      throw;
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "unknown exception";
    }
  } catch (...) {
    return std::string();
  }
}

}  // namespace

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
  const std::thread::id self = std::this_thread::get_id();
  auto mine = [self](const Queued& q) { return q.thread == self; };
  const auto count = static_cast<size_t>(std::count_if(queued_.begin(), queued_.end(), mine));
  if (count == 0) return batch;
  // The one allocation, before anything moves: if it throws, the queue is as it was.
  batch.reserve(count);
  for (Queued& q : queued_) {
    if (mine(q)) batch.push_back(std::move(q.callback));  // within capacity: no allocation
  }
  std::erase_if(queued_, mine);  // moves and frees only
  return batch;
}

EventQueue::Thrown EventQueue::Deliver(const Batch& batch) const noexcept {
  Thrown thrown;
  for (const Callback& callback : batch) {
    for (const auto& listener : listeners_) {
      if (listener == nullptr) continue;
      try {
        callback(*listener);
      } catch (...) {
        if (thrown.count++ == 0) thrown.first = DescribeCurrentException();
      }
    }
  }
  return thrown;
}

}  // namespace ziggydb
