#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <set>

#include "store/store_test_util.h"

namespace telecollect::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  // Rows of the point log, read on a connection of its own.
  int64_t LogRows() {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() + "/t.db").c_str(), &raw), SQLITE_OK);
    SqliteDb db(raw);
    Stmt q(db.get(), "SELECT count(*) FROM point_log");
    auto row = q.Step();
    return row.ok() && *row ? q.Int(0) : -1;
  }
  WriteResult WriteOne(WriteBatch b) {
    const WriteBatch* p = &b;
    auto r = store_->Write(std::span<const WriteBatch* const>(&p, 1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0] : WriteResult{};
  }
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  // The store's file on a connection of its own (the store closed), with
  // `sql` run on it: the schema put back to an older version.
  SqliteDb Downgrade(const char* sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() + "/t.db").c_str(), &raw), SQLITE_OK);
    SqliteDb db(raw);
    EXPECT_TRUE(Exec(db.get(), sql).ok()) << sql;
    return db;
  }
  // What schema 14 (lease fences) added, dropped.
  static constexpr const char* kBackToSchema13 = "ALTER TABLE leases DROP COLUMN fence; ";
  // What schemas 11 (module extents), 13 (envelope versions) and 14 added, dropped.
  static constexpr const char* kBackToSchema10 =
      "ALTER TABLE leases DROP COLUMN fence; "
      "DROP TABLE envelope_versions; "
      "ALTER TABLE modules DROP COLUMN first_ms; ALTER TABLE modules DROP COLUMN last_ms; "
      "ALTER TABLE modules DROP COLUMN last_value; ALTER TABLE modules DROP COLUMN last_quality; ";
  Scope pre_{"acme", Env::kPreprod};
  Scope prod_{"acme", Env::kProd};
};

TEST_F(SqliteStoreTest, SchemaThirteenLeasesGetAFenceAndKeepTheirHolder) {
  ASSERT_TRUE(*store_->TryLease("connector:a", "node-a", 1000, 500));
  store_.reset();
  // Back to schema 13: leases without a fence.
  SqliteDb db = Downgrade((std::string(kBackToSchema13) + "PRAGMA user_version = 13;").c_str());
  db.reset();
  auto reopened = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(*store_->LeaseHolder("connector:a"), std::optional<std::string>("node-a"));
  EXPECT_EQ(*store_->TryLease("connector:a", "node-b", 1200, 500), std::nullopt);  // still held
  const std::optional<int64_t> first = *store_->TryLease("connector:a", "node-a", 1300, 500);  // renewed
  ASSERT_TRUE(first);
  const std::optional<int64_t> taken = *store_->TryLease("connector:a", "node-b", 1800, 500);  // expired
  ASSERT_TRUE(taken);
  EXPECT_GT(*taken, *first);
}

TEST_F(SqliteStoreTest, SchemaFiveMeasurementsMoveIntoChunks) {
  WriteOne({pre_, {}, {{"m.1", 1000, 1, "", 0}}});  // creates scope and module
  store_.reset();
  // Put the file back to schema 5: the row-per-point table, no chunks.
  SqliteDb db = Downgrade((std::string(kBackToSchema10) +
                           "DROP TABLE chunks; DROP TABLE point_log; DROP TABLE frame_inbox; DROP TABLE registry_versions; "
                           "ALTER TABLE frames DROP COLUMN decoded_values; "
                           "CREATE TABLE measurements(module_id INTEGER NOT NULL, ts INTEGER NOT NULL, "
                           "value REAL NOT NULL, quality INTEGER NOT NULL, PRIMARY KEY(module_id, ts)) WITHOUT ROWID;"
                           "PRAGMA user_version = 5;")
                              .c_str());
  {
    Stmt ins(db.get(), "INSERT INTO measurements VALUES((SELECT id FROM modules WHERE name = 'm.1'), ?1, ?2, ?3)");
    for (int i = 0; i < 450; ++i) ASSERT_TRUE(ins.Bind(1, int64_t{i} * 600000).Bind(2, i * 0.5).Bind(3, i % 2).Run().ok());
  }
  db.reset();
  auto reopened = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  MeasurementQuery q{pre_, "m.1"};
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 450u);
  EXPECT_EQ((*pts)[449].ts, 449 * 600000);
  EXPECT_EQ((*pts)[449].value, 449 * 0.5);
  EXPECT_EQ((*pts)[449].quality, 1);
  // Schema 11 found the module's first time and latest point in its chunks.
  auto mods = store_->ListModules(pre_, "", "", 10);
  ASSERT_EQ(mods->size(), 1u);
  EXPECT_EQ((*mods)[0].first_seen, 0);
  ASSERT_TRUE((*mods)[0].last);
  EXPECT_EQ((*mods)[0].last->ts, 449 * 600000);
  EXPECT_EQ((*mods)[0].last->value, 449 * 0.5);
}

