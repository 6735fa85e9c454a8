#pragma once
// SqliteStore's nested helpers, shared by its source files (sqlite_store.cc,
// sqlite_files.cc). Not for use outside the store.

#include "store/sqlite_store.h"

namespace telecollect::store {

struct SqliteStore::WriterStatements {
  explicit WriterStatements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        find_scope(db, "SELECT id FROM scopes WHERE tenant = ?1 AND env = ?2"),
        insert_scope(db, "INSERT INTO scopes(tenant, env) VALUES(?1, ?2)"),
        find_module(db, "SELECT id FROM modules WHERE scope_id = ?1 AND name = ?2"),
        insert_module(db, "INSERT INTO modules(scope_id, name, unit, created_ms) VALUES(?1, ?2, ?3, ?4)"),
        data_version(db, "PRAGMA data_version"),
        find_frame(db, "SELECT id FROM frames WHERE scope_id = ?1 AND device_id = ?2 AND event_ms = ?3 AND payload = ?4"),
        newest_frame(db, "SELECT max(event_ms) FROM frames WHERE scope_id = ?1 AND device_id = ?2"),
        update_frame(db,
                     "UPDATE frames SET status = ?1, reason = ?2, device_type = ?5, decoded_values = ?6"
                     " WHERE id = ?3 AND scope_id = ?4"),
        update_inbox_frame(db,
                           "UPDATE frame_inbox SET status = ?1, reason = ?2, device_type = ?5, decoded_values = ?6"
                           " WHERE id = ?3 AND scope_id = ?4") {}
  Stmt begin, commit, rollback, find_scope, insert_scope, find_module, insert_module, data_version, find_frame,
      newest_frame, update_frame, update_inbox_frame;
};

class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, CachedDb db) : store_(store), db_(std::move(db)) {}
  ReadLease(ReadLease&&) = default;
  ~ReadLease() {
    if (db_.db) store_->ReleaseReader(std::move(db_));
  }
  sqlite3* get() const { return db_.db.get(); }
  // The connection's statements, prepared on first use and kept with it.
  StmtCache& statements() const { return *db_.statements; }

 private:
  SqliteStore* store_;
  CachedDb db_;
};

}  // namespace telecollect::store
