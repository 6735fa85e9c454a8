// PgStore: the file journal (one transaction per file), connector runs,
// sightings, leases (with a fencing token) and connector state.
#include <chrono>

#include "store/pg_store_internal.h"

#include "core/clock.h"
#include "store/file_journal_sql.h"

namespace telecollect::store {
namespace {

EpochMs NowMs() { return SystemClock().NowMs(); }

// Statements on `leases` wait at most this long for a row lock: a holder
// stalled while it holds one cannot hold up a takeover or a renewal for longer.
constexpr const char* kLeaseLockTimeout = "SET LOCAL lock_timeout = '2s'";

// A fenced transaction whose client stops talking (a stalled process, a
// partition) is ended by the server after this long, and its locks with it
// (the module locks a takeover's run needs, the lease row's share lock).
constexpr const char* kFencedIdleTimeout = "SET LOCAL idle_in_transaction_session_timeout = '10s'";

// The first statement of a fenced transaction.
Status BeginFenced(PgStore::Tx& tx, const std::optional<Fence>& fence) {
  if (!fence) return Status::Ok();
  return tx.Exec(kFencedIdleTimeout).status();
}

// The last statement of a fenced transaction, before its COMMIT: the lease row
// read FOR SHARE, so that a takeover (an UPDATE of that row) waits for this
// COMMIT, or this check sees the takeover committed before it.
Status CheckFence(PgStore::Tx& tx, const std::optional<Fence>& fence) {
  if (!fence) return Status::Ok();
  TC_RETURN_IF_ERROR(tx.Exec(kLeaseLockTimeout).status());
  TC_ASSIGN_OR_RETURN(PgResult r,
                      tx.Exec("SELECT holder, fence FROM leases WHERE name = $1 FOR SHARE", PgParams().Add(fence->lease)));
  if (r.rows() == 0 || r.String(0, 0) != fence->holder || r.Int(0, 1) != fence->token) return LeaseLost(*fence);
  return Status::Ok();
}

FileRecord ReadFile(const PgResult& r, int i) {
  FileRecord f;
  f.id = r.Int(i, 0);
  f.scope = ScopeFromRow(r, i, 1, 2);
  f.connector = r.String(i, 3);
  f.path = r.String(i, 4);
  f.size = r.Int(i, 5);
  f.mtime_ms = r.Int(i, 6);
  f.sha256 = r.String(i, 7);
  f.status = r.String(i, 8);
  f.rows = r.Int(i, 9);
  f.readings = r.Int(i, 10);
  f.errors = r.Int(i, 11);
  f.report_json = r.String(i, 12);
  f.at = r.Int(i, 13);
  return f;
}

constexpr const char* kRunColumns =
    "SELECT id, connector, started_ms, finished_ms, status, files_imported, files_rejected, files_skipped, readings, "
    "message, files_waiting, rows, row_errors, requests, windows, windows_failed FROM runs ";

RunRecord ReadRun(const PgResult& r, int i) {
  RunRecord run;
  run.id = r.Int(i, 0);
  run.connector = r.String(i, 1);
  run.started = r.Int(i, 2);
  run.finished = r.Int(i, 3);
  run.status = r.String(i, 4);
  run.files_imported = r.Int(i, 5);
  run.files_rejected = r.Int(i, 6);
  run.files_skipped = r.Int(i, 7);
  run.readings = r.Int(i, 8);
  run.message = r.String(i, 9);
  run.files_waiting = r.Int(i, 10);
  run.rows = r.Int(i, 11);
  run.row_errors = r.Int(i, 12);
  run.requests = r.Int(i, 13);
  run.windows = r.Int(i, 14);
  run.windows_failed = r.Int(i, 15);
  return run;
}

// Writes an import's readings inside the open transaction: buffered, modules
// resolved in one statement per buffer, written as chunks by Finish() (and
// whenever the buffer is full). A module is created with its first reading.
class PgReadingWriter final : public ReadingWriter {
 public:
  PgReadingWriter(PgStore::Tx& tx, int64_t scope_id) : tx_(tx), scope_id_(scope_id) {}

  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    if (ids_.size() < modules.size()) ids_.resize(modules.size(), 0);
    modules_ = &modules;
    for (const Reading& r : readings) buffer_.push_back(r);
    if (buffer_.size() >= kBufferedReadings) return Finish();
    return Status::Ok();
  }

