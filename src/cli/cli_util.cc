#include "cli/cli_util.h"

#include <cstdio>

#include "cli/exit_codes.h"

namespace telecollect::cli {

int Fail(const Status& s) {
  std::fprintf(stderr, "telecollect: %s\n", s.message().c_str());
  return ExitCodeFor(s);
}

Result<std::unique_ptr<store::SqliteStore>> OpenStore(const Config& config) {
  return store::SqliteStore::Open(config.store, config.StorePath());
}

Result<Scope> ScopeFrom(const std::string& tenant, const std::string& env) {
  if (tenant.empty()) return Status::InvalidArgument("--tenant is empty");
  TC_ASSIGN_OR_RETURN(Env e, ParseEnv(env));
  return Scope{tenant, e};
}

}  // namespace telecollect::cli
