#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "core/token.h"

namespace telecollect::store {

struct TokenRecord {
  int64_t id = 0;
  Scope scope;
  std::string label;
  TokenHash hash{};
  EpochMs created_at = 0;
  std::optional<EpochMs> revoked_at;
};

// One unit of ingestion: frames (journaled, with their decoding result and
// measurements) and/or measurements from other ways in, for one scope.
// Written all-or-nothing.
struct WriteBatch {
  Scope scope;
  std::vector<DecodedFrame> frames;
  std::vector<Measurement> measurements;
};

struct WriteResult {
  size_t frames_new = 0;
  size_t frames_duplicate = 0;
  std::vector<bool> duplicate;  // per frame of the batch
  size_t measurements_written = 0;
  // The number the backend gave the commit of the transaction that wrote the
  // batch, when that commit is left in flight (PostgreSQL; 0 otherwise): what
  // SyncThrough() is asked to confirm.
  uint64_t commit = 0;
};

struct FrameRecord {
  int64_t id = 0;
  Frame frame;
  DecodeStatus status = DecodeStatus::kNoDecoder;
  std::string reason;
  // What the decoder made of it when it was decoded, as stored: {"module": value}
  // (empty when nothing was, or for frames stored before version 10 of the schema).
  std::string values_json;
};

struct FrameQuery {
  Scope scope;
  std::optional<std::string> device_id;
  std::optional<std::string> device_type;  // normalised
  std::optional<DecodeStatus> status;
  std::optional<EpochMs> from;  // event time, inclusive
  std::optional<EpochMs> to;    // event time, exclusive
  std::optional<int64_t> before_id;  // paging: frames with id < before_id
  std::optional<int64_t> after_id;   // scanning oldest first: frames with id > after_id
  size_t limit = 100;
  bool oldest_first = false;
};

// A frame's new decoding result (redecode).
struct Redecoded {
  int64_t frame_id = 0;
  DecodeStatus status = DecodeStatus::kNoDecoder;
  std::string reason;
  std::vector<Measurement> measurements;
  std::string device_type;  // as now resolved (e.g. from the device registry)
};

// The units a redecode gives, by module (the last one wins; empty units are
// no unit and change nothing): Redecode records them on the modules.
std::map<std::string, std::string> RedecodedUnits(std::span<const Redecoded> results);

// A registered device: what its frames are when the platform does not say.
struct Device {
  std::string device_id;    // as frames carry it (normalised for LoRaWAN platforms)
  std::string device_type;  // normalised; empty = unknown
  std::string label;        // free text (site, room, meter number)
  std::string module_template;  // empty = the device type's ({deviceid}.{field})
};

struct Point {
  EpochMs ts = 0;  // bucket start when aggregated
  double value = 0;
  int quality = 0;
};

struct ModuleInfo {
  std::string name;
  std::string unit;
  // The time of its first measurement, whatever the way in (when it has none
  // yet: when it was created).
  EpochMs first_seen = 0;
  // Its latest measurement (the greatest ts, as last written), kept at write
  // time in the same transaction: reading it costs one row, not the history.
  std::optional<Point> last;
};

enum class Aggregate { kNone, kAvg, kMin, kMax, kSum, kLast, kCount };
Result<Aggregate> ParseAggregate(std::string_view text);

struct MeasurementQuery {
  Scope scope;
  std::string module;
  EpochMs from = kMinEpochMs;  // inclusive
  EpochMs to = kMaxEpochMs;    // exclusive
  int64_t step_ms = 0;         // 0 = raw points
  Aggregate agg = Aggregate::kAvg;
  size_t limit = 100000;
};

// A file as journaled: its identity (who listed it where, size, mtime, content
// hash), what became of it and the report of its reading.
struct FileRecord {
  int64_t id = 0;
  Scope scope;
  std::string connector;  // empty for a file imported by hand
  std::string path;       // as listed (remote path for FTP/SFTP)
  int64_t size = 0;
  int64_t mtime_ms = 0;
  std::string sha256;     // hex, of the raw bytes
  std::string status;     // "imported" | "rejected" | "duplicate" (content already imported) | "retry" (asked by hand)
  int64_t rows = 0;
  int64_t readings = 0;
  int64_t errors = 0;
  std::string report_json;
  EpochMs at = 0;
};

struct FileImport {
  bool duplicate = false;  // the scope already holds an imported file with this content: nothing written
  FileRecord record;       // as journaled (the earlier record when duplicate)
};

// Streams one file's readings into the writer it is given, then returns the
// file's journal record (the content hash is known only once it is read).
// A non-ok status rolls the whole file back.
using FileProducer = std::function<Result<FileRecord>(ReadingWriter&)>;

struct FileQuery {
  std::optional<Scope> scope;            // only this tenant/env
  std::optional<std::string> connector;  // only this connector ("" = imported by hand)
  size_t limit = 50;
  std::optional<int64_t> before_id;  // paging: records with id < before_id
};

// One run of a connector.
struct RunRecord {
  int64_t id = 0;
  std::string connector;
  EpochMs started = 0;
  EpochMs finished = 0;      // 0 while running
  std::string status;        // running | ok | rejected (files rejected, nothing failed) | failed | interrupted | lease_lost (stopped: its lease was taken over)
  int64_t files_imported = 0;
  int64_t files_rejected = 0;
  int64_t files_skipped = 0; // already journaled (or same content as a journaled file)
  int64_t files_waiting = 0; // not yet stable (still being uploaded?)
  int64_t rows = 0;          // records read from the files dealt with
  int64_t row_errors = 0;    // rows in error among them
  int64_t readings = 0;
  std::string message;       // what failed, for people
  // API pulls: HTTP requests made, windows committed and windows that failed.
  int64_t requests = 0;
  int64_t windows = 0;
  int64_t windows_failed = 0;
};

// Writes one API window's readings into the writer it is given. A non-ok
// status rolls the window back (readings and state change alike).
using WindowProducer = std::function<Status(ReadingWriter&)>;

// What a commit made under a lease carries: the lease's name, its holder and
// the fencing token TryLease gave that holder. A fenced commit checks, inside
// its own transaction, that the lease still has this holder and this token;
// once another holder took the lease over (after it expired) the commit is
// refused with kAborted, "lease lost: <lease> ...", and changes nothing.
struct Fence {
  std::string lease;
  std::string holder;
  int64_t token = 0;
};

// The refusal of a commit whose fence is stale: kAborted, "lease lost: <lease> ...".
Status LeaseLost(const Fence& fence);
bool IsLeaseLost(const Status& status);

// One version of a decoder uploaded for one tenant and env: its spec (TOML)
// and, for a script decoder, the script. At most one version per (scope,
// device type) is active.
struct DecoderVersion {
  Scope scope;
  std::string device_type;  // normalised
  std::string version;
  std::string spec;
  std::string script;  // JavaScript source, kind = "script" only
  EpochMs uploaded_at = 0;
  std::optional<EpochMs> activated_at;  // set while this version is the active one
};

// One version of a platform envelope (push/configured_envelope.h) uploaded for
// one tenant and env: its TOML. At most one version per (scope, name) is active.
struct EnvelopeVersion {
  Scope scope;
  std::string name;  // the source name, lower case
  std::string version;
  std::string spec;
  EpochMs uploaded_at = 0;
  std::optional<EpochMs> activated_at;  // set while this version is the active one
};

// A tenant's own name for a device type: frames whose platform field (a
// ChirpStack device profile, ThingPark CustomerData.alr.pro...) carries
// `alias` are decoded as `device_type`, for that tenant and env only.
struct TypeAlias {
  Scope scope;
  std::string alias;        // normalised
  std::string device_type;  // normalised
};

// The store's roles. Each consumer depends on the narrowest one it needs; one
// backend (SQLite, PostgreSQL) implements them all as a Store (below).
// Thread-safe: Write and Redecode are called by a single writer (the
// GroupCommitter) or a CLI command; everything else from any thread.
// Failures: kIoError for storage trouble, kUnavailable when busy/locked past
// the busy timeout or the database cannot be reached, kInvalidArgument for bad
// arguments.

// Ingest: frames and measurements in (push, redecode).
class Ingest {
 public:
  virtual ~Ingest() = default;

