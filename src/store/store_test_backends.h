#pragma once
// The backends a store test runs against, and a fresh store of each for one
// test. SQLite always; PostgreSQL when tests/pg_server.py runs the test (it
// exports TELECOLLECT_TEST_PG, a libpq conninfo, and PGPASSWORD).
// TELECOLLECT_TEST_BACKENDS (comma-separated) chooses explicitly: a backend
// named there that cannot be reached fails the tests, never skips them.

#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "store/open_store.h"
#include "store/store_test_util.h"

namespace telecollect::store {

inline std::vector<std::string> TestBackends() {
  std::vector<std::string> out;
  if (const char* list = std::getenv("TELECOLLECT_TEST_BACKENDS"); list && *list) {
    std::string s(list);
    for (size_t at = 0; at <= s.size();) {
      size_t comma = s.find(',', at);
      if (comma == std::string::npos) comma = s.size();
      if (comma > at) out.push_back(s.substr(at, comma - at));
      at = comma + 1;
    }
    return out;
  }
  out.push_back("sqlite");
  if (std::getenv("TELECOLLECT_TEST_PG") != nullptr) out.push_back("postgres");
  return out;
}

// One test's store: a SQLite file in a temporary directory, or a PostgreSQL
// database of its own (created at Open, dropped at destruction).
class TestStoreFactory {
 public:
  explicit TestStoreFactory(std::string backend) : backend_(std::move(backend)) {}
  ~TestStoreFactory() {
    if (!database_.empty()) (void)Admin("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  }

  // Creates the database (the first time) and opens a store on it; every call
  // opens another store on the same data.
  Result<std::unique_ptr<Store>> Open() {
    StoreOptions o;
    o.backend = backend_;
    if (backend_ == "sqlite") {
      o.path = dir_.path() + "/t.db";
      return OpenStore(o);
    }
    if (backend_ != "postgres") return Status::InvalidArgument("unknown test backend " + backend_);
    const char* base = std::getenv("TELECOLLECT_TEST_PG");
    if (base == nullptr) {
      return Status::Unavailable("PostgreSQL asked for but TELECOLLECT_TEST_PG is not set (run under tests/pg_server.py)");
    }
    if (database_.empty()) {
      static std::atomic<int> counter{0};
      const std::string name = "tc_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      TC_RETURN_IF_ERROR(Admin("CREATE DATABASE " + name));
      database_ = name;
    }
    o.url = std::string(base) + " dbname=" + database_;
    return OpenStore(o);
  }
  // The conninfo of this test's database (PostgreSQL only).
  std::string conninfo() const { return std::string(std::getenv("TELECOLLECT_TEST_PG")) + " dbname=" + database_; }
  const std::string& backend() const { return backend_; }

 private:
  // Runs `sql` on the harness's own database.
  static Status Admin(const std::string& sql) {
    const char* base = std::getenv("TELECOLLECT_TEST_PG");
    if (base == nullptr) return Status::Unavailable("TELECOLLECT_TEST_PG is not set");
    PGconn* c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
      std::string why = PQerrorMessage(c);
      PQfinish(c);
      return Status::Unavailable("cannot connect to the test PostgreSQL: " + why);
    }
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string why = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return ok ? Status::Ok() : Status::IoError(sql + ": " + why);
  }

  std::string backend_;
  TempDir dir_;
  std::string database_;
};

}  // namespace telecollect::store
