// EventQueue: listener events (ziggydb/listener.h) queued under the DB mutex and delivered by the
// same thread once it has released the mutex.
//
// Why: a callback may call back into the DB (GetProperty takes the mutex), so no callback may run
// with the mutex held; releasing it in the middle of a decision would force the caller to check
// everything again. Instead a thread queues its events where it decides them and delivers them
// at a point where it releases the mutex anyway.
//
// Invariants:
//   1. A thread delivers exactly the events it queued, in the order it queued them: a job's begin
//      comes before its end, and a slow callback of one thread never holds up another thread.
//   2. Events of different threads are ordered only by the roles that make them: stall events
//      come only from the write leader, which delivers them before it gives up the role, so
//      listeners see stall changes in the order the controller made them.
// With no listeners Push stores nothing.
//
// Thread safety: Push, HasMine and TakeMine need the DB mutex; Deliver must run without it. The
// queue does not know the DB mutex (the analysis cannot tie a pointer kept here to DBImpl::mu_):
// DBImpl keeps it GUARDED_BY(mu_), which checks the first three, and delivers through
// DBImpl::DeliverTaken, which is EXCLUDES(mu_).
#ifndef ZIGGYDB_DB_EVENT_QUEUE_H_
#define ZIGGYDB_DB_EVENT_QUEUE_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ziggydb/listener.h"

namespace ziggydb {

class EventQueue {
 public:
  using Callback = std::function<void(EventListener&)>;
  using Batch = std::vector<Callback>;

  explicit EventQueue(std::vector<std::shared_ptr<EventListener>> listeners)
      : listeners_(std::move(listeners)) {}

  bool has_listeners() const { return !listeners_.empty(); }

  // Queues `callback` for every listener, for the calling thread. Precondition: DB mutex held.
  void Push(Callback callback);
  // True if the calling thread has events queued. Precondition: DB mutex held.
  bool HasMine() const;
  // Removes and returns the calling thread's events. Precondition: DB mutex held. If it throws
  // (std::bad_alloc), the queue is unchanged.
  Batch TakeMine();
  // What Deliver saw thrown: a callback's exception never leaves Deliver (it would end a
  // background thread, or leave a write or commit half way through its bookkeeping).
  struct Thrown {
    size_t count = 0;  // callbacks that threw
    // what() of the first std::exception, "unknown exception" for anything else, "" when even
    // that text could not be allocated.
    std::string first;
  };
  // Runs `batch` on every listener, in registration order, each callback to the end of the batch
  // whether or not an earlier one threw. Precondition: DB mutex NOT held.
  Thrown Deliver(const Batch& batch) const noexcept;

 private:
  struct Queued {
    std::thread::id thread;
    Callback callback;
  };

  const std::vector<std::shared_ptr<EventListener>> listeners_;
  std::deque<Queued> queued_;  // oldest first
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_EVENT_QUEUE_H_
