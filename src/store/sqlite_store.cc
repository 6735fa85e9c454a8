#include "store/sqlite_store.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "store/aggregate.h"
#include "store/sqlite_store_internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>

namespace telecollect::store {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a released
// entry; append a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE scopes(
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  env TEXT NOT NULL,
  UNIQUE(tenant, env));
CREATE TABLE tokens(
  id INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  label TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER);
CREATE TABLE modules(
  id INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE(scope_id, name));
CREATE TABLE measurements(
  module_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  quality INTEGER NOT NULL,
  PRIMARY KEY(module_id, ts)) WITHOUT ROWID;
CREATE TABLE frames(
  id INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  event_ms INTEGER NOT NULL,
  payload BLOB NOT NULL,
  source TEXT NOT NULL,
  device_type TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  fport INTEGER,
  metadata TEXT,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  encrypted INTEGER NOT NULL DEFAULT 0);
-- A frame's identity, and the journal's device/time index: clustered by device and
-- time, so a batch touches few pages (a random hash key would dirty one page per frame).
CREATE UNIQUE INDEX frames_identity ON frames(scope_id, device_id, event_ms, payload);
)sql",
    R"sql(
CREATE TABLE devices(
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  device_id TEXT NOT NULL,
  device_type TEXT NOT NULL,
  label TEXT NOT NULL,
  module_template TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(scope_id, device_id)) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE files(
  id INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  connector TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  status TEXT NOT NULL,
  rows INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  report TEXT NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE INDEX files_by_listing ON files(connector, path, size, mtime_ms);
CREATE INDEX files_by_content ON files(scope_id, sha256);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  connector TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  files_imported INTEGER NOT NULL DEFAULT 0,
  files_rejected INTEGER NOT NULL DEFAULT 0,
  files_skipped INTEGER NOT NULL DEFAULT 0,
  files_waiting INTEGER NOT NULL DEFAULT 0,
  rows INTEGER NOT NULL DEFAULT 0,
  row_errors INTEGER NOT NULL DEFAULT 0,
  readings INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '');
CREATE INDEX runs_by_connector ON runs(connector, id);
-- When a listing first saw a file with this size and mtime: a file is taken
-- once unchanged for the connector's stable_for (no half-uploaded files).
CREATE TABLE sightings(
  connector TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  PRIMARY KEY(connector, path)) WITHOUT ROWID;
-- Who runs a job until when: one node per connector run.
CREATE TABLE leases(
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // v4: API pulls — connector state (watermarks, refresh tokens) and run counters.
    R"sql(
CREATE TABLE connector_state(
  connector TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(connector, key)) WITHOUT ROWID;
ALTER TABLE runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN windows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN windows_failed INTEGER NOT NULL DEFAULT 0;
)sql",
    // v5: decoder versions uploaded per scope, at most one active per device type.
    R"sql(
CREATE TABLE decoder_versions(
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  device_type TEXT NOT NULL,
  version TEXT NOT NULL,
  spec TEXT NOT NULL,
  script TEXT NOT NULL DEFAULT '',
  uploaded_ms INTEGER NOT NULL,
  activated_ms INTEGER,
  PRIMARY KEY(scope_id, device_type, version)) WITHOUT ROWID;
-- A tenant's own names for device types (a ChirpStack device profile, a ThingPark model...).
CREATE TABLE type_aliases(
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  alias TEXT NOT NULL,
  device_type TEXT NOT NULL,
  PRIMARY KEY(scope_id, alias)) WITHOUT ROWID;
)sql",
    // v6: measurements as chunks of up to 200 points per module (series_codec.h);
    // the rows of `measurements` are moved into them by ConvertMeasurementsToChunks.
    R"sql(
CREATE TABLE chunks(
  id INTEGER PRIMARY KEY,
  module_id INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER NOT NULL,
  n INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE UNIQUE INDEX chunks_by_module ON chunks(module_id, start_ts);
)sql",
    // v7: the point log, small writes to many modules appended as one row per
    // transaction and merged into chunks in bulk (sqlite_series.h).
    R"sql(
