#include "store/pg_store.h"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <limits>

#include "store/aggregate.h"
#include "store/pg_store_internal.h"

namespace telecollect::store {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a released
// entry; append a new one. docs/storage.md describes the tables.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE scopes(
  id bigserial PRIMARY KEY,
  tenant text NOT NULL,
  env text NOT NULL,
  UNIQUE(tenant, env));
CREATE TABLE tokens(
  id bigserial PRIMARY KEY,
  scope_id bigint NOT NULL REFERENCES scopes(id),
  label text NOT NULL,
  hash bytea NOT NULL UNIQUE,
  created_ms bigint NOT NULL,
  revoked_ms bigint);
CREATE TABLE modules(
  id bigserial PRIMARY KEY,
  scope_id bigint NOT NULL REFERENCES scopes(id),
  name text NOT NULL,
  unit text NOT NULL,
  created_ms bigint NOT NULL,
  UNIQUE(scope_id, name));
-- Measurements: up to 200 points of one module per row (series_codec.h), never
-- across a month boundary; one partition per month (chunks_yYYYYmMM), created
-- on demand, so that dropping a month is a DROP TABLE.
CREATE TABLE chunks(
  module_id bigint NOT NULL,
  start_ts bigint NOT NULL,
  end_ts bigint NOT NULL,
  n integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY(module_id, start_ts)) PARTITION BY RANGE (start_ts);
CREATE TABLE frames(
  id bigserial PRIMARY KEY,
  scope_id bigint NOT NULL REFERENCES scopes(id),
  device_id text NOT NULL,
  event_ms bigint NOT NULL,
  payload bytea NOT NULL,
  payload_hash bytea GENERATED ALWAYS AS (sha256(payload)) STORED,
  source text NOT NULL,
  device_type text NOT NULL,
  received_ms bigint NOT NULL,
  fport integer,
  metadata text,
  status smallint NOT NULL,
  reason text NOT NULL,
  encrypted boolean NOT NULL DEFAULT false);
-- A frame's identity: the same frame twice is one row (INSERT ... ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX frames_identity ON frames(scope_id, device_id, event_ms, payload_hash);
CREATE INDEX frames_by_scope ON frames(scope_id, id);
CREATE TABLE devices(
  scope_id bigint NOT NULL REFERENCES scopes(id),
  device_id text NOT NULL,
  device_type text NOT NULL,
  label text NOT NULL,
  module_template text NOT NULL,
  updated_ms bigint NOT NULL,
  PRIMARY KEY(scope_id, device_id));
CREATE TABLE registry_versions(
  name text PRIMARY KEY,
  version bigint NOT NULL);
INSERT INTO registry_versions VALUES('devices', 0);
CREATE TABLE files(
  id bigserial PRIMARY KEY,
  scope_id bigint NOT NULL REFERENCES scopes(id),
  connector text NOT NULL,
  path text NOT NULL,
  size bigint NOT NULL,
  mtime_ms bigint NOT NULL,
  sha256 text NOT NULL,
  status text NOT NULL,
  rows bigint NOT NULL,
  readings bigint NOT NULL,
  errors bigint NOT NULL,
  report text NOT NULL,
  at_ms bigint NOT NULL);
CREATE INDEX files_by_listing ON files(connector, path, size, mtime_ms);
CREATE INDEX files_by_content ON files(scope_id, sha256);
CREATE TABLE runs(
  id bigserial PRIMARY KEY,
  connector text NOT NULL,
  started_ms bigint NOT NULL,
  finished_ms bigint NOT NULL DEFAULT 0,
  status text NOT NULL,
  files_imported bigint NOT NULL DEFAULT 0,
  files_rejected bigint NOT NULL DEFAULT 0,
  files_skipped bigint NOT NULL DEFAULT 0,
  files_waiting bigint NOT NULL DEFAULT 0,
  rows bigint NOT NULL DEFAULT 0,
  row_errors bigint NOT NULL DEFAULT 0,
  readings bigint NOT NULL DEFAULT 0,
  message text NOT NULL DEFAULT '',
  requests bigint NOT NULL DEFAULT 0,
  windows bigint NOT NULL DEFAULT 0,
  windows_failed bigint NOT NULL DEFAULT 0);
