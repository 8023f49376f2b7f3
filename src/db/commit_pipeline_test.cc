// CommitPipeline without a DB: a fake CommitEnv records what the pipeline asks of it.
#include "db/commit_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/write_batch_internal.h"
#include "util/mutex.h"

namespace ziggydb {
namespace {

// Collects the keys of a batch, in order.
class KeyCollector : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view) override { keys.emplace_back(key); }
  void Delete(std::string_view key) override { keys.emplace_back(key); }
  std::vector<std::string> keys;
};

std::vector<std::string> KeysOf(const WriteBatch& batch) {
  KeyCollector collector;
  EXPECT_TRUE(batch.Iterate(&collector).ok());
  return collector.keys;
}

// The DB side of the pipeline, in memory. Steps that run under the pipeline's mutex use the
// fields marked "guarded by mu"; the unlocked steps use their own lock.
class FakeCommitEnv : public CommitEnv {
 public:
  struct Group {
    size_t batches;
    bool sync;
    bool disable_wal;
    SequenceNumber first;
    std::vector<std::string> keys;
  };

  Mutex mu;  // the pipeline's mutex

  Status MakeRoom(const WriteBatch* leader, Mutex* mu) override {
    EXPECT_EQ(mu, &this->mu);
    mu->AssertHeld();
    ++make_room_calls;
    if (leader == nullptr) ++flush_requests;
    if (!room_error.ok()) {
      Status s = room_error;
      room_error = Status::OK();
      return s;
    }
    return Status::OK();
  }
  SequenceNumber LastSequence() const override { return last_sequence; }
  void BeginGroup(const CommitGroup& group) override {
    // Invariant 1: numbered right after the last numbered group (published or still inserting).
    EXPECT_EQ(raw(WriteBatchInternal::Sequence(*group.batch)), raw(last_numbered) + 1);
    EXPECT_EQ(raw(group.first), raw(last_numbered) + 1);
    EXPECT_GE(raw(last_numbered), raw(last_sequence));
    last_numbered = SequenceNumber{raw(group.first) + group.count - 1};
    groups.push_back(Group{group.batches, group.sync, group.disable_wal,
                           WriteBatchInternal::Sequence(*group.batch), KeysOf(*group.batch)});
  }
  Status WriteToWal(const CommitGroup& group, uint64_t* sync_micros) override {
    if (before_wal_write) before_wal_write(group);
    EXPECT_EQ(leaders_inside.fetch_add(1), 0) << "two leaders write at once";
    EXPECT_FALSE(group.disable_wal);
    // Checked before the gate: a failure injected while a leader is blocked fails the next group.
    const bool fail = wal_failures.load() > 0 && wal_failures.fetch_sub(1) > 0;
    Status s;
    if (wal_gate_closed.load()) {
      std::unique_lock<std::mutex> gate(gate_mu);
      wal_blocked = true;
      gate_cv.notify_all();
      gate_cv.wait(gate, [&] { return !wal_gate_closed.load(); });
    }
    if (fail) {
      s = Status::IOError("injected WAL failure");
    } else {
      std::lock_guard<std::mutex> wal_lock(wal_mu);
      for (std::string& key : KeysOf(*group.batch))
        wal.push_back(std::move(key));
      if (group.sync) durable_records = wal.size();
    }
    // A sync that appears slow enough for leaders to gather sync writers.
    *sync_micros = group.sync ? 200 : 0;
    leaders_inside.fetch_sub(1);
    return s;
  }
  void ApplyToMemtable(const WriteBatch& batch, SequenceNumber first, bool concurrent) override {
    if (KeysOf(batch) == std::vector<std::string>{"slow"}) {
      std::unique_lock<std::mutex> gate(gate_mu);
      insert_blocked = true;
      gate_cv.notify_all();
      gate_cv.wait(gate, [&] { return insert_gate_open; });
    }
    // Invariant 7: the single-writer insert never overlaps another.
    const int inside = inserters_inside.fetch_add(1);
    if (!concurrent) {
      EXPECT_EQ(inside, 0) << "a single-writer insert overlaps another";
    }
    if (concurrent) ++concurrent_inserts;
    {
      std::lock_guard<std::mutex> wal_lock(wal_mu);
      applied_count += WriteBatchInternal::Count(batch);
      for (uint32_t i = 0; i < WriteBatchInternal::Count(batch); ++i) {
        applied_sequences.push_back(raw(first) + i);
        if (applied.size() <= raw(first) + i) applied.resize(raw(first) + i + 1);
        applied[raw(first) + i] = true;
      }
    }
    if (!concurrent) {
      EXPECT_EQ(inserters_inside.load(), 1);
    }
    inserters_inside.fetch_sub(1);
  }
  Status FinishWalWrite(const CommitGroup&, const Status& written, Mutex* mu) override {
    EXPECT_EQ(mu, &this->mu);
    mu->AssertHeld();
    if (!written.ok()) return Status::IOError("sticky", written.ToString());
    return Status::OK();
  }
  Status PublishGroup(const CommitGroup& group, const Status& inserted, Mutex* mu) override {
    EXPECT_EQ(mu, &this->mu);
    mu->AssertHeld();
    // Invariant 6: in sequence order, and only once every record of the group was applied.
    EXPECT_EQ(raw(group.first), raw(last_sequence) + 1);
    if (!inserted.ok()) return Status::IOError("sticky", inserted.ToString());
    if (!publish_error.ok()) return publish_error;
    {
      std::lock_guard<std::mutex> wal_lock(wal_mu);
      for (uint64_t i = raw(group.first); i < raw(group.first) + group.count; ++i)
        EXPECT_TRUE(i < applied.size() && applied[i]) << "published before inserted: " << i;
    }
    last_sequence = SequenceNumber{raw(group.first) + group.count - 1};
    return Status::OK();
  }

