// The lock-free read path: SuperVersionPublisher (pins, sweeps, the published sequence) on its
// own, and the zero-copy DB::Get (PinnableValue) of the writing and the read-only DB, whose
// values must outlive the memtable, table and DB they came from.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
#include "db/super_version.h"
#include "testutil/testutil.h"
#include "ziggydb/db.h"
#include "ziggydb/pinnable_value.h"

namespace ziggydb::test {
namespace {

class SuperVersionTest : public ::testing::Test {
 protected:
  std::shared_ptr<const SuperVersion> Make() {
    return std::make_shared<const SuperVersion>(std::make_shared<MemTable>(icmp_),
                                                std::vector<std::shared_ptr<MemTable>>{},
                                                std::make_shared<const Version>(&icmp_));
  }

  const InternalKeyComparator icmp_{BytewiseComparator()};
};

TEST_F(SuperVersionTest, PinReturnsTheInstalledState) {
  SuperVersionPublisher publisher;
  auto first = Make();
  publisher.Install(first);
  {
    SuperVersionPin pin = publisher.Pin();
    EXPECT_EQ(&*pin, first.get());
  }
  {
    SuperVersionPin again = publisher.Pin();  // from the slot the first pin refilled
    EXPECT_EQ(&*again, first.get());
  }
  auto second = Make();
  publisher.Install(second);
  SuperVersionPin pin = publisher.Pin();
  EXPECT_EQ(&*pin, second.get());
}

TEST_F(SuperVersionTest, InstallReleasesTheReplacedStateOnceItsPinsEnd) {
  SuperVersionPublisher publisher;
  std::weak_ptr<const SuperVersion> old;
  {
    auto first = Make();
    old = first;
    publisher.Install(std::move(first));
  }
  { SuperVersionPin fill = publisher.Pin(); }  // the slot now holds a reference
  std::optional<SuperVersionPin> held(publisher.Pin());
  publisher.Install(Make());
  EXPECT_FALSE(old.expired());  // still read through `held`
  EXPECT_EQ(&**held, old.lock().get());
  held.reset();
  // Neither the publisher nor the swept slot keeps it.
  EXPECT_TRUE(old.expired());
}

// Two pins of one slot (one thread here; threads beyond kSlots share slots): the first spans an
// Install, the second refills the swept slot. The first's unpin must not put its replaced state
// back into the slot, or later reads would see that state until the next Install (missing every
// write to the newer memtable).
TEST_F(SuperVersionTest, AnUnpinAfterASweepNeverPutsBackTheReplacedState) {
  SuperVersionPublisher publisher;
  publisher.Install(Make());
  { SuperVersionPin fill = publisher.Pin(); }  // the slot now holds a reference
  std::optional<SuperVersionPin> before(publisher.Pin());
  auto second = Make();
  publisher.Install(second);
  std::optional<SuperVersionPin> after(publisher.Pin());  // refills the swept slot
  EXPECT_EQ(&**after, second.get());
  before.reset();
  after.reset();
  for (int i = 0; i < 3; ++i) {
    SuperVersionPin pin = publisher.Pin();
    EXPECT_EQ(&*pin, second.get()) << i;
  }
  // The same with the refilling pin ending first.
  auto third = Make();
  before.emplace(publisher.Pin());
  publisher.Install(third);
  after.emplace(publisher.Pin());
  after.reset();
  before.reset();
  SuperVersionPin pin = publisher.Pin();
  EXPECT_EQ(&*pin, third.get());
}

TEST_F(SuperVersionTest, IdleSlotsKeepNoReplacedState) {
  SuperVersionPublisher publisher;
  std::weak_ptr<const SuperVersion> old;
  {
    auto first = Make();
    old = first;
    publisher.Install(std::move(first));
  }
  // Other threads fill their slots and stop reading.
  for (int i = 0; i < 4; ++i)
    std::thread([&] { SuperVersionPin pin = publisher.Pin(); }).join();
  publisher.Install(Make());
  EXPECT_TRUE(old.expired());
}

TEST_F(SuperVersionTest, SharedReferenceOutlivesThePinAndInstall) {
  SuperVersionPublisher publisher;
  publisher.Install(Make());
  std::shared_ptr<const SuperVersion> kept;
  {
    SuperVersionPin pin = publisher.Pin();
    kept = pin.shared();
  }
  publisher.Install(Make());
  EXPECT_EQ(kept.use_count(), 1);  // only ours is left
}

// Readers pin while a writer installs new states: every pin sees a state that was installed and
// is alive (its memtable readable) while pinned. Under TSan this checks the slot protocol.
TEST_F(SuperVersionTest, ConcurrentPinsAndInstalls) {
  SuperVersionPublisher publisher;
  publisher.Install(Make());
  constexpr int kReaders = 3;
  constexpr int kPinsPerReader = 5000;
  std::atomic<int> done{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      for (int n = 0; n < kPinsPerReader; ++n) {
        SuperVersionPin pin = publisher.Pin();
        EXPECT_TRUE(pin->mem()->Empty());
        EXPECT_EQ(pin->version()->NumFiles(0), 0);
      }
      done.fetch_add(1);
    });
  }
  // Installs until every reader is done (however the threads are scheduled).
  uint64_t installs = 0;
  while (done.load() < kReaders) {
    publisher.Install(Make());
    publisher.PublishSequence(SequenceNumber{++installs});
  }
  for (auto& reader : readers)
    reader.join();
  EXPECT_EQ(publisher.LastSequence(), SequenceNumber{installs});
}

