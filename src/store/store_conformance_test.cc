// The store conformance suite: every test runs against every backend
// (store_test_backends.h): SQLite always, PostgreSQL under tests/pg_server.py
// (ctest: store_pg_test). What one backend promises, every backend keeps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "store/store_conformance.h"

namespace telecollect::store {
namespace {

TEST_P(StoreConformanceTest, TokensAreFoundByHashAndRevoked) {
  TokenRecord t{0, pre_, "label", HashToken("secret"), 1000, {}};
  auto id = store_->CreateToken(t);
  ASSERT_TRUE(id.ok());
  auto found = store_->FindToken(HashToken("secret"));
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->scope, pre_);
  EXPECT_FALSE((*found)->revoked_at);
  EXPECT_FALSE(store_->FindToken(HashToken("other"))->has_value());
  EXPECT_EQ(store_->ListTokens(std::nullopt)->size(), 1u);
  EXPECT_EQ(store_->ListTokens(std::string("nobody"))->size(), 0u);
  ASSERT_TRUE(store_->RevokeToken(TokenFingerprint(HashToken("secret")), 2000).ok());
  EXPECT_EQ((*store_->FindToken(HashToken("secret")))->revoked_at, 2000);
  EXPECT_EQ(store_->RevokeToken(std::to_string(*id), 3000).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, AllDigitFingerprintIsNotMistakenForAnId) {  // regression
  TokenRecord t{0, pre_, "", {}, 1000, {}};
  t.hash.fill(0);
  t.hash[0] = 0x71, t.hash[1] = 0x13, t.hash[2] = 0x06, t.hash[3] = 0x38;
  ASSERT_TRUE(store_->CreateToken(t).ok());
  ASSERT_EQ(TokenFingerprint(t.hash), "71130638");
  ASSERT_TRUE(store_->RevokeToken("71130638", 2000).ok());
  EXPECT_EQ((*store_->FindToken(t.hash))->revoked_at, 2000);
}

TEST_P(StoreConformanceTest, SameFrameTwiceIsStoredOnce) {
  WriteBatch b{pre_, {MakeFrame("dev1", 1000, {1, 2}, {{"dev1.t", 1000, 21.5, "°C", 0}})}, {}};
  WriteResult first = WriteOne(b);
  EXPECT_EQ(first.frames_new, 1u);
  EXPECT_EQ(first.measurements_written, 1u);
  WriteResult second = WriteOne(b);
  EXPECT_EQ(second.frames_new, 0u);
  EXPECT_EQ(second.frames_duplicate, 1u);
  EXPECT_TRUE(second.duplicate[0]);
  // Different payload, time or scope: a different frame.
  b.frames[0].frame.payload = {1, 3};
  EXPECT_EQ(WriteOne(b).frames_new, 1u);
  b.scope = prod_;
  EXPECT_EQ(WriteOne(b).frames_new, 1u);
  FrameQuery q;
  q.scope = pre_;
  EXPECT_EQ(store_->QueryFrames(q)->size(), 2u);
}

TEST_P(StoreConformanceTest, MeasurementsUpsertLastWriteWins) {
  WriteOne({pre_, {}, {{"m", 1000, 1.0, "kWh", 0}, {"m", 2000, 2.0, "kWh", 0}}});
  WriteOne({pre_, {}, {{"m", 2000, 5.0, "kWh", 0}}});
  MeasurementQuery q;
  q.scope = pre_;
  q.module = "m";
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 2u);
  EXPECT_EQ((*pts)[1].value, 5.0);
  // Preprod data is invisible from prod.
  q.scope = prod_;
  EXPECT_EQ(store_->QueryMeasurements(q).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, LaterWriteOfOnePointWinsWithinOneTransaction) {
  WriteBatch a{pre_, {}, {{"m", 1000, 1.0, "", 0}, {"n", 1000, 7.0, "", 0}}};
  WriteBatch b{pre_, {}, {{"m", 1000, 2.0, "", 0}}};
  const WriteBatch* both[] = {&a, &b};
  ASSERT_TRUE(store_->Write(both).ok());
  MeasurementQuery q;
  q.scope = pre_;
  q.module = "m";
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_EQ(pts->size(), 1u);
  EXPECT_EQ((*pts)[0].value, 2.0);
}

// Few modules, many points each (a device's backlog), interleaved and partly
// out of time order: every module's points come back in time order, and of two
// writes of one instant in the transaction the later wins.
TEST_P(StoreConformanceTest, ManyPointsOfFewModulesInOneTransaction) {
  WriteBatch batch{pre_, {}, {}};
  const int64_t times[] = {5, 1, 9, 3, 7, 2, 8, 4, 6, 10};
  for (int64_t t : times) {
    for (const char* m : {"c", "a", "b"}) batch.measurements.push_back({m, t * 1000, double(t), "", 0});
  }
  batch.measurements.push_back({"b", 3000, -3.0, "", 0});  // after the first write of b at 3 s
  const WriteBatch* one[] = {&batch};
  ASSERT_TRUE(store_->Write(one).ok());
  for (const char* m : {"a", "b", "c"}) {
    MeasurementQuery q;
    q.scope = pre_;
    q.module = m;
    q.agg = Aggregate::kNone;
    auto pts = store_->QueryMeasurements(q);
    ASSERT_TRUE(pts.ok()) << m;
    ASSERT_EQ(pts->size(), 10u) << m;
    for (size_t i = 0; i < pts->size(); ++i) {
      EXPECT_EQ((*pts)[i].ts, static_cast<int64_t>(i + 1) * 1000) << m;
      EXPECT_EQ((*pts)[i].value, std::string(m) == "b" && i == 2 ? -3.0 : double(i + 1)) << m << " " << i;
    }
  }
}

TEST_P(StoreConformanceTest, AggregatesByStep) {
  std::vector<Measurement> ms;
  for (int i = 0; i < 12; ++i) ms.push_back({"m", 600000LL * i, double(i), "", 0});  // every 10 min, 2 h
  WriteOne({pre_, {}, ms});
  MeasurementQuery q;
  q.scope = pre_;
  q.module = "m";
  q.step_ms = 3600000;
  struct Case { Aggregate agg; double first, second; } cases[] = {
      {Aggregate::kAvg, 2.5, 8.5}, {Aggregate::kMin, 0, 6}, {Aggregate::kMax, 5, 11},
      {Aggregate::kSum, 15, 51},   {Aggregate::kLast, 5, 11}, {Aggregate::kCount, 6, 6}};
  for (const auto& c : cases) {
    q.agg = c.agg;
    auto pts = store_->QueryMeasurements(q);
    ASSERT_TRUE(pts.ok());
    ASSERT_EQ(pts->size(), 2u);
    EXPECT_EQ((*pts)[0].ts, 0);
    EXPECT_EQ((*pts)[1].ts, 3600000);
    EXPECT_DOUBLE_EQ((*pts)[0].value, c.first);
    EXPECT_DOUBLE_EQ((*pts)[1].value, c.second);
  }
  q.from = 3600000;
  q.to = 7200000;
  q.agg = Aggregate::kCount;
  EXPECT_EQ((*store_->QueryMeasurements(q)).size(), 1u);
}

TEST_P(StoreConformanceTest, FrameQueryFiltersAndPages) {
  WriteBatch b{pre_, {}, {}};
  for (int i = 0; i < 10; ++i) b.frames.push_back(MakeFrame(i % 2 ? "odd" : "even", 1000 * i, {uint8_t(i)}));
  b.frames[3].status = DecodeStatus::kFailed;
  b.frames[3].reason = "too short";
  WriteOne(b);
  FrameQuery q;
  q.scope = pre_;
  q.limit = 3;
  auto page1 = store_->QueryFrames(q);
  ASSERT_EQ(page1->size(), 3u);
  EXPECT_EQ((*page1)[0].frame.event_time, 9000);  // newest first
  q.before_id = page1->back().id;
  auto page2 = store_->QueryFrames(q);
  ASSERT_EQ(page2->size(), 3u);
  EXPECT_EQ((*page2)[0].frame.event_time, 6000);
  q = FrameQuery{};
  q.scope = pre_;
  q.device_id = "odd";
  EXPECT_EQ(store_->QueryFrames(q)->size(), 5u);
  q.status = DecodeStatus::kFailed;
  auto failed = store_->QueryFrames(q);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].reason, "too short");
  q = FrameQuery{};
  q.scope = pre_;
  q.from = 2000;
  q.to = 5000;
  EXPECT_EQ(store_->QueryFrames(q)->size(), 3u);
}

