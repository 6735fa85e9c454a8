#include "cli/cli_util.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "core/secrets.h"
#include "core/toml_reader.h"
#include "push/auth.h"
#include "store/open_store.h"
#include "core/file_modes.h"

namespace telecollect::cli {

int Fail(const Status& s) {
  std::fprintf(stderr, "telecollect: %s\n", s.message().c_str());
  return ExitCodeFor(s);
}

Status PrepareDataDir(const Config& config, const std::function<void(const std::string&)>& note) {
  TC_ASSIGN_OR_RETURN(TightenedModes narrowed, PrivateDataDir(config.data_dir));
  if (narrowed.total() > 0) {
    note("data dir " + config.data_dir + " was readable by others: narrowed " + std::to_string(narrowed.dirs) +
         " directories to 0700 and " + std::to_string(narrowed.files) + " files to 0600");
  }
  return Status::Ok();
}

Result<std::unique_ptr<store::Store>> OpenStore(const Config& config) {
  TC_RETURN_IF_ERROR(PrepareDataDir(config, [](const std::string& line) {
    std::fprintf(stderr, "telecollect: %s\n", line.c_str());
  }));
  StoreOptions options = config.store;
  options.path = config.StorePath();
  if (options.backend == "postgres") {
    // The password: the secrets file's [store] table, or the variable
    // store.password_env names (else libpq's own PGPASSWORD / PGPASSFILE).
    toml::table named;
    if (!options.password_env.empty()) named.insert("password_env", options.password_env);
    TableReader table(&named, "store");
    TC_ASSIGN_OR_RETURN(auto secrets, SecretReader(config.SecretsFile(), "store", {"password"}).Read(table));
    if (auto it = secrets.find("password"); it != secrets.end()) options.password = it->second;
  }
  return store::OpenStore(options);
}

std::string StoreLocation(const Config& config) {
  return config.store.backend == "sqlite" ? config.StorePath() : "postgres";
}

Result<Scope> ScopeFrom(const std::string& tenant, const std::string& env) {
  if (tenant.empty()) return Status::InvalidArgument("--tenant is empty");
  if (tenant == push::kAdminTenant) return Status::InvalidArgument("--tenant \"*\" is reserved for admin tokens (token create --admin)");
  TC_ASSIGN_OR_RETURN(Env e, ParseEnv(env));
  return Scope{tenant, e};
}

}  // namespace telecollect::cli
