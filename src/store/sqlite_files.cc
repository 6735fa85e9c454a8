// SqliteStore: the file journal (one transaction per file) and connector runs.
#include <algorithm>
#include <chrono>
#include <limits>

#include "core/json_writer.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

#include "core/clock.h"
#include "store/file_journal_sql.h"

namespace telecollect::store {
namespace {

EpochMs NowMs() { return SystemClock().NowMs(); }

FileRecord ReadFile(const Stmt& q) {
  FileRecord r;
  r.id = q.Int(0);
  r.scope.tenant = q.Text(1);
  r.scope.env = q.Text(2) == "prod" ? Env::kProd : Env::kPreprod;
  r.connector = q.Text(3);
  r.path = q.Text(4);
  r.size = q.Int(5);
  r.mtime_ms = q.Int(6);
  r.sha256 = q.Text(7);
  r.status = q.Text(8);
  r.rows = q.Int(9);
  r.readings = q.Int(10);
  r.errors = q.Int(11);
  r.report_json = q.Text(12);
  r.at = q.Int(13);
  return r;
}

constexpr const char* kRunColumns =
    "SELECT id, connector, started_ms, finished_ms, status, files_imported, files_rejected, files_skipped, readings, "
    "message, files_waiting, rows, row_errors, requests, windows, windows_failed FROM runs ";

RunRecord ReadRun(const Stmt& q) {
  RunRecord r;
  r.id = q.Int(0);
  r.connector = q.Text(1);
  r.started = q.Int(2);
  r.finished = q.Int(3);
  r.status = q.Text(4);
  r.files_imported = q.Int(5);
  r.files_rejected = q.Int(6);
  r.files_skipped = q.Int(7);
  r.readings = q.Int(8);
  r.message = q.Text(9);
  r.files_waiting = q.Int(10);
  r.rows = q.Int(11);
  r.row_errors = q.Int(12);
  r.requests = q.Int(13);
  r.windows = q.Int(14);
  r.windows_failed = q.Int(15);
  return r;
}

// Steps `q` to its end, reading each row with `read`.
template <typename T>
Result<std::vector<T>> Collect(Stmt& q, T (*read)(const Stmt&)) {
  std::vector<T> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(read(q));
  }
  return out;
}

}  // namespace

// Writes an import's readings inside the open transaction: module ids resolved
// once per module, readings buffered and written in (module, ts) order as
// chunks (appends to each module's last chunk, not random inserts). Finish()
// writes what is still buffered. Lives inside ImportFile's transaction, which
// holds write_mu_ until the producer returns: Add may run on the producer's
// own thread (files::PipelinedWriter), but always within that span.
class SqliteStore::FileWriter final : public ReadingWriter {
 public:
  FileWriter(SqliteStore* store, int64_t scope_id) : store_(store), scope_id_(scope_id) {}

  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    store_->write_mu_.AssertHeld();
    // A module is created with its first reading: one named only by rows that
    // were skipped (a "Total" footer line) leaves no trace in the catalog.
    if (ids_.size() < modules.size()) ids_.resize(modules.size(), 0);  // 0: not created yet (ids start at 1)
    for (const Reading& r : readings) {
      int64_t& id = ids_[r.module];
      if (id == 0) {
        const ModuleDef& m = modules[r.module];
        TC_ASSIGN_OR_RETURN(id, store_->ModuleId(scope_id_, m.name, m.unit, NowMs()));
      }
      buffer_.Add(id, {r.ts, r.value, 0});
    }
    if (buffer_.size() >= kBufferedReadings) return Finish();
    return Status::Ok();
  }

  Status Finish() {
    store_->write_mu_.AssertHeld();
    return buffer_.Flush(*store_->series_);
  }

 private:
  SqliteStore* store_;
  int64_t scope_id_;
  std::vector<int64_t> ids_;
  SeriesBatch buffer_;
};

