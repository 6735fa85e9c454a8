// PostgreSQL-only behaviour: what the conformance suite cannot say for every
// backend (partitions, fencing tokens, the password rule). The tests that need
// a server run under tests/pg_server.py (ctest: store_pg_test).
#include "store/pg_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/store_test_backends.h"

namespace telecollect::store {
namespace {

TEST(PgStoreConfigTest, AUrlCarryingAPasswordIsRefusedBeforeAnyConnection) {
  StoreOptions o;
  o.backend = "postgres";
  for (const char* url : {"postgresql://tc:hunter2xyz@127.0.0.1:1/db", "host=127.0.0.1 port=1 password=hunter2xyz",
                          "postgresql://127.0.0.1:1/db?password=hunter2xyz"}) {
    o.url = url;
    auto s = OpenStore(o);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(s.status().message().find("carries a password"), std::string::npos) << s.status().message();
    EXPECT_EQ(s.status().message().find("hunter2xyz"), std::string::npos);  // never echoed
  }
  o.url = "host=127.0.0.1 port=1 connect_timeout=2";  // no password, nobody listening
  EXPECT_EQ(OpenStore(o).status().code(), StatusCode::kUnavailable);
  o.url = "";
  EXPECT_EQ(OpenStore(o).status().code(), StatusCode::kInvalidArgument);
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = factory_.Open();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    conn_ = PQconnectdb(factory_.conninfo().c_str());
    ASSERT_EQ(PQstatus(conn_), CONNECTION_OK);
  }
  void TearDown() override {
    if (conn_) PQfinish(conn_);
    store_.reset();
  }
  std::string One(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "error";
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) v = PQresultErrorMessage(r);
    PQclear(r);
    return v;
  }
  TestStoreFactory factory_{"postgres"};
  std::unique_ptr<Store> store_;
  PGconn* conn_ = nullptr;
  Scope pre_{"acme", Env::kPreprod};
};

TEST_F(PgStoreTest, EachMonthIsAPartitionAndDroppingOneDropsItsPoints) {
  const EpochMs nov = 1698796800000;  // 2023-11-01T00:00Z
  const EpochMs dec = 1701388800000;  // 2023-12-01T00:00Z
  std::vector<Measurement> ms;
  for (int i = -3; i < 3; ++i) ms.push_back({"m", dec + 600000LL * i, double(i), "", 0});  // 3 in Nov, 3 in Dec
  WriteBatch b{pre_, {}, ms};
  const WriteBatch* p = &b;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  // The COMMIT may still be in flight: confirmed before another connection reads.
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) FROM pg_inherits WHERE inhparent = 'chunks'::regclass"), "2");
  EXPECT_EQ(One("SELECT sum(n) FROM chunks_y2023m11"), "3");  // no chunk crosses the month
  EXPECT_EQ(One("SELECT sum(n) FROM chunks_y2023m12"), "3");
  ASSERT_EQ(One("DROP TABLE chunks_y2023m11"), "error");  // a command: no rows
  auto pts = store_->QueryMeasurements({pre_, "m"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 3u);
  EXPECT_EQ((*pts)[0].ts, dec);
  (void)nov;
  // A new write to the dropped month creates it again (after a restart of the
  // store, which knew it existed).
  store_.reset();
  store_ = std::move(factory_.Open()).value();
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  EXPECT_EQ(store_->QueryMeasurements({pre_, "m"})->size(), 6u);
}

TEST_F(PgStoreTest, TheFencingTokenGrowsWhenTheLeaseChangesHands) {
  auto& pg = static_cast<PgStore&>(*store_);
  ASSERT_TRUE(*pg.TryLease("job", "a", 1000, 100));
  const int64_t first = *pg.LeaseFence("job", "a");
  ASSERT_TRUE(*pg.TryLease("job", "a", 1050, 100));  // renewed: same token
  EXPECT_EQ(*pg.LeaseFence("job", "a"), first);
  ASSERT_TRUE(*pg.TryLease("job", "b", 1200, 100));  // expired, taken over
  EXPECT_GT(*pg.LeaseFence("job", "b"), first);
  EXPECT_EQ(pg.LeaseFence("job", "a").status().code(), StatusCode::kNotFound);
  const int64_t second = *pg.LeaseFence("job", "b");
  ASSERT_TRUE(pg.ReleaseLease("job", "b").ok());
  ASSERT_TRUE(*pg.TryLease("job", "a", 1300, 100));  // released: taken at once, and never an old token again
  EXPECT_GT(*pg.LeaseFence("job", "a"), second);
}

TEST_F(PgStoreTest, TwoStoresWritingOneModuleAtOnceLoseNoPoint) {
  auto other = factory_.Open();
  ASSERT_TRUE(other.ok());
  auto writer = [&](Store& s, int parity) {
    for (int round = 0; round < 20; ++round) {
      WriteBatch b{pre_, {}, {}};
      for (int i = 0; i < 50; ++i) b.measurements.push_back({"m", (round * 100 + i * 2 + parity) * 1000LL, 1.0, "", 0});
      const WriteBatch* p = &b;
      auto r = s.Write(std::span<const WriteBatch* const>(&p, 1));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    // The last commits may still be in flight: seen by the other store once confirmed.
    ASSERT_TRUE(s.Sync().ok());
  };
  std::thread t1(writer, std::ref(*store_), 0);
  std::thread t2(writer, std::ref(**other), 1);
  t1.join();
  t2.join();
  MeasurementQuery q{pre_, "m"};
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 2000u);
  for (size_t i = 1; i < pts->size(); ++i) ASSERT_LT((*pts)[i - 1].ts, (*pts)[i].ts);
}

}  // namespace
}  // namespace telecollect::store