  // Write is atomic; the same store's later calls see it; it is durable, and
  // certain to be seen by other stores (connections, nodes), after the next
  // Sync() (PostgreSQL: its COMMIT may still be in flight until then; SQLite:
  // it survives a process crash when it returns). Redecode is durable when it
  // returns.

  // Journal + measurements: all batches in one transaction (group commit).
  // Frames already journaled (same scope, device, event time, payload) are
  // counted as duplicates and their measurements not rewritten. Measurements
  // upsert on (module, ts): last write wins.
  virtual Result<std::vector<WriteResult>> Write(std::span<const WriteBatch* const> batches) = 0;
  virtual Status Redecode(const Scope& scope, std::span<const Redecoded> results) = 0;
  // Durability barrier: when it returns ok, every transaction committed before
  // the call survives a power loss. Write() alone guarantees atomicity and
  // survival of a process crash; the group committer calls Sync() before it
  // acknowledges anything, so that one fsync covers many commits while the
  // writer goes on with the next group. kIoError if the flush failed.
  virtual Status Sync() = 0;
  // Sync() for one caller's writes, `commit` the greatest WriteResult::commit
  // among them: fails if any commit numbered up to `commit` failed, and
  // reports each such failure once; a failure of a later commit is kept for
  // the SyncThrough that covers it (another caller's Sync may have waited for
  // that commit first). A backend whose commits are not left in flight syncs.
  virtual Status SyncThrough(uint64_t /*commit*/) { return Sync(); }
};

// Queries: what was received and stored.
class Queries {
 public:
  virtual ~Queries() = default;
  virtual Result<std::vector<FrameRecord>> QueryFrames(const FrameQuery& query) = 0;
  // Modules whose name starts with `prefix` and sorts after `after` (the
  // previous page's last name; "" for the first page), by name.
  virtual Result<std::vector<ModuleInfo>> ListModules(const Scope& scope, std::string_view prefix,
                                                      std::string_view after, size_t limit) = 0;
  // These modules, in this order; names that are not modules of the scope are left out.
  virtual Result<std::vector<ModuleInfo>> FindModules(const Scope& scope, std::span<const std::string> names) = 0;
  virtual Result<std::vector<Point>> QueryMeasurements(const MeasurementQuery& query) = 0;
  // Distinct scopes holding frames, for redecode over every tenant.
  virtual Result<std::vector<Scope>> ListScopes() = 0;
};

// Catalog: push tokens, the device registry, decoder versions and type aliases.
// Every write is durable when it returns.
class Catalog {
 public:
  virtual ~Catalog() = default;

