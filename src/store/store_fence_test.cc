// The store conformance suite, on leases and the commits fenced by them
// (store::Fence): every test runs on every backend, as the rest of the suite
// (instantiated in store_conformance_test.cc).
#include <gtest/gtest.h>

#include "store/store_conformance.h"

namespace telecollect::store {
namespace {

TEST_P(StoreConformanceTest, ALeaseIsHeldByOneHolderUntilItExpires) {
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>());
  ASSERT_TRUE(*store_->TryLease("c1", "node-a", 1000, 500));
  EXPECT_FALSE(*store_->TryLease("c1", "node-b", 1200, 500));  // held
  EXPECT_TRUE(*store_->TryLease("c1", "node-a", 1300, 500));   // renewed by its holder
  EXPECT_FALSE(*store_->TryLease("c1", "node-b", 1700, 500));  // until 1800 now
  EXPECT_TRUE(*store_->TryLease("other", "node-b", 1700, 500));  // another job
  EXPECT_TRUE(*store_->TryLease("c1", "node-b", 1800, 500));   // expired: taken over
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>("node-b"));
  ASSERT_TRUE(store_->ReleaseLease("c1", "node-a").ok());  // not its holder: nothing changes
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>("node-b"));
  ASSERT_TRUE(store_->ReleaseLease("c1", "node-b").ok());
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>());
  EXPECT_TRUE(*store_->TryLease("c1", "node-a", 1900, 500));  // free again at once
}

TEST_P(StoreConformanceTest, TheFencingTokenGrowsWhenTheLeaseChangesHands) {
  auto first = store_->TryLease("job", "a", 1000, 100);
  ASSERT_TRUE(first.ok() && *first) << first.status().ToString();
  EXPECT_EQ(*store_->TryLease("job", "a", 1050, 100), *first);  // renewed: same token
  EXPECT_EQ(*store_->TryLease("job", "b", 1100, 100), std::nullopt);  // held until 1150
  auto second = store_->TryLease("job", "b", 1200, 100);  // expired, taken over
  ASSERT_TRUE(second.ok() && *second);
  EXPECT_GT(**second, **first);
  ASSERT_TRUE(store_->ReleaseLease("job", "b").ok());
  auto third = store_->TryLease("job", "a", 1300, 100);  // released: taken at once, and never an old token again
  ASSERT_TRUE(third.ok() && *third);
  EXPECT_GT(**third, **second);
  ASSERT_TRUE(store_->ReleaseLease("job", "a").ok());
  auto again = store_->TryLease("job", "a", 1400, 100);  // its holder again, after a release: a new token too
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_GT(**again, **third);
  // Another store (process, node) sees the same tokens.
  auto other = OpenAgain();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*(*other)->TryLease("job", "a", 1450, 100), *again);
}

}  // namespace
}  // namespace telecollect::store
