#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "files/profile.h"
#include "files/transport.h"

namespace telecollect::files {

// A file drop telecollect drives itself: where the files are (transport and
// pattern), how to read them (profile), whose they are (tenant, env) and when
// to look (schedule). One TOML file per connector, its name the file's stem;
// every key in docs/files.md.
struct Connector {
  std::string name;
  std::string origin;    // the TOML file
  Scope scope;
  Profile profile;
  SourceOptions source;
  std::string schedule;  // "every 10m", "hourly", "daily 06:30", "cron */10 * * * *"; empty = by hand only
  bool enabled = true;
};

// A connector file's `type`: "files" (the default) or "api" (src/pull); empty
// if the file cannot be read as TOML (the loader then says why).
std::string ConnectorFileType(const std::string& path);

// A host key fingerprint as `ssh-keygen -l` prints it ("SHA256:" + base64)
// or the base64 alone, with or without "=" padding: the bare unpadded base64
// libcurl compares.
Result<std::string> NormalizeHostKeySha256(std::string_view text);

// Secrets live in the secrets file (TOML, one table per connector:
// password, key_passphrase; mode 0600) or in environment variables named by
// the connector (password_env, key_passphrase_env). Never in a connector file.
Result<Connector> LoadConnectorFile(const std::string& path, const std::string& secrets_file);

struct ConnectorSet {
  std::vector<Connector> connectors;
  std::vector<std::pair<std::string, std::string>> refused;  // file, why
};
// Every *.toml of type "files" of the directories (a later one wins on the same name).
ConnectorSet LoadConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file);

}  // namespace telecollect::files