CREATE INDEX runs_by_connector ON runs(connector, id);
CREATE TABLE sightings(
  connector text NOT NULL,
  path text NOT NULL,
  size bigint NOT NULL,
  mtime_ms bigint NOT NULL,
  first_seen_ms bigint NOT NULL,
  PRIMARY KEY(connector, path));
-- Who runs a job until when. `fence` grows each time the lease changes hands
-- (never reset: a released lease keeps its row), the fencing token.
CREATE TABLE leases(
  name text PRIMARY KEY,
  holder text NOT NULL,
  until_ms bigint NOT NULL,
  fence bigint NOT NULL);
CREATE TABLE connector_state(
  connector text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  updated_ms bigint NOT NULL,
  PRIMARY KEY(connector, key));
CREATE TABLE decoder_versions(
  scope_id bigint NOT NULL REFERENCES scopes(id),
  device_type text NOT NULL,
  version text NOT NULL,
  spec text NOT NULL,
  script text NOT NULL DEFAULT '',
  uploaded_ms bigint NOT NULL,
  activated_ms bigint,
  PRIMARY KEY(scope_id, device_type, version));
CREATE TABLE type_aliases(
  scope_id bigint NOT NULL REFERENCES scopes(id),
  alias text NOT NULL,
  device_type text NOT NULL,
  PRIMARY KEY(scope_id, alias));
)sql",
    // v2: what the decoder made of a frame, as stored ({"module": value}): reads
    // show it and never run a decoder (as SQLite's schema v10).
    R"sql(
ALTER TABLE frames ADD COLUMN decoded_values text;
)sql",
    // v3: each module's first measurement time and latest point, kept by every
    // write (Tx::Flush); filled from the chunks by BackfillModuleExtents (as
    // SQLite's schema v11).
    R"sql(
ALTER TABLE modules ADD COLUMN first_ms bigint, ADD COLUMN last_ms bigint, ADD COLUMN last_value float8,
  ADD COLUMN last_quality integer;
)sql",
    // v4: chunks in format 2 (series_codec.h), re-encoded by ReencodeChunks (as SQLite's v12).
    R"sql(
UPDATE chunks SET data = data WHERE false;
)sql",
    // v5: platform envelopes uploaded per scope (as SQLite's v13).
    R"sql(
CREATE TABLE envelope_versions(
  scope_id bigint NOT NULL REFERENCES scopes(id),
  name text NOT NULL,
  version text NOT NULL,
  spec text NOT NULL,
  uploaded_ms bigint NOT NULL,
  activated_ms bigint,
  PRIMARY KEY(scope_id, name, version));
)sql",
    // v6: the point log (pg_series.cc, as SQLite's point_log): a transaction
    // bringing a few points to each of many modules appends one row, its
    // entries (series_codec.h) in `data`, `n` of them; CompactLog merges rows
    // into chunks and deletes them. Stored as is: the entries are packed already.
    // And a frame's scope is no longer checked by a trigger on each row: the
    // group's scope ids come from `scopes` in the same transaction, and no
    // scope is ever deleted.
    R"sql(
ALTER TABLE frames DROP CONSTRAINT IF EXISTS frames_scope_id_fkey;
CREATE TABLE point_log(
  id bigserial PRIMARY KEY,
  n integer NOT NULL,
  data bytea NOT NULL);
ALTER TABLE point_log ALTER COLUMN data SET STORAGE EXTERNAL;
)sql",
};

// v4: every chunk re-encoded, 1,000 rows per statement.
Status ReencodeChunks(PGconn* db) {
  int64_t module = -1, start = std::numeric_limits<int64_t>::min();
  std::vector<SeriesPoint> points;
  while (true) {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT module_id, start_ts, data FROM chunks WHERE (module_id, start_ts) > "
                                               "($1, $2) ORDER BY module_id, start_ts LIMIT 1000",
                                           PgParams().Add(module).Add(start)));
    if (r.rows() == 0) return Status::Ok();
    PgArray mods, starts, blobs;
    for (int row = 0; row < r.rows(); ++row) {
      points.clear();
      TC_RETURN_IF_ERROR(DecodeChunk(r.Int(row, 1), r.Bytes(row, 2), points));
      mods.Add(r.Int(row, 0));
      starts.Add(r.Int(row, 1));
      blobs.AddBytes(EncodeChunk(r.Int(row, 1), points));
    }
    module = r.Int(r.rows() - 1, 0);
    start = r.Int(r.rows() - 1, 1);
    TC_RETURN_IF_ERROR(PgExec(db, "UPDATE chunks c SET data = u.d FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) "
                                  "AS u(m, s, d) WHERE c.module_id = u.m AND c.start_ts = u.s",
                              PgParams().Add(std::string_view(mods.Take())).Add(std::string_view(starts.Take()))
                                  .Add(std::string_view(blobs.Take())))
                           .status());
  }
}