TEST_F(SqliteStoreTest, SchemaTenModulesLearnTheirExtentsFromChunksAndLog) {
  std::vector<Measurement> run;
  for (int i = 0; i < 300; ++i) run.push_back({"m.1", 10000 + i * 1000, double(i), "", 0});
  WriteOne({pre_, {}, run});  // chunks
  WriteOne({pre_, {}, {{"m.2", 5000, 1.0, "", 0}}});
  store_.reset();
  // Back to schema 10, with points still in the log (a store stopped without its final merge).
  SqliteDb db = Downgrade((std::string(kBackToSchema10) + "PRAGMA user_version = 10;").c_str());
  std::string row;
  Stmt id(db.get(), "SELECT id FROM modules WHERE name = ?1");
  ASSERT_TRUE(*id.Bind(1, std::string_view("m.1")).Step());
  const int64_t m1 = id.Int(0);
  id.Reset();
  ASSERT_TRUE(*id.Bind(1, std::string_view("m.2")).Step());
  const int64_t m2 = id.Int(0);
  id.Reset();
  {
    // Schema 10 kept its chunks in format 1: each one written back so (v12 re-encodes them).
    Stmt all(db.get(), "SELECT id, start_ts, data FROM chunks");
    Stmt up(db.get(), "UPDATE chunks SET data = ?2 WHERE id = ?1");
    std::vector<std::pair<int64_t, std::string>> rewritten;
    while (*all.Step()) {
      std::vector<SeriesPoint> points;
      ASSERT_TRUE(DecodeChunk(all.Int(1), all.Blob(2), points).ok());
      std::string v1;
      EpochMs prev = all.Int(1);
      for (const SeriesPoint& pt : points) {
        AppendPoint(v1, prev, pt);
        prev = pt.ts;
      }
      rewritten.emplace_back(all.Int(0), std::move(v1));
    }
    all.Reset();
    ASSERT_GE(rewritten.size(), 2u);
    for (const auto& [chunk, data] : rewritten) ASSERT_TRUE(up.Bind(1, chunk).BindBlob(2, data.data(), data.size()).Run().ok());
  }
  AppendLogEntry(row, m1, {500, 7.0, 0});          // before the chunks: the first time
  AppendLogEntry(row, m1, {309000, 42.0, 3});      // the latest point's instant, rewritten in the log
  AppendLogEntry(row, m2, {9000, -1.5, 0});
  Stmt ins(db.get(), "INSERT INTO point_log(data) VALUES(?1)");
  ASSERT_TRUE(ins.BindBlob(1, row.data(), row.size()).Run().ok());
  db.reset();
  auto reopened = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  auto mods = store_->ListModules(pre_, "", "", 10);
  ASSERT_EQ(mods->size(), 2u);
  EXPECT_EQ((*mods)[0].first_seen, 500);
  EXPECT_EQ((*mods)[0].last->ts, 309000);
  EXPECT_EQ((*mods)[0].last->value, 42.0);
  EXPECT_EQ((*mods)[0].last->quality, 3);
  EXPECT_EQ((*mods)[1].first_seen, 5000);
  EXPECT_EQ((*mods)[1].last->ts, 9000);
  EXPECT_EQ((*mods)[1].last->value, -1.5);
  // v12: the format-1 chunks came back in format 2, their points whole (the log overlaid).
  MeasurementQuery q{pre_, "m.1"};
  q.agg = Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 301u);
  EXPECT_EQ((*pts)[0].ts, 500);
  for (int i = 0; i < 299; ++i) ASSERT_EQ((*pts)[i + 1].value, double(i)) << i;
  EXPECT_EQ((*pts)[300].value, 42.0);
  store_.reset();
  SqliteDb check = Downgrade("SELECT 1");
  Stmt formats(check.get(), "SELECT count(*), sum(substr(data, 1, 1) = x'02') FROM chunks");
  ASSERT_TRUE(*formats.Step());
  EXPECT_GE(formats.Int(0), 2);
  EXPECT_EQ(formats.Int(1), formats.Int(0));
}

