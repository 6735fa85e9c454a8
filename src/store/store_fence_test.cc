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

// Fenced commits: node-a takes the lease, commits under its fence, stalls past
// the ttl; node-b takes the lease over. node-a's commits are then refused and
// change nothing; node-b's go through.
class FencedCommitTest : public StoreConformanceTest {
 protected:
  static constexpr const char* kLease = "connector:c";
  static constexpr int64_t kTtl = 1000;
  Fence Take(const std::string& holder, EpochMs now) {
    auto token = store_->TryLease(kLease, holder, now, kTtl);
    EXPECT_TRUE(token.ok() && *token) << holder << " " << token.status().ToString();
    return {kLease, holder, token.ok() && *token ? **token : -1};
  }
  // node-a's fence, and node-b's, taken over after node-a's expired.
  void SetUp() override {
    StoreConformanceTest::SetUp();
    a_ = Take("node-a", 1000);
    b_ = Take("node-b", 1000 + kTtl);
  }
  static void ExpectLeaseLost(const Status& s) {
    EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
    EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
    EXPECT_EQ(s.message().rfind(std::string("lease lost: ") + kLease, 0), 0u) << s.message();
  }
  size_t Points(const std::string& module) {
    auto pts = store_->QueryMeasurements({pre_, module});
    EXPECT_TRUE(pts.ok()) << pts.status().ToString();
    return pts.ok() ? pts->size() : 0;
  }
  size_t Modules() { return store_->ListModules(pre_, "", "", 100)->size(); }
  size_t Files() { return store_->ListFiles(FileQuery{})->size(); }
  std::optional<std::string> State(const std::string& key) { return *store_->GetState("c", key); }
  FileProducer File(const std::string& path, const std::string& sha256, EpochMs ts) {
    return [this, path, sha256, ts](ReadingWriter& w) -> Result<FileRecord> {
      TC_RETURN_IF_ERROR(w.Add(modules_, std::vector<Reading>{{0, ts, 1.0}, {1, ts, 2.0}}));
      FileRecord r;
      r.scope = pre_;
      r.connector = "c";
      r.path = path;
      r.sha256 = sha256;
      r.status = "imported";
      r.rows = r.readings = 2;
      r.report_json = "{}";
      r.at = ts;
      return r;
    };
  }
  WindowProducer Window(EpochMs ts) {
    return [this, ts](ReadingWriter& w) { return w.Add(modules_, std::vector<Reading>{{0, ts, 1.0}, {1, ts, 2.0}}); };
  }
  FileRecord Rejected(const std::string& path) {
    FileRecord r;
    r.scope = pre_;
    r.connector = "c";
    r.path = path;
    r.sha256 = "bad-" + path;
    r.status = "rejected";
    r.report_json = "{}";
    return r;
  }

  const std::vector<ModuleDef> modules_{{"m.1", "W"}, {"m.2", "W"}};
  Fence a_, b_;
};

TEST_P(FencedCommitTest, TheTakeoverGaveANewToken) {
  EXPECT_GT(b_.token, a_.token);
  EXPECT_EQ(*store_->LeaseHolder(kLease), std::optional<std::string>("node-b"));
}

TEST_P(FencedCommitTest, AWindowUnderAStaleFenceStoresNothing) {
  ExpectLeaseLost(store_->ImportWindow(pre_, "c", "watermark:1", "2000", Window(2000), a_));
  EXPECT_EQ(Modules(), 0u);  // no readings, and no module created for them
  EXPECT_EQ(State("watermark:1"), std::nullopt);
  // Under the current fence: committed.
  ASSERT_TRUE(store_->ImportWindow(pre_, "c", "watermark:1", "2000", Window(2000), b_).ok());
  EXPECT_EQ(Points("m.1"), 1u);
  EXPECT_EQ(State("watermark:1"), std::optional<std::string>("2000"));
  // node-a again, later: still refused, the watermark left where node-b put it.
  ExpectLeaseLost(store_->ImportWindow(pre_, "c", "watermark:1", "9000", Window(9000), a_));
  EXPECT_EQ(Points("m.1"), 1u);
  EXPECT_EQ(State("watermark:1"), std::optional<std::string>("2000"));
}

