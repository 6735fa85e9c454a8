#include "store/sqlite_series.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

namespace telecollect::store {
namespace {

// The chunks that may hold points of [?2, ?3]: from the last one starting at
// or before ?2 (it may reach into the range) to the last one starting at or
// before ?3. A module's chunks do not overlap, so nothing else can.
constexpr const char* kOverlapping =
    " FROM chunks WHERE module_id = ?1 AND start_ts <= ?3 AND start_ts >= "
    "coalesce((SELECT max(start_ts) FROM chunks WHERE module_id = ?1 AND start_ts <= ?2), ?2) ORDER BY start_ts";

// Calls fn(entry) for every entry of the point log, oldest row first (`q`:
// kReadLog); `last_row`, when given, receives the id of the last row read.
template <typename Fn>
Status ForEachLogEntry(Stmt& q, Fn&& fn, int64_t* last_row = nullptr) {
  std::vector<LogEntry> row_entries;
  Status s;
  while (true) {
    auto row = q.Step();
    if (!row.ok() || !*row) {
      if (!row.ok()) s = row.status();
      break;
    }
    row_entries.clear();
    s = DecodeLog(q.Blob(0), row_entries);
    if (!s.ok()) break;
    if (last_row) *last_row = q.Int(1);
    for (const LogEntry& e : row_entries) fn(e);
  }
  q.Reset();
  return s;
}

// Sorts `entries` by (module, ts), keeping the order of entries of one instant.
// A transaction brings few modules, each its points in time order (a batch of a
// device's frames: one point per module and frame, frame after frame): a stable
// counting sort by module, then a sort of a module's points only if they are out
// of order, instead of a merge sort of everything.
void SortByModuleThenTime(std::vector<LogEntry>& entries, SeriesSortScratch& scratch) {
  const auto before = [](const LogEntry& a, const LogEntry& b) {
    return a.module_id != b.module_id ? a.module_id < b.module_id : a.point.ts < b.point.ts;
  };
  if (std::is_sorted(entries.begin(), entries.end(), before)) return;
  // Each entry's module as a dense number (one hash lookup per entry), and each
  // module's count.
  auto& dense = scratch.dense;
  auto& which = scratch.which;
  auto& count = scratch.count;
  dense.clear();
  count.clear();
  which.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto [it, fresh] = dense.try_emplace(entries[i].module_id, static_cast<uint32_t>(count.size()));
    if (fresh) {
      count.push_back(0);
      if (count.size() * 4 > entries.size()) {  // about one point per module: a plain sort
        std::stable_sort(entries.begin(), entries.end(), before);
        return;
      }
    }
    which[i] = it->second;
    ++count[it->second];
  }
  // Where each module's entries start, modules in id order.
  auto& order = scratch.order;
  order.clear();
  for (const auto& [module, d] : dense) order.emplace_back(module, d);
  std::sort(order.begin(), order.end());
  auto& start = scratch.start;
  start.resize(count.size());
  size_t at = 0;
  for (const auto& [module, d] : order) {
    start[d] = at;
    at += count[d];
  }
  auto& sorted = scratch.sorted;
  sorted.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) sorted[start[which[i]]++] = entries[i];
  entries.swap(sorted);  // the scratch keeps the old buffer for the next sort
  const auto by_ts = [](const LogEntry& a, const LogEntry& b) { return a.point.ts < b.point.ts; };
  for (auto run = entries.begin(); run != entries.end();) {
    const auto end = std::find_if(run, entries.end(), [&](const LogEntry& e) { return e.module_id != run->module_id; });
    if (!std::is_sorted(run, end, by_ts)) std::stable_sort(run, end, by_ts);
    run = end;
  }
}

// Calls fn(module_id, run) for each module of `entries` (sorted by module, then
// ts, entries of one instant in write order), its points ts-ascending and
// unique: of two entries of one instant, the later is kept.
template <typename Fn>
Status ForEachSortedRun(std::span<const LogEntry> entries, std::vector<SeriesPoint>& run, Fn&& fn) {
  for (size_t i = 0; i < entries.size();) {
    const int64_t module_id = entries[i].module_id;
    run.clear();
    for (; i < entries.size() && entries[i].module_id == module_id; ++i) {
      if (!run.empty() && run.back().ts == entries[i].point.ts) run.back() = entries[i].point;
      else run.push_back(entries[i].point);
    }
    TC_RETURN_IF_ERROR(fn(module_id, std::span<const SeriesPoint>(run)));
  }
  return Status::Ok();
}

