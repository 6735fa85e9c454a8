#include "store/sqlite_db.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace telecollect::store {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Status::InvalidArgument(msg);
    default:
      return Status::IoError(msg);
  }
}

Result<SqliteDb> OpenSqlite(const std::string& path, bool read_only, int64_t busy_timeout_ms) {
  // Before SQLite's first use in the process: no memory statistics, whose
  // global mutex every allocation of every connection would take.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  sqlite3* raw = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) return SqliteStatus(raw, rc, "open " + path);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout_ms));
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status s = SqliteStatus(db, rc, "exec");
    return Status(s.code(), "sqlite: " + msg);
  }
  return Status::Ok();
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                                    nullptr);
  if (rc != SQLITE_OK) {
    std::fprintf(stderr, "BUG: cannot prepare SQL (%s): %.*s\n", sqlite3_errmsg(db), int(sql.size()), sql.data());
    std::abort();
  }
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_, rc, "sqlite step");
}

Status Stmt::Run() {
  auto r = Step();
  Reset();
  return r.ok() ? Status::Ok() : r.status();
}

StmtCache::Handle StmtCache::Get(std::string_view sql) {
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) it = stmts_.emplace(std::string(sql), Stmt(db_, sql)).first;
  return Handle(it->second);
}

}  // namespace telecollect::store
