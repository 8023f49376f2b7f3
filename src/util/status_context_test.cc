#include "util/status_context.h"

#include <gtest/gtest.h>

#include <vector>

namespace ziggydb {
namespace {

TEST(StatusContext, KeepsEveryCodeAndRebuildsTheMessage) {
  const std::vector<Status> errors = {Status::NotFound("x"),     Status::Corruption("x"),
                                      Status::NotSupported("x"), Status::InvalidArgument("x"),
                                      Status::IOError("x"),      Status::Busy("x")};
  for (const Status& s : errors) {
    const Status with = WithMessage(s, "/db/000007.sst", "bad block");
    EXPECT_EQ(with.code(), s.code()) << s.ToString();
    EXPECT_EQ(with.message(), "/db/000007.sst: bad block");
    EXPECT_EQ(WithMessage(s, "only").message(), "only");
  }
}

}  // namespace
}  // namespace ziggydb