TEST_P(StoreConformanceTest, RedecodeUpdatesStatusAndWritesMeasurements) {
  WriteOne({pre_, {MakeFrame("d", 1000, {7})}, {}});
  FrameQuery q;
  q.scope = pre_;
  auto frames = store_->QueryFrames(q);
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].status, DecodeStatus::kNoDecoder);
  Redecoded r{(*frames)[0].id, DecodeStatus::kDecoded, "", {{"d.x", 1000, 7, "", 0}}, "t"};
  ASSERT_TRUE(store_->Redecode(pre_, std::span<const Redecoded>(&r, 1)).ok());
  EXPECT_EQ((*store_->QueryFrames(q))[0].status, DecodeStatus::kDecoded);
  auto mods = store_->ListModules(pre_, "d.", "", 10);
  ASSERT_EQ(mods->size(), 1u);
  EXPECT_EQ((*mods)[0].name, "d.x");
  EXPECT_EQ(store_->ListModules(pre_, "x", "", 10)->size(), 0u);
  EXPECT_EQ(store_->ListModules(pre_, std::string_view(), std::string_view(), 10)->size(), 1u);  // regression: null view bound as NULL
}

TEST_P(StoreConformanceTest, DevicesUpsertAndListByPrefix) {
  std::vector<Device> ds = {{"A1", "dragino-lht65", "room 12", ""}, {"A2", "", "", "{devicetype}.{field}"},
                            {"B1", "x", "", ""}};
  ASSERT_TRUE(store_->UpsertDevices(pre_, ds).ok());
  std::vector<Device> again = {{"A1", "netvox-r718a", "room 13", ""}};
  ASSERT_TRUE(store_->UpsertDevices(pre_, again).ok());
  auto a = store_->ListDevices(pre_, "A", 10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].device_type, "netvox-r718a");
  EXPECT_EQ((*a)[0].label, "room 13");
  EXPECT_EQ((*a)[1].module_template, "{devicetype}.{field}");
  EXPECT_EQ(store_->ListDevices(prod_, "", 10)->size(), 0u);
}