CREATE TABLE point_log(
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL);
)sql",
    // v8: the frame inbox, frames not yet merged into `frames` (sqlite_frames.cc):
    // appended without an index, merged in bulk sorted by identity.
    R"sql(
CREATE TABLE frame_inbox(
  id INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  event_ms INTEGER NOT NULL,
  payload BLOB NOT NULL,
  source TEXT NOT NULL,
  device_type TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  fport INTEGER,
  metadata TEXT,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  encrypted INTEGER NOT NULL DEFAULT 0);
)sql",
    // v9: a version number per registry, bumped by every write to it (caches compare it).
    R"sql(
CREATE TABLE registry_versions(
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO registry_versions VALUES('devices', 0);
)sql",
    // v10: what the decoder made of a frame, as stored ({"module": value}): reads
    // show it and never run a decoder.
    R"sql(
ALTER TABLE frames ADD COLUMN decoded_values TEXT;
ALTER TABLE frame_inbox ADD COLUMN decoded_values TEXT;
)sql",
    // v11: each module's first measurement time and latest point, kept by every
    // write (SeriesWriter::NoteExtent); filled from the chunks and the log by
    // BackfillModuleExtents. last_value: the double's 8 bytes (exact).
    R"sql(
ALTER TABLE modules ADD COLUMN first_ms INTEGER;
ALTER TABLE modules ADD COLUMN last_ms INTEGER;
ALTER TABLE modules ADD COLUMN last_value BLOB;
ALTER TABLE modules ADD COLUMN last_quality INTEGER;
)sql",
    // v12: chunks in format 2 (series_codec.h: decimal scaling, delta of delta,
    // bit packing), re-encoded by ReencodeChunks.
    R"sql(
UPDATE chunks SET data = data WHERE 0;
)sql",
    // v13: platform envelopes uploaded per scope, at most one active per name.
    R"sql(
CREATE TABLE envelope_versions(
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  spec TEXT NOT NULL,
  uploaded_ms INTEGER NOT NULL,
  activated_ms INTEGER,
  PRIMARY KEY(scope_id, name, version)) WITHOUT ROWID;
)sql",
    // v14: leases carry a fencing token, grown whenever the lease changes hands;
    // a released lease keeps its row (an empty holder) so that its token never
    // goes back. Commits made under a lease check it (sqlite_files.cc).
    R"sql(
ALTER TABLE leases ADD COLUMN fence INTEGER NOT NULL DEFAULT 1;
)sql",
};

// v6: every (module, ts) row of the old table becomes a point of a chunk.
Status ConvertMeasurementsToChunks(sqlite3* db) {
  {
    SeriesWriter writer(db);
    Stmt rows(db, "SELECT module_id, ts, value, quality FROM measurements ORDER BY module_id, ts");
    std::vector<SeriesPoint> run;
    int64_t module_id = 0;
    while (true) {
      TC_ASSIGN_OR_RETURN(bool row, rows.Step());
      if (!row || (!run.empty() && rows.Int(0) != module_id)) {
        TC_RETURN_IF_ERROR(writer.Upsert(module_id, run));
        run.clear();
      }
      if (!row) break;
      module_id = rows.Int(0);
      run.push_back({rows.Int(1), rows.Double(2), static_cast<int>(rows.Int(3))});
    }
  }
  return Exec(db, "DROP TABLE measurements");
}

std::string ScopeKey(const Scope& s) { return s.tenant + '\0' + EnvName(s.env); }

}  // namespace

SqliteStore::SqliteStore(StoreOptions options, std::string path)
    : options_(std::move(options)), path_(std::move(path)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const StoreOptions& options, const std::string& path) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, path));
  TC_RETURN_IF_ERROR(store->Init());
  return store;
}