// The same over `entries` in write order: sorts them first.
template <typename Fn>
Status ForEachRun(std::vector<LogEntry>& entries, std::vector<SeriesPoint>& run, SeriesSortScratch& scratch, Fn&& fn) {
  SortByModuleThenTime(entries, scratch);
  return ForEachSortedRun(entries, run, std::forward<Fn>(fn));
}

constexpr const char* kReadLog = "SELECT data, id FROM point_log ORDER BY id";

std::string Encode(std::span<const SeriesPoint> points) { return EncodeChunk(points.front().ts, points); }

}  // namespace

SeriesWriter::SeriesWriter(sqlite3* db, size_t max_cached_bytes, size_t max_log_entries)
    : db_(db),
      max_cached_bytes_(max_cached_bytes),
      last_chunk_(db, "SELECT id, start_ts, data FROM chunks WHERE module_id = ?1 ORDER BY start_ts DESC LIMIT 1"),
      insert_(db, "INSERT INTO chunks(module_id, start_ts, end_ts, n, data) VALUES(?1, ?2, ?3, ?4, ?5)"),
      update_(db, "UPDATE chunks SET end_ts = ?2, n = ?3, data = ?4 WHERE id = ?1"),
      overlapping_(db, std::string("SELECT id, start_ts, data") + kOverlapping),
      delete_(db, "DELETE FROM chunks WHERE id = ?1"),
      max_log_entries_(max_log_entries) {}

void SeriesWriter::DropTails() {
  tails_.clear();
  cached_bytes_ = 0;
}

void SeriesWriter::ForgetCache() {
  DropTails();
  compaction_ = Compaction{};  // read again from the table when next wanted
  log_loaded_ = false;
  logged_.clear();
  log_entries_.clear();
  log_entries_known_ = true;
  last_log_row_ = 0;
  log_points_ = 0;
  pending_log_.clear();
  pending_entries_.clear();
}

Stmt& SeriesWriter::LogStmt(std::unique_ptr<Stmt>& stmt, const char* sql) {
  if (!stmt) stmt = std::make_unique<Stmt>(db_, sql);
  return *stmt;
}

Status SeriesWriter::LoadLog() {
  if (log_loaded_) return Status::Ok();
  logged_.clear();
  log_entries_.clear();
  last_log_row_ = 0;
  log_points_ = 0;
  log_entries_known_ = true;
  TC_RETURN_IF_ERROR(ForEachLogEntry(
      LogStmt(read_log_, kReadLog),
      [&](const LogEntry& e) {
        logged_.insert(e.module_id);
        ++log_points_;
        if (log_entries_known_) log_entries_.push_back(e);
        if (log_entries_.size() > max_log_entries_) ForgetLogEntries();
      },
      &last_log_row_));
  log_loaded_ = true;
  return Status::Ok();
}

void SeriesWriter::ForgetLogEntries() {
  log_entries_known_ = false;
  std::vector<LogEntry>().swap(log_entries_);
}

Result<bool> SeriesWriter::InLog(int64_t module_id) {
  TC_RETURN_IF_ERROR(LoadLog());
  return logged_.count(module_id) > 0;
}

Status SeriesWriter::Log(int64_t module_id, std::span<const SeriesPoint> points) {
  TC_RETURN_IF_ERROR(LoadLog());
  for (const SeriesPoint& p : points) {
    AppendLogEntry(pending_log_, module_id, p);
    pending_entries_.push_back({module_id, p});
  }
  return Status::Ok();
}

Status SeriesWriter::EndBatch() {
  if (pending_entries_.empty()) return Status::Ok();
  Stmt& ins = LogStmt(insert_log_, "INSERT INTO point_log(data) VALUES(?1)");
  ins.BindBlob(1, pending_log_.data(), pending_log_.size());
  Status s = ins.Run();
  if (s.ok()) {
    for (const LogEntry& e : pending_entries_) logged_.insert(e.module_id);
    if (log_entries_known_) log_entries_.insert(log_entries_.end(), pending_entries_.begin(), pending_entries_.end());
    if (log_entries_.size() > max_log_entries_) ForgetLogEntries();
    log_points_ += pending_entries_.size();
    last_log_row_ = sqlite3_last_insert_rowid(db_);
  }
  pending_log_.clear();
  pending_entries_.clear();
  return s;
}

Status SeriesWriter::CompactLog() {
  std::vector<LogEntry> entries;
  TC_RETURN_IF_ERROR(ForEachLogEntry(LogStmt(read_log_, kReadLog), [&](const LogEntry& e) { entries.push_back(e); }));
  std::vector<SeriesPoint> run;
  SeriesSortScratch scratch;
  TC_RETURN_IF_ERROR(ForEachRun(entries, run, scratch, [&](int64_t module_id, std::span<const SeriesPoint> points) {
    return Upsert(module_id, points);
  }));
  TC_RETURN_IF_ERROR(LogStmt(clear_log_, "DELETE FROM point_log").Run());
  logged_.clear();
  log_entries_.clear();
  log_entries_known_ = true;
  log_points_ = 0;
  log_loaded_ = true;
  compaction_ = Compaction{};
  return Status::Ok();
}