TEST_F(SqliteStoreTest, DuplicatesAreFoundInsideManyRowInserts) {
  // 130 frames go in three multi-row statements; some were journaled before,
  // one is in the batch twice.
  auto frame = [](int i) {
    return MakeFrame("dev" + std::to_string(i % 3), 1000 + i, {uint8_t(i)}, {{"m." + std::to_string(i), 1000 + i, double(i), "", 0}});
  };
  WriteBatch before{pre_, {frame(7), frame(60), frame(129)}, {}};
  EXPECT_EQ(WriteOne(before).frames_new, 3u);
  WriteBatch b{pre_, {}, {}};
  for (int i = 0; i < 130; ++i) b.frames.push_back(frame(i));
  b.frames.insert(b.frames.begin() + 81, frame(80));  // frame 80 twice: at 80 and 81
  const WriteResult r = WriteOne(b);
  EXPECT_EQ(r.frames_new, 127u);
  EXPECT_EQ(r.frames_duplicate, 4u);
  std::vector<size_t> dups;
  for (size_t i = 0; i < r.duplicate.size(); ++i)
    if (r.duplicate[i]) dups.push_back(i);
  EXPECT_EQ(dups, (std::vector<size_t>{7, 60, 81, 130}));
  EXPECT_EQ(r.measurements_written, 127u);
  FrameQuery q;
  q.scope = pre_;
  q.limit = 1000;
  EXPECT_EQ(store_->QueryFrames(q)->size(), 130u);
}

// Frames of the journal's inbox (not yet merged into the indexed journal), read
// on a connection of its own.
int64_t InboxRows(const std::string& path) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  SqliteDb db(raw);
  Stmt q(db.get(), "SELECT count(*) FROM frame_inbox");
  auto row = q.Step();
  return row.ok() && *row ? q.Int(0) : -1;
}

// Rows of `table` with this event time, on a connection of its own.
int64_t RowsAt(const std::string& path, const char* table, int64_t event_ms) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  SqliteDb db(raw);
  Stmt q(db.get(), std::string("SELECT count(*) FROM ") + table + " WHERE event_ms = ?1");
  q.Bind(1, event_ms);
  auto row = q.Step();
  return row.ok() && *row ? q.Int(0) : -1;
}

DecodedFrame NumberedFrame(int i) { return MakeFrame("dev" + std::to_string(i % 7), 1000 + i, {uint8_t(i), uint8_t(i >> 8)}); }