// v3: the first start and the last chunk's last point of every module.
Status BackfillModuleExtents(PGconn* db) {
  TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT DISTINCT ON (module_id) module_id, start_ts, data, "
                                             "min(start_ts) OVER (PARTITION BY module_id) FROM chunks "
                                             "ORDER BY module_id, start_ts DESC"));
  PgArray ids, firsts, lasts, values, qualities;
  std::vector<SeriesPoint> points;
  for (int row = 0; row < r.rows(); ++row) {
    points.clear();
    TC_RETURN_IF_ERROR(DecodeChunk(r.Int(row, 1), r.Bytes(row, 2), points));
    if (points.empty()) continue;
    ids.Add(r.Int(row, 0));
    firsts.Add(r.Int(row, 3));
    lasts.Add(points.back().ts);
    values.Add(points.back().value);
    qualities.Add(static_cast<int64_t>(points.back().quality));
  }
  if (ids.size() == 0) return Status::Ok();
  PgParams p;
  p.Add(std::string_view(ids.Take())).Add(std::string_view(firsts.Take())).Add(std::string_view(lasts.Take()));
  p.Add(std::string_view(values.Take())).Add(std::string_view(qualities.Take()));
  return PgExec(db, "UPDATE modules m SET first_ms = u.f, last_ms = u.l, last_value = u.v, last_quality = u.q "
                    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::integer[]) AS u(id, f, l, v, q) "
                    "WHERE m.id = u.id",
                p)
      .status();
}

std::string ScopeKey(const Scope& s) { return s.tenant + '\0' + EnvName(s.env); }

constexpr int kTransactionAttempts = 3;

// Whether an idle connection is still open as far as can be told without a
// round trip: the server has said nothing since its last answer. Unasked, the
// server speaks only to end the session (an error, then the end of the
// stream: shut down, restarted, the backend terminated), and the end may not
// have arrived yet when the error has: anything to read means closed.
bool IdleStillOpen(PGconn* conn) {
  if (PQstatus(conn) != CONNECTION_OK) return false;
  pollfd p{PQsocket(conn), POLLIN, 0};
  if (p.fd < 0) return false;
  return ::poll(&p, 1, 0) == 0;  // (-1, EINTR: closed as well; a new connection costs little)
}

}  // namespace

Scope ScopeFromRow(const PgResult& r, int row, int tenant_col, int env_col) {
  return {r.String(row, tenant_col), r.Text(row, env_col) == "prod" ? Env::kProd : Env::kPreprod};
}

Result<std::unique_ptr<PgStore>> PgStore::Open(const StoreOptions&, const std::string& conninfo,
                                               const std::string& password) {
  if (conninfo.empty()) return Status::InvalidArgument("store.url is empty (the PostgreSQL conninfo)");
  TC_RETURN_IF_ERROR(CheckNoPasswordIn(conninfo));
  std::unique_ptr<PgStore> store(new PgStore(conninfo, password));
  TC_RETURN_IF_ERROR(store->Migrate());
  store->compactor_ = std::thread([s = store.get()] { s->CompactorLoop(); });
  return store;
}

PgStore::~PgStore() {
  if (compactor_.joinable()) {
    {
      MutexLock lock(compactor_mu_);
      stopping_ = true;
    }
    compactor_cv_.NotifyAll();
    compactor_.join();
  }
  AwaitCommits();
}

Result<PgStore::Conn> PgStore::Acquire() {
  while (true) {
    PgConnPtr c;
    {
      MutexLock lock(pool_mu_);
      if (idle_.empty()) break;
      c = std::move(idle_.back());
      idle_.pop_back();
    }
    if (IdleStillOpen(c.get())) return Conn(this, std::move(c));
    // Closed by the server while idle (shut down, restarted, session ended):
    // dropped; the next one, or a new one, is tried.
  }
  TC_ASSIGN_OR_RETURN(PgConnPtr c, link_.Connect());
  return Conn(this, std::move(c));
}

