// PostgreSQL-only behaviour: what the conformance suite cannot say for every
// backend (partitions, fencing tokens, the password rule). The tests that need
// a server run under tests/pg_server.py (ctest: store_pg_test).
#include "store/pg_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "store/group_commit.h"
#include "store/series_codec.h"
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
  // Six points of one module: logged (the point log), then merged into the
  // chunks by the next read.
  EXPECT_EQ(One("SELECT sum(n) FROM point_log"), "6");
  ASSERT_EQ(store_->QueryMeasurements({pre_, "m"})->size(), 6u);
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "0");
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

// One frame per request: a few points for each of many modules. The group is
// one row of the point log, not a chunk rewritten per module; any read of
// measurements or of a module's latest point merges the log first, so it sees
// every point written before it.
TEST_F(PgStoreTest, SmallWritesAreLoggedAndMergedBeforeAnyRead) {
  WriteBatch b{pre_, {}, {{"a", 1000, 1.5, "", 0}, {"b", 1000, 2.5, "", 0}, {"c", 2000, -1.0, "", 3}}};
  const WriteBatch* p = &b;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) || ' ' || sum(n) FROM point_log"), "1 3");
  EXPECT_EQ(One("SELECT count(*) FROM chunks"), "0");
  auto mods = store_->FindModules(pre_, std::vector<std::string>{"a", "c"});
  ASSERT_TRUE(mods.ok()) << mods.status().ToString();
  ASSERT_EQ(mods->size(), 2u);
  ASSERT_TRUE((*mods)[1].last);
  EXPECT_EQ((*mods)[1].last->value, -1.0);
  EXPECT_EQ((*mods)[1].last->quality, 3);
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "0");
  EXPECT_EQ(One("SELECT sum(n) FROM chunks"), "3");
  // Logged and not yet merged when the writing node stops: another node reads them.
  WriteBatch more{pre_, {}, {{"a", 3000, 4.0, "", 0}, {"b", 3000, 5.0, "", 0}}};
  p = &more;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  store_.reset();
  EXPECT_EQ(One("SELECT sum(n) FROM point_log"), "2");
  store_ = std::move(factory_.Open()).value();
  auto pts = store_->QueryMeasurements({pre_, "a"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 2u);
  EXPECT_EQ((*pts)[1].value, 4.0);
}

// A write of many points per module goes straight into the chunks, unless the
// log holds points: a logged point merged later would then overwrite the newer
// write. It goes to the log too, after them, and wins.
TEST_F(PgStoreTest, AWriteWhileTheLogHoldsPointsGoesThereTooAndWinsOverThem) {
  WriteBatch first{pre_, {}, {{"m", 60000, 1.0, "", 0}}};
  const WriteBatch* p = &first;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  std::vector<Measurement> day;
  for (int i = 0; i < 50; ++i) day.push_back({"m", 60000LL * (i + 1), 2.0, "", 0});
  WriteBatch second{pre_, {}, day};
  p = &second;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) || ' ' || sum(n) FROM point_log"), "2 51");
  auto pts = store_->QueryMeasurements({pre_, "m"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 50u);
  EXPECT_EQ((*pts)[0].value, 2.0);
  // The log empty, the same write goes to the chunks directly, and wins too.
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "0");
  for (Measurement& m : day) m.value = 3.0;
  WriteBatch third{pre_, {}, day};
  p = &third;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "0");
  EXPECT_EQ(store_->QueryMeasurements({pre_, "m"})->at(0).value, 3.0);
}

// Without any read, the node merges what it logged within a few seconds
// (PgStore::kCompactEvery): the log stays short under a steady load.
TEST_F(PgStoreTest, TheLogIsMergedInTheBackground) {
  WriteBatch b{pre_, {}, {{"a", 1000, 1.0, "", 0}, {"b", 1000, 2.0, "", 0}}};
  const WriteBatch* p = &b;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "1");
  const auto deadline = std::chrono::steady_clock::now() + PgStore::kCompactEvery * 5;
  while (One("SELECT count(*) FROM point_log") != "0" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(One("SELECT count(*) FROM point_log"), "0");
  EXPECT_EQ(One("SELECT sum(n) FROM chunks"), "2");
}