SqliteStore::~SqliteStore() {
  {
    MutexLock lock(ckpt_mu_);
    ckpt_stopping_ = true;
  }
  ckpt_cv_.NotifyAll();
  if (checkpointer_.joinable()) checkpointer_.join();
  {
    MutexLock lock(sync_mu_);
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }
  MutexLock lock(write_mu_);
  // Leave the log merged into chunks and the inbox into the journal: a clean
  // stop leaves nothing to overlay.
  if (series_ && series_->log_points() > 0) (void)InTransaction([&]() TC_REQUIRES(write_mu_) { return series_->CompactLog(); });
  if (stmts_ && inbox_loaded_ && !inbox_keys_.empty()) {
    (void)InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
      std::vector<int64_t> ids;
      std::vector<size_t> slice_ends;
      TC_RETURN_IF_ERROR(InboxByIdentity(std::numeric_limits<int64_t>::max(), ids, slice_ends));
      return MergeInbox(ids);
    });
  }
  series_.reset();
  insert_frames_.clear();
  stmts_.reset();
  if (writer_) {
    // Fold the WAL back so the file is self-contained after a clean stop.
    (void)Exec(writer_.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  }
}

namespace {

// The database is created 0600 here rather than by SQLite (0644 less the
// umask), and SQLite gives its WAL and SHM files the database's mode. Files
// left wider by an older version are narrowed to 0600.
Status MakeDatabaseFilesPrivate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create the database " + path + ": " + std::strerror(errno));
  ::close(fd);
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & 077) == 0) continue;
    if (::chmod(p.c_str(), st.st_mode & 0600) != 0) {
      return Status::IoError("cannot narrow the mode of " + p + " to 0600: " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

Status SqliteStore::Init() {
  MutexLock lock(write_mu_);  // no other thread yet: taken for the analysis, and free
  std::error_code ec;
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
  }
  TC_RETURN_IF_ERROR(MakeDatabaseFilesPrivate(path_));
  TC_ASSIGN_OR_RETURN(writer_, OpenSqlite(path_, false, options_.busy_timeout_ms));
  TC_RETURN_IF_ERROR(Exec(writer_.get(), "PRAGMA journal_mode = WAL"));
  // Commits do not fsync; Sync() does, once for many commits (see store.h).
  TC_RETURN_IF_ERROR(Exec(writer_.get(), "PRAGMA synchronous = NORMAL"));
  TC_RETURN_IF_ERROR(Exec(writer_.get(), "PRAGMA wal_autocheckpoint = 0"));
  // 8 MiB: imports spill dirty pages to the WAL early (flat memory whatever the file size,
  // and faster than holding them); hot index pages stay in the OS page cache.
  TC_RETURN_IF_ERROR(Exec(writer_.get(), "PRAGMA cache_size = -8192"));
  TC_RETURN_IF_ERROR(Exec(writer_.get(), "PRAGMA temp_store = MEMORY"));
  TC_RETURN_IF_ERROR(Migrate());
  stmts_ = std::make_unique<WriterStatements>(writer_.get());
  series_ = std::make_unique<SeriesWriter>(writer_.get());
  sqlite3_wal_hook(writer_.get(), &SqliteStore::OnWalCommit, this);
  checkpointer_ = std::thread([this] {
    NameThisThread("tc-checkpoint");
    RunCheckpointer();
  });
  return Sync();
}

int SqliteStore::OnWalCommit(void* self, sqlite3*, const char*, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  if (pages >= kCheckpointPages) {
    {
      MutexLock lock(store->ckpt_mu_);
      store->ckpt_wanted_ = true;
    }
    store->ckpt_cv_.NotifyOne();
  }
  return SQLITE_OK;
}

void SqliteStore::RunCheckpointer() {
  auto db = OpenSqlite(path_, false, options_.busy_timeout_ms);
  if (!db.ok()) return;  // checkpoints then happen at close; reads and writes are unaffected
  (void)Exec(db->get(), "PRAGMA synchronous = NORMAL");
  while (true) {
    {
      MutexLock lock(ckpt_mu_);
      while (!ckpt_wanted_ && !ckpt_stopping_) ckpt_cv_.Wait(lock);
      if (ckpt_stopping_) return;
      ckpt_wanted_ = false;
    }
    // PASSIVE: copies what it can without blocking the writer or readers. SQLite
    // syncs the WAL before copying and the database after, so a checkpoint never
    // weakens durability.
    int log_pages = 0, done_pages = 0;
    sqlite3_wal_checkpoint_v2(db->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done_pages);
  }
}

Status SqliteStore::Sync() {
  if (options_.synchronous == "normal") return Status::Ok();  // durable at checkpoints only
  MutexLock lock(sync_mu_);
  const std::string wal = path_ + "-wal";
  // The descriptor is opened once and kept. SQLite deletes a WAL only when the
  // last connection to the database closes, and the writer connection stays
  // open as long as this store: the file behind it is this store's WAL for its
  // whole life. No fstat() here to check it: measured on ext4, an fstat between
  // writes made the next fdatasync write the inode as well (perf: ext4_write_inode
  // under fdatasync, gone without the fstat), one more synchronous I/O per sync.
  if (wal_fd_ < 0) {
    wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ < 0) {
      if (errno == ENOENT) return Status::Ok();  // nothing written through the WAL yet
      return Status::IoError("open " + wal + ": " + std::strerror(errno));
    }
  }
  if (::fdatasync(wal_fd_) != 0) return Status::IoError("fdatasync " + wal + ": " + std::strerror(errno));
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  sqlite3* db = writer_.get();
  TC_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  Stmt version(db, "PRAGMA user_version");
  auto row = version.Step();
  if (!row.ok()) {
    (void)Exec(db, "ROLLBACK");
    return row.status();
  }
  const int64_t current = version.Int(0);
  version.Reset();
  constexpr int64_t kLatest = std::size(kMigrations);
  static_assert(kLatest == kSchemaVersion);
  if (current > kLatest) {
    (void)Exec(db, "ROLLBACK");
    return Status::Unsupported(path_ + " has schema version " + std::to_string(current) + ", newer than this binary (" +
                               std::to_string(kLatest) + ")");
  }
  for (int64_t v = current; v < kLatest; ++v) {
    Status s = Exec(db, kMigrations[v]);
    if (s.ok() && v + 1 == 6) s = ConvertMeasurementsToChunks(db);
    if (s.ok() && v + 1 == 11) s = BackfillModuleExtents(db);
    if (s.ok() && v + 1 == 12) s = ReencodeChunks(db);
    if (s.ok()) s = Exec(db, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    if (!s.ok()) {
      (void)Exec(db, "ROLLBACK");
      return s.WithContext("schema migration to version " + std::to_string(v + 1));
    }
  }
  return Exec(db, "COMMIT");
}

Result<SqliteStore::ReadLease> SqliteStore::AcquireReader() {
  {
    MutexLock lock(read_mu_);
    if (!idle_readers_.empty()) {
      CachedDb db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReadLease(this, std::move(db));
    }
  }
  TC_ASSIGN_OR_RETURN(SqliteDb db, OpenSqlite(path_, true, options_.busy_timeout_ms));
  return ReadLease(this, CachedDb(std::move(db)));
}

void SqliteStore::ReleaseReader(CachedDb db) {
  MutexLock lock(read_mu_);
  if (idle_readers_.size() < 16) idle_readers_.push_back(std::move(db));
}

// ---- writer side -----------------------------------------------------------

Result<int64_t> SqliteStore::ScopeId(const Scope& scope) {
  const std::string key = ScopeKey(scope);
  if (auto it = scope_ids_.find(key); it != scope_ids_.end()) return it->second;
  Stmt& find = stmts_->find_scope;
  find.Bind(1, scope.tenant).Bind(2, std::string_view(EnvName(scope.env)));
  auto row = find.Step();
  int64_t id = row.ok() && *row ? find.Int(0) : 0;
  find.Reset();
  if (!row.ok()) return row.status();
  if (!*row) {
    stmts_->insert_scope.Bind(1, scope.tenant).Bind(2, std::string_view(EnvName(scope.env)));
    TC_RETURN_IF_ERROR(stmts_->insert_scope.Run());
    id = sqlite3_last_insert_rowid(writer_.get());
    new_scope_keys_.push_back(key);
  }
  scope_ids_.emplace(key, id);
  return id;
}

Result<int64_t> SqliteStore::ModuleId(int64_t scope_id, const std::string& name, const std::string& unit,
                                      EpochMs created) {
  ModuleIds& ids = module_ids_[scope_id];
  if (auto it = ids.find(std::string_view(name)); it != ids.end()) return it->second;
  Stmt& find = stmts_->find_module;
  find.Bind(1, scope_id).Bind(2, name);
  auto row = find.Step();
  int64_t id = row.ok() && *row ? find.Int(0) : 0;
  find.Reset();
  if (!row.ok()) return row.status();
  if (!*row) {
    stmts_->insert_module.Bind(1, scope_id).Bind(2, name).Bind(3, unit).Bind(4, created);
    TC_RETURN_IF_ERROR(stmts_->insert_module.Run());
    id = sqlite3_last_insert_rowid(writer_.get());
    new_modules_.emplace_back(scope_id, name);
  }
  ids.emplace(name, id);
  return id;
}

Status SqliteStore::StageMeasurements(int64_t scope_id, const std::vector<Measurement>& ms, size_t& staged) {
  // Frames of one device in a row name the same modules in the same order: the
  // i-th measurement is compared with the last frame's i-th before any hashing.
  if (scope_id != last_frame_scope_) {
    last_frame_modules_.clear();
    last_frame_scope_ = scope_id;
  }
  if (last_frame_modules_.size() < ms.size()) last_frame_modules_.resize(ms.size());
  for (size_t i = 0; i < ms.size(); ++i) {
    const Measurement& m = ms[i];
    auto& [name, id] = last_frame_modules_[i];
    if (id == 0 || name != m.module) {
      TC_ASSIGN_OR_RETURN(id, ModuleId(scope_id, m));
      name = m.module;
    }
    staged_.Add(id, {m.ts, m.value, m.quality});
    ++staged;
  }
  return Status::Ok();
}

Status SqliteStore::FlushStaged() { return staged_.Flush(*series_); }

void SqliteStore::ForgetUncommittedIds() {
  for (const auto& k : new_scope_keys_) scope_ids_.erase(k);
  for (const auto& [scope_id, name] : new_modules_) module_ids_[scope_id].erase(name);
  last_frame_modules_.clear();  // may name a module whose id is forgotten here
  new_scope_keys_.clear();
  new_modules_.clear();
}

Status SqliteStore::InTransaction(const std::function<Status()>& body) {
  staged_.Clear();
  TC_RETURN_IF_ERROR(stmts_->begin.Run());
  // Another connection (a CLI import, redecode...) committed since our last
  // transaction: what the series writer cached of last chunks may be stale, and
  // so may what we know of the frame inbox.
  auto version = stmts_->data_version.Step();
  Status s = version.ok() ? Status::Ok() : version.status();
  if (s.ok()) {
    const int64_t v = stmts_->data_version.Int(0);
    if (v != data_version_) {
      series_->ForgetCache();
      ForgetFrameCaches();
    }
    data_version_ = v;
  }
  stmts_->data_version.Reset();
  if (s.ok()) s = body();
  if (s.ok()) s = stmts_->commit.Run();
  if (!s.ok()) {
    (void)stmts_->rollback.Run();
    ForgetUncommittedIds();
    series_->ForgetCache();
    ForgetFrameCaches();  // frames noted as in the inbox were rolled back
    staged_.Clear();
    return s;
  }
  new_scope_keys_.clear();
  new_modules_.clear();
  return Status::Ok();
}

Result<std::vector<WriteResult>> SqliteStore::Write(std::span<const WriteBatch* const> batches) {
  MutexLock lock(write_mu_);
  std::vector<WriteResult> results(batches.size());
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    // Every frame of the group first, many rows per statement; then the
    // measurements of those that are new, in the order they came.
    pending_frames_.clear();
    for (const WriteBatch* batch : batches) {
      TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(batch->scope));
      for (const DecodedFrame& f : batch->frames) pending_frames_.push_back({scope_id, &f});
    }
    TC_RETURN_IF_ERROR(InsertFrames(pending_frames_, fresh_));
    size_t next = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      const WriteBatch& batch = *batches[b];
      WriteResult& r = results[b];
      TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(batch.scope));
      r.duplicate.resize(batch.frames.size());
      for (size_t i = 0; i < batch.frames.size(); ++i, ++next) {
        if (!fresh_[next]) {
          r.duplicate[i] = true;
          ++r.frames_duplicate;
          continue;
        }
        ++r.frames_new;
        TC_RETURN_IF_ERROR(StageMeasurements(scope_id, batch.frames[i].measurements, r.measurements_written));
      }
      TC_RETURN_IF_ERROR(StageMeasurements(scope_id, batch.measurements, r.measurements_written));
    }
    return FlushStaged();
  }));
  MaybeCompactLog(/*sliced=*/true);
  MaybeMergeInbox();
  return results;
}

