#include "schedule/lease_keeper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/fault_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace telecollect::schedule {
namespace {

constexpr int64_t kTtl = 3000;

class LeaseKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  // The lease taken by "node-a" now.
  store::Fence Take() {
    auto token = store_->TryLease("connector:c", "node-a", clock_.NowMs(), kTtl);
    EXPECT_TRUE(token.ok() && *token);
    return {"connector:c", "node-a", token.ok() && *token ? **token : 0};
  }
  std::optional<int64_t> OtherTries() { return *store_->TryLease("connector:c", "node-b", clock_.NowMs(), kTtl); }

  store::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  ManualClock clock_{1'000'000};
};

TEST_F(LeaseKeeperTest, RenewalsKeepTheLeaseAndItsTokenPastItsFirstExpiry) {
  LeaseKeeper keeper(*store_, clock_, Take(), kTtl);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(kTtl / 3);
    ASSERT_TRUE(keeper.Renew()) << i;
  }
  // 5 ttl/3 after it was taken: long past the first expiry, and still held.
  EXPECT_EQ(OtherTries(), std::nullopt);
  EXPECT_FALSE(keeper.lost());
  EXPECT_EQ(keeper.why(), "");
  clock_.Advance(kTtl - 1);  // just short of a whole ttl since the last renewal
  EXPECT_FALSE(keeper.lost());
}

TEST_F(LeaseKeeperTest, AfterAWholeTtlWithoutARenewalOneMoreTryDecides) {
  LeaseKeeper keeper(*store_, clock_, Take(), kTtl);
  clock_.Advance(2 * kTtl);  // stopped for two ttls, and nobody took the lease meanwhile
  EXPECT_FALSE(keeper.lost());  // renewed at once, under the same token: still ours
  EXPECT_EQ(OtherTries(), std::nullopt);
  clock_.Advance(2 * kTtl);  // again, and this time another node took it over
  ASSERT_TRUE(OtherTries());
  EXPECT_TRUE(keeper.lost());
  EXPECT_EQ(keeper.why(), "lease lost: connector:c is held by another holder");
}

TEST_F(LeaseKeeperTest, LostOnceAWholeTtlPassedWithoutARenewal) {
  store::FaultStore faulty;  // its renewals fail when told to
  LeaseKeeper keeper(faulty, clock_, {"connector:c", "node-a", 1}, kTtl);
  clock_.Advance(kTtl / 3);
  ASSERT_TRUE(keeper.Renew());
  faulty.FailLeases(true);
  clock_.Advance(kTtl / 3);
  EXPECT_TRUE(keeper.Renew());  // failed, but the lease is still ours until a whole ttl passed
  EXPECT_FALSE(keeper.lost());
  clock_.Advance(kTtl - kTtl / 3 - 1);
  EXPECT_FALSE(keeper.lost());
  clock_.Advance(1);  // a whole ttl since the last renewal, and the try lost() makes fails: lost
  EXPECT_TRUE(keeper.lost());
  EXPECT_EQ(keeper.why().rfind("lease lost: connector:c was not renewed for 3s", 0), 0u) << keeper.why();
  faulty.FailLeases(false);
  EXPECT_FALSE(keeper.Renew());  // and stays lost
  EXPECT_TRUE(keeper.lost());
}

TEST_F(LeaseKeeperTest, LostWhenAnotherHolderTookItOver) {
  LeaseKeeper keeper(*store_, clock_, Take(), kTtl);
  clock_.Advance(kTtl);  // stalled for a whole ttl: expired, and taken over
  ASSERT_TRUE(OtherTries());
  EXPECT_FALSE(keeper.Renew());
  EXPECT_TRUE(keeper.lost());
  EXPECT_EQ(*store_->LeaseHolder("connector:c"), std::optional<std::string>("node-b"));  // the renewal took nothing back
}

TEST_F(LeaseKeeperTest, ARenewalRefusedByTheNewHolderIsALoss) {
  LeaseKeeper keeper(*store_, clock_, Take(), kTtl);
  ASSERT_TRUE(store_->ReleaseLease("connector:c", "node-a").ok());  // released under the run (by hand)
  ASSERT_TRUE(OtherTries());
  clock_.Advance(kTtl / 3);  // within the ttl: only the store can tell
  EXPECT_FALSE(keeper.lost());
  EXPECT_FALSE(keeper.Renew());
  EXPECT_TRUE(keeper.lost());
  EXPECT_EQ(keeper.why(), "lease lost: connector:c is held by another holder");
}

TEST_F(LeaseKeeperTest, TheLeaseBackUnderAnotherTokenIsALoss) {
  LeaseKeeper keeper(*store_, clock_, Take(), kTtl);
  ASSERT_TRUE(store_->ReleaseLease("connector:c", "node-a").ok());
  ASSERT_TRUE(OtherTries());
  ASSERT_TRUE(store_->ReleaseLease("connector:c", "node-b").ok());
  // The renewal gets the lease again, but under a new token: node-b may have committed meanwhile.
  EXPECT_FALSE(keeper.Renew());
  EXPECT_TRUE(keeper.lost());
  EXPECT_NE(keeper.why().find("changed hands"), std::string::npos) << keeper.why();
}

TEST_F(LeaseKeeperTest, ItsThreadRenewsEveryThirdOfTheTtl) {
  SystemClock clock;
  constexpr int64_t kShortTtl = 1500;
  auto token = store_->TryLease("connector:c", "node-a", clock.NowMs(), kShortTtl);
  ASSERT_TRUE(token.ok() && *token);
  LeaseKeeper keeper(*store_, clock, {"connector:c", "node-a", **token}, kShortTtl);
  keeper.Start();
  // Two ttls: without renewals the lease would have expired, and been lost.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kShortTtl));
  EXPECT_FALSE(keeper.lost()) << keeper.why();
  EXPECT_EQ(*store_->TryLease("connector:c", "node-b", clock.NowMs(), kShortTtl), std::nullopt);
}

}  // namespace
}  // namespace telecollect::schedule