// A database of schema v2 with measurements in it (format-1 chunks, modules
// without their extents), as a binary of that time left it: opening it runs
// v3 (extents from the chunks) and v4 (chunks re-encoded) over that data.
TEST_F(PgStoreTest, SchemaTwoWithDataMigratesToTheLatest) {
  std::vector<Measurement> ms;
  for (int i = 0; i < 450; ++i) ms.push_back({"m.1", 10000 + i * 600000LL, 1000 + i * 0.125, "", i % 3});
  ms.push_back({"m.2", 5000, 1.0, "", 0});
  ms.push_back({"m.2", 9000, -std::numeric_limits<double>::infinity(), "", 0});
  ms.push_back({"m.3", 7000, std::numeric_limits<double>::quiet_NaN(), "", 0});
  WriteBatch b{pre_, {}, ms};
  const WriteBatch* p = &b;
  ASSERT_TRUE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  ASSERT_TRUE(store_->Sync().ok());
  store_.reset();
  // Back to v2: each chunk written again in format 1, the v3 columns gone.
  PGresult* r = PQexecParams(conn_, "SELECT module_id, start_ts, data FROM chunks", 0, nullptr, nullptr, nullptr, nullptr, 1);
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  ASSERT_GE(PQntuples(r), 4);
  auto be64 = [](const char* b) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(b[i]);
    return static_cast<int64_t>(v);
  };
  for (int row = 0; row < PQntuples(r); ++row) {
    const int64_t start = be64(PQgetvalue(r, row, 1));
    std::vector<SeriesPoint> points;
    ASSERT_TRUE(DecodeChunk(start, std::string_view(PQgetvalue(r, row, 2), PQgetlength(r, row, 2)), points).ok());
    std::string v1;
    EpochMs prev = start;
    for (const SeriesPoint& pt : points) {
      AppendPoint(v1, prev, pt);
      prev = pt.ts;
    }
    const std::string module = std::to_string(be64(PQgetvalue(r, row, 0))), at = std::to_string(start);
    const char* values[] = {v1.data(), module.c_str(), at.c_str()};
    const int lengths[] = {static_cast<int>(v1.size()), 0, 0};
    const int formats[] = {1, 0, 0};
    PGresult* u = PQexecParams(conn_, "UPDATE chunks SET data = $1 WHERE module_id = $2 AND start_ts = $3", 3, nullptr,
                               values, lengths, formats, 0);
    ASSERT_EQ(PQresultStatus(u), PGRES_COMMAND_OK) << PQresultErrorMessage(u);
    EXPECT_STREQ(PQcmdTuples(u), "1");
    PQclear(u);
  }
  PQclear(r);
  EXPECT_EQ(One("SELECT count(*) FROM chunks WHERE get_byte(data, 0) = 2"), "0");  // format 1 everywhere
  ASSERT_EQ(One("ALTER TABLE modules DROP COLUMN first_ms, DROP COLUMN last_ms, DROP COLUMN last_value, "
                "DROP COLUMN last_quality"), "error");  // a command: no rows
  ASSERT_EQ(One("DROP TABLE envelope_versions"), "error");  // v5's table: a v2 database has none
  ASSERT_EQ(One("DROP TABLE point_log"), "error");          // v6's, which also drops frames' trigger on scopes
  ASSERT_EQ(One("ALTER TABLE frames ADD CONSTRAINT frames_scope_id_fkey FOREIGN KEY (scope_id) REFERENCES scopes(id)"),
            "error");
  ASSERT_EQ(One("UPDATE telecollect_schema SET version = 2"), "error");

  auto reopened = factory_.Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(One("SELECT version FROM telecollect_schema"), std::to_string(PgStore::kSchemaVersion));
  EXPECT_EQ(One("SELECT count(*) FROM pg_constraint WHERE conname = 'frames_scope_id_fkey'"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM chunks WHERE get_byte(data, 0) <> 2"), "0");  // v4: all in format 2
  MeasurementQuery q{pre_, "m.1"};
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok()) << pts.status().ToString();
  ASSERT_EQ(pts->size(), 450u);
  for (int i = 0; i < 450; ++i) {
    ASSERT_EQ((*pts)[i].ts, 10000 + i * 600000LL);
    ASSERT_EQ((*pts)[i].value, 1000 + i * 0.125);
    ASSERT_EQ((*pts)[i].quality, i % 3);
  }
  // v3: first time and latest point of each module, from the chunks.
  auto mods = store_->ListModules(pre_, "", "", 10);
  ASSERT_TRUE(mods.ok());
  ASSERT_EQ(mods->size(), 3u);
  EXPECT_EQ((*mods)[0].first_seen, 10000);
  ASSERT_TRUE((*mods)[0].last);
  EXPECT_EQ((*mods)[0].last->ts, 10000 + 449 * 600000LL);
  EXPECT_EQ((*mods)[0].last->value, 1000 + 449 * 0.125);
  EXPECT_EQ((*mods)[0].last->quality, 449 % 3);
  EXPECT_EQ((*mods)[1].first_seen, 5000);
  ASSERT_TRUE((*mods)[1].last);
  EXPECT_EQ((*mods)[1].last->ts, 9000);
  EXPECT_EQ((*mods)[1].last->value, -std::numeric_limits<double>::infinity());
  ASSERT_TRUE((*mods)[2].last);
  EXPECT_TRUE(std::isnan((*mods)[2].last->value));
}