void SqliteStore::MaybeCompactLog(bool sliced) {
  if (!series_->compacting() && series_->log_points() < kCompactLogPoints) return;
  // Its own transaction: the writes above are committed whatever happens here;
  // if it fails, the points stay in the log (reads overlay them) and the next
  // write starts the compaction again.
  Status s = InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    if (!sliced) return series_->CompactLog();
    return series_->CompactLogSlice(kCompactSlicePoints).status();
  });
  if (!s.ok()) LogWarn("point_log_compaction_failed", {{"error", s.message()}});
}

Status SqliteStore::Redecode(const Scope& scope, std::span<const Redecoded> results) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    size_t written = 0;
    for (const Redecoded& r : results) {
      TC_RETURN_IF_ERROR(UpdateFrameDecoding(scope_id, r));
      TC_RETURN_IF_ERROR(StageMeasurements(scope_id, r.measurements, written));
    }
    TC_RETURN_IF_ERROR(FlushStaged());
    // A unit the new decoding gives (a measurement map's) replaces the module's.
    for (const auto& [name, unit] : RedecodedUnits(results)) {
      Stmt up(writer_.get(), "UPDATE modules SET unit = ?3 WHERE scope_id = ?1 AND name = ?2 AND unit <> ?3");
      up.Bind(1, scope_id).Bind(2, name).Bind(3, unit);
      TC_RETURN_IF_ERROR(up.Run());
    }
    return Status::Ok();
  }));
  MaybeCompactLog();
  return Sync();
}