TEST_P(StoreConformanceTest, ReopenKeepsDataAndSchema) {
  WriteOne({pre_, {}, {{"m", 1000, 1.0, "", 0}}});
  store_.reset();
  auto again = OpenAgain();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ListModules(pre_, "", "", 10)->size(), 1u);
  EXPECT_EQ((*again)->ListScopes()->size(), 1u);
}

TEST_P(StoreConformanceTest, ImportWindowCommitsReadingsAndStateTogether) {
  const std::vector<ModuleDef> modules{{"meter.1", "W"}};
  auto add = [&](std::vector<Reading> rs) {
    return [&modules, rs](ReadingWriter& w) { return w.Add(modules, rs); };
  };
  ASSERT_TRUE(store_->ImportWindow(pre_, "enedis", "watermark:1", "2000", add({{0, 1000, 5.0}, {0, 2000, 6.0}}), std::nullopt).ok());
  EXPECT_EQ(*store_->GetState("enedis", "watermark:1"), std::optional<std::string>("2000"));
  // A failing producer rolls back its readings and leaves the state alone.
  auto failing = [&](ReadingWriter& w) -> Status {
    TC_RETURN_IF_ERROR(w.Add(modules, std::vector<Reading>{{0, 3000, 7.0}}));
    return Status::Unavailable("page 2 failed");
  };
  EXPECT_FALSE(store_->ImportWindow(pre_, "enedis", "watermark:1", "3000", failing, std::nullopt).ok());
  EXPECT_EQ(*store_->GetState("enedis", "watermark:1"), std::optional<std::string>("2000"));
  MeasurementQuery q{pre_, "meter.1"};
  EXPECT_EQ(store_->QueryMeasurements(q)->size(), 2u);
  // A corrected value in a later window: upserted, not doubled.
  ASSERT_TRUE(store_->ImportWindow(pre_, "enedis", "watermark:1", "2000", add({{0, 2000, 6.5}}), std::nullopt).ok());
  auto points = store_->QueryMeasurements(q);
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[1].value, 6.5);
  EXPECT_EQ(*store_->GetState("enedis", "other"), std::optional<std::string>());
  ASSERT_TRUE(store_->PutState("enedis", "refresh_token", "r2", std::nullopt).ok());
  EXPECT_EQ(*store_->GetState("enedis", "refresh_token"), std::optional<std::string>("r2"));
}

