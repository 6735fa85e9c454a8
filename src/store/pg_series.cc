// PgStore: measurements as chunks of points (series_codec.h) in `chunks`,
// partitioned by month. A module's chunks never overlap in time and never
// cross a month boundary, so a month's partition holds exactly that month.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/log.h"
#include "store/pg_store_internal.h"

namespace telecollect::store {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::milliseconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

sys_days DayOf(EpochMs ts) { return floor<days>(std::chrono::sys_time<milliseconds>(milliseconds(ts))); }
EpochMs MsOf(sys_days d) { return std::chrono::duration_cast<milliseconds>(d.time_since_epoch()).count(); }

std::string PartitionName(EpochMs month_start) {
  const year_month_day ymd{DayOf(month_start)};
  const int y = static_cast<int>(ymd.year());
  char name[40];
  std::snprintf(name, sizeof name, "chunks_y%s%04dm%02u", y < 0 ? "n" : "", y < 0 ? -y : y,
                static_cast<unsigned>(ymd.month()));
  return name;
}

// One module's new points within one month.
struct Segment {
  int64_t module_id;
  EpochMs month;
  std::vector<SeriesPoint> points;  // ts ascending, unique
};

// One chunk to write: kChunkCapacity points at most, encoded.
struct NewChunk {
  EpochMs start;
  EpochMs end;
  int64_t n;
  std::string data;
};

// Encodes `points` (ts ascending) as chunks of kChunkCapacity.
void Encode(std::span<const SeriesPoint> points, std::vector<NewChunk>& out) {
  for (size_t at = 0; at < points.size(); at += kChunkCapacity) {
    const auto chunk = points.subspan(at, std::min(kChunkCapacity, points.size() - at));
    out.push_back(NewChunk{chunk.front().ts, chunk.back().ts, static_cast<int64_t>(chunk.size()),
                           EncodeChunk(chunk.front().ts, chunk)});
  }
}

// The rows of one kind of chunk change (a column each), as statement parameters.
struct ChunkRows {
  PgArray modules, starts, ends, counts, blobs;
  void Add(int64_t module_id, const NewChunk& c) {
    modules.Add(module_id);
    starts.Add(c.start);
    ends.Add(c.end);
    counts.Add(c.n);
    blobs.AddBytes(c.data);
  }
  void To(PgParams& p) {
    p.Add(std::string_view(modules.Take())).Add(std::string_view(starts.Take())).Add(std::string_view(ends.Take()));
    p.Add(std::string_view(counts.Take())).Add(std::string_view(blobs.Take()));
  }
};

}  // namespace

EpochMs MonthStart(EpochMs ts) {
  const year_month_day ymd{DayOf(ts)};
  return MsOf(sys_days(ymd.year() / ymd.month() / 1));
}

EpochMs NextMonthStart(EpochMs month_start) {
  const year_month_day ymd{DayOf(month_start)};
  return MsOf(sys_days((ymd.year() / ymd.month() / 1) + std::chrono::months(1)));
}

Status PgStore::Tx::EnsurePartition(EpochMs month) {
  {
    MutexLock lock(store_.ids_mu_);
    if (store_.partitions_.count(month)) return Status::Ok();
  }
  if (created_.partitions.count(month)) return Status::Ok();
  const std::string name = PartitionName(month);
  TC_ASSIGN_OR_RETURN(PgResult exists, Exec("SELECT to_regclass($1) IS NOT NULL", PgParams().Add(name)));
  if (exists.Text(0, 0) != "t") {
    // Nodes creating the same month at once: one creates, the other waits for
    // its commit and then finds it (IF NOT EXISTS).
    TC_RETURN_IF_ERROR(Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSchema) + ", 0)").status());
    TC_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF chunks FOR VALUES FROM (" +
                            std::to_string(month) + ") TO (" + std::to_string(NextMonthStart(month)) +
                            ") WITH (fillfactor = 70, toast_tuple_target = 8160)")
                           .status());
  }
  created_.partitions.insert(month);
  return Status::Ok();
}