void PgStore::Release(PgConnPtr conn) {
  // A broken connection is not reused, and tells the link that the server
  // may be gone; nor is one left inside a transaction.
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    link_.Lost(PQerrorMessage(conn.get()));
    return;
  }
  if (PQtransactionStatus(conn.get()) != PQTRANS_IDLE || PQpipelineStatus(conn.get()) != PQ_PIPELINE_OFF) return;
  MutexLock lock(pool_mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(conn));
}

bool PgStore::DropClosedIdle() {
  MutexLock lock(pool_mu_);
  const size_t before = idle_.size();
  std::erase_if(idle_, [](const PgConnPtr& c) { return !IdleStillOpen(c.get()); });
  return idle_.size() != before;
}

StoreHealth PgStore::Health() {
  // Idle connections the server closed tell of an outage before a request
  // fails on one: then one connect says whether it is one.
  const bool closed = DropClosedIdle();
  bool idle_left = false;
  {
    MutexLock lock(pool_mu_);
    idle_left = !idle_.empty();
  }
  PgLink::State link = link_.state();
  if (link.down ? link.attempt_due : closed && !idle_left) {
    Result<PgConnPtr> c = link_.Connect();
    if (c.ok()) Release(std::move(c).value());
    link = link_.state();
  }
  if (!link.down) return {};
  return {false, std::string(kStoreUnreachable), PgLink::SteadyNowMs() - link.down_since_ms};
}