TEST_F(SqliteStoreTest, FramesAreDuplicatesWhetherInTheInboxOrMergedIntoTheJournal) {
  const std::string path = dir_.path() + "/t.db";
  const int total = static_cast<int>(SqliteStore::kMergeInboxFrames) + 1500;
  for (int first = 0; first < total; first += 1000) {
    WriteBatch b{pre_, {}, {}};
    for (int i = first; i < std::min(total, first + 1000); ++i) b.frames.push_back(NumberedFrame(i));
    EXPECT_EQ(WriteOne(b).frames_new, b.frames.size());
  }
  // The inbox filled up and its merge began (a slice of devices per write,
  // "dev0" first in identity order); what came after waits in it.
  const int64_t inbox = InboxRows(path);
  EXPECT_GT(inbox, 0);
  EXPECT_LT(inbox, static_cast<int64_t>(SqliteStore::kMergeInboxFrames));
  // Resent: frame 7 ("dev0") is in the journal, the last one in the inbox;
  // frame `total` is new and sent twice within the batch.
  EXPECT_EQ(RowsAt(path, "frames", 1007), 1);
  EXPECT_EQ(RowsAt(path, "frame_inbox", 1000 + total - 1), 1);
  WriteBatch again{pre_, {NumberedFrame(7), NumberedFrame(total - 1), NumberedFrame(total), NumberedFrame(total)}, {}};
  const WriteResult r = WriteOne(again);
  EXPECT_EQ(r.frames_new, 1u);
  EXPECT_EQ(r.duplicate, (std::vector<bool>{true, true, false, true}));

  // Reads see both tables, newest first, paged by id.
  FrameQuery q;
  q.scope = pre_;
  q.limit = 100000;
  auto all = store_->QueryFrames(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(total + 1));
  for (size_t i = 1; i < all->size(); ++i) ASSERT_GT((*all)[i - 1].id, (*all)[i].id);
  EXPECT_EQ((*all)[0].frame.event_time, 1000 + total);
  EXPECT_EQ(all->back().frame.event_time, 1000);
  q.limit = 10;
  q.device_id = "dev3";
  q.before_id = (*all)[0].id;
  auto dev3 = store_->QueryFrames(q);
  ASSERT_TRUE(dev3.ok());
  ASSERT_EQ(dev3->size(), 10u);
  for (const FrameRecord& f : *dev3) EXPECT_EQ(f.frame.device_id, "dev3");

  // Redecode reaches a merged frame and one still in the inbox.
  const FrameRecord& merged = all->back();
  const FrameRecord& waiting = (*all)[1];
  std::vector<Redecoded> redecoded = {{merged.id, DecodeStatus::kFailed, "merged", {}, "t"},
                                      {waiting.id, DecodeStatus::kFailed, "waiting", {}, "t"}};
  ASSERT_TRUE(store_->Redecode(pre_, redecoded).ok());
  FrameQuery failed;
  failed.scope = pre_;
  failed.status = DecodeStatus::kFailed;
  auto got = store_->QueryFrames(failed);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].reason, "waiting");
  EXPECT_EQ((*got)[1].reason, "merged");

  // A clean stop merges the inbox.
  store_.reset();
  EXPECT_EQ(InboxRows(path), 0);
}

