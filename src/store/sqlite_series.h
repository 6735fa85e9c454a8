#pragma once
// Measurements in SQLite as chunks of points (series_codec.h): one row per
// module and up to kChunkCapacity consecutive points. Schema v6, table
// `chunks(id, module_id, start_ts, end_ts, n, data)`, unique on
// (module_id, start_ts); a module's chunks never overlap in time.

#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/series_codec.h"
#include "store/sqlite_db.h"

namespace telecollect::store {

// Writes points on the writer connection, inside the caller's transaction.
//
// Into chunks (Upsert): points that come after a module's last point (the
// usual case: readings arrive in time order) are appended to its last chunk,
// kept in memory between transactions; earlier points are merged into the
// chunks they fall in (later write wins on an equal ts).
//
// Into the point log (Log, then EndBatch): a transaction that brings one or
// two points to each of many modules (one frame per request) would rewrite
// one chunk page per module; its points go instead as one appended row of
// `point_log`, and CompactLog later merges the whole log into chunks, many
// points per chunk write. Log points are newer than the chunks: reads overlay
// them; a long run for a module with points in the log merges the log first.
class SeriesWriter {
 public:
  // `max_cached_bytes`: what the last chunks kept in memory may take;
  // `max_log_entries`: how many of the log's entries are kept in memory.
  explicit SeriesWriter(sqlite3* db, size_t max_cached_bytes = size_t{64} << 20,
                        size_t max_log_entries = size_t{1} << 18);

  // `points`: ts ascending and unique. Straight into chunks.
  Status Upsert(int64_t module_id, std::span<const SeriesPoint> points);

  // Whether the module has points in the log (its writes must go there too).
  Result<bool> InLog(int64_t module_id);
  // Adds points to this transaction's log row; EndBatch writes it.
  Status Log(int64_t module_id, std::span<const SeriesPoint> points);
  Status EndBatch();
  // Points in the log (0 until known).
  size_t log_points() const { return log_loaded_ ? log_points_ : 0; }
  // Merges every log point into chunks and empties the log (ends a compaction
  // in slices, if one is under way).
  Status CompactLog();
  // The same work in slices, one per call and per transaction, so that no
  // single transaction holds the writer for the whole log. The first call takes
  // the entries of the log's rows so far (kept in memory, or read back past
  // the cap) and sorts them; each call merges the runs of whole modules
  // until about `slice_points` points; the call that merges the last deletes
  // those rows. Rows logged meanwhile stay for the next compaction. Until then
  // the rows stay too, so reads (which overlay the log) see the same points.
  // Returns whether the compaction ended.
  Result<bool> CompactLogSlice(size_t slice_points);
  bool compacting() const { return compaction_.active; }

  // Keeps the module's first time and latest point in `modules` (first_ms,
  // last_ms, last_value, last_quality) up to date with a run of its points
  // (ts ascending), inside the caller's transaction: the latest point of a
  // module is then one row to read, whatever its history.
  Status NoteExtent(int64_t module_id, const SeriesPoint& first, const SeriesPoint& last);

  // Drops what is cached (last chunks, what the log holds): after a rollback,
  // or when another connection may have written (PRAGMA data_version).
  void ForgetCache();

 private:
  // The last chunk, decoded: an append re-encodes it whole (format 2 packs
  // columns, so a point cannot be appended to the blob).
  struct Tail {
    int64_t id = 0;
    std::vector<SeriesPoint> points;
    EpochMs end_ts() const { return points.back().ts; }
    size_t bytes() const { return points.size() * sizeof(SeriesPoint); }
  };
  // Over max_cached_bytes_: the last chunks are read again when needed. Only
  // them: this transaction's pending log row must survive an eviction.
  void DropTails();
  // The module's last chunk, loaded on first use; nullptr if it has none.
  Result<Tail*> FindTail(int64_t module_id);
  // Stores `points` as new chunks; the last one becomes the cached tail when `is_tail`.
  Status InsertChunks(int64_t module_id, std::span<const SeriesPoint> points, bool is_tail);
  Status Merge(int64_t module_id, std::span<const SeriesPoint> points);

