#include "store/series_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>

#include "store/sqlite_series.h"

namespace telecollect::store {
namespace {

std::vector<SeriesPoint> RoundTrip(const std::vector<SeriesPoint>& points) {
  std::string data;
  EpochMs prev = points.front().ts;
  for (const auto& p : points) {
    AppendPoint(data, prev, p);
    prev = p.ts;
  }
  std::vector<SeriesPoint> out;
  EXPECT_TRUE(DecodeChunk(points.front().ts, data, out).ok());
  return out;
}

TEST(SeriesCodec, EveryKindOfValueComesBackBitForBit) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<SeriesPoint> in = {
      {-86400000, 0, 0},        {-1, -0.0, 0},          {0, 21.5, 0},       {1, -3, 2},
      {600000, 1e15, -1},       {600001, 9007199254740993.0, 0},          {700000, 12.25, 7},
      {4102444800000, nan, 0},  {4102444800001, inf, 0}, {4102444800002, -inf, 0},
      {4102444800003, 123456789, 0}, {4102444800004, 0.1, 0},
  };
  const auto out = RoundTrip(in);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ts, in[i].ts) << i;
    EXPECT_EQ(std::memcmp(&out[i].value, &in[i].value, 8), 0) << i << ": " << in[i].value;
    EXPECT_EQ(out[i].quality, in[i].quality) << i;
  }
}

TEST(SeriesCodec, TenMinuteReadingsTakeFewBytes) {
  std::string data;
  EpochMs prev = 1767225600000;
  for (int i = 0; i < 144; ++i) {
    const SeriesPoint p{prev + (i ? 600000 : 0), 1000 + i * 3.0, 0};
    AppendPoint(data, prev, p);
    prev = p.ts;
  }
  EXPECT_LE(data.size(), 144u * 6);
}

TEST(SeriesCodec, TruncatedChunkIsAnError) {
  std::string data;
  AppendPoint(data, 0, {0, 21.5, 0});
  AppendPoint(data, 0, {10, 22.5, 0});
  for (size_t cut = 1; cut < data.size(); ++cut) {
    std::vector<SeriesPoint> out;
    const Status s = DecodeChunk(0, std::string_view(data).substr(0, cut), out);
    if (cut == 10) continue;  // the first point whole, the second not started
    EXPECT_EQ(s.code(), StatusCode::kIoError) << cut;
  }
}

// Format 2 (EncodeChunk).
std::vector<SeriesPoint> Packed(const std::vector<SeriesPoint>& points, size_t* bytes = nullptr) {
  const std::string data = EncodeChunk(points.front().ts, points);
  if (bytes) *bytes = data.size();
  std::vector<SeriesPoint> out;
  EXPECT_TRUE(DecodeChunk(points.front().ts, data, out).ok());
  return out;
}

void ExpectSame(const std::vector<SeriesPoint>& in, const std::vector<SeriesPoint>& out) {
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ts, in[i].ts) << i;
    EXPECT_EQ(std::memcmp(&out[i].value, &in[i].value, 8), 0) << i << ": " << in[i].value << " " << out[i].value;
    EXPECT_EQ(out[i].quality, in[i].quality) << i;
  }
}

TEST(PackedChunk, EveryKindOfValueAndStepComesBackBitForBit) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  double payload_nan;
  const uint64_t bits = 0x7ff4000000000123;
  std::memcpy(&payload_nan, &bits, 8);
  const std::vector<SeriesPoint> in = {
      {-86400000, 0, 0},        {-1, -0.0, 0},          {0, 21.5, 0},       {1, -3, 2},
      {600000, 1e15, -1},       {600001, 9007199254740993.0, 0},          {700000, 12.25, 7},
      {700000, 12.5, 0},        {4102444800000, nan, 0},  {4102444800001, inf, 0}, {4102444800002, -inf, 0},
      {4102444800003, 123456789, 0}, {4102444800004, 0.1, 0}, {4102444800005, payload_nan, 0},
      {4102444800005, -1.7976931348623157e308, INT32_MIN}, {4102444800006, 5e-324, INT32_MAX},
  };
  ExpectSame(in, Packed(in));
  // Decimals only, a step that changes, an instant twice.
  const std::vector<SeriesPoint> dec = {{1000, 1.5, 0}, {1000, -2.25, 0}, {2000, 0.001, 0}, {7000, 123456.789, 0},
                                        {7001, 1e-9, 0}, {9000000000, -900719925.4740991, 0}};
  ExpectSame(dec, Packed(dec));
  // One point; two points.
  ExpectSame({{5, 3.0, 1}}, Packed({{5, 3.0, 1}}));
  ExpectSame({{5, 3.0, 0}, {6, nan, 0}}, Packed({{5, 3.0, 0}, {6, nan, 0}}));
}

