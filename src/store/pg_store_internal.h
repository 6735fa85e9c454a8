#pragma once
// PgStore's nested helpers, shared by its source files (pg_store.cc,
// pg_frames.cc, pg_series.cc, pg_connectors.cc, pg_catalog.cc). Not for use
// outside the store.

#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/pg_store.h"
#include "store/series_codec.h"

namespace telecollect::store {

// Advisory lock classes (pg_advisory_xact_lock(class, key)): who may change
// what at once, across every node.
inline constexpr int kLockSchema = 1;      // migrations, partition creation (key 0)
inline constexpr int kLockModule = 2;      // a module's chunks (key: module id)
inline constexpr int kLockFileContent = 3; // a scope's file content (key: hash of scope id and sha256)
// The point log (key 0): shared by every transaction that writes chunks
// directly, exclusive for a compaction; so no direct write lands between a
// compaction's read of the log and its commit, and none lands under a point
// already logged (it goes to the log itself while the log is not empty).
inline constexpr int kLockLog = 4;

class PgStore::Conn {
 public:
  Conn(PgStore* store, PgConnPtr conn) : store_(store), conn_(std::move(conn)) {}
  Conn(Conn&&) = default;
  ~Conn() {
    if (conn_) store_->Release(std::move(conn_));
  }
  PGconn* get() const { return conn_.get(); }
  // The connection, no longer returned to the pool by this Conn.
  PgConnPtr Take() { return std::move(conn_); }

 private:
  PgStore* store_;
  PgConnPtr conn_;
};

class PgStore::Tx {
 public:
  Tx(PgStore& store, PGconn* conn) : store_(store), conn_(conn) {}
  PGconn* conn() const { return conn_; }
  Result<PgResult> Exec(std::string_view sql, const PgParams& params = {}) {
    TC_RETURN_IF_ERROR(SendPendingBegin());
    return PgExec(conn_, sql, params);
  }
  // A statement of every group commit: prepared once per connection as `name`.
  Result<PgResult> ExecPrepared(const char* name, std::string_view sql, const PgParams& params) {
    if (begin_pending_) {
      begin_pending_ = false;
      return PgBeginThenExecPrepared(conn_, name, sql, params);
    }
    return PgExecPrepared(conn_, name, sql, params);
  }
  // A transaction whose COMMIT is sent without waiting (PgStore::InTransaction,
  // commit_later): its BEGIN goes with its first statement (one round trip
  // fewer when that is a prepared one), its log row with the COMMIT.
  void StartCommitLater() { commit_later_ = begin_pending_ = true; }
  // "BEGIN; " if no statement came to carry it, for the COMMIT's string.
  std::string TakePendingBegin() { return std::exchange(begin_pending_, false) ? "BEGIN; " : ""; }
  Status SendPendingBegin() {
    if (!begin_pending_) return Status::Ok();
    begin_pending_ = false;
    return PgExec(conn_, "BEGIN").status();
  }

  // The scope's id, created if new.
  Result<int64_t> ScopeId(const Scope& scope);

  // Module ids by (scope id, name), created (with that unit and creation
  // time) when absent: one statement for all of them.
  struct ModuleRef {
    int64_t scope_id;
    std::string name;
    std::string unit;
    EpochMs created;
  };
  Status ResolveModules(const std::vector<ModuleRef>& modules, std::vector<int64_t>& ids);
  // A committed id known to this process, 0 otherwise.
  int64_t CachedModule(int64_t scope_id, const std::string& name);

  // Points staged for the chunks; Flush writes them (the later of two points
  // of one module and ts wins) before the commit (pg_series.cc): a few points
  // for each of many modules (one frame per request) as one row of the point
  // log, merged into chunks later by CompactLog; many points per module, or
  // any points while the log is not empty, into the chunks at once.
  void Stage(int64_t module_id, const SeriesPoint& p) { staged_.push_back({module_id, p}); }
  size_t staged() const { return staged_.size(); }
  Status Flush();
  // Into the chunks, whatever their number (CompactLog holds the log's lock).
  Status FlushToChunks(bool holding_log_lock);
  // Points this transaction put in the log so far.
  size_t logged() const { return logged_; }
  // With StartCommitLater, what to send before the COMMIT: "" or the log row's
  // INSERT and its ';'.
  std::string TakeDeferredLog();

  // After the commit: ids and partitions created in it become known to the store.
  void Committed() { store_.Remember(TakeCreated()); }
  Created TakeCreated() { return std::move(created_); }

 private:
  Status EnsurePartition(EpochMs month_start);
  Status FlushToLog();

  PgStore& store_;
  PGconn* conn_;
  std::vector<LogEntry> staged_;
  size_t logged_ = 0;
  bool commit_later_ = false;
  bool begin_pending_ = false;
  std::string deferred_;   // log entries not yet sent (with commit_later_, until the COMMIT)
  size_t deferred_n_ = 0;
  Created created_;
};

// Key of PgStore::module_ids_.
inline std::string ModuleKey(int64_t scope_id, std::string_view name) {
  std::string k = std::to_string(scope_id);
  k += '\0';
  k += name;
  return k;
}

// The first instant of the UTC month holding `ts`, and of the next one.
EpochMs MonthStart(EpochMs ts);
EpochMs NextMonthStart(EpochMs month_start);

// Calls `each` for the module's points with from <= ts < to, in ts order,
// until it returns false.
Status PgReadSeries(PGconn* conn, int64_t module_id, EpochMs from, EpochMs to,
                    const std::function<bool(const SeriesPoint&)>& each);

Scope ScopeFromRow(const PgResult& r, int row, int tenant_col, int env_col);

// Runs a query and reads each of its rows with `read(result, row)`.
template <typename T, typename ReadRow>
Result<std::vector<T>> CollectRows(PGconn* conn, std::string_view sql, const PgParams& params, ReadRow read) {
  TC_ASSIGN_OR_RETURN(PgResult r, PgExec(conn, sql, params));
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
  return out;
}

}  // namespace telecollect::store