// ---- catalog ---------------------------------------------------------------

Result<int64_t> SqliteStore::CreateToken(const TokenRecord& token) {
  MutexLock lock(write_mu_);
  int64_t id = 0;
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(token.scope));
    Stmt ins(writer_.get(), "INSERT INTO tokens(scope_id, label, hash, created_ms) VALUES(?1, ?2, ?3, ?4)");
    ins.Bind(1, scope_id).Bind(2, token.label).BindBlob(3, token.hash.data(), token.hash.size()).Bind(4, token.created_at);
    TC_RETURN_IF_ERROR(ins.Run());
    id = sqlite3_last_insert_rowid(writer_.get());
    return Status::Ok();
  }));
  TC_RETURN_IF_ERROR(Sync());
  return id;
}

namespace {
constexpr const char* kTokenColumns =
    "SELECT t.id, s.tenant, s.env, t.label, t.hash, t.created_ms, t.revoked_ms FROM tokens t "
    "JOIN scopes s ON s.id = t.scope_id ";

TokenRecord ReadToken(const Stmt& q) {
  TokenRecord t;
  t.id = q.Int(0);
  t.scope.tenant = q.Text(1);
  t.scope.env = q.Text(2) == "prod" ? Env::kProd : Env::kPreprod;
  t.label = q.Text(3);
  const std::string_view h = q.Blob(4);
  if (h.size() == t.hash.size()) std::memcpy(t.hash.data(), h.data(), h.size());
  t.created_at = q.Int(5);
  if (!q.IsNull(6)) t.revoked_at = q.Int(6);
  return t;
}
}  // namespace