TEST(PackedChunk, MeterIndexAndTemperaturesTakeAFewBitsAPoint) {
  std::mt19937_64 rng(21);
  std::vector<SeriesPoint> meter, temp;
  double index = 48213.127;
  for (int i = 0; i < 200; ++i) {
    index = std::round((index + static_cast<double>(rng() % 2500) / 1000) * 1000) / 1000;
    meter.push_back({1735689600000 + i * 600000, index, 0});
    temp.push_back({1735689600000 + i * 600000, std::round((20 + static_cast<double>(rng() % 300) / 100 - 1.5) * 100) / 100, 0});
  }
  size_t bytes = 0;
  ExpectSame(meter, Packed(meter, &bytes));
  EXPECT_LE(bytes, 200u * 13 / 8);  // 12 bits of change (a rising index: no zigzag sign), none of time
  ExpectSame(temp, Packed(temp, &bytes));
  EXPECT_LE(bytes, 200u * 11 / 8);  // 10 bits of change
}

TEST(PackedChunk, ACutOrDamagedChunkIsAnError) {
  std::vector<SeriesPoint> in;
  for (int i = 0; i < 50; ++i) in.push_back({i * 1000 + (i % 3), i * 0.5, i % 2});
  in.push_back({60000, std::numeric_limits<double>::quiet_NaN(), 0});  // XOR values
  const std::string data = EncodeChunk(0, in);
  for (size_t cut = 1; cut < data.size(); ++cut) {
    std::vector<SeriesPoint> out;
    EXPECT_FALSE(DecodeChunk(0, std::string_view(data).substr(0, cut), out).ok()) << cut;
  }
  std::string longer = data + "x";
  std::vector<SeriesPoint> out;
  EXPECT_FALSE(DecodeChunk(0, longer, out).ok());
  std::string bad = data;
  bad[0] = 3;  // no such format
  EXPECT_FALSE(DecodeChunk(0, bad, out).ok());
}

// Mostly-zero columns go sparse (a bitmap, then the values that are not 0); a value that never
// goes down keeps its changes without the zigzag bit.
TEST(PackedChunk, AMeterThatStandsStillAndAStepWithGapsGoSparse) {
  std::mt19937_64 rng(21);
  std::vector<SeriesPoint> still, rising, gaps;
  int64_t milli = 48213127, every = 48213127;
  EpochMs ts = 1735689600000;
  for (int i = 0; i < 200; ++i) {
    if (rng() % 3 == 0) milli += static_cast<int64_t>(rng() % 2501);  // two readings in three unchanged
    every += static_cast<int64_t>(rng() % 2500);
    still.push_back({1735689600000 + i * 600000, static_cast<double>(milli) / 1000, 0});
    rising.push_back({1735689600000 + i * 600000, static_cast<double>(every) / 1000, 0});
    ts += i % 50 == 49 ? 3 * 600000 : 600000;  // a reading missed now and then
    gaps.push_back({ts, 20.5, 0});
  }
  size_t bytes = 0;
  ExpectSame(still, Packed(still, &bytes));
  EXPECT_LE(bytes, 200u * 6 / 8);  // dense: 13 bits of change a point
  ExpectSame(rising, Packed(rising, &bytes));
  EXPECT_LE(bytes, 199u * 12 / 8 + 16);  // 12 bits of change, no sign
  ExpectSame(gaps, Packed(gaps, &bytes));
  EXPECT_LE(bytes, 64u);  // dense: 22 bits of step change a point, 545 bytes
  // Falling after rising: zigzag again, the same values back.
  rising.back().value = 1;
  ExpectSame(rising, Packed(rising, &bytes));
  // Every cut of a sparse, rising chunk is an error.
  const std::string data = EncodeChunk(still.front().ts, still);
  for (size_t cut = 1; cut < data.size(); ++cut) {
    std::vector<SeriesPoint> out;
    EXPECT_FALSE(DecodeChunk(still.front().ts, std::string_view(data).substr(0, cut), out).ok()) << cut;
  }
}