  // True if `key` was in the WAL at its last sync.
  bool Durable(const std::string& key) {
    std::lock_guard<std::mutex> wal_lock(wal_mu);
    for (size_t i = 0; i < durable_records; ++i) {
      if (wal[i] == key) return true;
    }
    return false;
  }
  void CloseWalGate() { wal_gate_closed.store(true); }
  // Waits until a leader blocks in WriteToWal on the closed gate.
  void WaitForBlockedLeader() {
    std::unique_lock<std::mutex> gate(gate_mu);
    gate_cv.wait(gate, [&] { return wal_blocked; });
  }
  void OpenWalGate() {
    std::lock_guard<std::mutex> gate(gate_mu);
    wal_gate_closed.store(false);
    gate_cv.notify_all();
  }

  // Runs first in WriteToWal, mutex released (set before the writes start).
  std::function<void(const CommitGroup&)> before_wal_write;

  // Guarded by mu.
  SequenceNumber last_sequence{0};  // published
  SequenceNumber last_numbered{0};
  int make_room_calls = 0;
  int flush_requests = 0;
  Status room_error;
  Status publish_error;  // PublishGroup fails with it
  std::vector<Group> groups;

  // Guarded by wal_mu.
  std::mutex wal_mu;
  std::vector<std::string> wal;  // keys in WAL order
  size_t durable_records = 0;
  uint64_t applied_count = 0;
  std::vector<uint64_t> applied_sequences;  // one per record applied, in call order
  std::vector<bool> applied;                // by sequence number

  std::atomic<int> leaders_inside{0};
  std::atomic<int> inserters_inside{0};
  std::atomic<uint64_t> concurrent_inserts{0};
  std::atomic<int> wal_failures{0};
  std::atomic<bool> wal_gate_closed{false};
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool wal_blocked = false;  // guarded by gate_mu
  // The insert of a batch holding only "slow" blocks until the gate opens (guarded by gate_mu).
  bool insert_blocked = false;
  bool insert_gate_open = false;
};

WriteOptions Sync(bool sync) {
  WriteOptions options;
  options.sync = sync;
  return options;
}

class CommitPipelineTest : public testing::Test {
 protected:
  explicit CommitPipelineTest(size_t max_group_bytes = size_t{1} << 20)
      : pipeline_(&env_.mu, &env_, max_group_bytes) {}