Result<std::optional<TokenRecord>> SqliteStore::FindToken(const TokenHash& hash) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), std::string(kTokenColumns) + "WHERE t.hash = ?1");
  q.BindBlob(1, hash.data(), hash.size());
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<TokenRecord>();
  return std::optional<TokenRecord>(ReadToken(q));
}

Result<std::vector<TokenRecord>> SqliteStore::ListTokens(const std::optional<std::string>& tenant) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), std::string(kTokenColumns) + "WHERE ?1 IS NULL OR s.tenant = ?1 ORDER BY t.id");
  if (tenant) q.Bind(1, *tenant); else q.BindNull(1);
  std::vector<TokenRecord> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadToken(q));
  }
  return out;
}

Status SqliteStore::RevokeToken(const std::string& id_or_fp, EpochMs now) {
  if (id_or_fp.empty()) return Status::InvalidArgument("token id or fingerprint is empty");
  MutexLock lock(write_mu_);
  // An all-digit argument is tried as an id first, then (8 characters) as a
  // fingerprint: a fingerprint such as "71130638" is made of digits too.
  const bool numeric = id_or_fp.size() < 19 && id_or_fp.find_first_not_of("0123456789") == std::string::npos;
  int changed = 0;
  if (numeric) {
    Stmt by_id(writer_.get(), "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL");
    by_id.Bind(1, static_cast<int64_t>(std::stoll(id_or_fp))).Bind(2, now);
    TC_RETURN_IF_ERROR(by_id.Run());
    changed = sqlite3_changes(writer_.get());
  }
  if (changed == 0 && id_or_fp.size() == 8) {
    Stmt by_fp(writer_.get(),
               "UPDATE tokens SET revoked_ms = ?2 WHERE lower(hex(substr(hash, 1, 4))) = lower(?1) AND revoked_ms IS NULL");
    by_fp.Bind(1, id_or_fp).Bind(2, now);
    TC_RETURN_IF_ERROR(by_fp.Run());
    changed = sqlite3_changes(writer_.get());
  }
  if (changed == 0) return Status::NotFound("no active token with id or fingerprint \"" + id_or_fp + "\"");
  if (changed > 1) return Status::Internal("fingerprint matched several tokens; all were revoked");
  return Sync();
}

