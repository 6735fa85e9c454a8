#include "store/pg_db.h"

#include <libpq-events.h>

#include <set>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace telecollect::store {

int64_t PgResult::Int(int row, int col) const {
  const std::string_view t = Text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

double PgResult::Double(int row, int col) const {
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

std::string PgResult::Bytes(int row, int col) const {
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

PgParams& PgParams::Add(std::string_view text) {
  values_.push_back(std::make_unique<std::string>(text));
  ptrs_.push_back(values_.back()->c_str());
  return *this;
}

PgParams& PgParams::AddNull() {
  ptrs_.push_back(nullptr);
  values_.push_back(nullptr);
  return *this;
}

PgParams& PgParams::AddBytes(std::string_view raw) { return Add(std::string_view(ByteaHex(raw))); }

std::string ByteaHex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + raw.size() * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

PgArray& PgArray::AddRaw(std::string_view token) {
  if (n_++ > 0) text_ += ',';
  text_ += token;
  return *this;
}

PgArray& PgArray::Add(std::string_view text) {
  if (n_++ > 0) text_ += ',';
  text_ += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

PgArray& PgArray::Add(int64_t v) { return AddRaw(std::to_string(v)); }

PgArray& PgArray::Add(double v) {
  char buf[32];
  // Shortest text that reads back as the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return AddRaw(std::string_view(buf, static_cast<size_t>(end - buf)));
}

PgArray& PgArray::AddBytes(std::string_view raw) { return Add(std::string_view(ByteaHex(raw))); }

std::string PgArray::Take() {
  std::string out;
  out.swap(text_);
  out += '}';
  text_.assign(1, '{');
  n_ = 0;
  return out;
}

Status PgError(PGconn* conn, const PGresult* r, std::string_view what) {
  std::string message = r ? PQresultErrorMessage(r) : (conn ? PQerrorMessage(conn) : "no connection");
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string text = std::string(what) + ": " + message;
  const std::string cls = sqlstate.substr(0, 2);
  // The connection is gone, or the server is going away (admin_shutdown,
  // crash_shutdown, cannot_connect_now): libpq's words stay out of the status
  // (PgStore logs them once, PgLink).
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK || cls == "08" || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03") {
    return StoreUnreachable();
  }
  if (cls == "08" || cls == "53" || cls == "57" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "25006") {
    return Status::Unavailable(text);
  }
  if (sqlstate == "23505") return Status::AlreadyExists(text);
  return Status::IoError(text);
}

Result<PgResult> PgExec(PGconn* conn, std::string_view sql, const PgParams& params) {
  const std::string q(sql);
  PGresult* r = params.size() == 0 ? PQexec(conn, q.c_str())
                                   : PQexecParams(conn, q.c_str(), params.size(), nullptr, params.values(), nullptr,
                                                  nullptr, 0);
  PgResult result(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    // The statement's first words say which one failed, not its parameters.
    return PgError(conn, r, q.substr(0, q.find_first_of("(\n")).substr(0, 60));
  }
  return result;
}

namespace {

// The names prepared on a connection, as libpq instance data: freed with the
// connection, forgotten when it is reset (the server forgets them too).
using PreparedNames = std::set<std::string, std::less<>>;

int PreparedNamesEvents(PGEventId id, void* info, void*) {
  PGconn* conn = nullptr;
  if (id == PGEVT_CONNDESTROY) conn = static_cast<PGEventConnDestroy*>(info)->conn;
  if (id == PGEVT_CONNRESET) conn = static_cast<PGEventConnReset*>(info)->conn;
  if (conn != nullptr) {
    delete static_cast<PreparedNames*>(PQinstanceData(conn, PreparedNamesEvents));
    PQsetInstanceData(conn, PreparedNamesEvents, nullptr);
  }
  return 1;
}

PreparedNames* PreparedOn(PGconn* conn) {
  auto* names = static_cast<PreparedNames*>(PQinstanceData(conn, PreparedNamesEvents));
  if (names != nullptr) return names;
  // Fails when already registered (after a reset): then only the data is missing.
  (void)PQregisterEventProc(conn, PreparedNamesEvents, "telecollect prepared statements", nullptr);
  names = new PreparedNames;
  if (PQsetInstanceData(conn, PreparedNamesEvents, names) == 0) {
    delete names;
    return nullptr;
  }
  return names;
}

}  // namespace

Result<PgResult> PgExecPrepared(PGconn* conn, const char* name, std::string_view sql, const PgParams& params) {
  PreparedNames* names = PreparedOn(conn);
  if (names == nullptr) return PgExec(conn, sql, params);
  if (names->find(std::string_view(name)) == names->end()) {
    const std::string q(sql);
    PGresult* r = PQprepare(conn, name, q.c_str(), params.size(), nullptr);
    PgResult prepared(r);
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
      return PgError(conn, r, q.substr(0, q.find_first_of("(\n")).substr(0, 60));
    }
    names->insert(name);
  }
  PGresult* r = PQexecPrepared(conn, name, params.size(), params.values(), nullptr, nullptr, 0);
  PgResult result(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, r, name);
  return result;
}

Result<PgResult> PgBeginThenExecPrepared(PGconn* conn, const char* name, std::string_view sql, const PgParams& params) {
  PreparedNames* names = PreparedOn(conn);
  if (names == nullptr || names->find(std::string_view(name)) == names->end() || PQenterPipelineMode(conn) != 1) {
    TC_RETURN_IF_ERROR(PgExec(conn, "BEGIN").status());
    return PgExecPrepared(conn, name, sql, params);
  }
  const bool sent = PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
                    PQsendQueryPrepared(conn, name, params.size(), params.values(), nullptr, nullptr, 0) == 1 &&
                    PQpipelineSync(conn) == 1;
  Status failed = sent ? Status::Ok() : PgError(conn, nullptr, "BEGIN");
  PgResult out;
  // Each statement's result is followed by a null; the sync's ends the
  // pipeline. Two nulls in a row: the connection is gone.
  int statement = 0, nulls = 0;
  while (sent) {
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) {
      if (++nulls == 2) {
        if (failed.ok()) failed = PgError(conn, nullptr, statement == 0 ? "BEGIN" : name);
        break;
      }
      continue;
    }
    nulls = 0;
    PgResult result(r);
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) break;
    if (st == PGRES_PIPELINE_ABORTED) continue;  // after the BEGIN failed: its error says why
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      if (failed.ok()) failed = PgError(conn, r, statement == 0 ? "BEGIN" : name);
    } else if (statement == 1) {
      out = std::move(result);
    }
    ++statement;
  }
  // Left in pipeline mode only if results are still unread: the connection is
  // then not reused (PgStore::Release).
  PQexitPipelineMode(conn);
  if (!failed.ok()) return failed;
  return out;
}

Status CheckNoPasswordIn(std::string_view conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(std::string(conninfo).c_str(), &err);
  if (opts == nullptr) {
    std::string why = err ? err : "cannot parse";
    if (err) PQfreemem(err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Status::InvalidArgument("store.url: " + why);
  }
  bool has_password = false;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) has_password = true;
  }
  PQconninfoFree(opts);
  if (has_password) {
    return Status::InvalidArgument(
        "store.url carries a password: remove it, and put it in the secrets file ([store] password) or in an "
        "environment variable (PGPASSWORD, or the one store.password_env names)");
  }
  return Status::Ok();
}

Result<PgConnPtr> PgConnect(const std::string& conninfo, const std::string& password) {
  // dbname with expand_dbname: the conninfo (URI or key=value) is expanded,
  // and the password given beside it, never written into it.
  const char* keys[] = {"dbname", "password", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), password.empty() ? nullptr : password.c_str(), "telecollect", nullptr};
  PgConnPtr conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    std::string why = conn ? PQerrorMessage(conn.get()) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Unavailable(why);
  }
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);  // NOTICEs (IF NOT EXISTS...) are not errors
  return conn;
}

}  // namespace telecollect::store
