#include "schedule/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/fault_store.h"
#include "store/store_test_util.h"

namespace telecollect::schedule {
namespace {

// A file connector on an empty local folder, run every 3 s: nothing to import,
// only its lease is asked for.
files::Connector EmptyDrop(const std::string& dir) {
  files::Connector c;
  c.name = "drop";
  c.scope = {"acme", Env::kPreprod};
  c.source.url = dir;
  c.schedule = "every 3s";
  return c;
}

// While the store cannot answer (a database unreachable: TryLease gives
// kUnavailable), a connector pauses: it is tried again after 1 s, then 2 s, 4 s
// (never in a loop, never only at its next tick), and runs as soon as the store
// answers again.
TEST(SchedulerTest, AStoreThatCannotAnswerPausesTheConnectorAndItIsTriedAgainWithAGrowingWait) {
  store::TempDir dir;
  store::FaultStore faulty;
  faulty.FailLeases(true);
  SystemClock clock;
  Scheduler scheduler(faulty, clock, dir.path() + "/spool", 30'000);
  scheduler.SetConnectors({EmptyDrop(dir.path())}, {});
  scheduler.Start();
  // The first tick comes within 3 s; then tries 1 s and 2 s after it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (faulty.lease_tries().size() < 3 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<int64_t> tries = faulty.lease_tries();
  ASSERT_GE(tries.size(), 3u) << "the connector was not tried again while its lease could not be asked for";
  // Tried again before its next tick (3 s on), and not at once: at least the
  // first wait (1 s) between tries, the second wait longer than the first.
  const int64_t first_wait = tries[1] - tries[0], second_wait = tries[2] - tries[1];
  EXPECT_GE(first_wait, 950) << "tried again at once";
  EXPECT_LT(first_wait, 2900) << "not tried again before the next tick";
  EXPECT_GE(second_wait, 1950) << "the wait did not grow";
  // No loop: over 2 s more, at most the one try the doubled wait (4 s) or a tick allows.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_LE(faulty.lease_tries().size(), 4u);
  // The store answers again: the connector runs (its lease taken) by itself.
  faulty.FailLeases(false);
  const size_t before = faulty.lease_tries().size();
  const auto resume_until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (faulty.lease_tries().size() == before && std::chrono::steady_clock::now() < resume_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(faulty.lease_tries().size(), before) << "the connector did not run once the store answered";
  scheduler.Stop();
}

}  // namespace
}  // namespace telecollect::schedule