Result<bool> SeriesWriter::CompactLogSlice(size_t slice_points) {
  TC_RETURN_IF_ERROR(LoadLog());
  Compaction& c = compaction_;  // reset to its defaults whenever a compaction ends or is dropped
  if (!c.active) {
    // What the log holds is in memory already (this writer logged it, or
    // LoadLog read it), unless there was too much of it: then it is read back.
    if (log_entries_known_) {
      c.entries.swap(log_entries_);
      c.last_row = last_log_row_;
    } else {
      TC_RETURN_IF_ERROR(ForEachLogEntry(
          LogStmt(read_log_, kReadLog), [&](const LogEntry& e) { c.entries.push_back(e); }, &c.last_row));
      log_entries_known_ = true;  // the rows logged from now on
    }
    SeriesSortScratch scratch;
    SortByModuleThenTime(c.entries, scratch);
    c.active = true;
  }
  // Whole modules, until about slice_points points.
  size_t end = c.next;
  while (end < c.entries.size() && end - c.next < slice_points) {
    const int64_t module_id = c.entries[end].module_id;
    while (end < c.entries.size() && c.entries[end].module_id == module_id) ++end;
  }
  const auto part = std::span<const LogEntry>(c.entries).subspan(c.next, end - c.next);
  std::vector<SeriesPoint> run;
  TC_RETURN_IF_ERROR(ForEachSortedRun(part, run, [&](int64_t module_id, std::span<const SeriesPoint> points) {
    return Upsert(module_id, points);
  }));
  c.next = end;
  if (c.next < c.entries.size()) return false;
  Stmt& clear = LogStmt(clear_upto_, "DELETE FROM point_log WHERE id <= ?1");
  clear.Bind(1, c.last_row);
  TC_RETURN_IF_ERROR(clear.Run());
  // What is left: the rows logged since the compaction began; read back from
  // the table if there were too many of them to keep.
  compaction_ = Compaction{};
  if (!log_entries_known_) {
    log_loaded_ = false;
    return true;
  }
  logged_.clear();
  for (const LogEntry& e : log_entries_) logged_.insert(e.module_id);
  log_points_ = log_entries_.size();
  return true;
}

Result<SeriesWriter::Tail*> SeriesWriter::FindTail(int64_t module_id) {
  if (auto it = tails_.find(module_id); it != tails_.end()) return &it->second;
  last_chunk_.Bind(1, module_id);
  auto row = last_chunk_.Step();
  if (!row.ok() || !*row) {
    last_chunk_.Reset();
    if (!row.ok()) return row.status();
    return static_cast<Tail*>(nullptr);
  }
  Tail t;
  t.id = last_chunk_.Int(0);
  Status s = DecodeChunk(last_chunk_.Int(1), last_chunk_.Blob(2), t.points);
  last_chunk_.Reset();
  TC_RETURN_IF_ERROR(s);
  if (t.points.empty()) return Status::IoError("empty measurement chunk " + std::to_string(t.id));
  if (cached_bytes_ > max_cached_bytes_) DropTails();
  cached_bytes_ += t.bytes();
  return &(tails_[module_id] = std::move(t));
}

Status SeriesWriter::InsertChunks(int64_t module_id, std::span<const SeriesPoint> points, bool is_tail) {
  for (size_t i = 0; i < points.size(); i += kChunkCapacity) {
    const auto part = points.subspan(i, std::min(kChunkCapacity, points.size() - i));
    std::string data = Encode(part);
    insert_.Bind(1, module_id).Bind(2, part.front().ts).Bind(3, part.back().ts);
    insert_.Bind(4, static_cast<int64_t>(part.size())).BindBlob(5, data.data(), data.size());
    TC_RETURN_IF_ERROR(insert_.Run());
    if (is_tail && i + kChunkCapacity >= points.size()) {
      if (cached_bytes_ > max_cached_bytes_) DropTails();
      Tail t{sqlite3_last_insert_rowid(db_), std::vector<SeriesPoint>(part.begin(), part.end())};
      cached_bytes_ += t.bytes();
      tails_[module_id] = std::move(t);
    }
  }
  return Status::Ok();
}