TEST_P(StoreConformanceTest, AnotherConnectionsWritesAreNotOverwritten) {
  // `serve` keeps each module's last chunk in memory; a CLI import on the same
  // file appends to it meanwhile. The next write must start from what is stored.
  // (A write is certain to be seen by another store once Sync() returned, as
  // the group committer does before acknowledging it.)
  auto other = OpenAgain();
  ASSERT_TRUE(other.ok());
  auto write = [&](Store& s, EpochMs ts) {
    WriteBatch b{pre_, {}, {{"m.1", ts, double(ts), "", 0}}};
    const WriteBatch* p = &b;
    ASSERT_TRUE(s.Write(std::span<const WriteBatch* const>(&p, 1)).ok());
    ASSERT_TRUE(s.Sync().ok());
  };
  write(*store_, 1000);
  write(**other, 2000);
  write(*store_, 3000);
  write(**other, 4000);
  auto pts = store_->QueryMeasurements({pre_, "m.1"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 4u);
  EXPECT_EQ((*pts)[1].ts, 2000);
  EXPECT_EQ((*pts)[3].ts, 4000);
}

TEST_P(StoreConformanceTest, ARolledBackImportLeavesNoPoints) {
  const std::vector<ModuleDef> modules{{"meter.1", "W"}};
  std::vector<Reading> many;
  for (int i = 0; i < 300000; ++i) many.push_back({0, 1000 + i, 1.0});  // past the writer's buffer: chunks written
  auto failing = [&](ReadingWriter& w) -> Status {
    TC_RETURN_IF_ERROR(w.Add(modules, many));
    return Status::Unavailable("page 2 failed");
  };
  EXPECT_FALSE(store_->ImportWindow(pre_, "c", "k", "v", failing, std::nullopt).ok());
  auto ok = [&](ReadingWriter& w) { return w.Add(modules, std::vector<Reading>{{0, 500, 2.0}, {0, 400000, 3.0}}); };
  ASSERT_TRUE(store_->ImportWindow(pre_, "c", "k", "v", ok, std::nullopt).ok());
  auto pts = store_->QueryMeasurements({pre_, "meter.1"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 2u);
  EXPECT_EQ((*pts)[1].value, 3.0);
}

TEST_P(StoreConformanceTest, SightingsOfFilesNoLongerListedAreForgotten) {
  // First sightings at t=1000; a later listing holds only b.txt (and another connector's file).
  for (const char* path : {"a.txt", "b.txt", "c.txt"}) ASSERT_EQ(*store_->NoteSighting("drop", path, 10, 5, 1000), 1000);
  ASSERT_EQ(*store_->NoteSighting("other", "a.txt", 10, 5, 1000), 1000);
  ASSERT_TRUE(store_->ForgetSightingsExcept("drop", {"b.txt", "new.txt"}).ok());
  // Unchanged and still listed: still first seen at 1000. Vanished ones start again.
  EXPECT_EQ(*store_->NoteSighting("drop", "b.txt", 10, 5, 2000), 1000);
  EXPECT_EQ(*store_->NoteSighting("drop", "a.txt", 10, 5, 2000), 2000);
  EXPECT_EQ(*store_->NoteSighting("drop", "c.txt", 10, 5, 2000), 2000);
  EXPECT_EQ(*store_->NoteSighting("other", "a.txt", 10, 5, 2000), 1000);  // another connector's: kept
  // An empty listing forgets them all (and twice in a row is fine).
  ASSERT_TRUE(store_->ForgetSightingsExcept("drop", {}).ok());
  ASSERT_TRUE(store_->ForgetSightingsExcept("drop", {}).ok());
  EXPECT_EQ(*store_->NoteSighting("drop", "b.txt", 10, 5, 3000), 3000);
}

// Files imported to be durable at the next Sync (telecollect import of many
// files): each one its own transaction, all there for another store once synced.
TEST_P(StoreConformanceTest, FilesDurableAtTheNextSyncAreAllThereAfterIt) {
  const std::vector<ModuleDef> modules{{"pdl.1", "kWh"}};
  for (int f = 0; f < 3; ++f) {
    auto done = store_->ImportFile(
        pre_,
        [&](ReadingWriter& w) -> Result<FileRecord> {
          std::vector<Reading> readings;
          for (int i = 0; i < 300; ++i) readings.push_back({0, (f * 300 + i) * 1000LL, f * 300.0 + i});
          TC_RETURN_IF_ERROR(w.Add(modules, readings));
          FileRecord r;
          r.scope = pre_;
          r.connector = "cli";
          r.path = "f" + std::to_string(f) + ".csv";
          r.size = 10;
          r.mtime_ms = 5;
          r.sha256 = "sha" + std::to_string(f);
          r.status = "imported";
          r.rows = r.readings = 300;
          r.report_json = "{}";
          r.at = 3000;
          return r;
        },
        Durability::kAtNextSync, std::nullopt);
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    EXPECT_FALSE(done->duplicate);
  }
  ASSERT_TRUE(store_->Sync().ok());
  auto other = OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  MeasurementQuery q{pre_, "pdl.1"};
  q.agg = Aggregate::kNone;
  auto pts = (*other)->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 900u);
  EXPECT_EQ(pts->back().value, 899.0);
  for (int f = 0; f < 3; ++f) EXPECT_TRUE((*other)->FindFile("cli", "f" + std::to_string(f) + ".csv", 10, 5)->has_value());
}

TEST_P(StoreConformanceTest, TheSameFileContentTwiceIsADuplicate) {
  const std::vector<ModuleDef> modules{{"pdl.1", "kWh"}};
  auto produce = [&](std::string path, std::string sha) {
    return [&modules, path, sha, this](ReadingWriter& w) -> Result<FileRecord> {
      TC_RETURN_IF_ERROR(w.Add(modules, std::vector<Reading>{{0, 1000, 1.0}, {0, 2000, 2.0}}));
      FileRecord r;
      r.scope = pre_;
      r.connector = "drop";
      r.path = path;
      r.size = 10;
      r.mtime_ms = 5;
      r.sha256 = sha;
      r.status = "imported";
      r.rows = 2;
      r.readings = 2;
      r.report_json = "{}";
      r.at = 3000;
      return r;
    };
  };
  auto first = store_->ImportFile(pre_, produce("a.csv", "aa"), Durability::kOnReturn, std::nullopt);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->duplicate);
  auto again = store_->ImportFile(pre_, produce("renamed.csv", "aa"), Durability::kOnReturn, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->record.id, first->record.id);
  EXPECT_EQ(again->record.path, "a.csv");
  EXPECT_FALSE(store_->ImportFile(prod_, produce("a.csv", "aa"), Durability::kOnReturn, std::nullopt)->duplicate);  // another scope
  auto found = store_->FindFile("drop", "a.csv", 10, 5);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->sha256, "aa");
  EXPECT_FALSE(store_->FindFile("drop", "a.csv", 11, 5)->has_value());
  FileRecord rejected;
  rejected.scope = pre_;
  rejected.connector = "drop";
  rejected.path = "bad.csv";
  rejected.status = "rejected";
  rejected.errors = 3;
  rejected.report_json = "{}";
  ASSERT_TRUE(store_->RecordFile(rejected, std::nullopt).ok());
  FileQuery q;
  q.scope = pre_;
  auto files = store_->ListFiles(q);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "bad.csv");  // newest first
  EXPECT_EQ((*files)[0].errors, 3);
  q.connector = "elsewhere";
  EXPECT_EQ(store_->ListFiles(q)->size(), 0u);
  auto pts = store_->QueryMeasurements({pre_, "pdl.1"});
  ASSERT_TRUE(pts.ok());
  EXPECT_EQ(pts->size(), 2u);
}

