#pragma once

#include <initializer_list>
#include <map>
#include <string>

#include "core/status.h"
#include "core/toml_reader.h"

namespace telecollect {

// A connector's secrets: its table of the secrets file (TOML, one table per
// connector, mode 0600 — refused if group or others can read it), then the
// environment variables its own table names (`<key>_env = "VAR"`). Only the
// keys listed are allowed; a secret written in the connector's own table is
// refused, so that connector files can live in git.
class SecretReader {
 public:
  SecretReader(std::string secrets_file, std::string connector, std::initializer_list<const char*> keys)
      : file_(std::move(secrets_file)), connector_(std::move(connector)), keys_(keys) {}

  // Reads the secrets file's table, then `<key>_env` from `table` (which must
  // not hold the secret keys themselves).
  Result<std::map<std::string, std::string>> Read(TableReader& table) const;

 private:
  std::string file_, connector_;
  std::initializer_list<const char*> keys_;
};

}  // namespace telecollect
