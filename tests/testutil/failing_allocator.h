// Allocation-failure injection for the tests that check behaviour under std::bad_alloc. A test
// binary that lists failing_allocator.cc among its sources gets a global operator new that, once
// armed on a thread, lets `n` more allocations of that thread succeed and throws bad_alloc from
// the next one (one failure per arming). Other threads (a DB's background threads) allocate
// normally. Never link it into a binary that does not test this: it replaces operator new for the
// whole program.
#ifndef ZIGGYDB_TESTS_TESTUTIL_FAILING_ALLOCATOR_H_
#define ZIGGYDB_TESTS_TESTUTIL_FAILING_ALLOCATOR_H_

#include <utility>

namespace ziggydb::test {

// The n-th allocation from now on this thread (0: the next) throws std::bad_alloc.
void ArmAllocationFailure(long n);
// Stops the injection; true if the injected failure was thrown since the last arming.
bool DisarmAllocationFailure();

// Counts this thread's allocations between the two calls.
void StartCountingAllocations();
long StopCountingAllocations();

// Pauses the injection around f (test assertions allocate), then resumes where it was.
long PauseAllocationFailure();
void ResumeAllocationFailure(long saved);
template <typename F>
void WithoutAllocationFailure(F&& f) {
  const long saved = PauseAllocationFailure();
  std::forward<F>(f)();
  ResumeAllocationFailure(saved);
}

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_TESTUTIL_FAILING_ALLOCATOR_H_