TEST_P(StoreConformanceTest, RunsAreStartedFinishedAndListedNewestFirst) {
  RunRecord run;
  run.connector = "drop";
  run.started = 1000;
  auto id = store_->StartRun(run);
  ASSERT_TRUE(id.ok());
  run.id = *id;
  run.finished = 2000;
  run.status = "ok";
  run.files_imported = 3;
  run.windows = 2;
  run.message = "done";
  ASSERT_TRUE(store_->FinishRun(run).ok());
  run.started = 3000;
  ASSERT_TRUE(store_->StartRun(run).ok());
  auto runs = store_->ListRuns(std::string("drop"), 10, std::nullopt);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].status, "ok");  // the second run, started with status "ok" given
  EXPECT_EQ((*runs)[1].files_imported, 3);
  EXPECT_EQ((*runs)[1].windows, 2);
  EXPECT_EQ((*runs)[1].message, "done");
  EXPECT_EQ(store_->ListRuns(std::nullopt, 1, std::nullopt)->size(), 1u);
  RunRecord missing = run;
  missing.id = 999999;
  EXPECT_EQ(store_->FinishRun(missing).code(), StatusCode::kNotFound);
}

// Each module's first measurement time and latest point, kept by every way in:
// a push, a file, a pull window; late data changes first_seen, not the latest
// point; a rewrite of the latest instant replaces it; values come back exact.
TEST_P(StoreConformanceTest, ModulesKnowTheirFirstTimeAndLatestPoint) {
  WriteOne({pre_, {MakeFrame("d", 5000, {1}, {{"d.t", 5000, 21.5, "C", 0}})}, {}});
  WriteOne({pre_, {}, {{"d.t", 7000, -3.25, "C", 2}, {"d.t", 6000, 1.0, "C", 0}}});
  WriteOne({pre_, {}, {{"d.t", 1000, 9.0, "C", 0}}});  // late: an earlier first time, the same latest
  const std::vector<ModuleDef> defs{{"f.kwh", "kWh"}, {"w.kwh", "kWh"}};
  auto file = [&](ReadingWriter& w) -> Result<FileRecord> {
    TC_RETURN_IF_ERROR(w.Add(defs, std::vector<Reading>{{0, 86400000, 1e300}, {0, 3600000, 2.0}}));
    FileRecord r;
    r.scope = pre_;
    r.path = "f.csv";
    r.sha256 = "ff";
    r.status = "imported";
    r.report_json = "{}";
    r.at = 999999999;  // import time: not first_seen
    return r;
  };
  ASSERT_TRUE(store_->ImportFile(pre_, file, Durability::kOnReturn, std::nullopt).ok());
  auto window = [&](ReadingWriter& w) {
    return w.Add(defs, std::vector<Reading>{{1, 4000, std::numeric_limits<double>::quiet_NaN()}, {1, 2000, 0.5}});
  };
  ASSERT_TRUE(store_->ImportWindow(pre_, "api", "watermark:w", "4000", window, std::nullopt).ok());
  auto mods = store_->ListModules(pre_, "", "", 10);
  ASSERT_TRUE(mods.ok());
  ASSERT_EQ(mods->size(), 3u);
  const ModuleInfo& t = (*mods)[0];
  EXPECT_EQ(t.name, "d.t");
  EXPECT_EQ(t.first_seen, 1000);
  ASSERT_TRUE(t.last);
  EXPECT_EQ(t.last->ts, 7000);
  EXPECT_EQ(t.last->value, -3.25);
  EXPECT_EQ(t.last->quality, 2);
  EXPECT_EQ((*mods)[1].name, "f.kwh");
  EXPECT_EQ((*mods)[1].first_seen, 3600000);
  EXPECT_EQ((*mods)[1].last->value, 1e300);
  EXPECT_EQ((*mods)[2].first_seen, 2000);
  EXPECT_TRUE(std::isnan((*mods)[2].last->value));
  // The latest instant rewritten: its new value.
  WriteOne({pre_, {}, {{"d.t", 7000, -0.0, "C", 0}}});
  auto again = store_->FindModules(pre_, std::vector<std::string>{"nope", "w.kwh", "d.t"});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 2u);  // in the order asked, the unknown name left out
  EXPECT_EQ((*again)[0].name, "w.kwh");
  EXPECT_EQ((*again)[1].last->ts, 7000);
  EXPECT_EQ((*again)[1].last->value, 0.0);
  EXPECT_TRUE(std::signbit((*again)[1].last->value));
  EXPECT_EQ((*again)[1].last->quality, 0);
  // Kept across a reopen (another process, another node).
  auto other = OpenAgain();
  ASSERT_TRUE(other.ok());
  auto seen = (*other)->FindModules(pre_, std::vector<std::string>{"d.t"});
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].first_seen, 1000);
  EXPECT_EQ((*seen)[0].last->ts, 7000);
  EXPECT_TRUE(store_->FindModules(prod_, std::vector<std::string>{"d.t"})->empty());
}