Status PgStore::Migrate() {
  TC_ASSIGN_OR_RETURN(Conn c, Acquire());
  PGconn* db = c.get();
  TC_RETURN_IF_ERROR(PgExec(db, "BEGIN").status());
  auto body = [&]() -> Status {
    // Nodes starting together: one migrates, the others wait and find it done.
    TC_RETURN_IF_ERROR(PgExec(db, "SELECT pg_advisory_xact_lock(" + std::to_string(kLockSchema) + ", 0)").status());
    TC_RETURN_IF_ERROR(PgExec(db, "CREATE TABLE IF NOT EXISTS telecollect_schema(version integer NOT NULL)").status());
    TC_ASSIGN_OR_RETURN(PgResult v, PgExec(db, "SELECT version FROM telecollect_schema"));
    int64_t current = 0;
    if (v.rows() == 0) {
      TC_RETURN_IF_ERROR(PgExec(db, "INSERT INTO telecollect_schema VALUES(0)").status());
    } else {
      current = v.Int(0, 0);
    }
    constexpr int64_t kLatest = std::size(kMigrations);
    static_assert(kLatest == kSchemaVersion);
    if (current > kLatest) {
      return Status::Unsupported("the database has schema version " + std::to_string(current) +
                                 ", newer than this binary (" + std::to_string(kLatest) + ")");
    }
    for (int64_t n = current; n < kLatest; ++n) {
      Status s = PgExec(db, kMigrations[n]).status();
      if (s.ok() && n + 1 == 3) s = BackfillModuleExtents(db);
      if (s.ok() && n + 1 == 4) s = ReencodeChunks(db);
      if (s.ok()) s = PgExec(db, "UPDATE telecollect_schema SET version = " + std::to_string(n + 1)).status();
      if (!s.ok()) return s.WithContext("schema migration to version " + std::to_string(n + 1));
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) {
    (void)PgExec(db, "ROLLBACK");
    return s;
  }
  return PgExec(db, "COMMIT").status();
}

Status PgStore::InTransaction(const std::function<Status(Tx&)>& body, bool retryable, bool commit_later,
                              uint64_t* commit) {
  if (!commit_later) AwaitCommits();
  Status s;
  for (int attempt = 0; attempt < kTransactionAttempts; ++attempt) {
    TC_ASSIGN_OR_RETURN(Conn c, Acquire());
    Tx tx(*this, c.get());
    s = Status::Ok();
    if (commit_later) tx.StartCommitLater();
    else s = tx.Exec("BEGIN").status();
    if (s.ok()) s = body(tx);
    if (s.ok() && commit_later) {
      const std::string commit_sql = tx.TakePendingBegin() + tx.TakeDeferredLog() + "COMMIT";
      if (PQsendQuery(c.get(), commit_sql.c_str()) == 1) {
        const uint64_t number = CommitLater(c.Take(), tx.TakeCreated());
        if (commit) *commit = number;
        NoteLogged(tx.logged());  // counted when sent: a COMMIT that fails only brings the next compaction sooner
        return Status::Ok();
      }
      s = PgError(c.get(), nullptr, "COMMIT");
    } else if (s.ok()) {
      s = tx.Exec("COMMIT").status();
    }
    if (s.ok()) {
      tx.Committed();
      NoteLogged(tx.logged());
      return s;
    }
    // On a lost connection there is nothing to roll back, and libpq's words
    // for what happened (logged once by the link) are kept.
    if (PQstatus(c.get()) == CONNECTION_OK) (void)PgExec(c.get(), "ROLLBACK");
    // A deadlock or serialization failure on a live connection: try again.
    const bool retry = retryable && s.code() == StatusCode::kUnavailable && PQstatus(c.get()) == CONNECTION_OK;
    if (!retry) return s;
  }
  return s;
}

Status PgStore::Read(const std::function<Status(PGconn*)>& body) {
  AwaitCommits();
  TC_ASSIGN_OR_RETURN(Conn c, Acquire());
  return body(c.get());
}

// ---- transaction helpers ------------------------------------------------------

Result<int64_t> PgStore::Tx::ScopeId(const Scope& scope) {
  const std::string key = ScopeKey(scope);
  {
    MutexLock lock(store_.ids_mu_);
    if (auto it = store_.scope_ids_.find(key); it != store_.scope_ids_.end()) return it->second;
  }
  for (const auto& [k, id] : created_.scopes) {
    if (k == key) return id;
  }
  PgParams p;
  p.Add(scope.tenant).Add(std::string_view(EnvName(scope.env)));
  TC_ASSIGN_OR_RETURN(PgResult ins,
                      Exec("INSERT INTO scopes(tenant, env) VALUES($1, $2) ON CONFLICT DO NOTHING RETURNING id", p));
  int64_t id = 0;
  if (ins.rows() == 1) {
    id = ins.Int(0, 0);
  } else {
    TC_ASSIGN_OR_RETURN(PgResult found, Exec("SELECT id FROM scopes WHERE tenant = $1 AND env = $2", p));
    if (found.rows() != 1) return Status::Internal("scope vanished");
    id = found.Int(0, 0);
  }
  created_.scopes.emplace_back(key, id);
  return id;
}

int64_t PgStore::Tx::CachedModule(int64_t scope_id, const std::string& name) {
  MutexLock lock(store_.ids_mu_);
  auto it = store_.module_ids_.find(ModuleKey(scope_id, name));
  return it == store_.module_ids_.end() ? 0 : it->second;
}

Status PgStore::Tx::ResolveModules(const std::vector<ModuleRef>& modules, std::vector<int64_t>& ids) {
  ids.assign(modules.size(), 0);
  std::unordered_map<std::string, std::vector<size_t>> wanted;  // key → indexes in `modules`
  PgArray scope_ids, names, units, created;
  for (size_t i = 0; i < modules.size(); ++i) {
    const ModuleRef& m = modules[i];
    if ((ids[i] = CachedModule(m.scope_id, m.name)) != 0) continue;
    std::string key = ModuleKey(m.scope_id, m.name);
    auto [it, fresh] = wanted.try_emplace(std::move(key));
    it->second.push_back(i);
    if (!fresh) continue;
    scope_ids.Add(m.scope_id);
    names.Add(m.name);
    units.Add(m.unit);
    created.Add(m.created);
  }
  if (wanted.empty()) return Status::Ok();
  PgParams p;
  p.Add(std::string_view(scope_ids.Take())).Add(std::string_view(names.Take()));
  p.Add(std::string_view(units.Take())).Add(std::string_view(created.Take()));
  auto assign = [&](const PgResult& r, bool created_here) {
    for (int row = 0; row < r.rows(); ++row) {
      const int64_t scope_id = r.Int(row, 1);
      std::string key = ModuleKey(scope_id, r.Text(row, 2));
      auto it = wanted.find(key);
      if (it == wanted.end()) continue;
      for (size_t i : it->second) ids[i] = r.Int(row, 0);
      created_.modules.emplace_back(std::move(key), r.Int(row, 0));
      (void)created_here;
      wanted.erase(it);
    }
  };
  // New ones are inserted; existing ones come from the statement's snapshot.
  TC_ASSIGN_OR_RETURN(
      PgResult r,
      Exec("WITH input(scope_id, name, unit, created_ms) AS ("
           "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])), "
           "ins AS (INSERT INTO modules(scope_id, name, unit, created_ms) SELECT * FROM input "
           "ON CONFLICT (scope_id, name) DO NOTHING RETURNING id, scope_id, name) "
           "SELECT id, scope_id, name FROM ins UNION ALL "
           "SELECT m.id, m.scope_id, m.name FROM modules m JOIN input i ON m.scope_id = i.scope_id AND m.name = i.name",
           p));
  assign(r, true);
  if (!wanted.empty()) {
    // Created by another transaction that committed while ours waited on it:
    // not in our statement's snapshot, in the next one's.
    TC_ASSIGN_OR_RETURN(PgResult again,
                        Exec("SELECT m.id, m.scope_id, m.name FROM modules m JOIN unnest($1::bigint[], $2::text[]) "
                             "AS i(scope_id, name) ON m.scope_id = i.scope_id AND m.name = i.name",
                             PgParams().Add(std::string_view(p.values()[0])).Add(std::string_view(p.values()[1]))));
    assign(again, false);
  }
  if (!wanted.empty()) return Status::Internal("module ids not found after their insert");
  return Status::Ok();
}

void PgStore::Remember(Created created) {
  MutexLock lock(ids_mu_);
  for (auto& [k, id] : created.scopes) scope_ids_.emplace(std::move(k), id);
  for (auto& [k, id] : created.modules) module_ids_.emplace(std::move(k), id);
  partitions_.insert(created.partitions.begin(), created.partitions.end());
}

// ---- catalog: tokens ------------------------------------------------------------

namespace {
constexpr const char* kTokenColumns =
    "SELECT t.id, s.tenant, s.env, t.label, t.hash, t.created_ms, t.revoked_ms FROM tokens t "
    "JOIN scopes s ON s.id = t.scope_id ";

TokenRecord ReadToken(const PgResult& r, int row) {
  TokenRecord t;
  t.id = r.Int(row, 0);
  t.scope = ScopeFromRow(r, row, 1, 2);
  t.label = r.String(row, 3);
  const std::string h = r.Bytes(row, 4);
  if (h.size() == t.hash.size()) std::memcpy(t.hash.data(), h.data(), h.size());
  t.created_at = r.Int(row, 5);
  if (!r.IsNull(row, 6)) t.revoked_at = r.Int(row, 6);
  return t;
}

std::string_view HashView(const TokenHash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }
}  // namespace

Result<int64_t> PgStore::CreateToken(const TokenRecord& token) {
  int64_t id = 0;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(token.scope));
    PgParams p;
    p.Add(scope_id).Add(token.label).AddBytes(HashView(token.hash)).Add(token.created_at);
    TC_ASSIGN_OR_RETURN(PgResult r, tx.Exec("INSERT INTO tokens(scope_id, label, hash, created_ms) "
                                            "VALUES($1, $2, $3::bytea, $4) RETURNING id",
                                            p));
    id = r.Int(0, 0);
    return Status::Ok();
  }));
  return id;
}