  // Push tokens (stored hashed).
  virtual Result<int64_t> CreateToken(const TokenRecord& token) = 0;
  virtual Result<std::optional<TokenRecord>> FindToken(const TokenHash& hash) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(const std::optional<std::string>& tenant) = 0;
  // Revokes by id or by hash-fingerprint prefix; kNotFound if none matches.
  virtual Status RevokeToken(const std::string& id_or_fingerprint, EpochMs now) = 0;

  // Device registry: upsert by (scope, device_id), all-or-nothing.
  virtual Status UpsertDevices(const Scope& scope, std::span<const Device> devices) = 0;
  virtual Result<std::vector<Device>> ListDevices(const Scope& scope, std::string_view prefix, size_t limit) = 0;
  // Changes whenever UpsertDevices commits, from any process: a cache of the
  // registry compares it instead of asking again device by device.
  virtual Result<int64_t> DeviceRegistryVersion() = 0;

  // Decoder versions (decoder lifecycle). Put stores a new version; the same
  // version again with the same content is a no-op, with other content
  // kAlreadyExists. List: every scope when `scope` is empty, only the active
  // versions when `active_only`. Activate makes `version` the active one of
  // its scope and device type (kNotFound if absent); an empty `version` leaves
  // none active (the shared decoder applies again).
  virtual Status PutDecoderVersion(const DecoderVersion& version) = 0;
  virtual Result<std::vector<DecoderVersion>> ListDecoderVersions(const std::optional<Scope>& scope,
                                                                  const std::string& device_type, bool active_only) = 0;
  virtual Status ActivateDecoderVersion(const Scope& scope, const std::string& device_type, const std::string& version,
                                        EpochMs now) = 0;
  // Envelope versions, as decoder versions: Put is a no-op for the same
  // content and kAlreadyExists for other content under an existing version;
  // List gives every scope's when `scope` is empty (and one name's when `name`
  // is set); Activate with an empty `version` leaves none active.
  virtual Status PutEnvelopeVersion(const EnvelopeVersion& version) = 0;
  virtual Result<std::vector<EnvelopeVersion>> ListEnvelopeVersions(const std::optional<Scope>& scope,
                                                                    const std::string& name, bool active_only) = 0;
  virtual Status ActivateEnvelopeVersion(const Scope& scope, const std::string& name, const std::string& version,
                                         EpochMs now) = 0;
  // Device type aliases per scope: Put replaces (an empty device_type removes
  // the alias); List gives every scope's when `scope` is empty.
  virtual Status PutTypeAlias(const TypeAlias& alias) = 0;
  virtual Result<std::vector<TypeAlias>> ListTypeAliases(const std::optional<Scope>& scope) = 0;
};

// Connectors: their runs, the sightings of listed files, leases, and state
// (watermarks) committed with the readings of an API window.
// Commits that take a `fence` (a run's, made under the connector's lease) check
// it inside their own transaction: when the lease has another holder or
// another token now, they change nothing and return LeaseLost (kAborted). No
// fence (nullopt): not made under a lease (an import by hand), not checked.
class ConnectorState {
 public:
  virtual ~ConnectorState() = default;