Status SqliteStore::InsertFileRecord(int64_t scope_id, const FileRecord& r) {
  Stmt ins(writer_.get(),
           "INSERT INTO files(scope_id, connector, path, size, mtime_ms, sha256, status, rows, readings, errors, report, "
           "at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  ins.Bind(1, scope_id).Bind(2, r.connector).Bind(3, r.path).Bind(4, r.size).Bind(5, r.mtime_ms).Bind(6, r.sha256);
  ins.Bind(7, r.status).Bind(8, r.rows).Bind(9, r.readings).Bind(10, r.errors).Bind(11, r.report_json).Bind(12, r.at);
  return ins.Run();
}

Status SqliteStore::CheckFence(const std::optional<Fence>& fence) {
  if (!fence) return Status::Ok();
  Stmt q(writer_.get(), "SELECT holder, fence FROM leases WHERE name = ?1");
  q.Bind(1, fence->lease);
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.Text(0) != fence->holder || q.Int(1) != fence->token) return LeaseLost(*fence);
  return Status::Ok();
}

Result<FileImport> SqliteStore::ImportFile(const Scope& scope, const FileProducer& produce, Durability durability,
                                           const std::optional<Fence>& fence) {
  MutexLock lock(write_mu_);
  FileImport out;
  bool duplicate = false;
  Status s = InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    FileWriter writer(this, scope_id);
    TC_ASSIGN_OR_RETURN(FileRecord record, produce(writer));
    TC_RETURN_IF_ERROR(writer.Finish());
    record.scope = scope;
    // The same content already imported in this scope (renamed, re-uploaded,
    // or journaled before a failed delete): roll this one back.
    Stmt q(writer_.get(), std::string(kFileColumns) +
                              "WHERE f.scope_id = ?1 AND f.sha256 = ?2 AND f.status = 'imported' ORDER BY f.id LIMIT 1");
    q.Bind(1, scope_id).Bind(2, record.sha256);
    TC_ASSIGN_OR_RETURN(bool found, q.Step());
    if (found) {
      TC_RETURN_IF_ERROR(CheckFence(fence));  // a stale run learns it lost the lease, not that it is a duplicate
      out.duplicate = duplicate = true;
      out.record = ReadFile(q);
      return Status::Internal("duplicate content: roll back");
    }
    TC_RETURN_IF_ERROR(InsertFileRecord(scope_id, record));
    record.id = sqlite3_last_insert_rowid(writer_.get());
    TC_RETURN_IF_ERROR(CheckFence(fence));
    out.record = std::move(record);
    return Status::Ok();
  });
  if (duplicate) return out;
  TC_RETURN_IF_ERROR(s);
  MaybeCompactLog();  // a file of many modules with a reading or two each fills the log
  if (durability == Durability::kOnReturn) TC_RETURN_IF_ERROR(Sync());
  return out;
}

Status SqliteStore::RecordFile(const FileRecord& record, const std::optional<Fence>& fence) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(record.scope));
    TC_RETURN_IF_ERROR(InsertFileRecord(scope_id, record));
    return CheckFence(fence);
  }));
  return Sync();
}

Result<std::optional<FileRecord>> SqliteStore::FindFile(const std::string& connector, const std::string& path,
                                                        int64_t size, int64_t mtime_ms) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), std::string(kFileColumns) +
                          "WHERE f.connector = ?1 AND f.path = ?2 AND f.size = ?3 AND f.mtime_ms = ?4 "
                          "ORDER BY f.id DESC LIMIT 1");
  q.Bind(1, connector).Bind(2, path).Bind(3, size).Bind(4, mtime_ms);
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFile(q));
}

Result<std::vector<FileRecord>> SqliteStore::ListFiles(const FileQuery& query) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), std::string(kFileColumns) +
                          "WHERE (?1 IS NULL OR f.connector = ?1) AND (?2 IS NULL OR (s.tenant = ?2 AND s.env = ?3)) "
                          "AND f.id < ?5 ORDER BY f.id DESC LIMIT ?4");
  if (query.connector) q.Bind(1, *query.connector);
  if (query.scope) q.Bind(2, query.scope->tenant).Bind(3, std::string_view(EnvName(query.scope->env)));
  q.Bind(4, static_cast<int64_t>(query.limit)).Bind(5, query.before_id.value_or(std::numeric_limits<int64_t>::max()));
  return Collect(q, &ReadFile);
}