Result<std::optional<TokenRecord>> PgStore::FindToken(const TokenHash& hash) {
  std::optional<TokenRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, std::string(kTokenColumns) + "WHERE t.hash = $1::bytea",
                                           PgParams().AddBytes(HashView(hash))));
    if (r.rows() > 0) out = ReadToken(r, 0);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<TokenRecord>> PgStore::ListTokens(const std::optional<std::string>& tenant) {
  std::vector<TokenRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(out, CollectRows<TokenRecord>(db, std::string(kTokenColumns) +
                                                              "WHERE $1::text IS NULL OR s.tenant = $1 ORDER BY t.id",
                                                      PgParams().Add(tenant), &ReadToken));
    return Status::Ok();
  }));
  return out;
}

Status PgStore::RevokeToken(const std::string& id_or_fp, EpochMs now) {
  if (id_or_fp.empty()) return Status::InvalidArgument("token id or fingerprint is empty");
  // As SqliteStore: an all-digit argument is tried as an id first, then (8
  // characters) as a fingerprint.
  const bool numeric = id_or_fp.size() < 19 && id_or_fp.find_first_not_of("0123456789") == std::string::npos;
  int64_t changed = 0;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    changed = 0;
    if (numeric) {
      TC_ASSIGN_OR_RETURN(PgResult r, tx.Exec("UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
                                              PgParams().Add(std::string_view(id_or_fp)).Add(now)));
      changed = r.affected();
    }
    if (changed == 0 && id_or_fp.size() == 8) {
      TC_ASSIGN_OR_RETURN(PgResult r, tx.Exec("UPDATE tokens SET revoked_ms = $2 WHERE "
                                              "encode(substring(hash from 1 for 4), 'hex') = lower($1) "
                                              "AND revoked_ms IS NULL",
                                              PgParams().Add(std::string_view(id_or_fp)).Add(now)));
      changed = r.affected();
    }
    return Status::Ok();
  }));
  if (changed == 0) return Status::NotFound("no active token with id or fingerprint \"" + id_or_fp + "\"");
  if (changed > 1) return Status::Internal("fingerprint matched several tokens; all were revoked");
  return Status::Ok();
}

