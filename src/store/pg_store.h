#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "store/pg_db.h"
#include "store/pg_link.h"
#include "store/store.h"

namespace telecollect::store {

// The PostgreSQL backend (docs/storage.md, "PostgreSQL"): any number of
// telecollect nodes on one database. A pool of connections, one per operation
// in flight; every write is one transaction, durable when it commits. A
// Write's COMMIT is sent without waiting for it (pg_commits.cc): the group
// committer builds the next group while PostgreSQL flushes the last one, and
// Sync() waits for every commit in flight; any other operation waits for them
// first, so that it sees what was written before it. Measurements are chunks of points
// (series_codec.h) in a table partitioned by month, partitions created on
// demand. Migrations are applied at Open under an advisory lock, so that
// nodes starting together apply each one once.
//
// When PostgreSQL cannot be reached (stopped, restarting, failing over), every
// call fails with StoreUnreachable() (store.h), and new connections are tried
// once per backoff interval (pg_link.h), so that a node under load neither
// hammers the server nor waits on it; idle pooled connections the server
// closed are dropped before use, and a connection lost in use is followed by
// one connect at once. The store comes back by itself once a connect succeeds.
class PgStore final : public Store {
 public:
  // `conninfo`: libpq key=value or URI, without a password (kInvalidArgument
  // otherwise); `password` as read from the secrets file or the environment
  // (empty: libpq's own PGPASSWORD / PGPASSFILE apply).
  static Result<std::unique_ptr<PgStore>> Open(const StoreOptions& options, const std::string& conninfo,
                                               const std::string& password);
  ~PgStore() override;

  Result<int64_t> CreateToken(const TokenRecord& token) override;
  Result<std::optional<TokenRecord>> FindToken(const TokenHash& hash) override;
  Result<std::vector<TokenRecord>> ListTokens(const std::optional<std::string>& tenant) override;
  Status RevokeToken(const std::string& id_or_fingerprint, EpochMs now) override;

  Result<std::vector<WriteResult>> Write(std::span<const WriteBatch* const> batches) override;
  Status Redecode(const Scope& scope, std::span<const Redecoded> results) override;
  // Waits for the commits of the Writes so far (durable once confirmed:
  // synchronous_commit); a failure if any of them failed (or one sent since,
  // whose failure a Sync has not yet been told of after it was sent).
  Status Sync() override;
  Status SyncThrough(uint64_t commit) override;
  // Unreachable while the link is down (pg_link.h); one connect attempt when
  // its backoff allows one, or when every idle connection was found closed.
  StoreHealth Health() override;

  Result<std::vector<FrameRecord>> QueryFrames(const FrameQuery& query) override;
  Result<std::vector<ModuleInfo>> ListModules(const Scope& scope, std::string_view prefix, std::string_view after,
                                              size_t limit) override;
  Result<std::vector<ModuleInfo>> FindModules(const Scope& scope, std::span<const std::string> names) override;
  Result<std::vector<Point>> QueryMeasurements(const MeasurementQuery& query) override;
  Result<std::vector<Scope>> ListScopes() override;
  Status UpsertDevices(const Scope& scope, std::span<const Device> devices) override;
  Result<std::vector<Device>> ListDevices(const Scope& scope, std::string_view prefix, size_t limit) override;
  Result<int64_t> DeviceRegistryVersion() override;