// A group's COMMIT is left in flight by Write(); when PostgreSQL refuses it
// (here a deferred constraint trigger that raises at commit, as a deferred
// foreign key or a standby gone mid-commit would), Sync() says so, nothing of
// the group is in the database, and the store has not taken the refused
// group's new scope and module for existing: once the cause is gone, the same
// write stores everything.
TEST_F(PgStoreTest, ACommitRefusedInFlightFailsSyncAndLeavesNothing) {
  ASSERT_EQ(One("CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"), "error");  // a command: no rows
  ASSERT_EQ(One("CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON modules DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()"), "error");
  const EpochMs t = 1701388800000;  // 2023-12-01T00:00Z
  WriteBatch b{pre_, {MakeFrame("dev-1", t, {1, 2, 3}, {{"dev-1.temperature", t, 21.5, "Cel", 0}})},
               {{"m", t, 1.0, "", 0}, {"m", t + 600000, 2.0, "", 0}}};
  const WriteBatch* p = &b;
  auto written = store_->Write(std::span<const WriteBatch* const>(&p, 1));
  // The statements ran; the trigger fires only at COMMIT, which Write() sends and does not wait for.
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_EQ((*written)[0].frames_new, 1u);
  const Status synced = store_->Sync();
  ASSERT_FALSE(synced.ok()) << "Sync() returned OK though the group's COMMIT was refused";
  EXPECT_NE(synced.message().find("refused at commit"), std::string::npos) << synced.ToString();
  EXPECT_TRUE(store_->Sync().ok());  // reported once
  EXPECT_EQ(One("SELECT count(*) FROM frames"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM modules"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM chunks"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM scopes"), "0");
  EXPECT_EQ(store_->QueryMeasurements({pre_, "m"}).status().code(), StatusCode::kNotFound);  // no such module

  ASSERT_EQ(One("DROP TRIGGER refuse_at_commit ON modules"), "error");
  written = store_->Write(std::span<const WriteBatch* const>(&p, 1));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ((*written)[0].frames_new, 1u);  // not a duplicate of the refused group
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(One("SELECT count(*) FROM frames"), "1");
  EXPECT_EQ(One("SELECT count(*) FROM modules"), "2");
  MeasurementQuery q{pre_, "m"};
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok()) << pts.status().ToString();
  ASSERT_EQ(pts->size(), 2u);
  EXPECT_EQ((*pts)[1].value, 2.0);
}

// The group committer hands a group to its syncer after the group's COMMIT
// is sent: a Sync begun in between waits for that COMMIT too. Its failure
// belongs to the SyncThrough that covers its number, never to the earlier
// one (which would report it to groups that did commit, and leave the failed
// group to be acknowledged by the next).
TEST_F(PgStoreTest, AFailedCommitIsReportedByTheSyncThroughThatCoversItNotByAnEarlierOne) {
  ASSERT_EQ(One("CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN IF NEW.name = 'bad' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$"),
            "error");  // a command: no rows
  ASSERT_EQ(One("CREATE CONSTRAINT TRIGGER refuse_bad AFTER INSERT ON modules DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW EXECUTE FUNCTION refuse_bad()"), "error");
  const EpochMs t = 1701388800000;
  WriteBatch good{pre_, {}, {{"good", t, 1.0, "", 0}}};
  WriteBatch bad{pre_, {}, {{"bad", t, 2.0, "", 0}}};
  const WriteBatch* g = &good;
  const WriteBatch* b = &bad;
  auto first = store_->Write(std::span<const WriteBatch* const>(&g, 1));
  auto second = store_->Write(std::span<const WriteBatch* const>(&b, 1));
  ASSERT_TRUE(first.ok() && second.ok());
  const uint64_t first_commit = (*first)[0].commit, second_commit = (*second)[0].commit;
  ASSERT_GT(first_commit, 0u);
  ASSERT_GT(second_commit, first_commit);
  const Status earlier = store_->SyncThrough(first_commit);
  EXPECT_TRUE(earlier.ok()) << "the first group committed; the second's failure is not its: " << earlier.ToString();
  const Status covering = store_->SyncThrough(second_commit);
  ASSERT_FALSE(covering.ok()) << "the second group's refused COMMIT was never reported: it would be acknowledged";
  EXPECT_NE(covering.message().find("refused at commit"), std::string::npos) << covering.ToString();
  EXPECT_TRUE(store_->SyncThrough(second_commit).ok());  // reported once
  EXPECT_EQ(One("SELECT count(*) FROM modules WHERE name = 'good'"), "1");
  EXPECT_EQ(One("SELECT count(*) FROM modules WHERE name = 'bad'"), "0");
}

TEST_F(PgStoreTest, ATakeoverWhileAFencedWindowIsWrittenAbortsIt) {
  auto a = store_->TryLease("connector:c", "node-a", 1000, 1000);
  ASSERT_TRUE(a.ok() && *a);
  auto other = factory_.Open();  // node-b
  ASSERT_TRUE(other.ok());
  const std::vector<ModuleDef> modules{{"m.1", "W"}};
  Status taken;
  auto produce = [&](ReadingWriter& w) -> Status {
    TC_RETURN_IF_ERROR(w.Add(modules, std::vector<Reading>{{0, 1000, 1.0}}));
    // node-a stalled past its ttl, in the middle of its transaction: node-b takes over.
    auto b = (*other)->TryLease("connector:c", "node-b", 2500, 1000);
    taken = b.ok() && *b ? Status::Ok() : Status::Internal("not taken over: " + b.status().ToString());
    return Status::Ok();
  };
  Status s = store_->ImportWindow(pre_, "c", "watermark:1", "2000", produce, Fence{"connector:c", "node-a", **a});
  ASSERT_TRUE(taken.ok()) << taken.ToString();
  EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
  EXPECT_EQ(*store_->GetState("c", "watermark:1"), std::nullopt);
  EXPECT_EQ(store_->ListModules(pre_, "", "", 10)->size(), 0u);
}

TEST_F(PgStoreTest, AStalledFencedCommitHoldsATakeoverUpForTheLockTimeoutOnly) {
  auto a = store_->TryLease("connector:c", "node-a", 1000, 1000);
  ASSERT_TRUE(a.ok() && *a);
  // node-a checked its fence (the lease row read FOR SHARE) and stalled before its COMMIT.
  PQclear(PQexec(conn_, "BEGIN"));
  ASSERT_EQ(One("SELECT holder FROM leases WHERE name = 'connector:c' FOR SHARE"), "node-a");
  const auto start = std::chrono::steady_clock::now();
  auto b = store_->TryLease("connector:c", "node-b", 2500, 1000);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(b.ok());  // waited for the lock, gave up: the scheduler tries again
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_GE(waited, std::chrono::milliseconds(1500));
  PQclear(PQexec(conn_, "ROLLBACK"));  // node-a's session ended (idle_in_transaction_session_timeout, or its COMMIT)
  b = store_->TryLease("connector:c", "node-b", 2500, 1000);
  ASSERT_TRUE(b.ok() && *b) << b.status().ToString();
  EXPECT_GT(**b, **a);
}

// The interleaving the two tests above leave out: node-a's fenced check has
// run and its COMMIT is on its way when node-b's takeover comes. The check
// reads the lease row FOR SHARE, so the takeover's UPDATE waits for that
// COMMIT: the window commits under node-a's token and the takeover after it,
// never before it (a plain read would let the takeover commit first and the
// stale window after it: both committed, the window under a token no longer
// valid). node-a is held at its COMMIT, after the check, by a deferred trigger
// on the watermark that waits for an advisory lock this test holds.
TEST_F(PgStoreTest, ATakeoverDuringAFencedCommitWaitsForIt) {
  auto a = store_->TryLease("connector:c", "node-a", 1000, 1000);
  ASSERT_TRUE(a.ok() && *a);
  auto other = factory_.Open();  // node-b
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(One("CREATE FUNCTION hold_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM set_config('lock_timeout', '5s', true); PERFORM pg_advisory_xact_lock(4242); "
                "RETURN NULL; END $$"),
            "error");  // a command: no rows
  ASSERT_EQ(One("CREATE CONSTRAINT TRIGGER hold_at_commit AFTER INSERT OR UPDATE ON connector_state DEFERRABLE "
                "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_at_commit()"),
            "error");
  ASSERT_EQ(One("SELECT pg_advisory_lock(4242)"), "");
  auto wait_for = [&](const std::string& sql, const std::function<bool()>& done) {
    for (int i = 0; i < 600; ++i) {  // 3 s at most
      if (One(sql) != "0" || (done && done())) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  const std::vector<ModuleDef> modules{{"m.1", "W"}};
  auto window = std::async(std::launch::async, [&] {
    return store_->ImportWindow(
        pre_, "c", "watermark:1", "2000",
        [&](ReadingWriter& w) {
          return w.Add(modules, std::vector<Reading>{{0, 1000, 1.0}});
        },
        Fence{"connector:c", "node-a", **a});
  });
  // node-a checked its fence and waits in its COMMIT.
  wait_for("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", nullptr);
  const bool held = One("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == "1";
  // node-a stalled past its ttl: node-b takes over.
  auto takeover =
      std::async(std::launch::async, [&] { return (*other)->TryLease("connector:c", "node-b", 2500, 1000); });
  auto ready = [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; };
  wait_for("SELECT count(*) FROM pg_locks WHERE locktype IN ('transactionid', 'tuple') AND NOT granted",
           [&] { return ready(takeover); });
  const bool takeover_done_first = ready(takeover);
  One("SELECT pg_advisory_unlock(4242)");
  const Status s = window.get();
  auto b = takeover.get();
  ASSERT_TRUE(held) << "node-a never reached its COMMIT: " << s.ToString();
  EXPECT_FALSE(takeover_done_first && b.ok() && *b && s.ok())
      << "both committed: node-b took the lease over while node-a's fenced transaction was open past its check, "
         "and node-a's window then committed under the old token";
  EXPECT_FALSE(takeover_done_first) << "the takeover did not wait for the fenced COMMIT";
  ASSERT_TRUE(s.ok()) << s.ToString();                 // checked before the takeover: committed
  ASSERT_TRUE(b.ok() && *b) << b.status().ToString();  // then the takeover, after it
  EXPECT_EQ(**b, **a + 1);
  EXPECT_EQ(*store_->GetState("c", "watermark:1"), "2000");
  EXPECT_EQ(One("SELECT holder FROM leases WHERE name = 'connector:c'"), "node-b");
}

// A holder frozen inside a fenced transaction (SIGSTOP, a VM paused) would
// keep the locks it took (its modules', which a takeover's run needs): the
// server ends such a transaction once it has been idle for 10 s.
TEST_F(PgStoreTest, AFencedTransactionLeftIdleIsEndedByTheServer) {
  auto a = store_->TryLease("connector:c", "node-a", 1000, 1000);
  ASSERT_TRUE(a.ok() && *a);
  const std::vector<ModuleDef> modules{{"m.1", "W"}};
  auto frozen = [&](ReadingWriter& w) -> Status {
    TC_RETURN_IF_ERROR(w.Add(modules, std::vector<Reading>{{0, 1000, 1.0}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(10500));  // nothing sent meanwhile
    return Status::Ok();
  };
  Status s = store_->ImportWindow(pre_, "c", "watermark:1", "2000", frozen, Fence{"connector:c", "node-a", **a});
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsLeaseLost(s)) << s.ToString();  // ended by the server, not refused by the fence
  Result<std::optional<std::string>> mark = Status::Unavailable("not asked yet");
  for (int i = 0; i < 50 && !mark.ok(); ++i) {  // the store reconnects after the lost connection
    mark = store_->GetState("c", "watermark:1");
    if (!mark.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(mark.ok()) << mark.status().ToString();
  EXPECT_EQ(*mark, std::nullopt);
  EXPECT_EQ(One("SELECT count(*) FROM modules"), "0");
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

// A group whose COMMIT fails (here a deferred constraint, checked at COMMIT;
// in production the server going away) is never acknowledged, even when a
// read waits for that commit before the group committer's own Sync does.
// Regression: the failure, noted by the read, was reported to the Sync of an
// earlier group and cleared, and the failed group's Sync then answered ok.
TEST_F(PgStoreTest, AGroupWhoseCommitFailsIsNeverAcknowledged) {
  ASSERT_EQ(One("CREATE FUNCTION tc_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.device_id LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned frame'; END IF; RETURN NULL; END $$"),
            "error");  // a command: no rows
  ASSERT_EQ(One("CREATE CONSTRAINT TRIGGER tc_poison AFTER INSERT ON frames DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW EXECUTE FUNCTION tc_poison()"),
            "error");
  GroupCommitter committer(*store_, 100000, 100000);
  std::atomic<bool> stop{false};
  std::thread reader([&] {  // reads wait for the commits in flight too
    while (!stop) (void)store_->QueryFrames(FrameQuery{pre_, {}, {}, {}, {}, {}, {}, {}, 1});
  });
  constexpr int kThreads = 4, kPerThread = 400;
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> answered{0}, poisoned_acked{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const bool poison = i % 3 == 1;
        std::string device = (poison ? "poison-" : "good-") + std::to_string(t) + "-" + std::to_string(i);
        WriteBatch b{pre_, {MakeFrame(device, 1000 + i, {uint8_t(i)})}, {}};
        std::promise<void> done;
        Status s = committer.Submit(std::move(b), [&, device, poison](Result<WriteResult> r) {
          if (r.ok()) {
            if (poison) ++poisoned_acked;
            std::lock_guard<std::mutex> lock(mu);
            acked.push_back(device);
          }
          ++answered;
          done.set_value();
        });
        ASSERT_TRUE(s.ok());
        done.get_future().wait();
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  committer.Stop();
  EXPECT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(poisoned_acked.load(), 0) << "groups acknowledged although their COMMIT failed";
  EXPECT_EQ(One("SELECT count(*) FROM frames WHERE device_id LIKE 'poison%'"), "0");
  // Every group acknowledged is stored.
  std::string missing;
  for (const std::string& d : acked) {
    if (One("SELECT count(*) FROM frames WHERE device_id = '" + d + "'") != "1") missing += d + " ";
  }
  EXPECT_EQ(missing, "");
  EXPECT_GT(acked.size(), 0u);
}

// A session the server ends (pg_terminate_backend, a timeout) costs at most
// the call that was using it, not an outage: idle connections it closed are
// dropped before use, and after a connection lost in use the next call
// connects at once.
TEST_F(PgStoreTest, SessionsEndedByTheServerCostNoOutage) {
  const std::string kill_all =
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'telecollect' "
      "AND datname = current_database()";
  ASSERT_TRUE(store_->ListScopes().ok());  // a connection in the pool
  ASSERT_NE(One(kill_all), "0");
  for (int i = 0; i < 100 && One("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'telecollect' "
                                 "AND datname = current_database()") != "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto after_idle = store_->ListScopes();
  EXPECT_TRUE(after_idle.ok()) << after_idle.status().ToString();
  EXPECT_TRUE(store_->Health().reachable);
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(store_->ListScopes().ok());  // a connection in the pool
    ASSERT_NE(One(kill_all), "0");  // not waited for: the next call may find its connection dying
    auto r = store_->ListScopes();
    if (!r.ok()) {
      EXPECT_TRUE(IsStoreUnreachable(r.status())) << r.status().ToString();
    }
    auto again = store_->ListScopes();
    EXPECT_TRUE(again.ok()) << "round " << round << ": " << again.status().ToString();
    EXPECT_TRUE(store_->Health().reachable);
  }
}

}  // namespace
}  // namespace telecollect::store