// ---- reads ------------------------------------------------------------------------

Result<std::optional<int64_t>> PgStore::FindScopeId(PGconn* db, const Scope& scope) {
  TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT id FROM scopes WHERE tenant = $1 AND env = $2",
                                         PgParams().Add(scope.tenant).Add(std::string_view(EnvName(scope.env)))));
  if (r.rows() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(r.Int(0, 0));
}

template <typename T, typename ReadRow>
Result<std::vector<T>> PgStore::PrefixRows(const Scope& scope, std::string_view table, std::string_view column,
                                           std::string_view columns, std::string_view prefix, size_t limit,
                                           ReadRow read) {
  std::vector<T> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(db, scope));
    if (!scope_id) return Status::Ok();  // nothing was ever written for this scope
    // Byte order, as SQLite compares: whatever the database's collation.
    const std::string c = std::string(column) + " COLLATE \"C\"";
    const std::string sql = "SELECT " + std::string(columns) + " FROM " + std::string(table) + " WHERE scope_id = $1 AND " +
                            c + " >= $2 AND left(" + std::string(column) + ", length($2)) = $2 ORDER BY " + c +
                            " LIMIT $3";
    TC_ASSIGN_OR_RETURN(out, CollectRows<T>(db, sql, PgParams().Add(*scope_id).Add(prefix).Add(limit), read));
    return Status::Ok();
  }));
  return out;
}

namespace {
constexpr const char* kModuleColumns =
    "SELECT name, unit, coalesce(first_ms, created_ms), last_ms, last_value, last_quality FROM modules ";

ModuleInfo ReadModule(const PgResult& r, int i) {
  ModuleInfo m{r.String(i, 0), r.String(i, 1), r.Int(i, 2), std::nullopt};
  if (!r.IsNull(i, 3)) m.last = Point{r.Int(i, 3), r.Double(i, 4), static_cast<int>(r.Int(i, 5))};
  return m;
}
}  // namespace