// More readers than slots, so that slots are shared: a pin taken after the writer published
// install k sees state k or a newer one, never a replaced state a shared slot kept.
TEST_F(SuperVersionTest, ReadersSharingSlotsNeverSeeAReplacedState) {
  SuperVersionPublisher publisher;
  const auto make = [&](uint64_t k) {
    return std::make_shared<const SuperVersion>(
        std::make_shared<MemTable>(icmp_, 0, SequenceNumber{k}),
        std::vector<std::shared_ptr<MemTable>>{}, std::make_shared<const Version>(&icmp_));
  };
  publisher.Install(make(0));
  constexpr int kReaders = static_cast<int>(SuperVersionPublisher::kSlots) + 8;
  constexpr int kPinsPerReader = 300;
  std::atomic<int> done{0};
  std::atomic<int> stale{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      for (int n = 0; n < kPinsPerReader; ++n) {
        const uint64_t published = raw(publisher.LastSequence());
        SuperVersionPin pin = publisher.Pin();
        if (raw(pin->mem()->first_sequence()) < published) stale.fetch_add(1);
        std::this_thread::yield();  // keep pins of one slot overlapping
      }
      done.fetch_add(1);
    });
  }
  uint64_t installs = 0;
  while (done.load() < kReaders) {
    ++installs;
    publisher.Install(make(installs));
    publisher.PublishSequence(SequenceNumber{installs});
  }
  for (auto& reader : readers)
    reader.join();
  EXPECT_EQ(stale.load(), 0);
}

// ---- Zero-copy get ----

using PinnedGetTest = DBTest;

std::string PinnedValue(int i) {
  return std::string(200, static_cast<char>('a' + i % 26)) + std::to_string(i);
}

TEST_F(PinnedGetTest, ReadsMemtableAndTablesWithoutCopying) {
  Open();
  ASSERT_TRUE(Put(Key(1), PinnedValue(1)).ok());
  PinnableValue value;
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(1), &value).ok());
  EXPECT_EQ(value.value(), PinnedValue(1));
  EXPECT_TRUE(value.pinned());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(1), &value).ok());  // now from the table
  EXPECT_EQ(value.value(), PinnedValue(1));
  EXPECT_TRUE(value.pinned());
  EXPECT_TRUE(db_->Get(ReadOptions(), Key(2), &value).IsNotFound());
  EXPECT_TRUE(value.value().empty());
  ASSERT_TRUE(Delete(Key(1)).ok());
  EXPECT_TRUE(db_->Get(ReadOptions(), Key(1), &value).IsNotFound());
}

TEST_F(PinnedGetTest, ValueOutlivesFlushCompactionAndClose) {
  Open();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), PinnedValue(i)).ok());
  PinnableValue from_memtable;
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(7), &from_memtable).ok());
  ASSERT_TRUE(db_->Flush().ok());  // frees the memtable once nothing else holds it
  PinnableValue from_table;
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(8), &from_table).ok());
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(Put(Key(i), "overwritten").ok());
  ASSERT_TRUE(db_->Flush().ok());
  // Merges both tables away and deletes the one from_table came from.
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(Get(Key(8)), "overwritten");
  EXPECT_EQ(from_memtable.value(), PinnedValue(7));
  EXPECT_EQ(from_table.value(), PinnedValue(8));
  PinnableValue released;
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(9), &released).ok());
  released.Reset();  // released while the DB is open
  EXPECT_TRUE(released.value().empty());
  Close();  // the DB is destroyed; the values stay readable (ASan checks the bytes)
  EXPECT_EQ(from_memtable.value(), PinnedValue(7));
  EXPECT_EQ(from_table.value(), PinnedValue(8));
  PinnableValue moved(std::move(from_table));
  EXPECT_EQ(moved.value(), PinnedValue(8));
}

TEST(PinnedGetReadOnlyTest, ReadsTablesAndWalDataOnTheRealFileSystem) {
  TempDir dir;
  const std::string dbname = dir.Join("db");
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dbname, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "table", PinnedValue(1)).ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "wal", PinnedValue(2)).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::OpenReadOnly(options, dbname, &db).ok());
  PinnableValue table;
  PinnableValue wal;
  ASSERT_TRUE(db->Get(ReadOptions(), "table", &table).ok());  // a view of the mapped table
  ASSERT_TRUE(db->Get(ReadOptions(), "wal", &wal).ok());
  EXPECT_TRUE(table.pinned());
  EXPECT_TRUE(wal.pinned());
  db.reset();
  EXPECT_EQ(table.value(), PinnedValue(1));
  EXPECT_EQ(wal.value(), PinnedValue(2));
}

}  // namespace
}  // namespace ziggydb::test