  // pg_connectors.cc
  Result<FileImport> ImportFile(const Scope& scope, const FileProducer& produce, Durability durability,
                                const std::optional<Fence>& fence) override;
  Status RecordFile(const FileRecord& record, const std::optional<Fence>& fence) override;
  Result<std::optional<FileRecord>> FindFile(const std::string& connector, const std::string& path, int64_t size,
                                             int64_t mtime_ms) override;
  Result<std::vector<FileRecord>> ListFiles(const FileQuery& query) override;
  Result<int64_t> StartRun(const RunRecord& run) override;
  Status FinishRun(const RunRecord& run) override;
  Result<std::vector<RunRecord>> ListRuns(const std::optional<std::string>& connector, size_t limit,
                                          std::optional<int64_t> before_id) override;
  Result<int64_t> CloseInterruptedRuns(const std::string& connector, EpochMs now,
                                       const std::optional<Fence>& fence) override;
  Result<EpochMs> NoteSighting(const std::string& connector, const std::string& path, int64_t size, int64_t mtime_ms,
                               EpochMs now) override;
  Status ForgetSighting(const std::string& connector, const std::string& path) override;
  Status ForgetSightingsExcept(const std::string& connector, const std::vector<std::string>& listed) override;
  Result<std::optional<int64_t>> TryLease(const std::string& name, const std::string& holder, EpochMs now,
                                          int64_t ttl_ms) override;
  Status ReleaseLease(const std::string& name, const std::string& holder) override;
  Result<std::optional<std::string>> LeaseHolder(const std::string& name) override;
  Result<std::optional<std::string>> GetState(const std::string& connector, const std::string& key) override;
  Status PutState(const std::string& connector, const std::string& key, const std::string& value,
                  const std::optional<Fence>& fence) override;
  Status ImportWindow(const Scope& scope, const std::string& connector, const std::string& key,
                      const std::string& value, const WindowProducer& produce,
                      const std::optional<Fence>& fence) override;

  // pg_catalog.cc
  Status PutDecoderVersion(const DecoderVersion& version) override;
  Result<std::vector<DecoderVersion>> ListDecoderVersions(const std::optional<Scope>& scope,
                                                          const std::string& device_type, bool active_only) override;
  Status ActivateDecoderVersion(const Scope& scope, const std::string& device_type, const std::string& version,
                                EpochMs now) override;
  Status PutEnvelopeVersion(const EnvelopeVersion& version) override;
  Result<std::vector<EnvelopeVersion>> ListEnvelopeVersions(const std::optional<Scope>& scope, const std::string& name,
                                                            bool active_only) override;
  Status ActivateEnvelopeVersion(const Scope& scope, const std::string& name, const std::string& version,
                                 EpochMs now) override;
  Status PutTypeAlias(const TypeAlias& alias) override;
  Result<std::vector<TypeAlias>> ListTypeAliases(const std::optional<Scope>& scope) override;

  static constexpr int kSchemaVersion = 6;

  // Merges every row of the point log there now into the chunks (pg_series.cc),
  // in slices of one transaction each. Every read of measurements or of a
  // module's extents calls it first, so that it sees every point acknowledged
  // before it; a background thread calls it every kCompactEvery, or sooner
  // once kCompactAtPoints points were logged by this node.
  Status CompactLog();
  static constexpr size_t kCompactAtPoints = 200000;
  static constexpr std::chrono::seconds kCompactEvery{2};

  // One transaction on one pooled connection (internal, for the backend's
  // source files): ids of scopes and modules created in it are cached only
  // once it commits.
  class Tx;

 private:
  PgStore(std::string conninfo, std::string password)
      : conninfo_(std::move(conninfo)),
        password_(std::move(password)),
        link_([this] { return PgConnect(conninfo_, password_); }, password_) {}
  Status Migrate();

  // A pooled connection, returned to the pool when released (dropped if
  // broken: then the link is told it was lost). An idle one the server closed
  // meanwhile is dropped and the next taken; a new one comes from link_.
  class Conn;
  Result<Conn> Acquire() TC_EXCLUDES(pool_mu_);
  void Release(PgConnPtr conn) TC_EXCLUDES(pool_mu_);
  // The idle connections still open, those found closed dropped; whether any was.
  bool DropClosedIdle() TC_EXCLUDES(pool_mu_);

  // Runs `body` in a transaction; when `retryable`, again (a few times) when
  // PostgreSQL aborts it for a deadlock or a serialization failure
  // (kUnavailable from a live connection). With `commit_later`, the COMMIT is
  // sent and left in flight (Sync() confirms it); otherwise the commits in
  // flight are waited for first.
  // `commit` (with commit_later): set to the number of the COMMIT left in flight.
  Status InTransaction(const std::function<Status(Tx&)>& body, bool retryable = true, bool commit_later = false,
                       uint64_t* commit = nullptr);
  // A read on a pooled connection.
  Status Read(const std::function<Status(PGconn*)>& body);