TEST(PackedChunk, SparseAndRisingColumnsByHand) {
  // 3 points, 1 s apart; values at scale 0: 5, then 2 changes packed sparse at 3 bits: the first
  // (zigzag 2 = +1) is not 0, the second is.
  const std::string good("\x02\x03\x00\xd0\x0f\x00" "\x00\x0a\x83\x01\x02" "\x00", 12);
  std::vector<SeriesPoint> out;
  ASSERT_TRUE(DecodeChunk(0, good, out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].ts, 2000);
  EXPECT_EQ(out[0].value, 5);
  EXPECT_EQ(out[1].value, 6);
  EXPECT_EQ(out[2].value, 6);
  std::string rising = good;
  rising[6] = '\x40';  // scale 0, rising: the change 2 as is
  out.clear();
  ASSERT_TRUE(DecodeChunk(0, rising, out).ok());
  EXPECT_EQ(out[1].value, 7);
  auto bad = [&](size_t at, char byte) {
    std::string b = good;
    b[at] = byte;
    std::vector<SeriesPoint> o;
    return !DecodeChunk(0, b, o).ok();
  };
  EXPECT_TRUE(bad(9, '\x05'));   // a bitmap bit past the last value
  EXPECT_TRUE(bad(10, '\x00'));  // a value marked as not 0 that is 0
  EXPECT_TRUE(bad(8, '\x80'));   // sparse at width 0
  EXPECT_TRUE(bad(8, '\xc1'));   // width 65
  EXPECT_TRUE(bad(6, '\x4a'));   // rising at scale 10
}

TEST(SeriesCodec, MergeKeepsOrderAndTheNewerValue) {
  const std::vector<SeriesPoint> older = {{1, 1, 0}, {3, 3, 0}, {5, 5, 0}};
  const std::vector<SeriesPoint> newer = {{0, 10, 0}, {3, 30, 1}, {6, 60, 0}};
  const auto m = MergePoints(older, newer);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].ts, 0);
  EXPECT_EQ(m[2].value, 30);
  EXPECT_EQ(m[2].quality, 1);
  EXPECT_EQ(m[4].ts, 6);
}

// The series writer against a map: random batches in order, late, overlapping,
// with the cache dropped now and then, always read back as the map says.
class SeriesWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
    db_.reset(raw);
    ASSERT_TRUE(Exec(db_.get(),
                     "CREATE TABLE chunks(id INTEGER PRIMARY KEY, module_id INTEGER NOT NULL, start_ts INTEGER NOT NULL,"
                     " end_ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);"
                     "CREATE UNIQUE INDEX chunks_by_module ON chunks(module_id, start_ts);"
                     "CREATE TABLE point_log(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
                     "CREATE TABLE modules(id INTEGER PRIMARY KEY, first_ms INTEGER, last_ms INTEGER, last_value BLOB,"
                     " last_quality INTEGER);")
                    .ok());
  }
  std::vector<SeriesPoint> Read(int64_t module, EpochMs from = kMinEpochMs, EpochMs to = kMaxEpochMs) {
    std::vector<SeriesPoint> out;
    StmtCache statements(db_.get());
    EXPECT_TRUE(ReadSeries(statements, module, from, to, [&](const SeriesPoint& p) {
      out.push_back(p);
      return true;
    }).ok());
    return out;
  }
  int64_t Count(const char* sql) {
    Stmt q(db_.get(), sql);
    EXPECT_TRUE(*q.Step());
    return q.Int(0);
  }
  SqliteDb db_;
};

