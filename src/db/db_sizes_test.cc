// DB::GetApproximateSizes: the table bytes a key range covers.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "db/db_test_util.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

class DBSizesTest : public DBTest {
 protected:
  uint64_t Size(const std::string& start, const std::string& limit) {
    DB::Range range{start, limit};
    uint64_t size = 12345;
    EXPECT_TRUE(db_->GetApproximateSizes(&range, 1, &size).ok());
    return size;
  }
};

TEST_F(DBSizesTest, CountsFlushedTablesByKeyRange) {
  Open();
  const std::string value(1000, 'v');
  constexpr int kKeys = 2000;  // about 2 MB: several tables, several blocks each
  for (int i = 0; i < kKeys; i++)
    ASSERT_TRUE(Put(Key(i), value).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());

  const uint64_t all = Size("", "z");
  EXPECT_GE(all, uint64_t{kKeys} * value.size() * 9 / 10);
  EXPECT_LE(all, uint64_t{kKeys} * value.size() * 12 / 10);
  // Half the keys: about half the bytes, within a block or two per table.
  const uint64_t first_half = Size(Key(0), Key(kKeys / 2));
  const uint64_t second_half = Size(Key(kKeys / 2), Key(kKeys));
  EXPECT_GE(first_half, all * 4 / 10);
  EXPECT_LE(first_half, all * 6 / 10);
  EXPECT_GE(second_half, all * 4 / 10);
  EXPECT_LE(second_half, all * 6 / 10);
  EXPECT_LE(Size(Key(100), Key(200)), first_half);
  // Outside the keys, empty and inverted ranges.
  EXPECT_EQ(Size("zz", "zzz"), 0u);
  EXPECT_EQ(Size("a", "b"), 0u);
  EXPECT_EQ(Size(Key(5), Key(5)), 0u);
  EXPECT_EQ(Size(Key(9), Key(5)), 0u);

  // Several ranges in one call, each answered on its own.
  const std::string first = Key(0);
  const std::string middle = Key(kKeys / 2);
  DB::Range ranges[2] = {{first, middle}, {"zz", "zzz"}};
  uint64_t sizes[2] = {1, 1};
  ASSERT_TRUE(db_->GetApproximateSizes(ranges, 2, sizes).ok());
  EXPECT_EQ(sizes[0], first_half);
  EXPECT_EQ(sizes[1], 0u);
}

TEST_F(DBSizesTest, MemtablesAreNotCounted) {
  Open();
  ASSERT_TRUE(Put(Key(1), std::string(1000, 'v')).ok());
  EXPECT_EQ(Size("", "z"), 0u);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_GT(Size("", "z"), 1000u);
}

TEST_F(DBSizesTest, ClosedDBIsAnError) {
  Open();
  ASSERT_TRUE(db_->Close().ok());
  DB::Range range{"a", "b"};
  uint64_t size = 0;
  EXPECT_TRUE(db_->GetApproximateSizes(&range, 1, &size).IsInvalidArgument());
}

}  // namespace
}  // namespace ziggydb::test
