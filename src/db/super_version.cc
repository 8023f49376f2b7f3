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

}  // namespace

SuperVersionPin::~SuperVersionPin() {
  if (ref_ == nullptr) return;  // moved from
  // Owned boxes are freed here; a slot's box goes back only if the slot still holds it busy
  // (else Install swept the slot meanwhile, and it may hold another pin's box by now).
  std::unique_ptr<Ref> owned(ref_);
  uintptr_t expected = Word(ref_) | kBusy;
  if (slot_ != nullptr &&
      slot_->word.compare_exchange_strong(expected, Word(ref_), std::memory_order_release,
                                          std::memory_order_relaxed)) {
    (void)owned.release();  // the slot owns it again
  }
}

SuperVersionPublisher::~SuperVersionPublisher() {
  for (Slot& slot : slots_) {
    const uintptr_t word = slot.word.load(std::memory_order_relaxed);
    ZIGGY_ASSERT((word & SuperVersionPin::kBusy) == 0);  // the precondition: no pin alive
    if ((word & SuperVersionPin::kBusy) == 0) delete reinterpret_cast<Ref*>(word);
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
    const uintptr_t word = slot.word.exchange(0, std::memory_order_acq_rel);
    if ((word & SuperVersionPin::kBusy) == 0) delete reinterpret_cast<Ref*>(word);  // 0: no-op
  }
}

SuperVersionPin SuperVersionPublisher::Pin() {
  Slot* slot = &slots_[ThreadSlotIndex()];
  constexpr uintptr_t kBusy = SuperVersionPin::kBusy;
  uintptr_t word = slot->word.load(std::memory_order_relaxed);
  // A free box: mark it busy. Acquire: the SuperVersion it refers to was built before the box
  // was stored.
  if (word != 0 && (word & kBusy) == 0 &&
      slot->word.compare_exchange_strong(word, word | kBusy, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
    return SuperVersionPin(slot, reinterpret_cast<Ref*>(word));
  }
  // Empty (swept, or never filled): claim it with a new box, busy, before reading the current
  // state (invariant 2), and put the box back at unpin. Busy (another pin of this slot is
  // reading): a box of this pin's own. A failed allocation (bad_alloc) leaves the slot as it was.
  auto box = std::make_unique<Ref>();
  const bool claimed =
      word == 0 && slot->word.compare_exchange_strong(
                       word, SuperVersionPin::Word(box.get()) | kBusy, std::memory_order_relaxed);
  {
    MutexLock lock(&mu_);
    ZIGGY_ASSERT(current_ != nullptr);  // Install ran before the first pin
    *box = current_;
  }
  return SuperVersionPin(claimed ? slot : nullptr, box.release());
}

}  // namespace ziggydb