// ---- reads -----------------------------------------------------------------

Result<std::optional<int64_t>> SqliteStore::FindScopeId(sqlite3* db, const Scope& scope) {
  Stmt q(db, "SELECT id FROM scopes WHERE tenant = ?1 AND env = ?2");
  q.Bind(1, scope.tenant).Bind(2, std::string_view(EnvName(scope.env)));
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(q.Int(0));
}

Status SqliteStore::PrefixQuery(const Scope& scope, std::string_view sql, std::string_view prefix, size_t limit,
                                const std::function<void(const Stmt&)>& row) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(lease.get(), scope));
  if (!scope_id) return Status::Ok();  // nothing was ever written for this scope
  Stmt q(lease.get(), sql);
  q.Bind(1, *scope_id).Bind(2, prefix).Bind(3, static_cast<int64_t>(prefix.size())).Bind(4, static_cast<int64_t>(limit));
  while (true) {
    TC_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) return Status::Ok();
    row(q);
  }
}

namespace {
constexpr const char* kModuleColumns =
    "SELECT name, unit, coalesce(first_ms, created_ms), last_ms, last_value, last_quality FROM modules ";

ModuleInfo ReadModule(const Stmt& q) {
  ModuleInfo m{q.Text(0), q.Text(1), q.Int(2), std::nullopt};
  if (!q.IsNull(3)) m.last = Point{q.Int(3), DoubleFromBytes(q.Blob(4)), static_cast<int>(q.Int(5))};
  return m;
}
}  // namespace

Result<std::vector<ModuleInfo>> SqliteStore::ListModules(const Scope& scope, std::string_view prefix,
                                                         std::string_view after, size_t limit) {
  std::vector<ModuleInfo> out;
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(lease.get(), scope));
  if (!scope_id) return out;  // nothing was ever written for this scope
  Stmt q(lease.get(), std::string(kModuleColumns) +
                          "WHERE scope_id = ?1 AND name >= ?2 AND substr(name, 1, ?3) = ?2 AND name > ?5 "
                          "ORDER BY name LIMIT ?4");
  q.Bind(1, *scope_id).Bind(2, prefix).Bind(3, static_cast<int64_t>(prefix.size())).Bind(4, static_cast<int64_t>(limit));
  q.Bind(5, after);
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    out.push_back(ReadModule(q));
  }
}