TEST_P(StoreConformanceTest, ModulesFilesAndRunsPageOn) {
  for (const char* m : {"a.1", "a.2", "a.3", "b.1"}) WriteOne({pre_, {}, {{m, 1000, 1.0, "", 0}}});
  auto page = store_->ListModules(pre_, "a.", "", 2);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[1].name, "a.2");
  auto next = store_->ListModules(pre_, "a.", "a.2", 2);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].name, "a.3");
  for (int i = 0; i < 3; ++i) {
    FileRecord r;
    r.scope = pre_;
    r.path = "f" + std::to_string(i);
    r.status = "rejected";
    r.report_json = "{}";
    ASSERT_TRUE(store_->RecordFile(r, std::nullopt).ok());
    RunRecord run;
    run.connector = "c";
    run.started = 1000 + i;
    ASSERT_TRUE(store_->StartRun(run).ok());
  }
  FileQuery q;
  q.scope = pre_;
  q.limit = 2;
  auto files = store_->ListFiles(q);
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[1].path, "f1");
  q.before_id = (*files)[1].id;
  files = store_->ListFiles(q);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].path, "f0");
  auto runs = store_->ListRuns(std::string("c"), 2, std::nullopt);
  ASSERT_EQ(runs->size(), 2u);
  runs = store_->ListRuns(std::string("c"), 2, (*runs)[1].id);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].started, 1000);
}