  Status Finish() {
    if (buffer_.empty()) return tx_.Flush();
    std::vector<PgStore::Tx::ModuleRef> refs;
    std::vector<size_t> which;
    std::vector<char> queued(ids_.size(), 0);
    for (const Reading& r : buffer_) {
      if (ids_[r.module] != 0 || queued[r.module]) continue;
      queued[r.module] = 1;
      const ModuleDef& m = (*modules_)[r.module];
      refs.push_back({scope_id_, m.name, m.unit, NowMs()});
      which.push_back(r.module);
    }
    std::vector<int64_t> ids;
    TC_RETURN_IF_ERROR(tx_.ResolveModules(refs, ids));
    for (size_t i = 0; i < which.size(); ++i) ids_[which[i]] = ids[i];
    for (const Reading& r : buffer_) tx_.Stage(ids_[r.module], {r.ts, r.value, 0});
    buffer_.clear();
    return tx_.Flush();
  }

 private:
  PgStore::Tx& tx_;
  const int64_t scope_id_;
  const std::vector<ModuleDef>* modules_ = nullptr;
  std::vector<int64_t> ids_;  // by module index; 0 = not resolved yet
  std::vector<Reading> buffer_;
};

Status InsertFileRecord(PgStore::Tx& tx, int64_t scope_id, const FileRecord& r, int64_t* id) {
  PgParams p;
  p.Add(scope_id).Add(r.connector).Add(r.path).Add(r.size).Add(r.mtime_ms).Add(r.sha256).Add(r.status);
  p.Add(r.rows).Add(r.readings).Add(r.errors).Add(r.report_json).Add(r.at);
  TC_ASSIGN_OR_RETURN(PgResult res,
                      tx.Exec("INSERT INTO files(scope_id, connector, path, size, mtime_ms, sha256, status, rows, "
                              "readings, errors, report, at_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                              "$12) RETURNING id",
                              p));
  if (id) *id = res.Int(0, 0);
  return Status::Ok();
}

Status PutStateIn(PgStore::Tx& tx, const std::string& connector, const std::string& key, const std::string& value) {
  return tx
      .Exec("INSERT INTO connector_state(connector, key, value, updated_ms) VALUES($1, $2, $3, $4) "
            "ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
            PgParams().Add(connector).Add(key).Add(value).Add(NowMs()))
      .status();
}

}  // namespace

Result<FileImport> PgStore::ImportFile(const Scope& scope, const FileProducer& produce, Durability,
                                       const std::optional<Fence>& fence) {
  // Durable on return whatever is asked: the COMMIT waits for PostgreSQL's WAL flush.
  FileImport out;
  bool duplicate = false;
  Status s = InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(BeginFenced(tx, fence));
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    PgReadingWriter writer(tx, scope_id);
    TC_ASSIGN_OR_RETURN(FileRecord record, produce(writer));
    TC_RETURN_IF_ERROR(writer.Finish());
    record.scope = scope;
    // One importer of a given content per scope at a time, on every node:
    // the second finds the first's record and rolls back.
    TC_RETURN_IF_ERROR(tx.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockFileContent) +
                                   ", hashtext($1::bigint || ':' || $2))",
                               PgParams().Add(scope_id).Add(record.sha256))
                           .status());
    TC_ASSIGN_OR_RETURN(PgResult found, tx.Exec(std::string(kFileColumns) +
                                                    "WHERE f.scope_id = $1 AND f.sha256 = $2 AND f.status = 'imported' "
                                                    "ORDER BY f.id LIMIT 1",
                                                PgParams().Add(scope_id).Add(record.sha256)));
    if (found.rows() > 0) {
      TC_RETURN_IF_ERROR(CheckFence(tx, fence));  // a stale run learns it lost the lease, not that it is a duplicate
      out.duplicate = duplicate = true;
      out.record = ReadFile(found, 0);
      return Status::Internal("duplicate content: roll back");
    }
    TC_RETURN_IF_ERROR(InsertFileRecord(tx, scope_id, record, &record.id));
    TC_RETURN_IF_ERROR(CheckFence(tx, fence));
    out.record = std::move(record);
    return Status::Ok();
  }, /*retryable=*/false);  // `produce` reads the file once
  if (duplicate) return out;
  TC_RETURN_IF_ERROR(s);
  return out;
}

Status PgStore::RecordFile(const FileRecord& record, const std::optional<Fence>& fence) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(BeginFenced(tx, fence));
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(record.scope));
    TC_RETURN_IF_ERROR(InsertFileRecord(tx, scope_id, record, nullptr));
    return CheckFence(tx, fence);
  });
}

