#pragma once
// Measurements in SQLite as chunks of points (series_codec.h): one row per
// module and up to kChunkCapacity consecutive points. Schema v6, table
// `chunks(id, module_id, start_ts, end_ts, n, data)`, unique on
// (module_id, start_ts); a module's chunks never overlap in time.

#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "store/series_codec.h"
#include "store/sqlite_db.h"

namespace telecollect::store {

// Writes points into chunks on the writer connection, inside the caller's
// transaction. Points that come after a module's last point (the usual case:
// readings arrive in time order) are appended to its last chunk, kept in
// memory between transactions; earlier points are merged into the chunks they
// fall in (later write wins on an equal ts).
class SeriesWriter {
 public:
  explicit SeriesWriter(sqlite3* db);

  // `points`: ts ascending and unique.
  Status Upsert(int64_t module_id, std::span<const SeriesPoint> points);

  // Drops what is cached of the last chunks: after a rollback, or when another
  // connection may have written (the writer checks PRAGMA data_version).
  void ForgetCache();

 private:
  struct Tail {
    int64_t id = 0;
    EpochMs start_ts = 0;
    EpochMs end_ts = 0;
    size_t n = 0;
    std::string data;
  };
  // The module's last chunk, loaded on first use; nullptr if it has none.
  Result<Tail*> FindTail(int64_t module_id);
  // Stores `points` as new chunks; the last one becomes the cached tail when `is_tail`.
  Status InsertChunks(int64_t module_id, std::span<const SeriesPoint> points, bool is_tail);
  Status Merge(int64_t module_id, std::span<const SeriesPoint> points);

  sqlite3* db_;
  Stmt last_chunk_, insert_, update_, overlapping_, delete_;
  std::unordered_map<int64_t, Tail> tails_;
  size_t cached_bytes_ = 0;
};

// Collects (module, point) pairs in arrival order, then writes them sorted by
// module and time, the later of two writes to one (module, ts) winning.
class SeriesBatch {
 public:
  void Add(int64_t module_id, const SeriesPoint& point) { entries_.push_back({module_id, point}); }
  size_t size() const { return entries_.size(); }
  void Clear() { entries_.clear(); }
  Status Flush(SeriesWriter& writer);

 private:
  struct Entry {
    int64_t module_id;
    SeriesPoint point;
  };
  std::vector<Entry> entries_;
  std::vector<SeriesPoint> run_;
};

// Calls `each` for the module's points with from <= ts < to, in ts order,
// until it returns false. Works on any connection.
Status ReadSeries(sqlite3* db, int64_t module_id, EpochMs from, EpochMs to,
                  const std::function<bool(const SeriesPoint&)>& each);

}  // namespace telecollect::store