  Status Put(const std::string& key, bool sync = false) {
    WriteBatch batch;
    batch.Put(key, "v");
    return pipeline_.Write(Sync(sync), &batch);
  }
  // Starts `write` on a thread and returns once it is queued behind the blocked leader.
  void Enqueue(std::function<void()> write) {
    const size_t queued = pipeline_.TEST_QueuedWriters();
    threads_.emplace_back(std::move(write));
    while (pipeline_.TEST_QueuedWriters() == queued)
      std::this_thread::yield();
  }
  // Starts a write that blocks in WriteToWal, holding the leader's role.
  void BlockLeader(const std::string& key) {
    env_.CloseWalGate();
    threads_.emplace_back([this, key] { EXPECT_TRUE(Put(key).ok()); });
    env_.WaitForBlockedLeader();
  }
  void JoinAll() {
    for (std::thread& thread : threads_)
      thread.join();
    threads_.clear();
  }
  std::vector<FakeCommitEnv::Group> Groups() {
    MutexLock lock(&env_.mu);
    return env_.groups;
  }

  FakeCommitEnv env_;
  CommitPipeline pipeline_;
  std::vector<std::thread> threads_;
};

TEST_F(CommitPipelineTest, SingleWriteIsNumberedWrittenAppliedAndPublished) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  ASSERT_TRUE(pipeline_.Write(Sync(false), &batch).ok());
  EXPECT_EQ(raw(env_.last_sequence), 2u);
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(env_.applied_count, 2u);
  ASSERT_EQ(env_.groups.size(), 1u);
  EXPECT_EQ(env_.groups[0].batches, 1u);
  EXPECT_EQ(pipeline_.TEST_QueuedWriters(), 0u);
}

TEST_F(CommitPipelineTest, WritersQueuedBehindALeaderCommitAsOneGroup) {
  BlockLeader("leader");
  for (int i = 0; i < 5; ++i) {
    Enqueue([this, i] { EXPECT_TRUE(Put("k" + std::to_string(i)).ok()); });
  }
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].batches, 5u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4"}));
  EXPECT_EQ(raw(groups[1].first), 2u);
  EXPECT_EQ(raw(env_.last_sequence), 6u);
}

TEST_F(CommitPipelineTest, SyncWriteNeverRidesOnNonSyncLeader) {
  BlockLeader("leader");
  Enqueue([this] { EXPECT_TRUE(Put("plain1").ok()); });
  Enqueue([this] {
    EXPECT_TRUE(Put("synced", /*sync=*/true).ok());
    EXPECT_TRUE(env_.Durable("synced"));  // acknowledged only after its sync (invariant 2)
  });
  Enqueue([this] { EXPECT_TRUE(Put("plain2").ok()); });
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"plain1"}));
  EXPECT_FALSE(groups[1].sync);
  // A non-sync write may ride on a sync leader.
  EXPECT_EQ(groups[2].keys, (std::vector<std::string>{"synced", "plain2"}));
  EXPECT_TRUE(groups[2].sync);
}

TEST_F(CommitPipelineTest, FlushRequestAndWalLessWriteLeadTheirOwnTurns) {
  BlockLeader("leader");
  Enqueue([this] { EXPECT_TRUE(Put("a").ok()); });
  Enqueue([this] { EXPECT_TRUE(pipeline_.Write(WriteOptions(), nullptr).ok()); });
  Enqueue([this] {
    WriteOptions options;
    options.disable_wal = true;
    WriteBatch batch;
    batch.Put("unlogged", "v");
    EXPECT_TRUE(pipeline_.Write(options, &batch).ok());
  });
  Enqueue([this] { EXPECT_TRUE(Put("b").ok()); });
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"a"}));
  EXPECT_EQ(groups[2].keys, (std::vector<std::string>{"unlogged"}));
  EXPECT_TRUE(groups[2].disable_wal);
  EXPECT_EQ(groups[3].keys, (std::vector<std::string>{"b"}));
  EXPECT_EQ(env_.flush_requests, 1);
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"leader", "a", "b"}));  // not "unlogged"
  EXPECT_EQ(env_.applied_count, 4u);
}