Result<std::optional<FileRecord>> PgStore::FindFile(const std::string& connector, const std::string& path, int64_t size,
                                                    int64_t mtime_ms) {
  std::optional<FileRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, std::string(kFileColumns) +
                                                   "WHERE f.connector = $1 AND f.path = $2 AND f.size = $3 AND "
                                                   "f.mtime_ms = $4 ORDER BY f.id DESC LIMIT 1",
                                           PgParams().Add(connector).Add(path).Add(size).Add(mtime_ms)));
    if (r.rows() > 0) out = ReadFile(r, 0);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<FileRecord>> PgStore::ListFiles(const FileQuery& query) {
  std::vector<FileRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    PgParams p;
    p.Add(query.connector);
    if (query.scope) p.Add(query.scope->tenant).Add(std::string_view(EnvName(query.scope->env)));
    else p.AddNull().AddNull();
    p.Add(query.limit).Add(query.before_id);
    TC_ASSIGN_OR_RETURN(out, CollectRows<FileRecord>(db, std::string(kFileColumns) +
                                                             "WHERE ($1::text IS NULL OR f.connector = $1) AND "
                                                             "($2::text IS NULL OR (s.tenant = $2 AND s.env = $3)) "
                                                             "AND ($5::bigint IS NULL OR f.id < $5) "
                                                             "ORDER BY f.id DESC LIMIT $4",
                                                     p, &ReadFile));
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> PgStore::StartRun(const RunRecord& run) {
  int64_t id = 0;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    const std::string status = run.status.empty() ? "running" : run.status;
    TC_ASSIGN_OR_RETURN(PgResult r, tx.Exec("INSERT INTO runs(connector, started_ms, status) VALUES($1, $2, $3) "
                                            "RETURNING id",
                                            PgParams().Add(run.connector).Add(run.started).Add(status)));
    id = r.Int(0, 0);
    return Status::Ok();
  }));
  return id;
}

Status PgStore::FinishRun(const RunRecord& run) {
  return InTransaction([&](Tx& tx) -> Status {
    PgParams p;
    p.Add(run.id).Add(run.finished).Add(run.status).Add(run.files_imported).Add(run.files_rejected);
    p.Add(run.files_skipped).Add(run.readings).Add(run.message).Add(run.files_waiting).Add(run.rows);
    p.Add(run.row_errors).Add(run.requests).Add(run.windows).Add(run.windows_failed);
    TC_ASSIGN_OR_RETURN(PgResult r,
                        tx.Exec("UPDATE runs SET finished_ms = $2, status = $3, files_imported = $4, "
                                "files_rejected = $5, files_skipped = $6, readings = $7, message = $8, "
                                "files_waiting = $9, rows = $10, row_errors = $11, requests = $12, windows = $13, "
                                "windows_failed = $14 WHERE id = $1",
                                p));
    if (r.affected() != 1) return Status::NotFound("no run " + std::to_string(run.id));
    return Status::Ok();
  });
}

Result<std::vector<RunRecord>> PgStore::ListRuns(const std::optional<std::string>& connector, size_t limit,
                                                 std::optional<int64_t> before_id) {
  std::vector<RunRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(out, CollectRows<RunRecord>(db, std::string(kRunColumns) +
                                                            "WHERE ($1::text IS NULL OR connector = $1) "
                                                            "AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2",
                                                    PgParams().Add(connector).Add(limit).Add(before_id), &ReadRun));
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> PgStore::CloseInterruptedRuns(const std::string& connector, EpochMs now,
                                              const std::optional<Fence>& fence) {
  int64_t closed = 0;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(BeginFenced(tx, fence));
    TC_ASSIGN_OR_RETURN(PgResult r,
                        tx.Exec("UPDATE runs SET status = 'interrupted', finished_ms = $2, message = 'the run stopped "
                                "before its end (process killed or stalled, machine stopped); the next run takes up "
                                "where it stopped' WHERE connector = $1 AND status = 'running'",
                                PgParams().Add(connector).Add(now)));
    closed = r.affected();
    return CheckFence(tx, fence);
  }));
  return closed;
}

// ---- sightings --------------------------------------------------------------------

Result<EpochMs> PgStore::NoteSighting(const std::string& connector, const std::string& path, int64_t size,
                                      int64_t mtime_ms, EpochMs now) {
  EpochMs first = now;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    // Same size and mtime: keep the first sighting; otherwise start again.
    TC_ASSIGN_OR_RETURN(
        PgResult r,
        tx.Exec("INSERT INTO sightings(connector, path, size, mtime_ms, first_seen_ms) VALUES($1, $2, $3, $4, $5) "
                "ON CONFLICT (connector, path) DO UPDATE SET first_seen_ms = CASE WHEN sightings.size = excluded.size "
                "AND sightings.mtime_ms = excluded.mtime_ms THEN sightings.first_seen_ms ELSE excluded.first_seen_ms "
                "END, size = excluded.size, mtime_ms = excluded.mtime_ms RETURNING first_seen_ms",
                PgParams().Add(connector).Add(path).Add(size).Add(mtime_ms).Add(now)));
    if (r.rows() > 0) first = r.Int(0, 0);
    return Status::Ok();
  }));
  return first;
}