Result<int64_t> SqliteStore::StartRun(const RunRecord& run) {
  MutexLock lock(write_mu_);
  int64_t id = 0;
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    Stmt ins(writer_.get(), "INSERT INTO runs(connector, started_ms, status) VALUES(?1, ?2, ?3)");
    // Text is bound without a copy (SQLITE_STATIC): it must outlive the statement's run.
    const std::string status = run.status.empty() ? "running" : run.status;
    ins.Bind(1, run.connector).Bind(2, run.started).Bind(3, status);
    TC_RETURN_IF_ERROR(ins.Run());
    id = sqlite3_last_insert_rowid(writer_.get());
    return Status::Ok();
  }));
  TC_RETURN_IF_ERROR(Sync());
  return id;
}

Status SqliteStore::FinishRun(const RunRecord& run) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    Stmt up(writer_.get(),
            "UPDATE runs SET finished_ms = ?2, status = ?3, files_imported = ?4, files_rejected = ?5, files_skipped = ?6, "
            "readings = ?7, message = ?8, files_waiting = ?9, rows = ?10, row_errors = ?11, requests = ?12, windows = ?13, "
            "windows_failed = ?14 WHERE id = ?1");
    up.Bind(1, run.id).Bind(2, run.finished).Bind(3, run.status).Bind(4, run.files_imported);
    up.Bind(5, run.files_rejected).Bind(6, run.files_skipped).Bind(7, run.readings).Bind(8, run.message);
    up.Bind(9, run.files_waiting).Bind(10, run.rows).Bind(11, run.row_errors);
    up.Bind(12, run.requests).Bind(13, run.windows).Bind(14, run.windows_failed);
    TC_RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(writer_.get()) != 1) return Status::NotFound("no run " + std::to_string(run.id));
    return Status::Ok();
  }));
  return Sync();
}

Result<int64_t> SqliteStore::CloseInterruptedRuns(const std::string& connector, EpochMs now,
                                                  const std::optional<Fence>& fence) {
  MutexLock lock(write_mu_);
  int64_t closed = 0;
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    Stmt up(writer_.get(),
            "UPDATE runs SET status = 'interrupted', finished_ms = ?2, message = 'the run stopped before its end "
            "(process killed or stalled, machine stopped); the next run takes up where it stopped' "
            "WHERE connector = ?1 AND status = 'running'");
    up.Bind(1, connector).Bind(2, now);
    TC_RETURN_IF_ERROR(up.Run());
    closed = sqlite3_changes(writer_.get());
    return CheckFence(fence);
  }));
  if (closed > 0) TC_RETURN_IF_ERROR(Sync());
  return closed;
}

Result<std::vector<RunRecord>> SqliteStore::ListRuns(const std::optional<std::string>& connector, size_t limit,
                                                     std::optional<int64_t> before_id) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(),
         std::string(kRunColumns) + "WHERE (?1 IS NULL OR connector = ?1) AND id < ?3 ORDER BY id DESC LIMIT ?2");
  if (connector) q.Bind(1, *connector);
  q.Bind(2, static_cast<int64_t>(limit)).Bind(3, before_id.value_or(std::numeric_limits<int64_t>::max()));
  return Collect(q, &ReadRun);
}

// ---- sightings and leases -------------------------------------------------------

Result<EpochMs> SqliteStore::NoteSighting(const std::string& connector, const std::string& path, int64_t size,
                                          int64_t mtime_ms, EpochMs now) {
  MutexLock lock(write_mu_);
  EpochMs first = now;
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    // Same size and mtime: keep the first sighting; otherwise start again.
    Stmt up(writer_.get(),
            "INSERT INTO sightings(connector, path, size, mtime_ms, first_seen_ms) VALUES(?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(connector, path) DO UPDATE SET first_seen_ms = CASE WHEN size = excluded.size AND "
            "mtime_ms = excluded.mtime_ms THEN first_seen_ms ELSE excluded.first_seen_ms END, size = excluded.size, "
            "mtime_ms = excluded.mtime_ms RETURNING first_seen_ms");
    up.Bind(1, connector).Bind(2, path).Bind(3, size).Bind(4, mtime_ms).Bind(5, now);
    TC_ASSIGN_OR_RETURN(bool row, up.Step());
    if (row) first = up.Int(0);
    up.Reset();
    return Status::Ok();
  }));
  return first;
}

Status SqliteStore::ForgetSighting(const std::string& connector, const std::string& path) {
  MutexLock lock(write_mu_);
  return InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    Stmt del(writer_.get(), "DELETE FROM sightings WHERE connector = ?1 AND path = ?2");
    del.Bind(1, connector).Bind(2, path);
    return del.Run();
  });
}