TEST_F(SqliteStoreTest, AFullInboxIsMergedASliceOfDevicesAtATime) {
  const std::string path = dir_.path() + "/t.db";
  auto frame = [](int i) { return MakeFrame("dev" + std::to_string(i % 64), 1000 + i, {uint8_t(i), uint8_t(i >> 8)}); };
  const int full = static_cast<int>(SqliteStore::kMergeInboxFrames);  // 256 frames for each of 64 devices
  for (int first = 0; first < full; first += 1024) {
    WriteBatch b{pre_, {}, {}};
    for (int i = first; i < first + 1024; ++i) b.frames.push_back(frame(i));
    EXPECT_EQ(WriteOne(b).frames_new, 1024u);
  }
  // Full: the first slice of devices (in identity order) went into the journal.
  const int64_t slice = static_cast<int64_t>(SqliteStore::kMergeSliceFrames);
  const int slices = static_cast<int>(full / slice);  // slices are whole devices: 256 frames divide them
  ASSERT_GE(slices, 3);
  EXPECT_EQ(InboxRows(path), full - slice);
  // Each write moves the next slice. Mid-cycle, frames merged ("dev0") and not
  // yet merged ("dev9", last in identity order) are duplicates alike.
  EXPECT_EQ(WriteOne({pre_, {frame(0), frame(9), frame(full)}, {}}).duplicate, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(InboxRows(path), full - 2 * slice + 1);
  for (int k = 3; k <= slices; ++k) {
    EXPECT_EQ(WriteOne({pre_, {frame(full + k - 2)}, {}}).frames_new, 1u);
    if (k < slices) {
      EXPECT_EQ(InboxRows(path), full - k * slice + (k - 1));
    }
  }
  EXPECT_EQ(InboxRows(path), slices - 1);  // the cycle is over; what came during it waits for the next
  EXPECT_EQ(WriteOne({pre_, {frame(9), frame(full + 1)}, {}}).frames_duplicate, 2u);
  FrameQuery q;
  q.scope = pre_;
  q.limit = 100000;
  EXPECT_EQ(store_->QueryFrames(q)->size(), static_cast<size_t>(full + slices - 1));
}

TEST_F(SqliteStoreTest, ABatchOfOneDeviceGoesStraightIntoTheJournal) {
  const std::string path = dir_.path() + "/t.db";
  auto frame = [](int i) { return MakeFrame("d", 1000 + i, {uint8_t(i)}); };
  WriteBatch a{pre_, {}, {}};
  for (int i = 0; i < 100; ++i) a.frames.push_back(frame(i));
  EXPECT_EQ(WriteOne(a).frames_new, 100u);
  EXPECT_EQ(InboxRows(path), 0);
  EXPECT_EQ(WriteOne({pre_, {frame(150)}, {}}).frames_new, 1u);  // single frames: the inbox
  EXPECT_EQ(WriteOne({pre_, {frame(151)}, {}}).frames_new, 1u);
  EXPECT_EQ(InboxRows(path), 2);
  // 90..99 are in the journal, 150 and 151 in the inbox, 120 comes twice.
  WriteBatch b{pre_, {}, {}};
  for (int i = 90; i < 170; ++i) b.frames.push_back(frame(i));
  b.frames.push_back(frame(120));
  const WriteResult r = WriteOne(b);
  EXPECT_EQ(r.frames_new, 68u);
  EXPECT_EQ(r.frames_duplicate, 13u);
  for (int i = 90; i < 170; ++i)
    EXPECT_EQ(r.duplicate[i - 90], i < 100 || i == 150 || i == 151) << i;
  EXPECT_TRUE(r.duplicate.back());
  EXPECT_EQ(InboxRows(path), 2);
  FrameQuery q;
  q.scope = pre_;
  q.limit = 1000;
  auto all = store_->QueryFrames(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 170u);
  std::set<int64_t> times;
  for (const FrameRecord& f : *all) times.insert(f.frame.event_time);
  EXPECT_EQ(times.size(), 170u);
}

TEST_F(SqliteStoreTest, AnotherConnectionsFramesInTheInboxAreSeen) {
  WriteOne({pre_, {NumberedFrame(1), NumberedFrame(2)}, {}});
  // A second store on the same file (a CLI command, a second process) reads
  // the inbox when it opens...
  auto other = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
  ASSERT_TRUE(other.ok());
  WriteBatch b{pre_, {NumberedFrame(2), NumberedFrame(3)}, {}};
  const WriteBatch* p = &b;
  auto r = (*other)->Write(std::span<const WriteBatch* const>(&p, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].duplicate, (std::vector<bool>{true, false}));
  // ...and the first one sees what the second appended.
  EXPECT_EQ(WriteOne({pre_, {NumberedFrame(3), NumberedFrame(4)}, {}}).duplicate, (std::vector<bool>{true, false}));
  FrameQuery q;
  q.scope = pre_;
  auto frames = store_->QueryFrames(q);
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ((*frames)[i].frame.event_time, 1004 - static_cast<int64_t>(i));
}

// The writer skips the journal lookup of a frame newer than every frame it
// knows of its device. What another connection journaled must still be seen.
TEST_F(SqliteStoreTest, FramesAnotherConnectionJournaledAreDuplicatesHere) {
  auto frame = [](int64_t ts) { return MakeFrame("d", ts, {uint8_t(ts), uint8_t(ts >> 8)}); };
  EXPECT_EQ(WriteOne({pre_, {frame(1000)}, {}}).frames_new, 1u);  // this store now knows "d" up to 1000
  auto other = SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db");
  ASSERT_TRUE(other.ok());
  WriteBatch b{pre_, {}, {}};
  for (int64_t ts = 2000; ts < 2100; ++ts) b.frames.push_back(frame(ts));  // one device: straight into the journal
  const WriteBatch* p = &b;
  auto r = (*other)->Write(std::span<const WriteBatch* const>(&p, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].frames_new, 100u);
  EXPECT_EQ(InboxRows(dir_.path() + "/t.db"), 1);
  EXPECT_EQ(WriteOne({pre_, {frame(2050), frame(3000), frame(1500)}, {}}).duplicate,
            (std::vector<bool>{true, false, false}));
}

// Frames waiting in the inbox when a store opens count for their device's
// newest frame: merged into the journal later, they are still found.
TEST_F(SqliteStoreTest, FramesInTheInboxAtOpenAreDuplicatesAfterTheirMerge) {
  const std::string path = dir_.path() + "/t.db";
  auto early = [](int64_t ts) { return MakeFrame("early", ts, {uint8_t(ts), uint8_t(ts >> 8)}); };
  for (int64_t ts = 1000; ts < 1010; ++ts) WriteOne({pre_, {early(ts)}, {}});
  EXPECT_EQ(InboxRows(path), 10);
  // A second store (as after a crash: the inbox is not merged) takes over.
  auto other = SqliteStore::Open(StoreOptions{}, path);
  ASSERT_TRUE(other.ok());
  auto write = [&](WriteBatch b) {
    const WriteBatch* p = &b;
    auto r = (*other)->Write(std::span<const WriteBatch* const>(&p, 1));
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)[0] : WriteResult{};
  };
  // Its first frame of "early" is older than those in the inbox, and new.
  EXPECT_EQ(write({pre_, {early(999)}, {}}).frames_new, 1u);
  // Enough frames of other devices for a whole merge cycle of the inbox.
  const int full = static_cast<int>(SqliteStore::kMergeInboxFrames);
  for (int first = 0; first < full; first += 1024) {
    WriteBatch b{pre_, {}, {}};
    for (int i = first; i < first + 1024; ++i) b.frames.push_back(NumberedFrame(i));
    EXPECT_EQ(write(b).frames_new, 1024u);
  }
  for (int i = 0; i < 8 && InboxRows(path) > 8; ++i) write({pre_, {NumberedFrame(full + i)}, {}});
  EXPECT_LE(InboxRows(path), 8);  // the cycle is over: "early", written first, is in the journal
  EXPECT_EQ(write({pre_, {early(1005), early(999), early(1010)}, {}}).duplicate,
            (std::vector<bool>{true, true, false}));
}

