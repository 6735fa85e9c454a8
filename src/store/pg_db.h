#pragma once
// RAII helpers over libpq for PgStore (internal): a connection, a result, text
// parameters (arrays as PostgreSQL array literals, so that one statement takes
// many rows through unnest), and libpq errors as Status.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace telecollect::store {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;

// One statement's result, read as text.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view Text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string String(int row, int col) const { return std::string(Text(row, col)); }
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  // A bytea column (hex output) as raw bytes.
  std::string Bytes(int row, int col) const;
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE changed

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

// Statement parameters, all sent as text ($1, $2... in order of Add).
class PgParams {
 public:
  PgParams& Add(std::string_view text);
  PgParams& Add(int64_t v) { return Add(std::string_view(std::to_string(v))); }
  PgParams& Add(int v) { return Add(static_cast<int64_t>(v)); }
  PgParams& Add(size_t v) { return Add(static_cast<int64_t>(v)); }
  PgParams& AddNull();
  PgParams& AddBytes(std::string_view raw);  // a bytea
  template <typename T>
  PgParams& Add(const std::optional<T>& v) { return v ? Add(*v) : AddNull(); }

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return ptrs_.data(); }

 private:
  std::vector<std::unique_ptr<std::string>> values_;  // stable addresses
  std::vector<const char*> ptrs_;
};

// Builds a PostgreSQL array literal ('{a,"b c",NULL}') element by element.
class PgArray {
 public:
  PgArray& Add(std::string_view text);
  PgArray& Add(int64_t v);
  PgArray& Add(double v);
  PgArray& AddBool(bool v) { return AddRaw(v ? "t" : "f"); }
  PgArray& AddBytes(std::string_view raw);  // a bytea element (hex)
  PgArray& AddNull() { return AddRaw("NULL"); }
  template <typename T>
  PgArray& Add(const std::optional<T>& v) { return v ? Add(*v) : AddNull(); }
  std::string Take();
  size_t size() const { return n_; }

 private:
  PgArray& AddRaw(std::string_view token);
  std::string text_ = "{";
  size_t n_ = 0;
};

// Hex text of raw bytes, as bytea input takes it ("\x0a1b").
std::string ByteaHex(std::string_view raw);

// libpq's error as a Status: StoreUnreachable() (store.h: no libpq text) when
// the connection is gone or the server is going away (class 08, 57P01-57P03);
// kUnavailable with libpq's text when the server refuses for now (classes 53,
// 57; serialization failures and deadlocks, 40001/40P01: the caller may
// retry), kAlreadyExists for a unique violation, kIoError otherwise. `what`
// says which operation failed.
Status PgError(PGconn* conn, const PGresult* r, std::string_view what);

// Runs `sql` with `params`; rows for a query, nothing for a command.
Result<PgResult> PgExec(PGconn* conn, std::string_view sql, const PgParams& params = {});

// The same for a statement run many times (the group commit's): prepared as
// `name` on first use on each connection (libpq keeps which, with the
// connection), then executed without being parsed and planned again. One
// name, one `sql`.
Result<PgResult> PgExecPrepared(PGconn* conn, const char* name, std::string_view sql, const PgParams& params);
// BEGIN, then PgExecPrepared's statement, in one round trip (libpq's pipeline
// mode) once the statement is prepared on `conn`; two before. The BEGIN's
// error, if it fails, else the statement's.
Result<PgResult> PgBeginThenExecPrepared(PGconn* conn, const char* name, std::string_view sql, const PgParams& params);

// The connection string with a password, or kInvalidArgument if the
// configured conninfo carries one itself (passwords belong in the secrets file
// or the environment, never in the config).
Status CheckNoPasswordIn(std::string_view conninfo);

// Connects; kUnavailable with libpq's reason when the server cannot be
// reached. That reason may name the host, port and user: it is for PgLink's
// log line only (pg_link.h), never for a caller of the store.
Result<PgConnPtr> PgConnect(const std::string& conninfo, const std::string& password);

}  // namespace telecollect::store