TEST_F(SeriesWriterTest, AppendsFillChunksUpToTheirCapacity) {
  SeriesWriter w(db_.get());
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<SeriesPoint> pts;
    for (int i = 0; i < 10; ++i) pts.push_back({(batch * 10 + i) * 1000, double(batch * 10 + i), 0});
    ASSERT_TRUE(w.Upsert(7, pts).ok());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM chunks"), 3);  // 200 + 200 + 100
  EXPECT_EQ(Count("SELECT max(n) FROM chunks"), static_cast<int64_t>(kChunkCapacity));
  const auto all = Read(7);
  ASSERT_EQ(all.size(), 500u);
  EXPECT_EQ(all[499].value, 499);
  const auto some = Read(7, 199000, 202000);  // across a chunk boundary, `to` exclusive
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some.front().ts, 199000);
  EXPECT_TRUE(Read(8).empty());
}

TEST_F(SeriesWriterTest, RandomWritesReadBackAsAMap) {
  std::mt19937_64 rng(42);
  // No room to keep last chunks: they are evicted in the middle of batches too.
  SeriesWriter w(db_.get(), 1);
  std::map<int64_t, std::map<EpochMs, double>> want;
  for (int round = 0; round < 400; ++round) {
    // One transaction's points: a few modules, runs short (the log) or long (chunks).
    SeriesBatch batch;
    const int modules = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < modules; ++k) {
      const int64_t module = static_cast<int64_t>(rng() % 4);
      const int kind = static_cast<int>(rng() % 3);
      const EpochMs base = kind == 0 ? round * 1000 : static_cast<EpochMs>(rng() % 300000);  // in order, or anywhere
      const int n = 1 + static_cast<int>(rng() % (kind == 2 ? 400 : 12));
      for (int i = 0; i < n; ++i) {
        const EpochMs ts = base + static_cast<EpochMs>(rng() % 5000);
        const double v = static_cast<double>(rng() % 1000) / 4;
        batch.Add(module, {ts, v, 0});
        want[module][ts] = v;
      }
    }
    ASSERT_TRUE(batch.Flush(w).ok());
    if (rng() % 10 == 0) w.ForgetCache();
    if (rng() % 25 == 0) {
      ASSERT_TRUE(w.CompactLog().ok());
    }
    if (round % 50 == 49) {  // reads overlay the log on the chunks at any point
      for (auto& [module, points] : want) ASSERT_EQ(Read(module).size(), points.size()) << round;
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [module, points] : want) {
      const auto got = Read(module);
      ASSERT_EQ(got.size(), points.size()) << module;
      size_t i = 0;
      for (auto [ts, v] : points) {
        EXPECT_EQ(got[i].ts, ts);
        EXPECT_EQ(got[i].value, v);
        ++i;
      }
    }
    ASSERT_TRUE(w.CompactLog().ok());  // the same after a last merge
    EXPECT_EQ(Count("SELECT count(*) FROM point_log"), 0);
  }
  // Chunks of one module never overlap, and none holds more than its capacity.
  EXPECT_EQ(Count("SELECT count(*) FROM chunks a JOIN chunks b ON a.module_id = b.module_id AND a.id != b.id "
                  "AND a.start_ts <= b.end_ts AND b.start_ts <= a.end_ts"),
            0);
  EXPECT_LE(Count("SELECT max(n) FROM chunks"), static_cast<int64_t>(kChunkCapacity));
}

TEST_F(SeriesWriterTest, BatchKeepsTheLaterOfTwoWritesToOneInstant) {
  SeriesWriter w(db_.get());
  SeriesBatch b;
  b.Add(1, {2000, 2, 0});
  b.Add(2, {1000, 9, 0});
  b.Add(1, {1000, 1, 0});
  b.Add(1, {2000, 20, 3});
  ASSERT_TRUE(b.Flush(w).ok());
  const auto got = Read(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].value, 20);
  EXPECT_EQ(got[1].quality, 3);
  EXPECT_EQ(Read(2).size(), 1u);
}

// One point (ts, value) to each module, as one log row.
void LogRound(SeriesWriter& w, const std::vector<int64_t>& modules, EpochMs ts, double value) {
  for (int64_t m : modules) {
    const SeriesPoint p{ts, value, 0};
    ASSERT_TRUE(w.Log(m, std::span<const SeriesPoint>(&p, 1)).ok());
  }
  ASSERT_TRUE(w.EndBatch().ok());
}

