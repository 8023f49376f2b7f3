// A comparator for tests that need an order other than the bytewise one: keys in reverse
// bytewise order. It shortens nothing and is no bytewise prefix order.
#ifndef ZIGGYDB_TESTS_TESTUTIL_REVERSE_COMPARATOR_H_
#define ZIGGYDB_TESTS_TESTUTIL_REVERSE_COMPARATOR_H_

#include <string>
#include <string_view>

#include "util/comparator.h"

namespace ziggydb::test {

class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_TESTUTIL_REVERSE_COMPARATOR_H_
