#include "cli/cli_util.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "store/open_store.h"

namespace telecollect::cli {

int Fail(const Status& s) {
  std::fprintf(stderr, "telecollect: %s\n", s.message().c_str());
  return ExitCodeFor(s);
}

Result<std::unique_ptr<store::Store>> OpenStore(const Config& config) {
  StoreOptions options = config.store;
  options.path = config.StorePath();
  return store::OpenStore(options);
}

std::string StoreLocation(const Config& config) {
  return config.store.backend == "sqlite" ? config.StorePath() : "postgres";
}

Result<Scope> ScopeFrom(const std::string& tenant, const std::string& env) {
  if (tenant.empty()) return Status::InvalidArgument("--tenant is empty");
  TC_ASSIGN_OR_RETURN(Env e, ParseEnv(env));
  return Scope{tenant, e};
}

}  // namespace telecollect::cli
