#include "testutil/failing_allocator.h"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

// Allocations left before the injected failure on this thread; negative: no injection.
thread_local long allocations_until_failure = -1;
thread_local bool failure_thrown = false;  // since the last arming
thread_local bool counting = false;
thread_local long allocations_counted = 0;

void* Allocate(size_t size) {
  if (counting) ++allocations_counted;
  if (allocations_until_failure >= 0 && allocations_until_failure-- == 0) {
    failure_thrown = true;
    throw std::bad_alloc();
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateOrNull(size_t size) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

namespace ziggydb::test {

void ArmAllocationFailure(long n) {
  allocations_until_failure = n;
  failure_thrown = false;
}

bool DisarmAllocationFailure() {
  allocations_until_failure = -1;
  return failure_thrown;
}

void StartCountingAllocations() {
  allocations_counted = 0;
  counting = true;
}

long StopCountingAllocations() {
  counting = false;
  return allocations_counted;
}

long PauseAllocationFailure() {
  const long saved = allocations_until_failure;
  allocations_until_failure = -1;
  return saved;
}

void ResumeAllocationFailure(long saved) {
  allocations_until_failure = saved;
}

}  // namespace ziggydb::test

void* operator new(size_t size) {
  return Allocate(size);
}
void* operator new[](size_t size) {
  return Allocate(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
  std::free(p);
}