TEST_P(FencedCommitTest, StateUnderAStaleFenceIsNotWritten) {
  ExpectLeaseLost(store_->PutState("c", "retry:1", "1,2,3", a_));
  EXPECT_EQ(State("retry:1"), std::nullopt);
  ASSERT_TRUE(store_->PutState("c", "retry:1", "4,5,6", b_).ok());
  ExpectLeaseLost(store_->PutState("c", "retry:1", "1,2,3", a_));
  EXPECT_EQ(State("retry:1"), std::optional<std::string>("4,5,6"));
}

TEST_P(FencedCommitTest, AFileUnderAStaleFenceIsNeitherStoredNorJournaled) {
  auto stale = store_->ImportFile(pre_, File("a.csv", "aa", 2000), Durability::kOnReturn, a_);
  ExpectLeaseLost(stale.status());
  EXPECT_EQ(Modules(), 0u);
  EXPECT_EQ(Files(), 0u);
  auto current = store_->ImportFile(pre_, File("a.csv", "aa", 2000), Durability::kOnReturn, b_);
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_FALSE(current->duplicate);
  EXPECT_EQ(Points("m.1"), 1u);
  EXPECT_EQ(Files(), 1u);
  // The same content again under the stale fence: refused (not reported a duplicate, which would let it be deleted).
  ExpectLeaseLost(store_->ImportFile(pre_, File("b.csv", "aa", 3000), Durability::kOnReturn, a_).status());
  // Other content, to be durable at the next Sync: refused all the same.
  ExpectLeaseLost(store_->ImportFile(pre_, File("c.csv", "cc", 3000), Durability::kAtNextSync, a_).status());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(Points("m.1"), 1u);
  EXPECT_EQ(Files(), 1u);
}

TEST_P(FencedCommitTest, ARejectedFileUnderAStaleFenceIsNotJournaled) {
  ExpectLeaseLost(store_->RecordFile(Rejected("bad.csv"), a_));
  EXPECT_EQ(Files(), 0u);
  ASSERT_TRUE(store_->RecordFile(Rejected("bad.csv"), b_).ok());
  EXPECT_EQ(Files(), 1u);
}

TEST_P(FencedCommitTest, RunsAreNotClosedUnderAStaleFence) {
  RunRecord run;
  run.connector = "c";
  run.started = 500;
  auto id = store_->StartRun(run);
  ASSERT_TRUE(id.ok());
  ExpectLeaseLost(store_->CloseInterruptedRuns("c", 2000, a_).status());
  EXPECT_EQ((*store_->ListRuns("c", 10, std::nullopt))[0].status, "running");
  EXPECT_EQ(*store_->CloseInterruptedRuns("c", 2000, b_), 1);
  EXPECT_EQ((*store_->ListRuns("c", 10, std::nullopt))[0].status, "interrupted");
}

TEST_P(FencedCommitTest, AReleasedOrUnknownLeaseFencesEveryCommitOut) {
  ASSERT_TRUE(store_->ReleaseLease(kLease, "node-b").ok());
  ExpectLeaseLost(store_->PutState("c", "k", "v", b_));  // released: the fence went with it
  Fence never{"connector:never", "node-a", 1};
  EXPECT_EQ(store_->PutState("c", "k", "v", never).code(), StatusCode::kAborted);
  Fence forged = Take("node-b", 5000);
  forged.token += 1;  // the holder's, with a token it was never given
  ExpectLeaseLost(store_->PutState("c", "k", "v", forged));
  EXPECT_EQ(State("k"), std::nullopt);
  // Not fenced (an import by hand): not checked.
  ASSERT_TRUE(store_->PutState("c", "k", "v", std::nullopt).ok());
}

TEST_P(FencedCommitTest, ARenewalKeepsTheFenceGood) {
  ASSERT_EQ(*store_->TryLease(kLease, "node-b", 1500, kTtl), b_.token);  // renewed
  ASSERT_EQ(*store_->TryLease(kLease, "node-b", 2400, kTtl), b_.token);  // past its first expiry: renewed again
  ASSERT_TRUE(store_->ImportWindow(pre_, "c", "watermark:1", "2000", Window(2000), b_).ok());
  EXPECT_EQ(State("watermark:1"), std::optional<std::string>("2000"));
}

INSTANTIATE_TEST_SUITE_P(Backends, FencedCommitTest, ::testing::ValuesIn(TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace telecollect::store
