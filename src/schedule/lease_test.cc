#include "schedule/lease.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace telecollect::schedule {
namespace {

constexpr int64_t kTtl = 60'000;

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::string Host() const {
    const std::string me = ThisHolder();
    return me.substr(0, me.rfind(':'));
  }
  // A pid that surely names no process: a child that has exited and been reaped.
  static pid_t DeadPid() {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
  }

  store::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(LeaseTest, ThisHolderIsHostColonPid) {
  EXPECT_EQ(ThisHolder(), Host() + ":" + std::to_string(getpid()));
}

TEST_F(LeaseTest, AFreeLeaseIsTakenAndRenewedByItsHolder) {
  EXPECT_TRUE(*TakeLease(*store_, "c1", 1000, kTtl));
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>(ThisHolder()));
  EXPECT_TRUE(*TakeLease(*store_, "c1", 2000, kTtl));  // renewed
}

TEST_F(LeaseTest, ALiveLocalProcessKeepsItsLease) {
  const std::string parent = Host() + ":" + std::to_string(getppid());  // alive: it runs this test
  ASSERT_TRUE(*store_->TryLease("c1", parent, 1000, kTtl));
  EXPECT_FALSE(*TakeLease(*store_, "c1", 2000, kTtl));
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>(parent));
}

TEST_F(LeaseTest, ADeadLocalHolderIsTakenOverAtOnce) {
  const std::string dead = Host() + ":" + std::to_string(DeadPid());
  const std::optional<int64_t> dead_token = *store_->TryLease("c1", dead, 1000, kTtl);
  ASSERT_TRUE(dead_token);
  const std::optional<store::Fence> fence = *TakeLease(*store_, "c1", 1001, kTtl);  // long before the lease expires
  ASSERT_TRUE(fence);
  EXPECT_EQ(*store_->LeaseHolder("c1"), std::optional<std::string>(ThisHolder()));
  // Its commits are fenced apart from the dead holder's.
  EXPECT_EQ(fence->lease, "c1");
  EXPECT_EQ(fence->holder, ThisHolder());
  EXPECT_GT(fence->token, *dead_token);
}

TEST_F(LeaseTest, AnotherHostsHolderIsNeverJudgedDeadOnlyExpired) {
  const std::string remote = "another-host.example:" + std::to_string(DeadPid());
  ASSERT_TRUE(*store_->TryLease("c1", remote, 1000, kTtl));
  EXPECT_FALSE(*TakeLease(*store_, "c1", 2000, kTtl));
  EXPECT_TRUE(*TakeLease(*store_, "c1", 1000 + kTtl, kTtl));  // expired: taken over
}

TEST_F(LeaseTest, MalformedHoldersAreNotTakenOver) {
  for (const std::string& holder : {Host(), Host() + ":", Host() + ":abc", Host() + ":0", Host() + ":12x"}) {
    ASSERT_TRUE(store_->ReleaseLease("c1", ThisHolder()).ok());
    ASSERT_TRUE(*store_->TryLease("c1", holder, 1000, kTtl)) << holder;
    EXPECT_FALSE(*TakeLease(*store_, "c1", 2000, kTtl)) << holder;
    ASSERT_TRUE(store_->ReleaseLease("c1", holder).ok());
  }
}

}  // namespace
}  // namespace telecollect::schedule
