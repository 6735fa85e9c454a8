#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace telecollect::server {
namespace {

TEST(WorkerPool, RunsTasksOnItsThreads) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++done; }));
  }  // the destructor runs what is queued
  EXPECT_EQ(done.load(), 50);
}

TEST(WorkerPool, RefusesPastItsQueueLimitWithoutBlocking) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the one worker is busy
  EXPECT_TRUE(pool.TrySubmit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.TrySubmit([gate] { gate.wait(); }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.running(), 1u);
  EXPECT_FALSE(pool.TrySubmit([] {}));  // full: refused at once
  release.set_value();
}

}  // namespace
}  // namespace telecollect::server
