#pragma once

#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/mutex.h"
#include "core/string_map.h"
#include "store/sqlite_db.h"
#include "store/sqlite_series.h"
#include "store/store.h"

namespace telecollect::store {

// The embedded backend: one SQLite file in WAL mode. One writer connection
// (serialised by write_mu_), a pool of read-only connections for queries.
// Schema versions are applied in order at Open (PRAGMA user_version).
class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const StoreOptions& options, const std::string& path);
  ~SqliteStore() override;

  Result<int64_t> CreateToken(const TokenRecord& token) override;
  Result<std::optional<TokenRecord>> FindToken(const TokenHash& hash) override;
  Result<std::vector<TokenRecord>> ListTokens(const std::optional<std::string>& tenant) override;
  Status RevokeToken(const std::string& id_or_fingerprint, EpochMs now) override;

  Result<std::vector<WriteResult>> Write(std::span<const WriteBatch* const> batches) override;
  Status Redecode(const Scope& scope, std::span<const Redecoded> results) override;
  Status Sync() override;

  Result<std::vector<FrameRecord>> QueryFrames(const FrameQuery& query) override;
  Result<std::vector<ModuleInfo>> ListModules(const Scope& scope, std::string_view prefix, std::string_view after,
                                              size_t limit) override;
  Result<std::vector<ModuleInfo>> FindModules(const Scope& scope, std::span<const std::string> names) override;
  Result<std::vector<Point>> QueryMeasurements(const MeasurementQuery& query) override;
  Result<std::vector<Scope>> ListScopes() override;
  Status UpsertDevices(const Scope& scope, std::span<const Device> devices) override;
  Result<std::vector<Device>> ListDevices(const Scope& scope, std::string_view prefix, size_t limit) override;
  Result<int64_t> DeviceRegistryVersion() override;

  // File journal and runs: sqlite_files.cc.
  Result<FileImport> ImportFile(const Scope& scope, const FileProducer& produce, Durability durability,
                                const std::optional<Fence>& fence) override;
  Status RecordFile(const FileRecord& record, const std::optional<Fence>& fence) override;
  Result<std::optional<FileRecord>> FindFile(const std::string& connector, const std::string& path, int64_t size,
                                             int64_t mtime_ms) override;
  Result<std::vector<FileRecord>> ListFiles(const FileQuery& query) override;
  Result<int64_t> StartRun(const RunRecord& run) override;
  Status FinishRun(const RunRecord& run) override;
  Result<int64_t> CloseInterruptedRuns(const std::string& connector, EpochMs now,
                                       const std::optional<Fence>& fence) override;
  Result<std::vector<RunRecord>> ListRuns(const std::optional<std::string>& connector, size_t limit,
                                          std::optional<int64_t> before_id) override;
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

  // Decoder versions: sqlite_decoders.cc.
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

  static constexpr int kSchemaVersion = 14;
  // Points in the log (sqlite_series.h) that make the writer merge it into chunks.
  static constexpr size_t kCompactLogPoints = 100000;
  // About how many of them one transaction of a push write's compaction merges.
  static constexpr size_t kCompactSlicePoints = 8192;
  // Frames in the journal's inbox that make the writer merge it (see InsertFrames).
  static constexpr size_t kMergeInboxFrames = 16384;
  // About how many of them one merge transaction moves (a slice of devices).
  static constexpr size_t kMergeSliceFrames = 1024;

 private:
  class ReadLease;
  struct WriterStatements;

  SqliteStore(StoreOptions options, std::string path);
  Status Init() TC_EXCLUDES(write_mu_);
  Status Migrate() TC_REQUIRES(write_mu_);
  Result<ReadLease> AcquireReader() TC_EXCLUDES(read_mu_);
  void ReleaseReader(CachedDb db) TC_EXCLUDES(read_mu_);

  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back (and
  // forgetting ids cached during it) on failure. `body` runs with write_mu_
  // held: its lambda says so with TC_REQUIRES(write_mu_).
  Status InTransaction(const std::function<Status()>& body) TC_REQUIRES(write_mu_);
  // Writer-side helpers, inside a transaction.
  Result<int64_t> ScopeId(const Scope& scope) TC_REQUIRES(write_mu_);
  Result<int64_t> ModuleId(int64_t scope_id, const Measurement& m) TC_REQUIRES(write_mu_) {
    return ModuleId(scope_id, m.module, m.unit, m.ts);
  }
  Result<int64_t> ModuleId(int64_t scope_id, const std::string& name, const std::string& unit, EpochMs created)
      TC_REQUIRES(write_mu_);
  Status InsertFileRecord(int64_t scope_id, const FileRecord& record) TC_REQUIRES(write_mu_);  // in a transaction
  class FileWriter;
  Status PutStateLocked(const std::string& connector, const std::string& key, const std::string& value)
      TC_REQUIRES(write_mu_);  // in a transaction
  // In a fenced commit's transaction (it holds the write lock, so no takeover
  // can commit before it does): LeaseLost unless the lease has the fence's
  // holder and token. Ok when `fence` is empty.
  Status CheckFence(const std::optional<Fence>& fence) TC_REQUIRES(write_mu_);
  // Measurements are staged during a transaction and written, sorted by
  // (module, ts), into chunks by FlushStaged just before the commit.
  Status StageMeasurements(int64_t scope_id, const std::vector<Measurement>& ms, size_t& staged)
      TC_REQUIRES(write_mu_);
  Status FlushStaged() TC_REQUIRES(write_mu_);
  // Merges the point log into chunks once it holds kCompactLogPoints; called
  // after every kind of write that stages measurements (caller holds write_mu_).
  // `sliced` (push writes): one slice of kCompactSlicePoints per call, so that
  // the requests queued behind it wait for a slice, not for the whole log;
  // otherwise (imports, redecoding) the whole log at once.
  void MaybeCompactLog(bool sliced = false) TC_REQUIRES(write_mu_);
  // The frame journal (sqlite_frames.cc). New frames are appended to the inbox
  // table, which has no index: a group commit dirties one page or two, where
  // the journal's identity index would dirty one leaf per frame (frames of many
  // devices land all over it). The identities of the inbox's frames are kept in
  // memory; once it holds kMergeInboxFrames, the inbox is merged into `frames`
  // sorted by identity (each index leaf then takes many frames at once), one
  // slice of devices per transaction (below).
  // Journals `frames`, kFramesPerStatement rows per INSERT; fresh[i] = 0 when
  // frame i was journaled already (or earlier in `frames`).
  struct PendingFrame {
    int64_t scope_id;
    const DecodedFrame* frame;
  };
  static constexpr size_t kFramesPerStatement = 50;
  Status InsertFrames(std::span<const PendingFrame> frames, std::vector<char>& fresh) TC_REQUIRES(write_mu_);
  // Prepared once per row count and table (journal or inbox).
  Stmt& InsertFramesStmt(size_t rows, bool into_journal) TC_REQUIRES(write_mu_);
  // Whether a frame with this identity is in `frames` (the merged journal); its id if so.
  Result<bool> Journaled(int64_t scope_id, const Frame& frame, int64_t* id) TC_REQUIRES(write_mu_);
  // The device's entry in newest_frame_ (below), loaded on first use.
  Result<int64_t*> NewestFrameBound(int64_t scope_id, std::string_view device_id) TC_REQUIRES(write_mu_);
  // What the writer knows of the journal and the inbox no longer holds (a
  // rollback, or another connection's commit): both are read again.
  void ForgetFrameCaches() TC_REQUIRES(write_mu_);
  // Whether a group's frames come from so few devices that they go straight
  // into the journal (at least kJournalDirectlyFrames, that many per device).
  static bool FromFewDevices(std::span<const PendingFrame> frames);
  static constexpr size_t kJournalDirectlyFrames = 64;
  static constexpr size_t kJournalDirectlyFramesPerDevice = 16;
  // Reads the inbox's identities and the next frame id (at the first write, and
  // after a rollback or another connection's commit).
  Status LoadInbox() TC_REQUIRES(write_mu_);
  // The ids of the inbox's frames with id <= max_id, sorted by identity (scope,
  // device, event time: the journal index's order), and where slices of about
  // kMergeSliceFrames end, cut between devices (`slice_ends`: one past each
  // slice's last id). One scan by id; the sort is done here, not by SQLite.
  Status InboxByIdentity(int64_t max_id, std::vector<int64_t>& ids, std::vector<size_t>& slice_ends)
      TC_REQUIRES(write_mu_);
  // Moves these inbox frames into the journal, in this order: each is looked
  // up and deleted by its id, so a slice costs what it moves, not a scan of the
  // whole inbox. In a transaction.
  Status MergeInbox(std::span<const int64_t> ids) TC_REQUIRES(write_mu_);
  // A merge cycle: the inbox as it was when it filled up, cut at device
  // boundaries into slices of about kMergeSliceFrames, merged one slice per
  // write (every device's frames in one slice: the locality is the same, the
  // writer is held for a slice at a time). Keys of merged frames stay in
  // inbox_keys_ until the cycle ends (they are duplicates all the same).
  struct MergeCycle {
    bool active = false;
    std::vector<int64_t> ids;         // sorted by identity
    std::vector<size_t> slice_ends;   // slice i is ids[slice_ends[i-1] (or 0), slice_ends[i])
    size_t next = 0;
  };
  void MaybeMergeInbox() TC_REQUIRES(write_mu_);  // its own transaction: one slice, once the inbox is full
  Status UpdateFrameDecoding(int64_t scope_id, const Redecoded& r) TC_REQUIRES(write_mu_);  // in a transaction
  void ForgetUncommittedIds() TC_REQUIRES(write_mu_);

  // Runs `sql` (binds: ?1 scope id, ?2 prefix, ?3 prefix length, ?4 limit — an
  // id-prefix range on a (scope_id, id) index) on a reader, calling `row` per
  // row. No rows when the scope has never been written.
  Status PrefixQuery(const Scope& scope, std::string_view sql, std::string_view prefix, size_t limit,
                     const std::function<void(const Stmt&)>& row);
  // Read-side scope lookup: nullopt if the scope has never been written.
  Result<std::optional<int64_t>> FindScopeId(sqlite3* db, const Scope& scope);

  // Constant after Open.
  const StoreOptions options_;
  const std::string path_;

  // The writer connection and everything the writer caches.
  Mutex write_mu_;
  SqliteDb writer_ TC_GUARDED_BY(write_mu_);
  std::unique_ptr<WriterStatements> stmts_ TC_GUARDED_BY(write_mu_);
  std::unordered_map<std::string, int64_t> scope_ids_ TC_GUARDED_BY(write_mu_);  // "tenant\0env" → id
  // Hashes std::string keys and string_view lookups alike (no key built per lookup).
  using ModuleIds = StringMap<int64_t>;  // module name → id
  std::unordered_map<int64_t, ModuleIds> module_ids_ TC_GUARDED_BY(write_mu_);  // per scope id
  // StageMeasurements: the last frame's modules (name, id; 0 = none), in order, and their scope.
  std::vector<std::pair<std::string, int64_t>> last_frame_modules_ TC_GUARDED_BY(write_mu_);
  int64_t last_frame_scope_ TC_GUARDED_BY(write_mu_) = 0;
  std::vector<std::string> new_scope_keys_ TC_GUARDED_BY(write_mu_);  // created in the open transaction
  std::vector<std::pair<int64_t, std::string>> new_modules_ TC_GUARDED_BY(write_mu_);  // created in the open transaction
  std::unique_ptr<SeriesWriter> series_ TC_GUARDED_BY(write_mu_);
  std::map<size_t, Stmt> insert_frames_ TC_GUARDED_BY(write_mu_);
  // The inbox's frame identities (FrameKey), the next frame id (frames and
  // inbox share one sequence) and whether both reflect the database.
  std::unordered_set<std::string> inbox_keys_ TC_GUARDED_BY(write_mu_);
  int64_t next_frame_id_ TC_GUARDED_BY(write_mu_) = 1;
  bool inbox_loaded_ TC_GUARDED_BY(write_mu_) = false;
  MergeCycle merge_ TC_GUARDED_BY(write_mu_);
  std::string key_buf_ TC_GUARDED_BY(write_mu_);
  std::vector<size_t> to_insert_ TC_GUARDED_BY(write_mu_);
  // Per device (key: scope id, then device id), an upper bound of the newest
  // event time among its frames in the journal and the inbox together. A frame
  // newer than its device's bound is in neither, and its journal lookup (an
  // index seek, most of a frame's cost on the writer) is skipped: devices send
  // in time order, so that is nearly every frame. An entry is loaded at the
  // device's first frame (one seek for the journal's newest, inbox_newest_ for
  // the inbox's), raised by every frame written, and never lowered: a merge
  // only moves frames from the inbox to the journal. Dropped by
  // ForgetFrameCaches.
  using DeviceTimes = StringMap<int64_t>;  // by DeviceKey
  DeviceTimes newest_frame_ TC_GUARDED_BY(write_mu_);
  // The newest event time of each device's frames in the inbox (LoadInbox
  // rebuilds it; raised by every frame the inbox takes).
  DeviceTimes inbox_newest_ TC_GUARDED_BY(write_mu_);
  std::string device_key_buf_ TC_GUARDED_BY(write_mu_);
  std::vector<PendingFrame> pending_frames_ TC_GUARDED_BY(write_mu_);
  std::vector<char> fresh_ TC_GUARDED_BY(write_mu_);
  SeriesBatch staged_ TC_GUARDED_BY(write_mu_);
  int64_t data_version_ TC_GUARDED_BY(write_mu_) = -1;  // writer's PRAGMA data_version at its last transaction

  Mutex read_mu_;
  std::vector<CachedDb> idle_readers_ TC_GUARDED_BY(read_mu_);  // with their prepared statements

  // Durability: the writer commits with synchronous=NORMAL (no fsync); Sync()
  // fdatasyncs the WAL. Checkpoints run on their own thread and connection,
  // off the writer's path, once the WAL holds kCheckpointPages.
  static constexpr int kCheckpointPages = 4000;  // 16 MiB of WAL
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);
  void RunCheckpointer() TC_EXCLUDES(ckpt_mu_);
  Mutex sync_mu_;
  int wal_fd_ TC_GUARDED_BY(sync_mu_) = -1;
  Mutex ckpt_mu_;
  CondVar ckpt_cv_;
  bool ckpt_wanted_ TC_GUARDED_BY(ckpt_mu_) = false;
  bool ckpt_stopping_ TC_GUARDED_BY(ckpt_mu_) = false;
  std::thread checkpointer_;
};

}  // namespace telecollect::store