namespace {

// A transaction whose points number fewer than this many per module (on
// average) logs them (one row) rather than rewrite a chunk per module.
constexpr size_t kLogBelowPointsPerModule = 16;

// The modules of `entries`, ascending and unique.
std::vector<int64_t> ModulesOf(const std::vector<LogEntry>& entries) {
  std::vector<int64_t> ids;
  ids.reserve(entries.size());
  for (const LogEntry& e : entries) ids.push_back(e.module_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace

Status PgStore::Tx::Flush() {
  if (staged_.empty()) return Status::Ok();
  if (staged_.size() < kLogBelowPointsPerModule * ModulesOf(staged_).size()) return FlushToLog();
  return FlushToChunks(/*holding_log_lock=*/false);
}

Status PgStore::Tx::FlushToLog() {
  // In the order staged: a later write of a point follows the earlier one, and
  // the compaction keeps that order (stable sort).
  for (const LogEntry& e : staged_) AppendLogEntry(deferred_, e.module_id, e.point);
  deferred_n_ += staged_.size();
  logged_ += staged_.size();
  staged_.clear();
  if (commit_later_) return Status::Ok();  // sent with the COMMIT (TakeDeferredLog)
  TC_RETURN_IF_ERROR(ExecPrepared("tc_log_insert", "INSERT INTO point_log(n, data) VALUES ($1, $2::bytea)",
                                  PgParams().Add(deferred_n_).AddBytes(deferred_))
                         .status());
  deferred_.clear();
  deferred_n_ = 0;
  return Status::Ok();
}

std::string PgStore::Tx::TakeDeferredLog() {
  if (deferred_n_ == 0) return "";
  // Hex digits only: a literal nothing in the entries can break out of.
  std::string sql = "INSERT INTO point_log(n, data) VALUES (" + std::to_string(deferred_n_) + ", '" + ByteaHex(deferred_) +
                    "'::bytea); ";
  deferred_.clear();
  deferred_n_ = 0;
  return sql;
}

Status PgStore::Tx::FlushToChunks(bool holding_log_lock) {
  if (staged_.empty()) return Status::Ok();
  // Every writer of a module's chunks holds its lock (modules in ascending
  // order: no deadlock between two writers), after the point log's lock
  // (shared; a compaction holds it exclusively). The statements that follow
  // touch a few rows each by key: joins by index, never a hash join over a
  // month's partition (set for the rest of the transaction, in the same round
  // trip). A point logged before this write and not yet merged would be merged
  // over it later: while the log holds any point, this write goes there too.
  // This transaction's own log row, sent with its COMMIT, counts too.
  if (!holding_log_lock && deferred_n_ > 0) return FlushToLog();
  PgArray lock_keys;
  for (int64_t id : ModulesOf(staged_)) lock_keys.Add(id);
  if (holding_log_lock) {
    TC_RETURN_IF_ERROR(ExecPrepared("tc_chunks_lock_compacting",
                                    "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', "
                                    "'off', true), (SELECT count(pg_advisory_xact_lock(" + std::to_string(kLockModule) +
                                        ", (k % 2147483647)::integer)) FROM unnest($1::bigint[]) AS k)",
                                    PgParams().Add(std::string_view(lock_keys.Take())))
                           .status());
  } else {
    TC_ASSIGN_OR_RETURN(
        PgResult locked,
        ExecPrepared("tc_chunks_lock",
                     "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
                     "pg_advisory_xact_lock_shared(" + std::to_string(kLockLog) + ", 0)::text, (SELECT count(pg_advisory_xact_lock(" +
                         std::to_string(kLockModule) + ", (k % 2147483647)::integer)) FROM unnest($1::bigint[]) AS k), "
                         "EXISTS (SELECT 1 FROM point_log)",
                     PgParams().Add(std::string_view(lock_keys.Take()))));
    if (locked.Text(0, 4) == "t") return FlushToLog();
  }
  // By (module, ts), the later of two writes to one ts winning.
  std::stable_sort(staged_.begin(), staged_.end(), [](const LogEntry& a, const LogEntry& b) {
    return a.module_id != b.module_id ? a.module_id < b.module_id : a.point.ts < b.point.ts;
  });
  std::vector<Segment> segments;
  for (size_t i = 0; i < staged_.size(); ++i) {
    const LogEntry& e = staged_[i];
    if (i + 1 < staged_.size() && staged_[i + 1].module_id == e.module_id && staged_[i + 1].point.ts == e.point.ts) {
      continue;  // a later write of the same point follows
    }
    const EpochMs month = MonthStart(e.point.ts);
    if (segments.empty() || segments.back().module_id != e.module_id || segments.back().month != month) {
      segments.push_back({e.module_id, month, {}});
    }
    segments.back().points.push_back(e.point);
  }
  staged_.clear();
  std::set<EpochMs> months;
  for (const Segment& s : segments) months.insert(s.month);
  for (EpochMs m : months) TC_RETURN_IF_ERROR(EnsurePartition(m));

  // Each module's first time and latest point (ModuleInfo): its rows are
  // locked in the modules' order, after the advisory locks above.
  PgArray ext_ids, ext_first, ext_last, ext_value, ext_quality;
  for (size_t i = 0; i < segments.size();) {
    size_t j = i;
    while (j + 1 < segments.size() && segments[j + 1].module_id == segments[i].module_id) ++j;
    const SeriesPoint& last = segments[j].points.back();
    ext_ids.Add(segments[i].module_id);
    ext_first.Add(segments[i].points.front().ts);
    ext_last.Add(last.ts);
    ext_value.Add(last.value);
    ext_quality.Add(static_cast<int64_t>(last.quality));
    i = j + 1;
  }
  // The chunks each segment touches: those overlapping its points, and the
  // month's last chunk before them when it is not full (new points append to it).
  PgArray mods, los, his, month_starts;
  for (const Segment& s : segments) {
    mods.Add(s.module_id);
    los.Add(s.points.front().ts);
    his.Add(s.points.back().ts);
    month_starts.Add(s.month);
  }
  // The modules' extents are updated by the same statement, in a CTE that
  // runs to completion whatever the read returns: one round trip, one plan.
  PgParams q;
  q.Add(std::string_view(mods.Take())).Add(std::string_view(los.Take())).Add(std::string_view(his.Take()));
  q.Add(std::string_view(month_starts.Take())).Add(static_cast<int64_t>(kChunkCapacity));
  q.Add(std::string_view(ext_ids.Take())).Add(std::string_view(ext_first.Take())).Add(std::string_view(ext_last.Take()));
  q.Add(std::string_view(ext_value.Take())).Add(std::string_view(ext_quality.Take()));
  TC_ASSIGN_OR_RETURN(
      PgResult old,
      ExecPrepared("tc_chunks_read", "WITH ext AS (UPDATE modules m SET first_ms = LEAST(coalesce(m.first_ms, u.f), u.f), "
           "last_value = CASE WHEN m.last_ms IS NULL OR m.last_ms <= u.l THEN u.v ELSE m.last_value END, "
           "last_quality = CASE WHEN m.last_ms IS NULL OR m.last_ms <= u.l THEN u.q ELSE m.last_quality END, "
           "last_ms = GREATEST(coalesce(m.last_ms, u.l), u.l) "
           "FROM unnest($6::bigint[], $7::bigint[], $8::bigint[], $9::float8[], $10::integer[]) "
           "AS u(id, f, l, v, q) WHERE m.id = u.id) "
           "SELECT s.i, c.start_ts, c.data FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) "
           "WITH ORDINALITY AS s(m, lo, hi, month, i) CROSS JOIN LATERAL ("
           "SELECT start_ts, data FROM chunks WHERE module_id = s.m AND start_ts >= s.month AND start_ts <= s.hi "
           "AND end_ts >= s.lo "
           "UNION ALL SELECT start_ts, data FROM (SELECT start_ts, end_ts, n, data FROM chunks WHERE module_id = s.m "
           "AND start_ts >= s.month AND start_ts < s.lo ORDER BY start_ts DESC LIMIT 1) t "
           "WHERE t.end_ts < s.lo AND t.n < $5) c",
           q));
  std::vector<std::vector<SeriesPoint>> before(segments.size());
  std::vector<std::vector<EpochMs>> old_starts(segments.size());
  for (int row = 0; row < old.rows(); ++row) {
    const size_t i = static_cast<size_t>(old.Int(row, 0) - 1);
    const EpochMs start = old.Int(row, 1);
    TC_RETURN_IF_ERROR(DecodeChunk(start, old.Bytes(row, 2), before[i]));
    old_starts[i].push_back(start);
  }
  // A new chunk that starts where an old one did replaces it in place (an
  // UPDATE: the key is unchanged, so PostgreSQL rewrites the row within its
  // page without touching the index, the usual case of points appended to a
  // module's last chunk); the other old chunks are deleted, the other new
  // ones inserted. All three in one statement.
  ChunkRows updated, inserted;
  PgArray del_mods, del_starts;
  std::vector<NewChunk> chunks;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::sort(before[i].begin(), before[i].end(), [](const SeriesPoint& a, const SeriesPoint& b) { return a.ts < b.ts; });
    chunks.clear();
    Encode(MergePoints(before[i], segments[i].points), chunks);
    const int64_t module_id = segments[i].module_id;
    std::vector<EpochMs>& olds = old_starts[i];
    for (const NewChunk& c : chunks) {
      auto it = std::find(olds.begin(), olds.end(), c.start);
      if (it == olds.end()) {
        inserted.Add(module_id, c);
      } else {
        updated.Add(module_id, c);
        olds.erase(it);
      }
    }
    for (EpochMs start : olds) {
      del_mods.Add(module_id);
      del_starts.Add(start);
    }
  }
  PgParams w;
  updated.To(w);
  w.Add(std::string_view(del_mods.Take())).Add(std::string_view(del_starts.Take()));
  inserted.To(w);
  return ExecPrepared("tc_chunks_write", "WITH u AS (UPDATE chunks c SET end_ts = x.e, n = x.n, data = x.d FROM unnest($1::bigint[], "
              "$2::bigint[], $3::bigint[], $4::integer[], $5::bytea[]) AS x(m, s, e, n, d) "
              "WHERE c.module_id = x.m AND c.start_ts = x.s), "
              "d AS (DELETE FROM chunks c USING unnest($6::bigint[], $7::bigint[]) AS y(m, s) "
              "WHERE c.module_id = y.m AND c.start_ts = y.s) "
              "INSERT INTO chunks(module_id, start_ts, end_ts, n, data) "
              "SELECT * FROM unnest($8::bigint[], $9::bigint[], $10::bigint[], $11::integer[], $12::bytea[])",
              w)
      .status();
}

Status PgReadSeries(PGconn* conn, int64_t module_id, EpochMs from, EpochMs to,
                    const std::function<bool(const SeriesPoint&)>& each) {
  TC_ASSIGN_OR_RETURN(PgResult r, PgExec(conn,
                                         "SELECT start_ts, data FROM chunks WHERE module_id = $1 AND start_ts < $3 "
                                         "AND end_ts >= $2 ORDER BY start_ts",
                                         PgParams().Add(module_id).Add(from).Add(to)));
  std::vector<SeriesPoint> points;
  for (int row = 0; row < r.rows(); ++row) {
    points.clear();
    TC_RETURN_IF_ERROR(DecodeChunk(r.Int(row, 0), r.Bytes(row, 1), points));
    for (const SeriesPoint& p : points) {
      if (p.ts < from) continue;
      if (p.ts >= to) return Status::Ok();
      if (!each(p)) return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace telecollect::store

namespace telecollect::store {
namespace {

// Log rows looked at per slice, and the points one slice merges at most (at
// least one row's, however many it holds).
constexpr int64_t kCompactRowsPerSlice = 10000;
constexpr size_t kCompactPointsPerSlice = 100000;

}  // namespace

Result<bool> PgStore::CompactLogSlice(int64_t through) {
  bool more = false;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    more = false;
    TC_RETURN_IF_ERROR(tx.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockLog) + ", 0)").status());
    TC_ASSIGN_OR_RETURN(PgResult listed, tx.Exec("SELECT id, n FROM point_log WHERE id <= $1 ORDER BY id LIMIT $2",
                                                 PgParams().Add(through).Add(kCompactRowsPerSlice)));
    if (listed.rows() == 0) return Status::Ok();
    PgArray ids;
    size_t points = 0;
    int taken = 0;
    for (; taken < listed.rows(); ++taken) {
      const auto n = static_cast<size_t>(listed.Int(taken, 1));
      if (taken > 0 && points + n > kCompactPointsPerSlice) break;
      points += n;
      ids.Add(listed.Int(taken, 0));
    }
    more = taken < listed.rows() || listed.rows() == kCompactRowsPerSlice;
    const std::string id_array = ids.Take();
    TC_ASSIGN_OR_RETURN(PgResult rows, tx.Exec("SELECT id, data FROM point_log WHERE id = ANY($1::bigint[]) ORDER BY id",
                                               PgParams().Add(std::string_view(id_array))));
    std::vector<LogEntry> entries;
    for (int row = 0; row < rows.rows(); ++row) {
      entries.clear();
      Status s = DecodeLog(rows.Bytes(row, 1), entries);
      if (!s.ok()) return s.WithContext("point_log row " + std::to_string(rows.Int(row, 0)));
      for (const LogEntry& e : entries) tx.Stage(e.module_id, e.point);
    }
    TC_RETURN_IF_ERROR(tx.FlushToChunks(/*holding_log_lock=*/true));
    return tx.Exec("DELETE FROM point_log WHERE id = ANY($1::bigint[])", PgParams().Add(std::string_view(id_array)))
        .status();
  }));
  return more;
}

Status PgStore::CompactLog() {
  // After this node's commits in flight (Read waits for them): its writes so
  // far are in the log, or in the chunks.
  std::optional<int64_t> last;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT max(id) FROM point_log"));
    if (!r.IsNull(0, 0)) last = r.Int(0, 0);
    return Status::Ok();
  }));
  if (!last) return Status::Ok();
  const int64_t through = *last;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool more, CompactLogSlice(through));
    if (!more) return Status::Ok();
  }
}

void PgStore::CompactorLoop() {
  auto last = std::chrono::steady_clock::now();
  while (true) {
    {
      MutexLock lock(compactor_mu_);
      compactor_cv_.WaitFor(lock, std::chrono::seconds(1),
                            [&]() TC_REQUIRES(compactor_mu_) { return stopping_ || logged_points_ >= kCompactAtPoints; });
      if (stopping_) return;
    }
    const size_t pending = logged_points_.load();
    if (pending == 0) continue;
    if (pending < kCompactAtPoints && std::chrono::steady_clock::now() - last < kCompactEvery) continue;
    // What is logged from now on counts towards the next compaction.
    logged_points_ -= pending;
    const Status s = CompactLog();
    last = std::chrono::steady_clock::now();
    if (!s.ok()) {
      logged_points_ += pending;
      // An outage is logged once by the link (store_unreachable).
      if (!IsStoreUnreachable(s)) LogWarn("point_log_compaction_failed", {{"error", s.message()}});
    }
  }
}

void PgStore::NoteLogged(size_t points) {
  if (points == 0) return;
  if ((logged_points_ += points) >= kCompactAtPoints) compactor_cv_.NotifyOne();
}

}  // namespace telecollect::store
