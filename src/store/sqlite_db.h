#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect::store {

// Thin RAII helpers over the SQLite C API. Not thread-safe: one connection
// per thread at a time.

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

// Maps a SQLite result code to a Status (BUSY/LOCKED → kUnavailable, FULL/IOERR → kIoError).
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

Result<SqliteDb> OpenSqlite(const std::string& path, bool read_only, int64_t busy_timeout_ms);
Status Exec(sqlite3* db, const char* sql);

// A prepared statement, reset and cleared after each use by `Reset`.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);  // asserts on SQL errors (a bug)
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(Stmt&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    std::swap(db_, o.db_);
    return *this;
  }

  Stmt& Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); return *this; }
  Stmt& Bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); return *this; }
  Stmt& Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); return *this; }
  Stmt& Bind(int i, std::string_view v) {
    // A default-constructed view has a null data(): bind "" rather than NULL.
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  // The same for text that does not outlive the statement's run: SQLite copies it.
  Stmt& BindCopy(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, const void* data, size_t size) {
    sqlite3_bind_blob(stmt_, i, size ? data : "", static_cast<int>(size), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) { sqlite3_bind_null(stmt_, i); return *this; }

  // Returns true while a row is available; false at the end; error Status otherwise.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
  }
  std::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string_view(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

// Statements prepared once per connection and kept, by their SQL text: a
// read of a few points costs a parse of each statement otherwise (about 50,000
// instructions each). Get() lends one; the handle resets it (ending its read)
// when it goes. One thread at a time, as the connection.
class StmtCache {
 public:
  class Handle {
   public:
    explicit Handle(Stmt& s) : s_(&s) {}
    Handle(Handle&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Handle& operator=(Handle&&) = delete;
    ~Handle() {
      if (s_) s_->Reset();
    }
    Stmt& operator*() const { return *s_; }
    Stmt* operator->() const { return s_; }

   private:
    Stmt* s_;
  };

  explicit StmtCache(sqlite3* db) : db_(db) {}
  Handle Get(std::string_view sql);
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  std::map<std::string, Stmt, std::less<>> stmts_;
};

// A connection with its statement cache (declared after it: the statements
// are finalized before the connection closes).
struct CachedDb {
  SqliteDb db;
  std::unique_ptr<StmtCache> statements;
  explicit CachedDb(SqliteDb d) : db(std::move(d)), statements(std::make_unique<StmtCache>(db.get())) {}
};

}  // namespace telecollect::store