  // Connector runs: started, then finished (same id); newest first.
  virtual Result<int64_t> StartRun(const RunRecord& run) = 0;
  virtual Status FinishRun(const RunRecord& run) = 0;
  // Newest first; `before_id` pages on (runs with id < before_id).
  virtual Result<std::vector<RunRecord>> ListRuns(const std::optional<std::string>& connector, size_t limit,
                                                  std::optional<int64_t> before_id) = 0;
  // Marks the connector's runs still "running" as "interrupted" (finished
  // now): called by a run holding the connector's lease, so none of them is
  // alive (a killed process). Returns how many; durable on return.
  virtual Result<int64_t> CloseInterruptedRuns(const std::string& connector, EpochMs now,
                                               const std::optional<Fence>& fence) = 0;

  // When a listing first saw `path` with this size and mtime (now, if they
  // changed or it is new). ForgetSighting once the file is dealt with.
  virtual Result<EpochMs> NoteSighting(const std::string& connector, const std::string& path, int64_t size,
                                       int64_t mtime_ms, EpochMs now) = 0;
  virtual Status ForgetSighting(const std::string& connector, const std::string& path) = 0;
  // Forgets the connector's sightings of every path not in `listed` (a whole
  // listing): files that vanished before they were taken leave nothing behind.
  virtual Status ForgetSightingsExcept(const std::string& connector, const std::vector<std::string>& listed) = 0;

  // Leases: `holder` gets `name` until now + ttl if it is free, expired or
  // already its own, and with it the lease's fencing token; nullopt when
  // another holder has it. The token grows whenever the lease changes hands
  // (released and taken again included) and never goes back; renewing by the
  // same holder keeps it. Several nodes on one database never run one job twice.
  virtual Result<std::optional<int64_t>> TryLease(const std::string& name, const std::string& holder, EpochMs now,
                                                  int64_t ttl_ms) = 0;
  virtual Status ReleaseLease(const std::string& name, const std::string& holder) = 0;
  // Who holds `name` now (expired or not), if anyone.
  virtual Result<std::optional<std::string>> LeaseHolder(const std::string& name) = 0;

