#include "store/open_store.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace telecollect::store {

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  if (options.backend == "sqlite") {
    if (options.path.empty()) return Status::InvalidArgument("store.path is empty (the SQLite file)");
    TC_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> s, SqliteStore::Open(options, options.path));
    return std::unique_ptr<Store>(std::move(s));
  }
  if (options.backend == "postgres") {
    TC_ASSIGN_OR_RETURN(std::unique_ptr<PgStore> s, PgStore::Open(options, options.url, options.password));
    return std::unique_ptr<Store>(std::move(s));
  }
  return Status::InvalidArgument("store.backend must be \"sqlite\" or \"postgres\", not \"" + options.backend + "\"");
}

}  // namespace telecollect::store
