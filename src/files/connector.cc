#include "files/connector.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "core/connector_files.h"
#include "core/secrets.h"
#include "core/toml_reader.h"

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || p.find("://") != std::string::npos) return p;
  return (base / p).lexically_normal().string();
}

}  // namespace

Result<std::string> NormalizeHostKeySha256(std::string_view text) {
  std::string_view fp = text;
  if (fp.substr(0, 7) == "SHA256:") fp.remove_prefix(7);
  while (!fp.empty() && fp.back() == '=') fp.remove_suffix(1);
  const bool base64 = std::all_of(fp.begin(), fp.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  });
  // 32 bytes are 43 base64 characters without padding.
  if (fp.size() != 43 || !base64) {
    return Status::InvalidArgument("source.host_key_sha256 must be a SHA-256 fingerprint as `ssh-keygen -l -f KEY.pub` "
                                   "prints it (SHA256:<43 base64 characters>), or the base64 alone");
  }
  return std::string(fp);
}

std::string ConnectorFileType(const std::string& path) {
  try {
    toml::table root = toml::parse_file(path);
    return root["type"].value_or(std::string("files"));
  } catch (const toml::parse_error&) {
    return "";
  }
}

Result<Connector> LoadConnectorFile(const std::string& path, const std::string& secrets_file) {
  Connector c;
  c.origin = path;
  c.name = fs::path(path).stem().string();
  const fs::path base = fs::path(path).parent_path();
  TC_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path));
  auto fail = [&](const Status& s) { return s.WithContext("connector " + path); };
  TableReader r(&root, "");
  std::string env = "preprod", type = "files";
  Status s = r.String("type", type);
  if (s.ok() && type != "files") s = Status::InvalidArgument("type is \"" + type + "\": this loader reads type = \"files\"");
  if (s.ok()) s = r.String("tenant", c.scope.tenant);
  if (s.ok()) s = r.String("env", env);
  if (s.ok() && c.scope.tenant.empty()) s = Status::InvalidArgument("tenant is required");
  if (!s.ok()) return fail(s);
  Result<Env> e = ParseEnv(env);
  if (!e.ok()) return fail(e.status());
  c.scope.env = *e;
  if (!(s = r.String("schedule", c.schedule)).ok()) return fail(s);
  if (!(s = r.Bool("enabled", c.enabled)).ok()) return fail(s);
  // The profile: a file (relative to the connector) or an inline [profile] table.
  const toml::node* prof = r.Node("profile");
  if (prof == nullptr) return fail(Status::InvalidArgument("profile is required (a file path, or a [profile] table)"));
  Result<Profile> profile = Status::InvalidArgument("profile must be a file path or a table");
  if (prof->is_string()) {
    profile = LoadProfileFile(Resolve(base, *prof->value<std::string>()));
  } else if (const toml::table* t = prof->as_table()) {
    std::ostringstream text;
    text << *t;
    profile = LoadProfileString(text.str(), path + " [profile]");
  }
  if (!profile.ok()) return fail(profile.status());
  c.profile = std::move(profile).value();

  if (!(s = r.CheckTable("source")).ok()) return fail(s);
  TableReader src(r.Table("source"), "source");
  SourceOptions& o = c.source;
  std::string after = "archive", on_reject = "quarantine";
  for (const auto& [key, out] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"url", &o.url}, {"pattern", &o.pattern}, {"user", &o.user}, {"private_key", &o.private_key},
           {"public_key", &o.public_key}, {"known_hosts", &o.known_hosts}, {"host_key_sha256", &o.host_key_sha256},
           {"ca_file", &o.ca_file}, {"after_import", &after}, {"archive_dir", &o.archive_dir},
           {"on_reject", &on_reject}, {"quarantine_dir", &o.quarantine_dir}}) {
    if (!(s = src.String(key, *out)).ok()) return fail(s);
  }
  if (!(s = src.Bool("recursive", o.recursive)).ok()) return fail(s);
  if (!(s = src.Duration("timeout", o.timeout_ms)).ok()) return fail(s);
  if (!(s = src.Duration("stable_for", o.stable_for_ms)).ok()) return fail(s);
  if (!(s = src.Duration("complete_after", o.complete_after_ms)).ok()) return fail(s);
  if (!(s = src.StringArray("ignore", o.ignore)).ok()) return fail(s);
  Result<std::map<std::string, std::string>> secrets =
      SecretReader(secrets_file, c.name, {"password", "key_passphrase"}).Read(src);
  if (!secrets.ok()) return fail(secrets.status());
  o.password = (*secrets)["password"];
  o.key_passphrase = (*secrets)["key_passphrase"];
  if (!(s = src.Leftovers()).ok()) return fail(s);
  if (!(s = r.Leftovers()).ok()) return fail(s);

  if (o.url.empty()) return fail(Status::InvalidArgument("source.url is required (a local directory, ftp://, ftps:// or sftp://)"));
  if (after == "delete") o.after_import = SourceOptions::After::kDelete;
  else if (after == "archive") o.after_import = SourceOptions::After::kArchive;
  else if (after == "leave") o.after_import = SourceOptions::After::kLeave;
  else return fail(Status::InvalidArgument("source.after_import must be delete, archive or leave"));
  if (on_reject == "quarantine") o.quarantine = true;
  else if (on_reject == "leave") o.quarantine = false;
  else return fail(Status::InvalidArgument("source.on_reject must be quarantine or leave"));
  if (!o.host_key_sha256.empty()) {
    Result<std::string> fp = NormalizeHostKeySha256(o.host_key_sha256);
    if (!fp.ok()) return fail(fp.status());
    o.host_key_sha256 = *fp;
  }
  for (std::string* p : {&o.private_key, &o.public_key, &o.known_hosts, &o.ca_file}) *p = Resolve(base, *p);
  if (o.is_local()) o.url = Resolve(base, o.url.rfind("file://", 0) == 0 ? o.url.substr(7) : o.url);
  return c;
}

ConnectorSet LoadConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file) {
  ConnectorSet set;
  LoadConnectorFiles<Connector>(
      dirs,
      [](const std::string& path) {
        const std::string type = ConnectorFileType(path);
        return type != "api" && type != "mqtt";  // src/pull and src/mqtt load those
      },
      [&](const std::string& path) { return LoadConnectorFile(path, secrets_file); }, set.connectors, set.refused);
  return set;
}

}  // namespace telecollect::files