Status PgStore::ForgetSighting(const std::string& connector, const std::string& path) {
  return InTransaction([&](Tx& tx) -> Status {
    return tx.Exec("DELETE FROM sightings WHERE connector = $1 AND path = $2", PgParams().Add(connector).Add(path))
        .status();
  });
}

Status PgStore::ForgetSightingsExcept(const std::string& connector, const std::vector<std::string>& listed) {
  PgArray paths;
  for (const std::string& p : listed) paths.Add(p);
  const std::string array = paths.Take();
  return InTransaction([&](Tx& tx) -> Status {
    return tx
        .Exec("DELETE FROM sightings WHERE connector = $1 AND NOT (path = ANY($2::text[]))",
              PgParams().Add(connector).Add(std::string_view(array)))
        .status();
  });
}

// ---- leases ---------------------------------------------------------------------------

Result<std::optional<int64_t>> PgStore::TryLease(const std::string& name, const std::string& holder, EpochMs now,
                                                 int64_t ttl_ms) {
  std::optional<int64_t> token;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    token.reset();
    TC_RETURN_IF_ERROR(tx.Exec(kLeaseLockTimeout).status());
    // Free (released: empty holder), expired or already ours. The fence grows
    // whenever the holder changes.
    TC_ASSIGN_OR_RETURN(
        PgResult r,
        tx.Exec("INSERT INTO leases(name, holder, until_ms, fence) VALUES($1, $2, $3, 1) ON CONFLICT (name) DO UPDATE "
                "SET holder = excluded.holder, until_ms = excluded.until_ms, fence = CASE WHEN leases.holder = "
                "excluded.holder THEN leases.fence ELSE leases.fence + 1 END WHERE leases.holder = excluded.holder "
                "OR leases.holder = '' OR leases.until_ms <= $4 RETURNING fence",
                PgParams().Add(name).Add(holder).Add(now + ttl_ms).Add(now)));
    if (r.rows() == 1) token = r.Int(0, 0);
    return Status::Ok();
  }));
  return token;
}

Status PgStore::ReleaseLease(const std::string& name, const std::string& holder) {
  // The row stays (its fence must never go back); an empty holder marks it free.
  return InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(tx.Exec(kLeaseLockTimeout).status());
    return tx
        .Exec("UPDATE leases SET holder = '', until_ms = 0 WHERE name = $1 AND holder = $2",
              PgParams().Add(name).Add(holder))
        .status();
  });
}

Result<std::optional<std::string>> PgStore::LeaseHolder(const std::string& name) {
  std::optional<std::string> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT holder FROM leases WHERE name = $1 AND holder <> ''",
                                           PgParams().Add(name)));
    if (r.rows() > 0) out = r.String(0, 0);
    return Status::Ok();
  }));
  return out;
}

// ---- connector state ---------------------------------------------------------------------

Result<std::optional<std::string>> PgStore::GetState(const std::string& connector, const std::string& key) {
  std::optional<std::string> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT value FROM connector_state WHERE connector = $1 AND key = $2",
                                           PgParams().Add(connector).Add(key)));
    if (r.rows() > 0) out = r.String(0, 0);
    return Status::Ok();
  }));
  return out;
}

Status PgStore::PutState(const std::string& connector, const std::string& key, const std::string& value,
                         const std::optional<Fence>& fence) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(BeginFenced(tx, fence));
    TC_RETURN_IF_ERROR(PutStateIn(tx, connector, key, value));
    return CheckFence(tx, fence);
  });
}

Status PgStore::ImportWindow(const Scope& scope, const std::string& connector, const std::string& key,
                             const std::string& value, const WindowProducer& produce, const std::optional<Fence>& fence) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_RETURN_IF_ERROR(BeginFenced(tx, fence));
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    PgReadingWriter writer(tx, scope_id);
    TC_RETURN_IF_ERROR(produce(writer));
    TC_RETURN_IF_ERROR(writer.Finish());
    TC_RETURN_IF_ERROR(PutStateIn(tx, connector, key, value));
    return CheckFence(tx, fence);
  }, /*retryable=*/false);  // `produce` is not run twice
}

}  // namespace telecollect::store
