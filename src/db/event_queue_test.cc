#include "db/event_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ziggydb {
namespace {

class NamingListener final : public EventListener {
 public:
  explicit NamingListener(std::vector<std::string>* log, std::string name)
      : log_(log), name_(std::move(name)) {}
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& info) override {
    log_->push_back(name_ + " flush " + std::to_string(info.file_number));
  }

 private:
  std::vector<std::string>* const log_;
  const std::string name_;
};

EventQueue::Callback Flush(uint64_t file_number) {
  FlushJobInfo info;
  info.file_number = file_number;
  return [info](EventListener& l) { l.OnFlushBegin(nullptr, info); };
}

TEST(EventQueue, DeliversInQueueOrderToListenersInRegistrationOrder) {
  std::vector<std::string> log;
  EventQueue queue({std::make_shared<NamingListener>(&log, "a"), nullptr,
                    std::make_shared<NamingListener>(&log, "b")});
  queue.Push(Flush(1));
  queue.Push(Flush(2));
  EXPECT_TRUE(queue.HasMine());
  const EventQueue::Batch batch = queue.TakeMine();
  EXPECT_FALSE(queue.HasMine());
  EXPECT_TRUE(log.empty()) << "nothing runs before Deliver";
  queue.Deliver(batch);
  EXPECT_EQ(log, (std::vector<std::string>{"a flush 1", "b flush 1", "a flush 2", "b flush 2"}));
}

TEST(EventQueue, AThreadTakesOnlyItsOwnEvents) {
  std::vector<std::string> log;
  EventQueue queue({std::make_shared<NamingListener>(&log, "l")});
  queue.Push(Flush(1));
  std::thread other([&] { queue.Push(Flush(2)); });  // the test's own mutex: join orders it
  other.join();
  queue.Push(Flush(3));
  queue.Deliver(queue.TakeMine());
  EXPECT_EQ(log, (std::vector<std::string>{"l flush 1", "l flush 3"}));
  EXPECT_FALSE(queue.HasMine()) << "event 2 is the other thread's to deliver";
}

class ThrowingListener final : public EventListener {
 public:
  void OnFlushBegin(DB* /*db*/, const FlushJobInfo& info) override {
    if (info.file_number == 1) throw std::runtime_error("listener failed on 1");
    throw 7;  // not a std::exception
  }
};

TEST(EventQueue, AThrowingCallbackNeitherEscapesNorStopsTheOthers) {
  std::vector<std::string> log;
  EventQueue queue(
      {std::make_shared<ThrowingListener>(), std::make_shared<NamingListener>(&log, "after")});
  queue.Push(Flush(1));
  queue.Push(Flush(2));
  const EventQueue::Thrown thrown = queue.Deliver(queue.TakeMine());
  EXPECT_EQ(log, (std::vector<std::string>{"after flush 1", "after flush 2"}));
  EXPECT_EQ(thrown.count, 2u);
  EXPECT_EQ(thrown.first, "listener failed on 1");

  queue.Push(Flush(2));
  EXPECT_EQ(queue.Deliver(queue.TakeMine()).first, "unknown exception");
  EXPECT_EQ(queue.Deliver(EventQueue::Batch{}).count, 0u);
}

TEST(EventQueue, WithoutListenersStoresNothing) {
  EventQueue queue({});
  EXPECT_FALSE(queue.has_listeners());
  queue.Push(Flush(1));
  EXPECT_FALSE(queue.HasMine());
  EXPECT_TRUE(queue.TakeMine().empty());
}

}  // namespace
}  // namespace ziggydb