  // One slice of CompactLog: the first rows with id <= `through`, up to about
  // 100,000 points; whether rows <= `through` remain.
  Result<bool> CompactLogSlice(int64_t through);
  void CompactorLoop() TC_EXCLUDES(compactor_mu_);
  // Points a committed transaction put in the log.
  void NoteLogged(size_t points);

  // Creates the monthly partitions of `chunks` that `months` (month starts,
  // epoch ms) need, each once per process.
  Status EnsurePartitions(PGconn* conn, const std::set<EpochMs>& months);

  // The rows of `table` (columns `columns`) in `scope` whose `column` starts
  // with `prefix`, in byte order, at most `limit`; none when the scope was
  // never written.
  template <typename T, typename ReadRow>
  Result<std::vector<T>> PrefixRows(const Scope& scope, std::string_view table, std::string_view column,
                                    std::string_view columns, std::string_view prefix, size_t limit, ReadRow read);

  // Scope id for a read; nullopt if the scope was never written.
  static Result<std::optional<int64_t>> FindScopeId(PGconn* conn, const Scope& scope);

  // What a transaction created: known to the store (cached) once it commits.
  struct Created {
    std::vector<std::pair<std::string, int64_t>> scopes;
    std::vector<std::pair<std::string, int64_t>> modules;
    std::set<EpochMs> partitions;
  };
  void Remember(Created created) TC_EXCLUDES(ids_mu_);

  // pg_commits.cc: `conn` has sent its COMMIT; waited for by AwaitCommits.
  // More than kMaxCommitsInFlight: waits for them now.
  // Returns the commit's number.
  uint64_t CommitLater(PgConnPtr conn, Created created) TC_EXCLUDES(await_mu_, commits_mu_);
  // Waits for every commit in flight: caches what each created, notes the
  // first failure for Sync(), returns the connections to the pool.
  void AwaitCommits() TC_EXCLUDES(await_mu_, commits_mu_);
  static constexpr size_t kMaxCommitsInFlight = 4;
  struct InFlight {
    PgConnPtr conn;
    Created created;
    uint64_t seq = 0;  // the commit's number (commits_sent_ when it was sent)
  };

  const std::string conninfo_;
  const std::string password_;
  PgLink link_;

  // One waiter at a time (taken before commits_mu_): a waiter that finds the
  // list empty knows that no commit taken by another waiter is still unconfirmed.
  Mutex await_mu_;
  Mutex commits_mu_;
  std::vector<InFlight> in_flight_ TC_GUARDED_BY(commits_mu_);
  uint64_t commits_sent_ TC_GUARDED_BY(commits_mu_) = 0;
  // The commits that failed and were not yet reported, by number. Whoever
  // waited for a commit (a read, a Sync of another caller) notes its failure
  // here; the Sync or SyncThrough that covers its number reports it, and only
  // that one: the group committer hands a group to its syncer after the
  // commit is sent, so a Sync begun in between must not consume the failure
  // of a group it does not acknowledge.
  std::map<uint64_t, Status> failed_ TC_GUARDED_BY(commits_mu_);
  // Reports (and forgets) the failures of the commits numbered up to `through`.
  Status TakeFailuresThrough(uint64_t through) TC_EXCLUDES(commits_mu_);

  Mutex pool_mu_;
  std::vector<PgConnPtr> idle_ TC_GUARDED_BY(pool_mu_);

  // Committed ids: "tenant\0env" → scope id; (scope id, module name) → module id.
  Mutex ids_mu_;
  std::unordered_map<std::string, int64_t> scope_ids_ TC_GUARDED_BY(ids_mu_);
  std::unordered_map<std::string, int64_t> module_ids_ TC_GUARDED_BY(ids_mu_);
  std::set<EpochMs> partitions_ TC_GUARDED_BY(ids_mu_);

  // The point log's compaction (CompactorLoop), started by Open, stopped and
  // joined by the destructor.
  Mutex compactor_mu_;
  CondVar compactor_cv_;
  bool stopping_ TC_GUARDED_BY(compactor_mu_) = false;
  std::atomic<size_t> logged_points_{0};
  std::thread compactor_;

  friend class Tx;
};

}  // namespace telecollect::store