Result<std::vector<ModuleInfo>> SqliteStore::FindModules(const Scope& scope, std::span<const std::string> names) {
  std::vector<ModuleInfo> out;
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(lease.get(), scope));
  if (!scope_id) return out;
  Stmt q(lease.get(), std::string(kModuleColumns) + "WHERE scope_id = ?1 AND name = ?2");
  for (const std::string& name : names) {
    q.Bind(1, *scope_id).Bind(2, name);
    auto row = q.Step();
    if (row.ok() && *row) out.push_back(ReadModule(q));
    q.Reset();
    if (!row.ok()) return row.status();
  }
  return out;
}

Result<std::vector<Point>> SqliteStore::QueryMeasurements(const MeasurementQuery& mq) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  // One snapshot for the chunks and the point log (a compaction moves points
  // from one to the other).
  StmtCache& statements = lease.statements();
  struct ReadTransaction {
    StmtCache& statements;
    bool open;
    explicit ReadTransaction(StmtCache& s) : statements(s), open(s.Get("BEGIN")->Run().ok()) {}
    ~ReadTransaction() {
      if (open) (void)statements.Get("COMMIT")->Run();
    }
  } snapshot(statements);
  if (!snapshot.open) return Status::Unavailable("cannot start a read transaction");
  int64_t module_id = 0;
  {
    StmtCache::Handle mod = statements.Get(
        "SELECT m.id FROM modules m JOIN scopes s ON s.id = m.scope_id WHERE s.tenant = ?1 AND s.env = ?2 AND m.name = ?3");
    mod->Bind(1, mq.scope.tenant).Bind(2, std::string_view(EnvName(mq.scope.env))).Bind(3, mq.module);
    TC_ASSIGN_OR_RETURN(bool found, mod->Step());
    if (!found) return Status::NotFound("no module \"" + mq.module + "\"");
    module_id = mod->Int(0);
  }
  PointAggregator agg(mq);
  if (mq.limit == 0) return agg.Finish();
  TC_RETURN_IF_ERROR(ReadSeries(statements, module_id, mq.from, mq.to, [&](const SeriesPoint& p) { return agg.Add(p); }));
  return agg.Finish();
}

Status SqliteStore::UpsertDevices(const Scope& scope, std::span<const Device> devices) {
  MutexLock lock(write_mu_);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    Stmt up(writer_.get(),
            "INSERT INTO devices(scope_id, device_id, device_type, label, module_template, updated_ms) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(scope_id, device_id) DO UPDATE SET "
            "device_type = excluded.device_type, label = excluded.label, "
            "module_template = excluded.module_template, updated_ms = excluded.updated_ms");
    for (const Device& d : devices) {
      up.Bind(1, scope_id).Bind(2, d.device_id).Bind(3, d.device_type).Bind(4, d.label).Bind(5, d.module_template);
      up.Bind(6, static_cast<int64_t>(now));
      TC_RETURN_IF_ERROR(up.Run());
    }
    return Exec(writer_.get(), "UPDATE registry_versions SET version = version + 1 WHERE name = 'devices'");
  }));
  return Sync();
}

Result<std::vector<Device>> SqliteStore::ListDevices(const Scope& scope, std::string_view prefix, size_t limit) {
  std::vector<Device> out;
  TC_RETURN_IF_ERROR(PrefixQuery(
      scope,
      "SELECT device_id, device_type, label, module_template FROM devices WHERE scope_id = ?1 AND device_id >= ?2 "
      "AND substr(device_id, 1, ?3) = ?2 ORDER BY device_id LIMIT ?4",
      prefix, limit, [&](const Stmt& q) { out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3)}); }));
  return out;
}

Result<int64_t> SqliteStore::DeviceRegistryVersion() {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), "SELECT version FROM registry_versions WHERE name = 'devices'");
  TC_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : int64_t{0};
}

Result<std::vector<Scope>> SqliteStore::ListScopes() {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(), "SELECT tenant, env FROM scopes ORDER BY tenant, env");
  std::vector<Scope> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1) == "prod" ? Env::kProd : Env::kPreprod});
  }
  return out;
}

}  // namespace telecollect::store