// Runs compaction slices until the compaction ends; returns how many it took.
int CompactInSlices(SeriesWriter& w, size_t slice_points) {
  for (int slices = 1; slices < 1000; ++slices) {
    auto done = w.CompactLogSlice(slice_points);
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    if (!done.ok() || *done) return slices;
  }
  return -1;
}

TEST_F(SeriesWriterTest, ACompactionInSlicesMergesTheRowsBeforeItAndKeepsThoseLoggedDuringIt) {
  SeriesWriter w(db_.get(), size_t{64} << 20, /*max_log_entries=*/10);
  const std::vector<int64_t> modules = {1, 2, 3, 4, 5, 6};
  LogRound(w, modules, 1000, 1);  // 6 entries: within the cap, kept in memory
  EXPECT_EQ(w.log_points(), 6u);
  // The first slice (2 modules) begins the compaction; a row logged during it
  // rewrites module 1 (merged already) and module 6 (not yet).
  ASSERT_FALSE(*w.CompactLogSlice(2));
  EXPECT_TRUE(w.compacting());
  LogRound(w, {1, 6}, 1000, 7);
  for (int64_t m : modules) {
    const auto pts = Read(m);
    ASSERT_EQ(pts.size(), 1u) << m;
    EXPECT_EQ(pts[0].value, m == 1 || m == 6 ? 7 : 1) << m;
  }
  EXPECT_EQ(CompactInSlices(w, 2), 2);
  EXPECT_FALSE(w.compacting());
  // Left: the row logged during the compaction, and its modules only.
  EXPECT_EQ(Count("SELECT count(*) FROM point_log"), 1);
  EXPECT_EQ(w.log_points(), 2u);
  EXPECT_TRUE(*w.InLog(1));
  EXPECT_FALSE(*w.InLog(2));
  EXPECT_TRUE(*w.InLog(6));
  for (int64_t m : modules) EXPECT_EQ(Read(m).at(0).value, m == 1 || m == 6 ? 7 : 1) << m;
}

TEST_F(SeriesWriterTest, PastItsCapTheLogIsReadBackFromTheTable) {
  SeriesWriter w(db_.get(), size_t{64} << 20, /*max_log_entries=*/10);
  // 4 rows of 6 modules: 24 entries, past the cap of 10: read back when compacting.
  const std::vector<int64_t> modules = {1, 2, 3, 4, 5, 6};
  for (int r = 0; r < 4; ++r) LogRound(w, modules, 1000 * (r + 1), r);
  EXPECT_EQ(w.log_points(), 24u);
  EXPECT_EQ(CompactInSlices(w, 8), 3);  // 8 points: two modules of 4 points per slice
  EXPECT_EQ(Count("SELECT count(*) FROM point_log"), 0);
  EXPECT_EQ(w.log_points(), 0u);
  for (int64_t m : modules) {
    const auto pts = Read(m);
    ASSERT_EQ(pts.size(), 4u) << m;
    EXPECT_EQ(pts.back().value, 3) << m;
  }
  // Under the cap again, rows are kept in memory; another compaction merges them.
  LogRound(w, {2}, 9000, 9);
  EXPECT_EQ(CompactInSlices(w, 8), 1);
  EXPECT_EQ(Read(2).back().value, 9);
  EXPECT_EQ(Count("SELECT count(*) FROM point_log"), 0);
  // Past the cap while a compaction runs: what it leaves is read back too.
  LogRound(w, modules, 10000, 10);
  ASSERT_FALSE(*w.CompactLogSlice(2));
  LogRound(w, {7, 8, 9, 10, 11, 12}, 11000, 11);
  LogRound(w, {7, 8, 9, 10, 11, 12}, 12000, 12);  // 12 entries logged meanwhile
  EXPECT_EQ(CompactInSlices(w, 2), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM point_log"), 2);
  EXPECT_TRUE(*w.InLog(12));  // (reads the log back)
  EXPECT_FALSE(*w.InLog(1));
  EXPECT_EQ(w.log_points(), 12u);
}

}  // namespace
}  // namespace telecollect::store
