#include "core/secrets.h"

#include <sys/stat.h>

#include <cstdlib>

namespace telecollect {

Result<std::map<std::string, std::string>> SecretReader::Read(TableReader& table) const {
  std::map<std::string, std::string> out;
  for (const char* key : keys_) {
    if (table.Node(key) != nullptr) {
      return Status::InvalidArgument(table.Name(key) + " must not be written in a connector file: put it in the secrets file "
                                     "or name an environment variable (" + key + "_env)");
    }
  }
  struct stat st {};
  if (!file_.empty() && ::stat(file_.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0)
      return Status::PermissionDenied("secrets file " + file_ + " is readable by others: chmod 600 " + file_);
    TC_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(file_));
    if (const toml::table* t = root[connector_].as_table()) {
      TableReader r(t, connector_);
      for (const char* key : keys_) {
        std::string v;
        TC_RETURN_IF_ERROR(r.String(key, v));
        if (!v.empty()) out[key] = v;
      }
      Status left = r.Leftovers();
      if (!left.ok()) return left.WithContext(file_);
    }
  }
  for (const char* key : keys_) {
    const std::string env_key = std::string(key) + "_env";
    std::string var;
    TC_RETURN_IF_ERROR(table.String(env_key.c_str(), var));
    if (var.empty()) continue;
    const char* v = std::getenv(var.c_str());
    if (v == nullptr) return Status::InvalidArgument(table.Name(env_key.c_str()) + ": environment variable " + var + " is not set");
    out[key] = v;
  }
  return out;
}

}  // namespace telecollect