class SmallGroupPipelineTest : public CommitPipelineTest {
 protected:
  SmallGroupPipelineTest() : CommitPipelineTest(kWriteBatchHeaderBytes + 40) {}
};

TEST_F(SmallGroupPipelineTest, GroupStopsAtMaxGroupBytes) {
  BlockLeader("leader");
  // Each batch adds 1 (tag) + 1 + 2 (key) + 1 + 10 (value) = 15 bytes to a group.
  for (int i = 0; i < 4; ++i) {
    Enqueue([this, i] {
      WriteBatch batch;
      batch.Put("k" + std::to_string(i), std::string(10, 'v'));
      EXPECT_TRUE(pipeline_.Write(Sync(false), &batch).ok());
    });
  }
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"k0", "k1"}));
  EXPECT_EQ(groups[2].keys, (std::vector<std::string>{"k2", "k3"}));
}

// A non-sync leader hands the front on after its WAL write and inserts meanwhile; the next
// leader's group batch (here one over the size the pipeline keeps between groups) is then that
// leader's alone: the earlier leader, back from its insert, must not free or clear it while the
// next one writes it to the WAL.
TEST_F(CommitPipelineTest, ALeaderBackFromItsInsertLeavesTheNextGroupsBatchAlone) {
  env_.CloseWalGate();
  std::atomic<bool> first_returned{false};
  threads_.emplace_back([&] {
    EXPECT_TRUE(Put("slow").ok());  // its insert waits for the insert gate
    first_returned.store(true);
  });
  env_.WaitForBlockedLeader();
  const std::string big_value(size_t{5} << 20, 'b');  // over the 4 MiB kept between groups
  env_.before_wal_write = [&](const CommitGroup& group) {
    if (group.batch_bytes < big_value.size()) return;
    // The next leader is writing its group: let the first one finish its insert and return.
    {
      std::lock_guard<std::mutex> gate(env_.gate_mu);
      env_.insert_gate_open = true;
      env_.gate_cv.notify_all();
    }
    while (!first_returned.load())
      std::this_thread::yield();
  };
  Enqueue([&] {
    WriteBatch batch;
    batch.Put("big", big_value);
    EXPECT_TRUE(pipeline_.Write(Sync(true), &batch).ok());  // sync: its own group
  });
  env_.OpenWalGate();
  JoinAll();
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"slow", "big"}));
  EXPECT_TRUE(env_.Durable("big"));
  EXPECT_EQ(env_.applied_count, 2u);
}

TEST_F(CommitPipelineTest, WalFailureFailsTheWholeGroupAndStaysSticky) {
  BlockLeader("leader");
  env_.wal_failures.store(1);  // the next group's WAL write fails
  for (int i = 0; i < 3; ++i) {
    Enqueue([this, i] {
      Status s = Put("k" + std::to_string(i));
      EXPECT_TRUE(s.IsIOError()) << s.ToString();
    });
  }
  env_.OpenWalGate();
  JoinAll();
  ASSERT_EQ(Groups().size(), 2u);
  EXPECT_EQ(Groups()[1].batches, 3u);
  env_.mu.Lock();
  const int room_calls = env_.make_room_calls;
  env_.mu.Unlock();
  // Later writes, Flush requests included, get the error without reaching the env.
  Status s = Put("later", /*sync=*/true);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("sticky"), std::string::npos) << s.ToString();
  EXPECT_TRUE(pipeline_.Write(WriteOptions(), nullptr).IsIOError());
  MutexLock lock(&env_.mu);
  EXPECT_EQ(env_.make_room_calls, room_calls);
  EXPECT_EQ(raw(env_.last_sequence), 1u);  // only "leader" was published
  EXPECT_EQ(env_.applied_count, 1u);
}

