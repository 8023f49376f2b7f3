#include "table/two_level_iterator.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "table/block.h"
#include "table/block_builder.h"

namespace ziggydb {
namespace {

// Index entries name blocks by number; block n holds blocks_[n].
class TwoLevelFixture : public testing::Test {
 protected:
  std::shared_ptr<const Block> Build(const std::map<std::string, std::string>& entries) {
    BlockBuilder builder(BytewiseComparator(), 2);
    for (const auto& [k, v] : entries)
      builder.Add(k, v);
    std::shared_ptr<const Block> block;
    EXPECT_TRUE(Block::Parse(std::string(builder.Finish()), &block).ok());
    return block;
  }

  // blocks: contents per block; separators: index key per block; failing_: block that errors.
  std::unique_ptr<Iterator> Make(const std::vector<std::map<std::string, std::string>>& blocks,
                                 const std::vector<std::string>& separators, int failing = -1) {
    failing_ = failing;
    std::map<std::string, std::string> index;
    for (size_t i = 0; i < blocks.size(); ++i) {
      blocks_.push_back(Build(blocks[i]));
      index[separators[i]] = std::to_string(i);
    }
    auto index_iter = std::make_unique<BlockIterator>(Build(index), BytewiseComparator());
    return NewTwoLevelIterator(
        std::move(index_iter), [this](std::string_view value, std::unique_ptr<Iterator>* out) {
          ++opens_;
          const int n = std::stoi(std::string(value));
          if (n == failing_) return Status::IOError("injected");
          *out = std::make_unique<BlockIterator>(blocks_[n], BytewiseComparator());
          return Status::OK();
        });
  }

  std::vector<std::shared_ptr<const Block>> blocks_;
  int opens_ = 0;
  int failing_ = -1;
};

TEST_F(TwoLevelFixture, SkipsEmptyBlocksBothWays) {
  auto it = Make({{}, {{"a", "1"}, {"b", "2"}}, {}, {}, {{"d", "4"}}, {}},
                 {"0", "b", "c", "cc", "d", "z"});
  std::string forward;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    forward += it->key();
  EXPECT_EQ(forward, "abd");
  std::string backward;
  for (it->SeekToLast(); it->Valid(); it->Prev())
    backward += it->key();
  EXPECT_EQ(backward, "dba");
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->SeekForPrev("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->SeekForPrev("zz");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Seek("e");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TwoLevelFixture, ReusesTheOpenBlockWithinIt) {
  auto it = Make({{{"a", "1"}, {"b", "2"}, {"c", "3"}}}, {"c"});
  it->Seek("a");
  it->Seek("b");
  it->Next();
  it->Prev();
  it->SeekForPrev("c");
  EXPECT_EQ(opens_, 1);
}

TEST_F(TwoLevelFixture, OpenerErrorStopsIterationWithStatus) {
  auto it = Make({{{"a", "1"}}, {{"b", "2"}}, {{"c", "3"}}}, {"a", "b", "c"}, /*failing=*/1);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  it->Next();
  EXPECT_FALSE(it->Valid()) << "must not skip the unreadable block";
  EXPECT_TRUE(it->status().IsIOError());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_TRUE(it->status().ok()) << "a positioning that opens no failing block";
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
  // The fault gone (a transient read error), a new positioning reads everything.
  failing_ = -1;
  std::string keys;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    keys += it->key();
  EXPECT_EQ(keys, "abc");
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
}

}  // namespace
}  // namespace ziggydb