  Status LoadLog();
  Stmt& LogStmt(std::unique_ptr<Stmt>& stmt, const char* sql);  // prepared on first use (the table is schema v7)

  sqlite3* db_;
  const size_t max_cached_bytes_;
  Stmt last_chunk_, insert_, update_, overlapping_, delete_;
  std::unique_ptr<Stmt> note_extent_;  // prepared on first use (the columns are schema v11)
  std::unique_ptr<Stmt> insert_log_, read_log_, clear_log_, clear_upto_;
  std::unordered_map<int64_t, Tail> tails_;
  size_t cached_bytes_ = 0;
  bool log_loaded_ = false;
  // What the log holds, known once loaded (log_loaded_): the modules with
  // points in it, how many points, and the entries themselves, row after row
  // (during a compaction in slices: those of the rows logged since it began).
  std::unordered_set<int64_t> logged_;
  size_t log_points_ = 0;
  std::vector<LogEntry> log_entries_;
  // Whether log_entries_ holds them all: past max_log_entries_ (an import of
  // many modules with a reading each) they are dropped, and read back from the
  // table when a compaction needs them, so memory stays flat.
  bool log_entries_known_ = true;
  const size_t max_log_entries_;
  void ForgetLogEntries();
  int64_t last_log_row_ = 0;            // id of the log's last row (0: none)
  std::string pending_log_;             // this transaction's log row
  std::vector<LogEntry> pending_entries_;
  // A compaction in slices (CompactLogSlice).
  struct Compaction {
    bool active = false;
    int64_t last_row = 0;           // it merges the log's rows up to this id
    std::vector<LogEntry> entries;  // their points, sorted by (module, ts)
    size_t next = 0;                // the first entry not merged yet
  };
  Compaction compaction_;
};

// Runs of fewer points than this per module and transaction go to the log.
inline constexpr size_t kDirectRunPoints = 8;

// Collects (module, point) pairs in arrival order, then writes them sorted by
// module and time, the later of two writes to one (module, ts) winning.
// The buffers of a sort by (module, ts), kept from one sort to the next: a
// chunk of a file import sorts 65,536 entries, and fresh buffers of that size
// are fresh pages to fault in every time.
struct SeriesSortScratch {
  std::unordered_map<int64_t, uint32_t> dense;
  std::vector<uint32_t> which;
  std::vector<size_t> count, start;
  std::vector<std::pair<int64_t, uint32_t>> order;
  std::vector<LogEntry> sorted;
};

class SeriesBatch {
 public:
  void Add(int64_t module_id, const SeriesPoint& point) { entries_.push_back({module_id, point}); }
  size_t size() const { return entries_.size(); }
  void Clear() { entries_.clear(); }
  Status Flush(SeriesWriter& writer);

 private:
  std::vector<LogEntry> entries_;
  std::vector<SeriesPoint> run_;
  SeriesSortScratch scratch_;
};

// Schema v12: every chunk in format 2 (series_codec.h).
Status ReencodeChunks(sqlite3* db);

// Schema v11: fills modules.first_ms / last_ms / last_value / last_quality
// from what the chunks and the point log hold (a store written before them).
Status BackfillModuleExtents(sqlite3* db);

// A double as stored in modules.last_value: 8 bytes, exact (NaN, -0 included).
std::string DoubleBytes(double v);
double DoubleFromBytes(std::string_view bytes);

// Calls `each` for the module's points with from <= ts < to, in ts order
// (chunks overlaid by the log), until it returns false. Works on any
// connection (its statements kept in `statements`); run it inside a read
// transaction so both tables are seen at one instant.
Status ReadSeries(StmtCache& statements, int64_t module_id, EpochMs from, EpochMs to,
                  const std::function<bool(const SeriesPoint&)>& each);

}  // namespace telecollect::store
