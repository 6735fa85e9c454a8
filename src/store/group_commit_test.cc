#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "store/fault_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace telecollect::store {
namespace {

TEST(GroupCommitterTest, ConcurrentSubmittersShareTransactionsAndAllAreAnswered) {
  TempDir dir;
  auto store = SqliteStore::Open(StoreOptions{}, dir.path() + "/g.db");
  ASSERT_TRUE(store.ok());
  std::atomic<size_t> transactions{0}, batches_committed{0};
  GroupCommitter committer(**store, 100000, 100000, [&](size_t batches, size_t, double, bool ok) {
    ++transactions;
    if (ok) batches_committed += batches;
  });
  constexpr int kThreads = 8, kPerThread = 200;
  std::atomic<int> answered{0}, fresh{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::promise<void> done;
        WriteBatch b{{"acme", Env::kPreprod}, {MakeFrame("d" + std::to_string(t), i, {uint8_t(i)})}, {}};
        Status s = committer.Submit(std::move(b), [&](Result<WriteResult> r) {
          if (r.ok()) fresh += static_cast<int>(r->frames_new);
          ++answered;
          done.set_value();
        });
        ASSERT_TRUE(s.ok());
        done.get_future().wait();
      }
    });
  }
  for (auto& th : threads) th.join();
  committer.Stop();
  EXPECT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(fresh.load(), kThreads * kPerThread);
  EXPECT_EQ(batches_committed.load(), size_t(kThreads * kPerThread));
  EXPECT_LE(transactions.load(), batches_committed.load());
}

TEST(GroupCommitterTest, FullQueueIsRefusedNotDropped) {
  FaultStore store;
  GroupCommitter committer(store, 1, 1000);
  store.HoldWrites(true);
  std::atomic<int> answered{0};
  auto submit = [&](int i) {
    return committer.Submit({{"acme", Env::kPreprod}, {MakeFrame("d", i, {1})}, {}},
                            [&](Result<WriteResult>) { ++answered; });
  };
  ASSERT_TRUE(submit(0).ok());  // taken by the (held) writer
  while (committer.depth() > 0) std::this_thread::yield();
  ASSERT_TRUE(submit(1).ok());  // fills the queue
  Status refused = submit(2);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("write queue is full"), std::string::npos);
  store.HoldWrites(false);
  committer.Stop();
  EXPECT_EQ(answered.load(), 2);  // every accepted batch is answered, the refused one never
  EXPECT_EQ(committer.Submit(WriteBatch{}, [](Result<WriteResult>) {}).code(), StatusCode::kUnavailable);
}

Result<WriteResult> SubmitAndWait(GroupCommitter& c, WriteBatch b) {
  std::promise<Result<WriteResult>> p;
  Status s = c.Submit(std::move(b), [&](Result<WriteResult> r) { p.set_value(std::move(r)); });
  if (!s.ok()) return s;
  return p.get_future().get();
}

TEST(GroupCommitterTest, NothingIsAcknowledgedWhenTheFsyncFails) {
  FaultStore store;
  GroupCommitter committer(store, 10, 1000);
  store.FailSync(true);
  auto r = SubmitAndWait(committer, {{"acme", Env::kPreprod}, {MakeFrame("d", 1, {1})}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_NE(r.status().message().find("not confirmed durable"), std::string::npos) << r.status().message();
  store.FailSync(false);
  EXPECT_TRUE(SubmitAndWait(committer, {{"acme", Env::kPreprod}, {MakeFrame("d", 1, {1})}, {}}).ok());
}

TEST(GroupCommitterTest, AFailedTransactionFailsEveryBatchInIt) {
  FaultStore store;
  GroupCommitter committer(store, 10, 1000);
  store.FailWrites(true);
  auto r = SubmitAndWait(committer, {{"acme", Env::kPreprod}, {MakeFrame("d", 1, {1})}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
}

TEST(GroupCommitterTest, BatchesQueuedTogetherShareOneTransaction) {
  FaultStore store;
  GroupCommitter committer(store, 100, 1000);
  store.HoldWrites(true);
  std::atomic<int> answered{0};
  // The first submission occupies the writer (held); the next ten queue up behind it.
  auto submit = [&](int i) {
    return committer.Submit({{"acme", Env::kPreprod}, {MakeFrame("d", i, {1})}, {}},
                            [&](Result<WriteResult> r) { answered += r.ok(); });
  };
  ASSERT_TRUE(submit(0).ok());
  while (committer.depth() > 0) std::this_thread::yield();
  for (int i = 1; i < 11; ++i) ASSERT_TRUE(submit(i).ok());
  store.HoldWrites(false);
  committer.Stop();
  EXPECT_EQ(answered.load(), 11);
  EXPECT_EQ(store.writes(), 2u);  // one for the first, one for the ten queued behind it
}

}  // namespace
}  // namespace telecollect::store
