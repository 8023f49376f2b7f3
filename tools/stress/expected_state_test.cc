// The oracle of `ziggy stress`: key and value codecs, the packed per-key word, and the mapped
// file's persistence and refusal of a file made for another key space.
#include "tools/stress/expected_state.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace ziggydb::tools::stress {
namespace {

class ExpectedStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("expected_state_test." + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "expected_state").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST(StressCodecTest, KeysRoundTripAndOthersAreRejected) {
  EXPECT_EQ(StressKey(12), "s00000012");
  EXPECT_EQ(ParseStressKey(StressKey(12)), 12u);
  EXPECT_EQ(ParseStressKey(StressKey(99999999)), 99999999u);
  EXPECT_FALSE(ParseStressKey("s0000012"));
  EXPECT_FALSE(ParseStressKey("t00000012"));
  EXPECT_FALSE(ParseStressKey("s0000001x"));
  EXPECT_LT(StressKey(9), StressKey(10));  // key order is index order
}

TEST(StressCodecTest, ValuesNameTheirWriteAndNothingElseParses) {
  for (uint32_t index : {0u, 7u, 123456u}) {
    for (uint32_t id : {1u, 2u, 99u, kMaxValueId}) {
      const std::string v = StressValue(index, id);
      EXPECT_EQ(ParseStressValue(index, v), id) << v;
      EXPECT_FALSE(ParseStressValue(index + 1, v)) << "another key's value accepted: " << v;
      EXPECT_FALSE(ParseStressValue(index, v + "x"));
      if (v.size() > 1) {
        std::string flipped = v;
        flipped.back() ^= 1;
        EXPECT_FALSE(ParseStressValue(index, flipped)) << flipped;
      }
    }
  }
  EXPECT_FALSE(ParseStressValue(1, ""));
  EXPECT_FALSE(ParseStressValue(1, "bogus"));
  EXPECT_FALSE(ParseStressValue(1, "1:0:"));  // id 0 is never written
}

TEST(StressCodecTest, WordsPackBothRecordsAndIdsGrow) {
  KeyWord w{MakeRecord(5, true), MakeRecord(6, false)};
  const KeyWord back = KeyWord::Unpack(w.Pack());
  EXPECT_EQ(back.acked, w.acked);
  EXPECT_EQ(back.pending, w.pending);
  EXPECT_EQ(RecordId(back.acked), 5u);
  EXPECT_TRUE(RecordIsPut(back.acked));
  EXPECT_FALSE(RecordIsPut(back.pending));
  EXPECT_EQ(w.NextId(), 7u);
  EXPECT_EQ((KeyWord{MakeRecord(5, false), 0}).NextId(), 6u);
  EXPECT_EQ(KeyWord{}.NextId(), 1u);
}

TEST_F(ExpectedStateTest, PersistsAcrossReopen) {
  {
    std::unique_ptr<ExpectedState> state;
    ASSERT_TRUE(ExpectedState::Open(path_, 100, &state).ok());
    for (uint32_t i = 0; i < 100; ++i)
      EXPECT_EQ(state->Load(i).Pack(), 0u);
    state->Store(3, {MakeRecord(2, true), MakeRecord(3, false)});
    state->Store(99, {MakeRecord(9, true), 0});
    state->StoreCall(3, 0x1234'0000'0007ULL);
    state->StoreCall(0, 5);
  }
  std::unique_ptr<ExpectedState> state;
  ASSERT_TRUE(ExpectedState::Open(path_, 100, &state).ok());
  EXPECT_EQ(state->Load(3).acked, MakeRecord(2, true));
  EXPECT_EQ(state->Load(3).pending, MakeRecord(3, false));
  EXPECT_EQ(state->Load(99).acked, MakeRecord(9, true));
  EXPECT_EQ(state->Load(4).Pack(), 0u);
  // The call ids are a separate array: they do not disturb the words, nor the words them.
  EXPECT_EQ(state->LoadCall(3), 0x1234'0000'0007ULL);
  EXPECT_EQ(state->LoadCall(0), 5u);
  EXPECT_EQ(state->Load(0).Pack(), 0u);
  EXPECT_EQ(state->LoadCall(99), 0u);
}

TEST_F(ExpectedStateTest, RefusesAnotherKeyCountOrForeignFile) {
  {
    std::unique_ptr<ExpectedState> state;
    ASSERT_TRUE(ExpectedState::Open(path_, 100, &state).ok());
  }
  std::unique_ptr<ExpectedState> state;
  EXPECT_TRUE(ExpectedState::Open(path_, 101, &state).IsInvalidArgument());
  EXPECT_TRUE(ExpectedState::Open(path_, 0, &state).IsInvalidArgument());
  const std::string foreign = (dir_ / "foreign").string();
  std::ofstream(foreign) << std::string(8 * (2 + 2 * 100), 'x');  // the right size, not the magic
  EXPECT_TRUE(ExpectedState::Open(foreign, 100, &state).IsInvalidArgument());
  EXPECT_TRUE(ExpectedState::Open((dir_ / "no-such-dir" / "f").string(), 100, &state).IsIOError());
}

// A file of the format before call ids is named as such.
TEST_F(ExpectedStateTest, AFileOfTheOlderFormatIsNamed) {
  std::string old(8 * (2 + 100), '\0');
  old.replace(0, 8, "SZTRESS1");
  old[8] = 100;  // the key count, little-endian
  std::ofstream(path_) << old;
  std::unique_ptr<ExpectedState> state;
  const Status s = ExpectedState::Open(path_, 100, &state);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("older ziggy"), std::string::npos) << s.ToString();
}

// A process killed while creating the file leaves it sized but without the magic: all zero.
TEST_F(ExpectedStateTest, AFileKilledDuringCreationIsCreatedAgain) {
  std::ofstream(path_) << std::string(8 * (2 + 2 * 100), '\0');
  std::unique_ptr<ExpectedState> state;
  ASSERT_TRUE(ExpectedState::Open(path_, 100, &state).ok());
  EXPECT_EQ(state->Load(0).Pack(), 0u);
}

}  // namespace
}  // namespace ziggydb::tools::stress