TEST_P(StoreConformanceTest, DecoderVersionsAndTypeAliases) {
  DecoderVersion v{pre_, "acme-meter", "1", "spec-1", "", 1000, {}};
  ASSERT_TRUE(store_->PutDecoderVersion(v).ok());
  ASSERT_TRUE(store_->PutDecoderVersion(v).ok());  // the same again: no-op
  DecoderVersion other = v;
  other.spec = "changed";
  EXPECT_EQ(store_->PutDecoderVersion(other).code(), StatusCode::kAlreadyExists);
  v.version = "2";
  v.uploaded_at = 2000;
  ASSERT_TRUE(store_->PutDecoderVersion(v).ok());
  EXPECT_EQ(store_->ActivateDecoderVersion(pre_, "acme-meter", "9", 3000).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->ActivateDecoderVersion(pre_, "acme-meter", "1", 3000).ok());
  ASSERT_TRUE(store_->ActivateDecoderVersion(pre_, "acme-meter", "2", 4000).ok());
  auto active = store_->ListDecoderVersions(pre_, "", true);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].version, "2");
  EXPECT_EQ((*active)[0].activated_at, std::optional<EpochMs>(4000));
  EXPECT_EQ(store_->ListDecoderVersions(std::nullopt, "acme-meter", false)->size(), 2u);
  EXPECT_EQ(store_->ListDecoderVersions(prod_, "", false)->size(), 0u);
  ASSERT_TRUE(store_->ActivateDecoderVersion(pre_, "acme-meter", "", 5000).ok());  // none active
  EXPECT_EQ(store_->ListDecoderVersions(pre_, "", true)->size(), 0u);

  ASSERT_TRUE(store_->PutTypeAlias({pre_, "profile-a", "acme-meter"}).ok());
  ASSERT_TRUE(store_->PutTypeAlias({pre_, "profile-b", "x"}).ok());
  ASSERT_TRUE(store_->PutTypeAlias({pre_, "profile-a", "y"}).ok());  // replaced
  auto aliases = store_->ListTypeAliases(pre_);
  ASSERT_TRUE(aliases.ok());
  ASSERT_EQ(aliases->size(), 2u);
  EXPECT_EQ((*aliases)[0].device_type, "y");
  ASSERT_TRUE(store_->PutTypeAlias({pre_, "profile-b", ""}).ok());  // removed
  EXPECT_EQ(store_->ListTypeAliases(std::nullopt)->size(), 1u);
}