// Invariant 3 for a leader that waited with the mutex released (here, a validated write waiting
// for the group inserting ahead of it to be published): when that group's publication fails, the
// waiting leader's group fails with it and never reaches the WAL.
TEST_F(CommitPipelineTest, AGroupFormedWhileAnEarlierPublicationFailedIsNotWritten) {
  threads_.emplace_back([this] { EXPECT_TRUE(Put("slow").IsIOError()); });
  {
    std::unique_lock<std::mutex> gate(env_.gate_mu);
    env_.gate_cv.wait(gate, [&] { return env_.insert_blocked; });
  }
  Enqueue([this] {
    const CommitPipeline::Validator validator = [](SequenceNumber, const WriteBatch&) {
      return Status::OK();
    };
    WriteBatch batch;
    batch.Put("validated", "v");
    const Status s = pipeline_.Write(Sync(false), &batch, &validator);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
  });
  {
    MutexLock lock(&env_.mu);
    env_.publish_error = Status::IOError("injected publication failure");
  }
  {
    std::lock_guard<std::mutex> gate(env_.gate_mu);
    env_.insert_gate_open = true;
    env_.gate_cv.notify_all();
  }
  JoinAll();
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"slow"}));
  EXPECT_TRUE(Put("after").IsIOError());  // sticky
}

TEST_F(CommitPipelineTest, MakeRoomFailureFailsOnlyThatGroup) {
  {
    MutexLock lock(&env_.mu);
    env_.room_error = Status::IOError("no room");
  }
  EXPECT_TRUE(Put("a").IsIOError());
  EXPECT_TRUE(Put("b").ok());
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"b"}));
  EXPECT_EQ(raw(env_.last_sequence), 1u);
}

TEST_F(CommitPipelineTest, ValidatedWriteLeadingAGroupSeesExactlyTheEarlierCommits) {
  BlockLeader("leader");
  SequenceNumber validated_at{0};
  SequenceNumber published_then{0};
  std::vector<std::string> ahead_keys;
  Enqueue([&] {
    // Runs under the pipeline's mutex, so it may read the env's published state.
    const CommitPipeline::Validator validator = [&](SequenceNumber first, const WriteBatch& ahead) {
      validated_at = first;
      published_then = env_.last_sequence;
      ahead_keys = KeysOf(ahead);
      return Status::OK();
    };
    WriteBatch batch;
    batch.Put("txn", "v");
    EXPECT_TRUE(pipeline_.Write(Sync(false), &batch, &validator).ok());
  });
  Enqueue([this] { EXPECT_TRUE(Put("b").ok()); });
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"txn", "b"}));
  // Every earlier commit ("leader") was published, and the batch got the next number.
  EXPECT_EQ(raw(published_then), 1u);
  EXPECT_TRUE(ahead_keys.empty());
  EXPECT_EQ(raw(validated_at), 2u);
  EXPECT_EQ(raw(groups[1].first), 2u);
}

TEST_F(CommitPipelineTest, ValidatedWriteJoinsAGroupAndSeesTheBatchesAheadOfIt) {
  BlockLeader("leader");
  Enqueue([this] { EXPECT_TRUE(Put("a").ok()); });
  SequenceNumber validated_at{0};
  SequenceNumber published_then{0};
  std::vector<std::string> ahead_keys;
  Enqueue([&] {
    const CommitPipeline::Validator validator = [&](SequenceNumber first, const WriteBatch& ahead) {
      validated_at = first;
      published_then = env_.last_sequence;
      ahead_keys = KeysOf(ahead);
      return Status::OK();
    };
    WriteBatch batch;
    batch.Put("txn", "v");
    EXPECT_TRUE(pipeline_.Write(Sync(false), &batch, &validator).ok());
  });
  Enqueue([this] { EXPECT_TRUE(Put("b").ok()); });
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"a", "txn", "b"}));
  // Published: "leader" (1); ahead in the group: "a" (2); the batch is numbered 3.
  EXPECT_EQ(raw(published_then), 1u);
  EXPECT_EQ(ahead_keys, (std::vector<std::string>{"a"}));
  EXPECT_EQ(raw(validated_at), 3u);
}

