#include "db/super_version.h"

#include "util/assert.h"

namespace ziggydb {
namespace {

// Which slot the calling thread uses: threads take indices in turn.
size_t ThreadSlotIndex() {
  static std::atomic<size_t> next_index{0};
  thread_local const size_t index =
      next_index.fetch_add(1, std::memory_order_relaxed) % SuperVersionPublisher::kSlots;
  return index;
}

// What a busy slot holds: never dereferenced, only compared. At namespace scope so that reading
// its address needs no guard of a function-local static.
std::shared_ptr<const SuperVersion> in_use_marker;

}  // namespace

SuperVersionPin::Ref* SuperVersionPin::InUse() {
  return &in_use_marker;
}

SuperVersionPin::~SuperVersionPin() {
  if (ref_ == nullptr) return;  // moved from
  // Owned boxes are freed here; a slot's box goes back unless Install swept the slot meanwhile
  // (then the slot is null and this reference is stale: freed here too).
  std::unique_ptr<Ref> owned(ref_);
  Ref* expected = InUse();
  if (slot_ != nullptr &&
      slot_->ref.compare_exchange_strong(expected, ref_, std::memory_order_release,
                                         std::memory_order_relaxed)) {
    (void)owned.release();  // the slot owns it again
  }
}

SuperVersionPublisher::~SuperVersionPublisher() {
  for (Slot& slot : slots_) {
    Ref* ref = slot.ref.load(std::memory_order_relaxed);
    ZIGGY_ASSERT(ref != SuperVersionPin::InUse());  // the precondition: no pin alive
    if (ref != SuperVersionPin::InUse()) delete ref;
  }
}

void SuperVersionPublisher::Install(std::shared_ptr<const SuperVersion> next) {
  Ref replaced;
  {
    MutexLock lock(&mu_);
    replaced = std::exchange(current_, std::move(next));
  }
  // After current_ changed: a pin that refills its slot from now on gets the new state, and one
  // that took the old state before is swept here or finds its slot swept at unpin.
  for (Slot& slot : slots_) {
    Ref* ref = slot.ref.exchange(nullptr, std::memory_order_acq_rel);
    if (ref != nullptr && ref != SuperVersionPin::InUse()) delete ref;
  }
}

SuperVersionPin SuperVersionPublisher::Pin() {
  Slot* slot = &slots_[ThreadSlotIndex()];
  // Acquire: the SuperVersion a box refers to was built before the box was stored.
  Ref* ref = slot->ref.exchange(SuperVersionPin::InUse(), std::memory_order_acquire);
  if (ref != nullptr && ref != SuperVersionPin::InUse()) return SuperVersionPin(slot, ref);
  // Empty (swept, or never filled): refill it at unpin. Busy (another thread of this slot is
  // reading): leave it to that thread and use a reference of our own.
  if (ref == SuperVersionPin::InUse()) slot = nullptr;
  // If the box cannot be allocated (bad_alloc), the slot is left empty again, not stuck busy.
  struct EmptyOnThrow {
    Slot* slot;
    ~EmptyOnThrow() {
      if (slot != nullptr) slot->ref.store(nullptr, std::memory_order_relaxed);
    }
  } restore{slot};
  std::unique_ptr<Ref> box;
  {
    MutexLock lock(&mu_);
    ZIGGY_ASSERT(current_ != nullptr);  // Install ran before the first pin
    box = std::make_unique<Ref>(current_);
  }
  restore.slot = nullptr;
  return SuperVersionPin(slot, box.release());
}

}  // namespace ziggydb