TEST_P(StoreConformanceTest, EnvelopeVersionsPerScope) {
  EnvelopeVersion v{pre_, "acme-gw", "1", "spec-1", 1000, {}};
  ASSERT_TRUE(store_->PutEnvelopeVersion(v).ok());
  ASSERT_TRUE(store_->PutEnvelopeVersion(v).ok());  // the same again: no-op
  EnvelopeVersion other = v;
  other.spec = "changed";
  EXPECT_EQ(store_->PutEnvelopeVersion(other).code(), StatusCode::kAlreadyExists);
  v.version = "2";
  v.uploaded_at = 2000;
  ASSERT_TRUE(store_->PutEnvelopeVersion(v).ok());
  EXPECT_EQ(store_->ActivateEnvelopeVersion(pre_, "acme-gw", "9", 3000).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ActivateEnvelopeVersion(prod_, "acme-gw", "1", 3000).code(), StatusCode::kNotFound);  // other env
  ASSERT_TRUE(store_->ActivateEnvelopeVersion(pre_, "acme-gw", "1", 3000).ok());
  ASSERT_TRUE(store_->ActivateEnvelopeVersion(pre_, "acme-gw", "2", 4000).ok());
  auto active = store_->ListEnvelopeVersions(pre_, "", true);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].version, "2");
  EXPECT_EQ((*active)[0].spec, "spec-1");
  EXPECT_EQ((*active)[0].activated_at, std::optional<EpochMs>(4000));
  EXPECT_EQ(store_->ListEnvelopeVersions(std::nullopt, "acme-gw", false)->size(), 2u);
  EXPECT_EQ(store_->ListEnvelopeVersions(prod_, "", false)->size(), 0u);
  EXPECT_EQ(store_->ListDecoderVersions(pre_, "", false)->size(), 0u);  // not decoders
  ASSERT_TRUE(store_->ActivateEnvelopeVersion(pre_, "acme-gw", "", 5000).ok());  // none active
  EXPECT_EQ(store_->ListEnvelopeVersions(pre_, "", true)->size(), 0u);
  auto other_node = OpenAgain();
  ASSERT_TRUE(other_node.ok());
  EXPECT_EQ((*other_node)->ListEnvelopeVersions(pre_, "acme-gw", false)->size(), 2u);
}

TEST_P(StoreConformanceTest, DeviceRegistryVersionChangesWithEveryUpsert) {
  auto v0 = store_->DeviceRegistryVersion();
  ASSERT_TRUE(v0.ok());
  std::vector<Device> ds = {{"A1", "t", "", ""}};
  ASSERT_TRUE(store_->UpsertDevices(pre_, ds).ok());
  auto other = OpenAgain();  // another process or node sees it
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*(*other)->DeviceRegistryVersion(), *v0);
}

TEST_P(StoreConformanceTest, PointsAcrossMonthsAndChunksComeBackInOrder) {
  // 10-minute readings over two month boundaries, written out of order in
  // three transactions, one overwriting part of another.
  const EpochMs start = 1700000000000;  // 2023-11-14
  std::vector<Measurement> a, b;
  for (int i = 0; i < 9000; ++i) (i % 2 ? a : b).push_back({"m", start + 600000LL * i, double(i), "", 0});
  WriteOne({pre_, {}, b});
  WriteOne({pre_, {}, a});
  std::vector<Measurement> fix;
  for (int i = 4000; i < 4500; ++i) fix.push_back({"m", start + 600000LL * i, -1.0, "", 0});
  WriteOne({pre_, {}, fix});
  MeasurementQuery q{pre_, "m"};
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok()) << pts.status().ToString();
  ASSERT_EQ(pts->size(), 9000u);
  for (int i = 0; i < 9000; ++i) {
    ASSERT_EQ((*pts)[i].ts, start + 600000LL * i) << i;
    ASSERT_EQ((*pts)[i].value, i >= 4000 && i < 4500 ? -1.0 : double(i)) << i;
  }
  q.from = start + 600000LL * 100;
  q.to = start + 600000LL * 200;
  EXPECT_EQ(store_->QueryMeasurements(q)->size(), 100u);
}

TEST_P(StoreConformanceTest, TheSameFrameTwiceInOneGroupIsOneNewAndOneDuplicate) {
  WriteBatch a{pre_, {MakeFrame("d", 1000, {1}, {{"d.x", 1000, 1.0, "", 0}}), MakeFrame("d", 2000, {2})}, {}};
  WriteBatch b{pre_, {MakeFrame("d", 1000, {1}, {{"d.x", 1000, 9.0, "", 0}})}, {}};
  const WriteBatch* both[] = {&a, &b};
  auto r = store_->Write(both);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].frames_new, 2u);
  EXPECT_EQ((*r)[1].frames_new, 0u);
  EXPECT_EQ((*r)[1].frames_duplicate, 1u);
  ASSERT_EQ((*r)[1].duplicate.size(), 1u);
  EXPECT_TRUE((*r)[1].duplicate[0]);
  auto pts = store_->QueryMeasurements({pre_, "d.x"});
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 1u);
  EXPECT_EQ((*pts)[0].value, 1.0);  // the duplicate's measurements are not written
  FrameQuery q;
  q.scope = pre_;
  EXPECT_EQ(store_->QueryFrames(q)->size(), 2u);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace telecollect::store