TEST_F(CommitPipelineTest, FailedValidationFailsOnlyThatWrite) {
  BlockLeader("leader");
  Enqueue([this] {
    const CommitPipeline::Validator reject = [](SequenceNumber, const WriteBatch&) {
      return Status::Busy("conflict");
    };
    WriteBatch batch;
    batch.Put("txn", "v");
    EXPECT_TRUE(pipeline_.Write(Sync(true), &batch, &reject).IsBusy());
  });
  Enqueue([this] { EXPECT_TRUE(Put("b").ok()); });
  env_.OpenWalGate();
  JoinAll();
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"leader", "b"}));
  EXPECT_EQ(raw(env_.last_sequence), 2u);
  EXPECT_TRUE(Put("c").ok());
}

TEST_F(CommitPipelineTest, WriteRejectedInsideAGroupLeavesTheRestOfTheGroup) {
  BlockLeader("leader");
  Enqueue([this] { EXPECT_TRUE(Put("a").ok()); });
  Enqueue([this] {
    const CommitPipeline::Validator reject = [](SequenceNumber, const WriteBatch&) {
      return Status::Busy("conflict");
    };
    WriteBatch batch;
    batch.Put("txn", "v");
    EXPECT_TRUE(pipeline_.Write(Sync(false), &batch, &reject).IsBusy());
  });
  SequenceNumber validated_at{0};
  Enqueue([&] {
    const CommitPipeline::Validator accept = [&](SequenceNumber first, const WriteBatch& ahead) {
      validated_at = first;
      EXPECT_EQ(KeysOf(ahead), (std::vector<std::string>{"a"}));
      return Status::OK();
    };
    WriteBatch batch;
    batch.Put("txn2", "v");
    EXPECT_TRUE(pipeline_.Write(Sync(false), &batch, &accept).ok());
  });
  Enqueue([this] { EXPECT_TRUE(Put("b").ok()); });
  env_.OpenWalGate();
  JoinAll();
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].keys, (std::vector<std::string>{"a", "txn2", "b"}));
  EXPECT_EQ(groups[1].batches, 3u);
  EXPECT_EQ(raw(validated_at), 3u);
  EXPECT_EQ(raw(env_.last_sequence), 4u);
}

// Non-sync writers only, more threads than CPUs: groups of several batches are inserted in
// parallel (invariant 5), with members often late to see their offer (taken back by the leader).
// Every record is applied exactly once, at its own sequence number, before its group is
// published.
// Invariants 6 and 7: while group 1 is still inserting, group 2 is numbered, written to the WAL
// and inserted (its leader took the front), but published only after group 1, and its writer
// returns only then.
TEST_F(CommitPipelineTest, LaterGroupInsertsMeanwhileButIsPublishedAfterTheEarlierOne) {
  threads_.emplace_back([this] { EXPECT_TRUE(Put("slow").ok()); });
  {
    std::unique_lock<std::mutex> gate(env_.gate_mu);
    env_.gate_cv.wait(gate, [&] { return env_.insert_blocked; });
  }
  std::atomic<bool> fast_returned{false};
  threads_.emplace_back([&] {
    EXPECT_TRUE(Put("fast").ok());
    fast_returned.store(true);
  });
  // Until "fast"'s insert is done, with "slow"'s still blocked.
  while (true) {
    {
      std::lock_guard<std::mutex> wal_lock(env_.wal_mu);
      if (env_.applied_count == 1) break;
    }
    std::this_thread::yield();
  }
  {
    MutexLock lock(&env_.mu);
    EXPECT_EQ(raw(env_.last_sequence), 0u);
    EXPECT_EQ(raw(env_.last_numbered), 2u);
    EXPECT_FALSE(fast_returned.load());
  }
  EXPECT_EQ(env_.applied_sequences, (std::vector<uint64_t>{2}));
  EXPECT_EQ(env_.wal, (std::vector<std::string>{"slow", "fast"}));
  {
    std::lock_guard<std::mutex> gate(env_.gate_mu);
    env_.insert_gate_open = true;
    env_.gate_cv.notify_all();
  }
  JoinAll();
  EXPECT_TRUE(fast_returned.load());
  EXPECT_EQ(raw(env_.last_sequence), 2u);
  EXPECT_GT(env_.concurrent_inserts.load(), 0u);
}