Result<std::vector<ModuleInfo>> PgStore::ListModules(const Scope& scope, std::string_view prefix,
                                                     std::string_view after, size_t limit) {
  std::vector<ModuleInfo> out;
  TC_RETURN_IF_ERROR(CompactLog());  // points still in the log: merged first
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(db, scope));
    if (!scope_id) return Status::Ok();  // nothing was ever written for this scope
    // Byte order, as SQLite compares: whatever the database's collation.
    TC_ASSIGN_OR_RETURN(out, CollectRows<ModuleInfo>(
                                 db, std::string(kModuleColumns) +
                                         "WHERE scope_id = $1 AND name COLLATE \"C\" >= $2 AND left(name, length($2)) = $2 "
                                         "AND name COLLATE \"C\" > $4 ORDER BY name COLLATE \"C\" LIMIT $3",
                                 PgParams().Add(*scope_id).Add(prefix).Add(limit).Add(after), &ReadModule));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ModuleInfo>> PgStore::FindModules(const Scope& scope, std::span<const std::string> names) {
  std::vector<ModuleInfo> out;
  TC_RETURN_IF_ERROR(CompactLog());  // points still in the log: merged first
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(db, scope));
    if (!scope_id) return Status::Ok();
    PgArray wanted;
    for (const std::string& n : names) wanted.Add(n);
    TC_ASSIGN_OR_RETURN(out, CollectRows<ModuleInfo>(
                                 db, "SELECT m.name, m.unit, coalesce(m.first_ms, m.created_ms), m.last_ms, m.last_value, "
                                     "m.last_quality FROM unnest($2::text[]) WITH ORDINALITY AS w(name, i) "
                                     "JOIN modules m ON m.scope_id = $1 AND m.name = w.name ORDER BY w.i",
                                 PgParams().Add(*scope_id).Add(std::string_view(wanted.Take())), &ReadModule));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Point>> PgStore::QueryMeasurements(const MeasurementQuery& mq) {
  std::vector<Point> out;
  TC_RETURN_IF_ERROR(CompactLog());  // points still in the log: merged first
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(
        PgResult m, PgExec(db,
                           "SELECT m.id FROM modules m JOIN scopes s ON s.id = m.scope_id "
                           "WHERE s.tenant = $1 AND s.env = $2 AND m.name = $3",
                           PgParams().Add(mq.scope.tenant).Add(std::string_view(EnvName(mq.scope.env))).Add(mq.module)));
    if (m.rows() == 0) return Status::NotFound("no module \"" + mq.module + "\"");
    PointAggregator agg(mq);
    if (mq.limit > 0) {
      TC_RETURN_IF_ERROR(PgReadSeries(db, m.Int(0, 0), mq.from, mq.to, [&](const SeriesPoint& p) { return agg.Add(p); }));
    }
    out = agg.Finish();
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Scope>> PgStore::ListScopes() {
  std::vector<Scope> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(out, CollectRows<Scope>(db, "SELECT tenant, env FROM scopes ORDER BY tenant COLLATE \"C\", env",
                                                PgParams(), [](const PgResult& r, int i) { return ScopeFromRow(r, i, 0, 1); }));
    return Status::Ok();
  }));
  return out;
}

// ---- device registry ----------------------------------------------------------------

Status PgStore::UpsertDevices(const Scope& scope, std::span<const Device> devices) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    PgArray ids, types, labels, templates;
    for (const Device& d : devices) {
      ids.Add(d.device_id);
      types.Add(d.device_type);
      labels.Add(d.label);
      templates.Add(d.module_template);
    }
    PgParams p;
    p.Add(scope_id).Add(std::string_view(ids.Take())).Add(std::string_view(types.Take()));
    p.Add(std::string_view(labels.Take())).Add(std::string_view(templates.Take())).Add(static_cast<int64_t>(now));
    // Later entries for one device win, as one upsert after the other would.
    TC_RETURN_IF_ERROR(tx.Exec("INSERT INTO devices(scope_id, device_id, device_type, label, module_template, updated_ms) "
                               "SELECT DISTINCT ON (d) $1, d, t, l, m, $6 FROM unnest($2::text[], $3::text[], "
                               "$4::text[], $5::text[]) WITH ORDINALITY AS u(d, t, l, m, i) ORDER BY d, i DESC "
                               "ON CONFLICT (scope_id, device_id) DO UPDATE SET device_type = excluded.device_type, "
                               "label = excluded.label, module_template = excluded.module_template, "
                               "updated_ms = excluded.updated_ms",
                               p)
                           .status());
    return tx.Exec("UPDATE registry_versions SET version = version + 1 WHERE name = 'devices'").status();
  });
}

Result<std::vector<Device>> PgStore::ListDevices(const Scope& scope, std::string_view prefix, size_t limit) {
  return PrefixRows<Device>(scope, "devices", "device_id", "device_id, device_type, label, module_template", prefix,
                            limit, [](const PgResult& r, int i) {
                              return Device{r.String(i, 0), r.String(i, 1), r.String(i, 2), r.String(i, 3)};
                            });
}

Result<int64_t> PgStore::DeviceRegistryVersion() {
  int64_t v = 0;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, "SELECT version FROM registry_versions WHERE name = 'devices'"));
    if (r.rows() > 0) v = r.Int(0, 0);
    return Status::Ok();
  }));
  return v;
}

}  // namespace telecollect::store