Status SqliteStore::ForgetSightingsExcept(const std::string& connector, const std::vector<std::string>& listed) {
  JsonWriter paths;  // the listing as a JSON array: one NOT IN over any number of paths
  paths.BeginArray();
  for (const std::string& path : listed) paths.String(path);
  paths.EndArray();
  const std::string json = paths.Take();  // bound without a copy: it outlives the statement's run
  MutexLock lock(write_mu_);
  return InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    Stmt del(writer_.get(), "DELETE FROM sightings WHERE connector = ?1 AND path NOT IN (SELECT value FROM json_each(?2))");
    del.Bind(1, connector).Bind(2, json);
    return del.Run();
  });
}

Result<std::optional<int64_t>> SqliteStore::TryLease(const std::string& name, const std::string& holder, EpochMs now,
                                                     int64_t ttl_ms) {
  MutexLock lock(write_mu_);
  std::optional<int64_t> token;
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    token.reset();
    // Free (released: empty holder), expired or already ours. The fence grows
    // whenever the holder changes.
    Stmt up(writer_.get(),
            "INSERT INTO leases(name, holder, until_ms, fence) VALUES(?1, ?2, ?3, 1) ON CONFLICT(name) DO UPDATE SET "
            "holder = excluded.holder, until_ms = excluded.until_ms, fence = CASE WHEN leases.holder = excluded.holder "
            "THEN leases.fence ELSE leases.fence + 1 END WHERE leases.holder = excluded.holder OR leases.holder = '' "
            "OR leases.until_ms <= ?4 RETURNING fence");
    up.Bind(1, name).Bind(2, holder).Bind(3, now + ttl_ms).Bind(4, now);
    TC_ASSIGN_OR_RETURN(bool row, up.Step());
    if (row) token = up.Int(0);
    up.Reset();
    return Status::Ok();
  }));
  TC_RETURN_IF_ERROR(Sync());
  return token;
}

Status SqliteStore::ReleaseLease(const std::string& name, const std::string& holder) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    // The row stays (its fence must never go back); an empty holder marks it free.
    Stmt up(writer_.get(), "UPDATE leases SET holder = '', until_ms = 0 WHERE name = ?1 AND holder = ?2");
    up.Bind(1, name).Bind(2, holder);
    return up.Run();
  }));
  return Sync();
}

Result<std::optional<std::string>> SqliteStore::LeaseHolder(const std::string& name) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), "SELECT holder FROM leases WHERE name = ?1 AND holder <> ''");
  q.Bind(1, name);
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.Text(0));
}

// ---- connector state (API pulls) ------------------------------------------------

Result<std::optional<std::string>> SqliteStore::GetState(const std::string& connector, const std::string& key) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), "SELECT value FROM connector_state WHERE connector = ?1 AND key = ?2");
  q.Bind(1, connector).Bind(2, key);
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.Text(0));
}

Status SqliteStore::PutStateLocked(const std::string& connector, const std::string& key, const std::string& value) {
  Stmt up(writer_.get(),
          "INSERT INTO connector_state(connector, key, value, updated_ms) VALUES(?1, ?2, ?3, ?4) "
          "ON CONFLICT(connector, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms");
  up.Bind(1, connector).Bind(2, key).Bind(3, value).Bind(4, NowMs());
  return up.Run();
}

Status SqliteStore::PutState(const std::string& connector, const std::string& key, const std::string& value,
                             const std::optional<Fence>& fence) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_RETURN_IF_ERROR(PutStateLocked(connector, key, value));
    return CheckFence(fence);
  }));
  return Sync();
}

Status SqliteStore::ImportWindow(const Scope& scope, const std::string& connector, const std::string& key,
                                 const std::string& value, const WindowProducer& produce,
                                 const std::optional<Fence>& fence) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    FileWriter writer(this, scope_id);
    TC_RETURN_IF_ERROR(produce(writer));
    TC_RETURN_IF_ERROR(writer.Finish());
    TC_RETURN_IF_ERROR(PutStateLocked(connector, key, value));
    return CheckFence(fence);
  }));
  MaybeCompactLog();
  return Sync();
}

}  // namespace telecollect::store