Status SeriesWriter::Upsert(int64_t module_id, std::span<const SeriesPoint> points) {
  if (points.empty()) return Status::Ok();
  TC_ASSIGN_OR_RETURN(Tail* tail, FindTail(module_id));
  if (!tail) return InsertChunks(module_id, points, true);
  if (points.front().ts <= tail->end_ts()) return Merge(module_id, points);
  // Append: fill the last chunk, then open new ones.
  const size_t k = std::min(points.size(), kChunkCapacity - std::min(kChunkCapacity, tail->points.size()));
  if (k > 0) {
    tail->points.insert(tail->points.end(), points.begin(), points.begin() + static_cast<std::ptrdiff_t>(k));
    cached_bytes_ += k * sizeof(SeriesPoint);
    const std::string data = Encode(tail->points);
    update_.Bind(1, tail->id).Bind(2, tail->end_ts()).Bind(3, static_cast<int64_t>(tail->points.size()));
    update_.BindBlob(4, data.data(), data.size());
    TC_RETURN_IF_ERROR(update_.Run());
  }
  if (k == points.size()) return Status::Ok();
  return InsertChunks(module_id, points.subspan(k), true);
}

Status SeriesWriter::Merge(int64_t module_id, std::span<const SeriesPoint> points) {
  std::vector<SeriesPoint> old;
  std::vector<int64_t> ids;
  overlapping_.Bind(1, module_id).Bind(2, points.front().ts).Bind(3, points.back().ts);
  Status s;
  while (true) {
    auto row = overlapping_.Step();
    if (!row.ok()) {
      s = row.status();
      break;
    }
    if (!*row) break;
    ids.push_back(overlapping_.Int(0));
    s = DecodeChunk(overlapping_.Int(1), overlapping_.Blob(2), old);
    if (!s.ok()) break;
  }
  overlapping_.Reset();
  TC_RETURN_IF_ERROR(s);
  for (int64_t id : ids) {
    delete_.Bind(1, id);
    TC_RETURN_IF_ERROR(delete_.Run());
  }
  // Whether the last chunk was among those rewritten or not, reload it when next needed.
  if (auto it = tails_.find(module_id); it != tails_.end()) {
    cached_bytes_ -= std::min(cached_bytes_, it->second.bytes());
    tails_.erase(it);
  }
  const std::vector<SeriesPoint> merged = MergePoints(old, points);
  return InsertChunks(module_id, merged, false);
}

std::string DoubleBytes(double v) {
  char raw[8];
  std::memcpy(raw, &v, 8);
  return std::string(raw, 8);
}

double DoubleFromBytes(std::string_view bytes) {
  double v = std::numeric_limits<double>::quiet_NaN();
  if (bytes.size() == 8) std::memcpy(&v, bytes.data(), 8);
  return v;
}

Status SeriesWriter::NoteExtent(int64_t module_id, const SeriesPoint& first, const SeriesPoint& last) {
  // SET reads the row as it was: the latest point is replaced by one at or after it.
  Stmt& q = LogStmt(note_extent_,
                    "UPDATE modules SET first_ms = min(coalesce(first_ms, ?2), ?2), "
                    "last_value = CASE WHEN last_ms IS NULL OR last_ms <= ?3 THEN ?4 ELSE last_value END, "
                    "last_quality = CASE WHEN last_ms IS NULL OR last_ms <= ?3 THEN ?5 ELSE last_quality END, "
                    "last_ms = max(coalesce(last_ms, ?3), ?3) WHERE id = ?1");
  const std::string value = DoubleBytes(last.value);
  q.Bind(1, module_id).Bind(2, first.ts).Bind(3, last.ts).BindBlob(4, value.data(), value.size());
  q.Bind(5, static_cast<int64_t>(last.quality));
  return q.Run();
}

Status ReencodeChunks(sqlite3* db) {
  Stmt all(db, "SELECT id, start_ts, data FROM chunks");
  Stmt up(db, "UPDATE chunks SET data = ?2 WHERE id = ?1");
  std::vector<SeriesPoint> points;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, all.Step());
    if (!row) return Status::Ok();
    points.clear();
    TC_RETURN_IF_ERROR(DecodeChunk(all.Int(1), all.Blob(2), points));
    const std::string data = EncodeChunk(all.Int(1), points);
    TC_RETURN_IF_ERROR(up.Bind(1, all.Int(0)).BindBlob(2, data.data(), data.size()).Run());
  }
}

