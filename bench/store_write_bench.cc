// bench/store_write_bench: the push write path below HTTP — SqliteStore::Write of
// decoded frames (1 journal row + 5 measurements each), in batches as the group
// committer would hand them — next to SQLite's own ceiling measured in the same run:
// a prepared-insert loop of the same number of rows appended to a plain rowid table, one transaction
// per batch, same pragmas.
//   store_write_bench [frames=200000] [frames_per_batch=1000] [dir=/tmp] [devices=0]
// devices = 0: the frames of a batch come from one device (a platform's batch);
// devices = N: frame i comes from device i % N (many devices sending one frame
// each, as the group committer sees single-frame requests).
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/sqlite_store.h"

using namespace telecollect;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

store::WriteBatch MakeBatch(int first, int n, int devices) {
  store::WriteBatch b;
  b.scope = {"bench", Env::kPreprod};
  for (int i = first; i < first + n; ++i) {
    DecodedFrame f;
    f.frame.source = "generic-sensors";
    f.frame.device_id = "dev" + std::to_string(devices > 0 ? i % devices : first / n % 1000);
    f.frame.device_type = "dragino-lht65";
    f.frame.received_at = 1700000000000 + i;
    f.frame.event_time = 1600000000000 + i;
    f.frame.payload = {0xcb, 0xf6, 0x0b, 0x0d, 0x03, 0x76, 0x01, 0x0a, 0xdd, 0x7f, 0xff};
    f.frame.fport = 2;
    f.status = DecodeStatus::kDecoded;
    for (const char* field : {"battery_voltage", "battery_status", "temperature", "humidity", "ext_temperature"}) {
      f.measurements.push_back({f.frame.device_id + "." + field, f.frame.event_time, 21.5, "", 0});
    }
    b.frames.push_back(std::move(f));
  }
  return b;
}

double RawSqliteRowsPerSecond(const std::string& path, int rows, int rows_per_tx) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
                   "CREATE TABLE t(k INTEGER NOT NULL, ts INTEGER NOT NULL, v REAL NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1, ?2, ?3)", -1, &st, nullptr);
  const auto start = Clock::now();
  for (int i = 0; i < rows; ++i) {
    if (i % rows_per_tx == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(st, 1, i % 5);
    sqlite3_bind_int64(st, 2, 1600000000000 + i);
    sqlite3_bind_double(st, 3, 21.5);
    sqlite3_step(st);
    sqlite3_reset(st);
    if (i % rows_per_tx == rows_per_tx - 1 || i == rows - 1) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double s = Seconds(start);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int per_batch = argc > 2 ? std::atoi(argv[2]) : 1000;
  const std::string dir = std::string(argc > 3 ? argv[3] : "/tmp") + "/tc_store_bench_" + std::to_string(getpid());
  const int devices = argc > 4 ? std::atoi(argv[4]) : 0;
  std::filesystem::create_directories(dir);

  auto opened = store::SqliteStore::Open(StoreOptions{}, dir + "/t.db");
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto& st = **opened;
  std::vector<store::WriteBatch> batches;
  for (int i = 0; i < frames; i += per_batch) batches.push_back(MakeBatch(i, std::min(per_batch, frames - i), devices));
  const auto start = Clock::now();
  for (const auto& b : batches) {
    const store::WriteBatch* p = &b;
    auto r = st.Write(std::span<const store::WriteBatch* const>(&p, 1));
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  const double s = Seconds(start);
  const int rows = frames * 6;
  const double raw = RawSqliteRowsPerSecond(dir + "/raw.db", rows, per_batch * 6);
  std::printf("store write: %d frames x (1 journal + 5 measurements), %d frames/transaction, %s\n", frames, per_batch,
              devices > 0 ? ("frames spread over " + std::to_string(devices) + " devices").c_str() : "one device per transaction");
  std::printf("  telecollect SqliteStore::Write  %9.0f frames/s  %9.0f rows/s\n", frames / s, rows / s);
  std::printf("  sqlite3 prepared-insert ceiling %9s           %9.0f rows/s  (same rows, same pragmas)\n", "", raw);
  std::printf("  ratio                            %.2f of the ceiling\n", (rows / s) / raw);
  std::filesystem::remove_all(dir);
  return 0;
}