  // Connector state (API pulls): watermarks per meter, rotating OAuth2
  // refresh tokens. Values are opaque text; PutState is durable on return.
  virtual Result<std::optional<std::string>> GetState(const std::string& connector, const std::string& key) = 0;
  virtual Status PutState(const std::string& connector, const std::string& key, const std::string& value,
                          const std::optional<Fence>& fence) = 0;
  // One API window in one transaction: its readings and the state change that
  // says it is done (the meter's watermark), or nothing; durable on return.
  virtual Status ImportWindow(const Scope& scope, const std::string& connector, const std::string& key,
                              const std::string& value, const WindowProducer& produce,
                              const std::optional<Fence>& fence) = 0;
};

// When a file's import is durable: on return, or once the next Sync() returns
// (an import of many files pays for one fdatasync, not one per file; nothing
// may be reported imported before that Sync). A backend whose commit is
// durable anyway (PostgreSQL) treats both alike.
enum class Durability { kOnReturn, kAtNextSync };

// The files journal: which files were read, what became of them.
class FileJournal {
 public:
  virtual ~FileJournal() = default;

  // ImportFile runs `produce` inside one transaction: all the file's readings
  // and its journal record, or nothing; durable as `durability` says. The
  // writer path is held meanwhile (other writes wait).
  // Fenced as ConnectorState's commits are (`fence`: nullopt for a file
  // imported by hand).
  virtual Result<FileImport> ImportFile(const Scope& scope, const FileProducer& produce, Durability durability,
                                        const std::optional<Fence>& fence) = 0;
  // Journals a file that was not imported (rejected); durable on return.
  virtual Status RecordFile(const FileRecord& record, const std::optional<Fence>& fence) = 0;
  // The latest record of this exact listing identity, if any.
  virtual Result<std::optional<FileRecord>> FindFile(const std::string& connector, const std::string& path,
                                                     int64_t size, int64_t mtime_ms) = 0;
  // Newest first.
  virtual Result<std::vector<FileRecord>> ListFiles(const FileQuery& query) = 0;
};

// The message of every failure that means "the database cannot be reached
// now" (code kUnavailable): a failed connect, a connection lost in use, or a
// call refused at once while the backend waits before it connects again. It
// names no host, port, user or password; callers answer HTTP 503 with
// Retry-After and may retry.
inline constexpr std::string_view kStoreUnreachable = "database unreachable";
inline Status StoreUnreachable() { return Status::Unavailable(std::string(kStoreUnreachable)); }
// Whether `s` is such a failure (also with context added by WithContext).
inline bool IsStoreUnreachable(const Status& s) {
  return s.code() == StatusCode::kUnavailable && s.message().find(kStoreUnreachable) != std::string::npos;
}

// Whether the database can be reached, as far as the store knows.
struct StoreHealth {
  bool reachable = true;
  std::string reason;       // why not (kStoreUnreachable), for /healthz; empty when reachable
  int64_t down_for_ms = 0;  // how long it has been unreachable
};

// Everything telecollect keeps: every role, one implementation per backend
// (SQLite: sqlite_store.h; PostgreSQL: pg_store.h), opened by OpenStore
// (open_store.h).
class Store : public Ingest, public Queries, public Catalog, public ConnectorState, public FileJournal {
 public:
  ~Store() override = default;

  // The last known state of the database link, for /healthz. Cheap: at most
  // one connect attempt (PostgreSQL, when it is unreachable and its backoff
  // allows one now, or when idle connections were found closed), never a
  // query. An embedded store is always reachable.
  virtual StoreHealth Health() { return {}; }
};

}  // namespace telecollect::store