TEST_F(CommitPipelineTest, ParallelInsertsApplyEveryRecordOnceAtItsSequence) {
  constexpr int kThreads = 6;
  constexpr int kWritesPerThread = 1500;
  std::atomic<int> unpublished{0};
  for (int t = 0; t < kThreads; ++t) {
    threads_.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        WriteBatch batch;
        batch.Put(std::to_string(t) + "/" + std::to_string(i), "v");
        if (i % 4 == 0) batch.Put("second", "v");
        Status s = pipeline_.Write(WriteOptions(), &batch);
        EXPECT_TRUE(s.ok()) << s.ToString();
        MutexLock lock(&env_.mu);  // last_sequence's
        std::lock_guard<std::mutex> wal_lock(env_.wal_mu);
        if (env_.applied_count < raw(env_.last_sequence)) unpublished.fetch_add(1);
      }
    });
  }
  JoinAll();
  EXPECT_EQ(unpublished.load(), 0);
  const uint64_t records = uint64_t{kThreads} * (kWritesPerThread + kWritesPerThread / 4);
  EXPECT_EQ(raw(env_.last_sequence), records);
  std::vector<uint64_t> sequences = env_.applied_sequences;
  std::sort(sequences.begin(), sequences.end());
  ASSERT_EQ(sequences.size(), records);
  for (uint64_t i = 0; i < records; ++i)
    ASSERT_EQ(sequences[i], i + 1);
}

// Many threads, sync and not, some validated: every write is acknowledged once, in a WAL order
// that keeps each thread's order, with contiguous sequence numbers; sync writes are durable when
// acknowledged; validators see exactly the commits before them.
TEST_F(CommitPipelineTest, ConcurrentWritersKeepOrderSequencesAndDurability) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 300;
  std::atomic<int> validator_mismatches{0};
  for (int t = 0; t < kThreads; ++t) {
    threads_.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = std::to_string(t) + "/" + std::to_string(i);
        const bool sync = (t + i) % 3 == 0;
        WriteBatch batch;
        batch.Put(key, "v");
        Status s;
        if (i % 7 == 0) {
          const CommitPipeline::Validator validator = [&](SequenceNumber first,
                                                          const WriteBatch& ahead) {
            std::lock_guard<std::mutex> wal_lock(env_.wal_mu);
            // Invariant 4: published = applied, and with the batches ahead in the group that is
            // everything before `first`.
            if (raw(first) != raw(env_.last_sequence) + 1 + ahead.Count() ||
                env_.applied_count != raw(env_.last_sequence)) {
              validator_mismatches.fetch_add(1);
            }
            return Status::OK();
          };
          s = pipeline_.Write(Sync(sync), &batch, &validator);
        } else {
          s = pipeline_.Write(Sync(sync), &batch);
        }
        EXPECT_TRUE(s.ok()) << s.ToString();
        if (sync) {
          EXPECT_TRUE(env_.Durable(key)) << key;
        }
      }
    });
  }
  JoinAll();
  EXPECT_EQ(validator_mismatches.load(), 0);
  EXPECT_EQ(raw(env_.last_sequence), uint64_t{kThreads} * kWritesPerThread);
  EXPECT_EQ(env_.applied_count, uint64_t{kThreads} * kWritesPerThread);
  ASSERT_EQ(env_.wal.size(), size_t{kThreads} * kWritesPerThread);
  std::map<int, int> next_of_thread;
  std::set<std::string> seen;
  for (const std::string& key : env_.wal) {
    EXPECT_TRUE(seen.insert(key).second) << "written twice: " << key;
    const int t = std::stoi(key.substr(0, key.find('/')));
    const int i = std::stoi(key.substr(key.find('/') + 1));
    EXPECT_EQ(i, next_of_thread[t]++) << key;
  }
  SequenceNumber next{1};
  for (const FakeCommitEnv::Group& group : env_.groups) {
    EXPECT_EQ(raw(group.first), raw(next));
    next = SequenceNumber{raw(next) + group.keys.size()};
  }
  EXPECT_EQ(pipeline_.TEST_QueuedWriters(), 0u);
}

}  // namespace
}  // namespace ziggydb