TEST_F(SqliteStoreTest, FramesOfARolledBackWriteAreNotTakenForDuplicates) {
  {
    // Refuses frames of device "bad" from another connection.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/t.db").c_str(), &raw), SQLITE_OK);
    SqliteDb db(raw);
    ASSERT_TRUE(Exec(db.get(), "CREATE TRIGGER refuse BEFORE INSERT ON frame_inbox WHEN NEW.device_id = 'bad' "
                               "BEGIN SELECT RAISE(ABORT, 'refused'); END")
                    .ok());
  }
  WriteOne({pre_, {NumberedFrame(1)}, {}});  // this store now knows the schema change
  WriteBatch failing{pre_, {NumberedFrame(2), MakeFrame("bad", 5000, {1})}, {}};
  const WriteBatch* p = &failing;
  EXPECT_FALSE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  // Frame 2 was not stored: sent again, it is new.
  EXPECT_EQ(WriteOne({pre_, {NumberedFrame(2)}, {}}).frames_new, 1u);
  FrameQuery q;
  q.scope = pre_;
  EXPECT_EQ(store_->QueryFrames(q)->size(), 2u);
}

// A module created by a transaction that rolls back is forgotten, also by the
// writer's memory of the last frame's modules: written again, it is created again.
TEST_F(SqliteStoreTest, ModulesOfARolledBackWriteAreForgotten) {
  const std::string path = dir_.path() + "/t.db";
  auto other_connection = [&](const char* sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    SqliteDb db(raw);
    ASSERT_TRUE(Exec(db.get(), sql).ok());
  };
  WriteOne({pre_, {NumberedFrame(1)}, {}});
  other_connection("CREATE TRIGGER refuse BEFORE INSERT ON point_log BEGIN SELECT RAISE(ABORT, 'refused'); END");
  WriteBatch failing{pre_, {MakeFrame("d", 2000, {2}, {{"new.mod", 2000, 1.0, "", 0}})}, {}};
  const WriteBatch* p = &failing;
  EXPECT_FALSE(store_->Write(std::span<const WriteBatch* const>(&p, 1)).ok());
  other_connection("DROP TRIGGER refuse");
  WriteOne({pre_, {MakeFrame("d", 3000, {3}, {{"new.mod", 3000, 2.0, "", 0}})}, {}});
  WriteOne({pre_, {}, {{"other", 1000, 7.0, "", 0}}});
  auto mod = store_->QueryMeasurements({pre_, "new.mod"});
  ASSERT_TRUE(mod.ok()) << mod.status().message();
  ASSERT_EQ(mod->size(), 1u);
  EXPECT_EQ((*mod)[0].value, 2.0);
  auto other = store_->QueryMeasurements({pre_, "other"});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].value, 7.0);
}