Status BackfillModuleExtents(sqlite3* db) {
  // The chunks: the first start, and the last chunk's last point.
  {
    Stmt mods(db, "SELECT module_id, min(start_ts), max(start_ts) FROM chunks GROUP BY module_id");
    Stmt last(db, "SELECT data FROM chunks WHERE module_id = ?1 AND start_ts = ?2");
    Stmt up(db, "UPDATE modules SET first_ms = ?2, last_ms = ?3, last_value = ?4, last_quality = ?5 WHERE id = ?1");
    std::vector<SeriesPoint> points;
    while (true) {
      TC_ASSIGN_OR_RETURN(bool row, mods.Step());
      if (!row) break;
      const int64_t module_id = mods.Int(0);
      last.Bind(1, module_id).Bind(2, mods.Int(2));
      auto found = last.Step();
      points.clear();
      Status s = found.ok() ? (*found ? DecodeChunk(mods.Int(2), last.Blob(0), points) : Status::Ok()) : found.status();
      last.Reset();
      TC_RETURN_IF_ERROR(s);
      if (points.empty()) continue;
      const std::string value = DoubleBytes(points.back().value);
      up.Bind(1, module_id).Bind(2, mods.Int(1)).Bind(3, points.back().ts).BindBlob(4, value.data(), value.size());
      up.Bind(5, static_cast<int64_t>(points.back().quality));
      TC_RETURN_IF_ERROR(up.Run());
    }
  }
  // The point log, newer than the chunks: row after row, as a writer would have noted it.
  SeriesWriter writer(db);
  std::vector<LogEntry> entries;
  {
    Stmt q(db, kReadLog);
    TC_RETURN_IF_ERROR(ForEachLogEntry(q, [&](const LogEntry& e) { entries.push_back(e); }));
  }
  std::vector<SeriesPoint> run;
  SeriesSortScratch scratch;
  return ForEachRun(entries, run, scratch, [&](int64_t module_id, std::span<const SeriesPoint> points) {
    return writer.NoteExtent(module_id, points.front(), points.back());
  });
}

Status SeriesBatch::Flush(SeriesWriter& writer) {
  Status s = ForEachRun(entries_, run_, scratch_, [&](int64_t module_id, std::span<const SeriesPoint> run) -> Status {
    TC_RETURN_IF_ERROR(writer.NoteExtent(module_id, run.front(), run.back()));
    if (run.size() < kDirectRunPoints) return writer.Log(module_id, run);
    // A long run goes straight to chunks; if the module has log points
    // (newer than its chunks), the log is merged first.
    TC_ASSIGN_OR_RETURN(bool logged, writer.InLog(module_id));
    if (logged) TC_RETURN_IF_ERROR(writer.CompactLog());
    return writer.Upsert(module_id, run);
  });
  if (s.ok()) s = writer.EndBatch();
  entries_.clear();
  return s;
}

Status ReadSeries(StmtCache& statements, int64_t module_id, EpochMs from, EpochMs to,
                  const std::function<bool(const SeriesPoint&)>& each) {
  if (from >= to) return Status::Ok();
  // The module's log points in range: newer than the chunks, the later row winning.
  std::vector<LogEntry> mine;
  {
    StmtCache::Handle log = statements.Get(kReadLog);
    TC_RETURN_IF_ERROR(ForEachLogEntry(*log, [&](const LogEntry& e) {
      if (e.module_id == module_id && e.point.ts >= from && e.point.ts < to) mine.push_back(e);
    }));
  }
  // One module: its single run is left in `logged`, sorted and one point per instant.
  std::vector<SeriesPoint> logged;
  SeriesSortScratch scratch;
  TC_RETURN_IF_ERROR(ForEachRun(mine, logged, scratch, [](int64_t, std::span<const SeriesPoint>) { return Status::Ok(); }));
  size_t li = 0;
  static const std::string kRead = std::string("SELECT start_ts, data") + kOverlapping;
  StmtCache::Handle chunks = statements.Get(kRead);
  Stmt& q = *chunks;
  q.Bind(1, module_id).Bind(2, from).Bind(3, to - 1);
  std::vector<SeriesPoint> points;
  points.reserve(kChunkCapacity);
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    points.clear();
    TC_RETURN_IF_ERROR(DecodeChunk(q.Int(0), q.Blob(1), points));
    for (const SeriesPoint& p : points) {
      if (p.ts < from) continue;
      if (p.ts >= to) break;
      for (; li < logged.size() && logged[li].ts < p.ts; ++li) {
        if (!each(logged[li])) return Status::Ok();
      }
      if (li < logged.size() && logged[li].ts == p.ts) {
        if (!each(logged[li++])) return Status::Ok();
        continue;
      }
      if (!each(p)) return Status::Ok();
    }
  }
  for (; li < logged.size(); ++li) {
    if (!each(logged[li])) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace telecollect::store