TEST_F(SqliteStoreTest, SmallWritesGoThroughTheLogAndLaterWritesWin) {
  auto write = [&](std::vector<Measurement> ms) { WriteOne({pre_, {}, std::move(ms)}); };
  // A long run: straight into chunks.
  std::vector<Measurement> run;
  for (int i = 0; i < 20; ++i) run.push_back({"m.1", 1000 * i, double(i), "", 0});
  write(run);
  // Single points over many modules: the log.
  write({{"m.1", 5000, 50, "", 0}, {"m.2", 1000, 1, "", 0}});
  EXPECT_EQ(LogRows(), 1);
  // A long run again for m.1, which now has log points: the log is merged first, the run wins.
  std::vector<Measurement> again;
  for (int i = 10; i < 30; ++i) again.push_back({"m.1", 1000 * i, double(100 + i), "", 0});
  write(again);
  EXPECT_EQ(LogRows(), 0);
  write({{"m.2", 2000, 2, "", 0}});  // in the log again
  auto check = [&] {
    auto pts = store_->QueryMeasurements({pre_, "m.1"});
    ASSERT_TRUE(pts.ok());
    ASSERT_EQ(pts->size(), 30u);
    EXPECT_EQ((*pts)[5].value, 50);
    EXPECT_EQ((*pts)[9].value, 9);
    EXPECT_EQ((*pts)[10].value, 110);
    EXPECT_EQ((*pts)[29].value, 129);
    MeasurementQuery sum{pre_, "m.1"};
    sum.step_ms = 10000;
    sum.agg = Aggregate::kSum;
    auto buckets = store_->QueryMeasurements(sum);
    ASSERT_TRUE(buckets.ok());
    ASSERT_EQ(buckets->size(), 3u);
    EXPECT_EQ((*buckets)[0].value, 0 + 1 + 2 + 3 + 4 + 50 + 6 + 7 + 8 + 9);
    EXPECT_EQ(store_->QueryMeasurements({pre_, "m.2"})->size(), 2u);
  };
  check();
  EXPECT_EQ(LogRows(), 1);
  // A clean stop merges the log into chunks; the same points read back.
  store_.reset();
  EXPECT_EQ(LogRows(), 0);
  store_ = std::move(SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db")).value();
  check();
}

TEST_F(SqliteStoreTest, PushWritesMergeTheLogInSlicesAndReadsSeeEveryPointMeanwhile) {
  // One point to each of 1,000 modules per transaction, past the compaction threshold.
  auto round = [&](int r, std::vector<Measurement> extra = {}) {
    std::vector<Measurement> ms;
    for (int m = 0; m < 1000; ++m) ms.push_back({"dev" + std::to_string(m) + ".t", 600000 * r, double(r), "", 0});
    for (auto& e : extra) ms.push_back(std::move(e));
    WriteOne({pre_, {}, std::move(ms)});
  };
  auto expect_series = [&](const std::string& module, int rounds, double first_value) {
    auto pts = store_->QueryMeasurements({pre_, module});
    ASSERT_TRUE(pts.ok());
    ASSERT_EQ(pts->size(), static_cast<size_t>(rounds)) << module;
    EXPECT_EQ(pts->front().value, first_value) << module;
    EXPECT_EQ(pts->back().value, rounds - 1) << module;
  };
  const int full = static_cast<int>(SqliteStore::kCompactLogPoints / 1000);
  int r = 0;
  for (; r < full; ++r) round(r);
  ASSERT_EQ(LogRows(), full);  // not merged yet
  // From here every write merges a slice: the rows stay until the last one, and
  // every read sees every point, whether its module is merged already or not.
  const int most_writes = static_cast<int>(SqliteStore::kCompactLogPoints / SqliteStore::kCompactSlicePoints) + 3;
  int writes = 0;
  int64_t rows = LogRows();
  for (; writes < most_writes; ++writes, ++r) {
    // dev0 (merged by the first slice) gets its first point rewritten halfway.
    std::vector<Measurement> rewrite;
    if (writes == 3) rewrite.push_back({"dev0.t", 0, -1, "", 0});
    round(r, std::move(rewrite));
    expect_series("dev0.t", r + 1, writes >= 3 ? -1 : 0);
    expect_series("dev999.t", r + 1, 0);
    const int64_t now = LogRows();
    if (now < rows) break;  // the last slice deleted the merged rows
    rows = now;
  }
  ASSERT_LT(writes, most_writes) << "the compaction never ended";
  EXPECT_GT(writes, 1) << "the log was merged in one transaction, not in slices";
  // What is left: the rows logged while the compaction ran (the rewrite among them).
  EXPECT_EQ(LogRows(), writes + 1);
  // dev0 still has a point in the log: a long run for it (straight into chunks)
  // merges the log first, and the run's rewrite of that instant wins.
  std::vector<Measurement> run;
  for (int i = 0; i < 10; ++i) run.push_back({"dev0.t", 600000 * i, i == 0 ? -2.0 : double(i), "", 0});
  WriteOne({pre_, {}, std::move(run)});
  EXPECT_EQ(LogRows(), 0);
  expect_series("dev0.t", r + 1, -2);
  // A clean stop leaves no log; reopened, the same points read back.
  const int rounds = r + 1;
  round(r);
  store_.reset();
  EXPECT_EQ(LogRows(), 0);
  store_ = std::move(SqliteStore::Open(StoreOptions{}, dir_.path() + "/t.db")).value();
  expect_series("dev0.t", rounds, -2);
  expect_series("dev999.t", rounds, 0);
  expect_series("dev500.t", rounds, 0);
}

TEST_F(SqliteStoreTest, ImportsMergeTheLogToo) {
  // An API window (a file import alike) with one reading for each of 1,000 meters.
  std::vector<ModuleDef> modules;
  for (int m = 0; m < 1000; ++m) modules.push_back({"meter." + std::to_string(m), "kWh"});
  const int rounds = static_cast<int>(SqliteStore::kCompactLogPoints / 1000) + 5;
  for (int r = 0; r < rounds; ++r) {
    std::vector<Reading> readings;
    for (uint32_t m = 0; m < 1000; ++m) readings.push_back({m, 86400000LL * r, double(r)});
    auto add = [&](ReadingWriter& w) { return w.Add(modules, readings); };
    ASSERT_TRUE(store_->ImportWindow(pre_, "enedis", "watermark", std::to_string(r), add, std::nullopt).ok());
  }
  EXPECT_LT(LogRows(), 10);
  auto pts = store_->QueryMeasurements({pre_, "meter.0"});
  ASSERT_TRUE(pts.ok());
  EXPECT_EQ(pts->size(), static_cast<size_t>(rounds));
}

}  // namespace
}  // namespace telecollect::store

namespace telecollect::store {
namespace {

}  // namespace
}  // namespace telecollect::store
