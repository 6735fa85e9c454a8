#include "pull/api_connector.h"

#include <algorithm>
#include <filesystem>

#include <toml++/toml.h>

#include "core/connector_files.h"
#include "core/secrets.h"
#include "core/time_util.h"
#include "core/toml_reader.h"
#include "files/connector.h"
#include "files/local_time.h"

namespace telecollect::pull {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

// A table of strings (numbers are written as text: meter ids are often numeric).
Status StringTable(const toml::table* t, const std::string& name, std::vector<std::pair<std::string, std::string>>& out) {
  if (t == nullptr) return Status::Ok();
  for (const auto& [k, v] : *t) {
    if (const auto* s = v.as_string()) out.emplace_back(std::string(k.str()), s->get());
    else if (const auto* i = v.as_integer()) out.emplace_back(std::string(k.str()), std::to_string(i->get()));
    else return Status::InvalidArgument(name + "." + std::string(k.str()) + " must be a string");
  }
  return Status::Ok();
}

Status PathList(TableReader& r, const char* key, std::vector<std::string>& out) {
  const toml::node* n = r.Node(key);
  if (n == nullptr) return Status::Ok();
  if (const auto* s = n->as_string()) {
    out.push_back(s->get());
    return Status::Ok();
  }
  const auto* a = n->as_array();
  if (a == nullptr) return r.TypeError(key, "a string or an array of strings");
  for (const auto& e : *a) {
    const auto* s = e.as_string();
    if (s == nullptr) return r.TypeError(key, "a string or an array of strings");
    out.push_back(s->get());
  }
  return Status::Ok();
}

Status ReadAuth(TableReader& a, const std::string& secrets_file, const std::string& name, AuthConfig& auth) {
  std::string kind = "none", client_auth = "body";
  TC_RETURN_IF_ERROR(a.String("kind", kind));
  TC_RETURN_IF_ERROR(a.String("header", auth.header));
  TC_RETURN_IF_ERROR(a.String("param", auth.param));
  TC_RETURN_IF_ERROR(a.String("user", auth.user));
  TC_RETURN_IF_ERROR(a.String("token_url", auth.token_url));
  TC_RETURN_IF_ERROR(a.String("scope", auth.scope));
  TC_RETURN_IF_ERROR(a.String("client_id", auth.client_id));
  TC_RETURN_IF_ERROR(a.String("client_auth", client_auth));
  std::vector<std::pair<std::string, std::string>> extra;
  TC_RETURN_IF_ERROR(a.CheckTable("token_params"));
  TC_RETURN_IF_ERROR(StringTable(a.Table("token_params"), a.Name("token_params"), extra));
  auth.token_params.insert(extra.begin(), extra.end());
  if (client_auth == "basic") auth.client_basic = true;
  else if (client_auth != "body") return Status::InvalidArgument(a.Name("client_auth") + " must be body or basic");
  TC_ASSIGN_OR_RETURN(auth.secrets,
                      SecretReader(secrets_file, name, {"api_key", "password", "token", "client_secret", "refresh_token"})
                          .Read(a));
  auto need = [&](const char* secret) -> Status {
    if (auth.secrets.count(secret) != 0) return Status::Ok();
    return Status::InvalidArgument("auth.kind = \"" + kind + "\" needs the secret " + secret + ": a [" + name +
                                   "] table in the secrets file, or auth." + secret + "_env");
  };
  if (kind == "none") {
    auth.kind = AuthConfig::Kind::kNone;
  } else if (kind == "api_key") {
    auth.kind = AuthConfig::Kind::kApiKey;
    TC_RETURN_IF_ERROR(need("api_key"));
  } else if (kind == "basic") {
    auth.kind = AuthConfig::Kind::kBasic;
    if (auth.user.empty()) return Status::InvalidArgument("auth.kind = \"basic\" needs auth.user");
    TC_RETURN_IF_ERROR(need("password"));
  } else if (kind == "bearer") {
    auth.kind = AuthConfig::Kind::kBearer;
    TC_RETURN_IF_ERROR(need("token"));
  } else if (kind == "oauth2_client_credentials" || kind == "oauth2_refresh_token") {
    auth.kind = kind == "oauth2_client_credentials" ? AuthConfig::Kind::kOAuth2ClientCredentials
                                                     : AuthConfig::Kind::kOAuth2RefreshToken;
    if (auth.token_url.empty()) return Status::InvalidArgument("auth.kind = \"" + kind + "\" needs auth.token_url");
    if (auth.client_id.empty()) return Status::InvalidArgument("auth.kind = \"" + kind + "\" needs auth.client_id");
    TC_RETURN_IF_ERROR(need("client_secret"));
    if (auth.kind == AuthConfig::Kind::kOAuth2RefreshToken) TC_RETURN_IF_ERROR(need("refresh_token"));
  } else {
    return Status::InvalidArgument("auth.kind must be none, api_key, basic, bearer, oauth2_client_credentials or "
                                   "oauth2_refresh_token; got \"" + kind + "\"");
  }
  return a.Leftovers();
}

Status ReadPagination(TableReader& p, Pagination& pg) {
  std::string kind = "none";
  TC_RETURN_IF_ERROR(p.String("kind", kind));
  TC_RETURN_IF_ERROR(p.Integer("first_page", pg.first_page, 0));
  TC_RETURN_IF_ERROR(p.Integer("limit", pg.limit, 1));
  TC_RETURN_IF_ERROR(p.String("cursor_path", pg.cursor_path));
  TC_RETURN_IF_ERROR(p.String("next_path", pg.next_path));
  TC_RETURN_IF_ERROR(p.Integer("max_pages", pg.max_pages, 1));
  if (kind == "none") pg.kind = Pagination::Kind::kNone;
  else if (kind == "page") pg.kind = Pagination::Kind::kPage;
  else if (kind == "offset") pg.kind = Pagination::Kind::kOffset;
  else if (kind == "cursor") pg.kind = Pagination::Kind::kCursor;
  else if (kind == "next_url") pg.kind = Pagination::Kind::kNextUrl;
  else if (kind == "link_header") pg.kind = Pagination::Kind::kLinkHeader;
  else return Status::InvalidArgument("pagination.kind must be none, page, offset, cursor, next_url or link_header; got \"" + kind + "\"");
  if (pg.kind == Pagination::Kind::kCursor && pg.cursor_path.empty())
    return Status::InvalidArgument("pagination.kind = \"cursor\" needs pagination.cursor_path (where the answer gives the next cursor)");
  if (pg.kind == Pagination::Kind::kNextUrl && pg.next_path.empty())
    return Status::InvalidArgument("pagination.kind = \"next_url\" needs pagination.next_path (where the answer gives the next URL)");
  return p.Leftovers();
}

Status ReadLimits(TableReader& l, Limits& lim) {
  TC_RETURN_IF_ERROR(l.Double("per_second", lim.per_second));
  TC_RETURN_IF_ERROR(l.Integer("per_hour", lim.per_hour, 0));
  TC_RETURN_IF_ERROR(l.Integer("max_attempts", lim.max_attempts, 1));
  TC_RETURN_IF_ERROR(l.Duration("backoff", lim.backoff_ms));
  TC_RETURN_IF_ERROR(l.Duration("backoff_max", lim.backoff_max_ms));
  TC_RETURN_IF_ERROR(l.Duration("retry_after_max", lim.retry_after_max_ms));
  TC_RETURN_IF_ERROR(l.Duration("timeout", lim.timeout_ms));
  TC_RETURN_IF_ERROR(l.Integer("max_requests", lim.max_requests, 1));
  if (lim.per_second < 0) return Status::InvalidArgument("limits.per_second must be >= 0");
  if (lim.timeout_ms <= 0) return Status::InvalidArgument("limits.timeout must be positive");
  return l.Leftovers();
}

Status ReadWindow(TableReader& w, Window& win) {
  TC_RETURN_IF_ERROR(w.Duration("max", win.max_ms));
  TC_RETURN_IF_ERROR(w.Duration("history", win.history_ms));
  TC_RETURN_IF_ERROR(w.Duration("overlap", win.overlap_ms));
  TC_RETURN_IF_ERROR(w.Duration("lag", win.lag_ms));
  TC_RETURN_IF_ERROR(w.Duration("record_retry", win.record_retry_ms));
  std::string align = win.align_days ? "day" : "none", end = win.end_inclusive ? "inclusive" : "exclusive";
  TC_RETURN_IF_ERROR(w.String("align", align));
  TC_RETURN_IF_ERROR(w.String("time_format", win.time_format));
  TC_RETURN_IF_ERROR(w.String("timezone", win.timezone));
  TC_RETURN_IF_ERROR(w.String("end", end));
  if (align == "day") win.align_days = true;
  else if (align == "none") win.align_days = false;
  else return Status::InvalidArgument("window.align must be day or none");
  if (end == "inclusive") win.end_inclusive = true;
  else if (end == "exclusive") win.end_inclusive = false;
  else return Status::InvalidArgument("window.end must be exclusive or inclusive");
  if (win.max_ms <= 0) return Status::InvalidArgument("window.max must be positive");
  if (win.align_days && win.max_ms < 86400000) return Status::InvalidArgument("window.align = \"day\" needs window.max of a day or more");
  TC_RETURN_IF_ERROR(files::Zone::Locate(win.timezone).status());
  return w.Leftovers();
}

Status ReadChecks(TableReader& c, ResponseChecks& ch, files::Profile& mapping) {
  TC_RETURN_IF_ERROR(PathList(c, "error", ch.error_paths));
  TC_RETURN_IF_ERROR(PathList(c, "status", ch.status_paths));
  TC_RETURN_IF_ERROR(PathList(c, "status_ok", ch.status_ok));
  TC_RETURN_IF_ERROR(PathList(c, "message", ch.message_paths));
  TC_RETURN_IF_ERROR(c.String("skip_records_with", mapping.skip_records_with));
  TC_RETURN_IF_ERROR(PathList(c, "record_error", ch.record_error_paths));
  TC_RETURN_IF_ERROR(PathList(c, "record_status", ch.record_status_paths));
  TC_RETURN_IF_ERROR(PathList(c, "record_message", ch.record_message_paths));
  if (ch.has_record_checks() && mapping.format != files::Profile::Format::kNdjson)
    return Status::InvalidArgument("response.record_error and response.record_status apply to NDJSON answers (mapping.format = \"ndjson\")");
  if (!ch.record_status_paths.empty() && ch.status_ok.empty())
    return Status::InvalidArgument("response.record_status needs response.status_ok (the values that mean success)");
  if (!ch.status_paths.empty() && ch.status_ok.empty())
    return Status::InvalidArgument("response.status needs response.status_ok (the values that mean success)");
  return c.Leftovers();
}

// The first value still holding the presets' CHANGE-ME placeholder, as
// "key.path"; "" when none.
std::string FindChangeMe(const toml::table& t, const std::string& prefix) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix + std::string(k.str());
    if (const auto* s = v.as_string(); s && s->get().find("CHANGE-ME") != std::string::npos) return key;
    if (const auto* sub = v.as_table()) {
      if (std::string found = FindChangeMe(*sub, key + "."); !found.empty()) return found;
    }
    if (const auto* arr = v.as_array()) {
      for (const auto& e : *arr) {
        if (const auto* st = e.as_table()) {
          if (std::string found = FindChangeMe(*st, key + "."); !found.empty()) return found;
        }
      }
    }
  }
  return "";
}

}  // namespace

bool IsApiConnectorFile(const std::string& path) { return files::ConnectorFileType(path) == "api"; }

Result<ApiConnector> LoadApiConnectorFile(const std::string& path, const std::string& secrets_file) {
  ApiConnector c;
  c.origin = path;
  c.name = fs::path(path).stem().string();
  const fs::path base = fs::path(path).parent_path();
  TC_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path));
  auto body = [&]() -> Status {
    // A preset copied as it is does nothing until configured.
    if (std::string key = FindChangeMe(root, ""); !key.empty()) {
      return Status::InvalidArgument(key + " is still \"CHANGE-ME\": a preset does nothing until every CHANGE-ME is "
                                     "replaced (docs/pull.md)");
    }
    TableReader r(&root, "");
    std::string type, env = "preprod";
    TC_RETURN_IF_ERROR(r.String("type", type));
    if (type != "api") return Status::InvalidArgument("type must be \"api\" for an API connector");
    TC_RETURN_IF_ERROR(r.String("tenant", c.scope.tenant));
    if (c.scope.tenant.empty()) return Status::InvalidArgument("tenant is required");
    TC_RETURN_IF_ERROR(r.String("env", env));
    TC_ASSIGN_OR_RETURN(c.scope.env, ParseEnv(env));
    TC_RETURN_IF_ERROR(r.String("schedule", c.schedule));
    TC_RETURN_IF_ERROR(r.Bool("enabled", c.enabled));
    TC_RETURN_IF_ERROR(r.String("module", c.module));

    TC_RETURN_IF_ERROR(r.CheckTable("variables"));
    std::vector<std::pair<std::string, std::string>> vars;
    TC_RETURN_IF_ERROR(StringTable(r.Table("variables"), "variables", vars));
    c.variables.insert(vars.begin(), vars.end());
    if (const toml::node* m = r.Node("meters")) {
      const toml::array* arr = m->as_array();
      if (arr == nullptr) return Status::InvalidArgument("meters must be an array of tables ([[meters]])");
      for (size_t i = 0; i < arr->size(); ++i) {
        const toml::table* t = (*arr)[i].as_table();
        const std::string where = "meters[" + std::to_string(i) + "]";
        if (t == nullptr) return Status::InvalidArgument(where + " must be a table");
        std::vector<std::pair<std::string, std::string>> kv;
        TC_RETURN_IF_ERROR(StringTable(t, where, kv));
        std::map<std::string, std::string> meter(kv.begin(), kv.end());
        if (meter["id"].empty()) return Status::InvalidArgument(where + ".id is required (it names the meter's watermark)");
        for (const auto& other : c.meters) {
          if (other.at("id") == meter["id"]) return Status::InvalidArgument(where + ".id \"" + meter["id"] + "\" is listed twice");
        }
        c.meters.push_back(std::move(meter));
      }
    }

    TC_RETURN_IF_ERROR(r.CheckTable("request"));
    TableReader q(r.Table("request"), "request");
    TC_RETURN_IF_ERROR(q.String("method", c.method));
    TC_RETURN_IF_ERROR(q.String("url", c.url));
    TC_RETURN_IF_ERROR(q.String("body", c.body));
    TC_RETURN_IF_ERROR(q.CheckTable("query"));
    TC_RETURN_IF_ERROR(StringTable(q.Table("query"), "request.query", c.query));
    TC_RETURN_IF_ERROR(q.CheckTable("headers"));
    TC_RETURN_IF_ERROR(StringTable(q.Table("headers"), "request.headers", c.headers));
    TC_RETURN_IF_ERROR(q.String("client_cert", c.tls.client_cert));
    TC_RETURN_IF_ERROR(q.String("client_key", c.tls.client_key));
    TC_RETURN_IF_ERROR(q.String("ca_file", c.tls.ca_file));
    TC_RETURN_IF_ERROR(q.Leftovers());
    if (c.url.empty()) return Status::InvalidArgument("request.url is required");
    std::transform(c.method.begin(), c.method.end(), c.method.begin(), ::toupper);
    if (c.method != "GET" && c.method != "POST") return Status::InvalidArgument("request.method must be GET or POST");
    for (std::string* p : {&c.tls.client_cert, &c.tls.client_key, &c.tls.ca_file}) *p = Resolve(base, *p);
    if (c.tls.client_cert.empty() != c.tls.client_key.empty())
      return Status::InvalidArgument("request.client_cert and request.client_key go together (mutual TLS)");

    TC_RETURN_IF_ERROR(r.CheckTable("auth"));
    TableReader a(r.Table("auth"), "auth");
    TC_RETURN_IF_ERROR(ReadAuth(a, secrets_file, c.name, c.auth));
    TC_RETURN_IF_ERROR(r.CheckTable("pagination"));
    TableReader p(r.Table("pagination"), "pagination");
    TC_RETURN_IF_ERROR(ReadPagination(p, c.pagination));
    TC_RETURN_IF_ERROR(r.CheckTable("limits"));
    TableReader l(r.Table("limits"), "limits");
    TC_RETURN_IF_ERROR(ReadLimits(l, c.limits));
    TC_RETURN_IF_ERROR(r.CheckTable("window"));
    TableReader w(r.Table("window"), "window");
    TC_RETURN_IF_ERROR(ReadWindow(w, c.window));

    TC_RETURN_IF_ERROR(r.CheckTable("mapping"));
    const toml::table* mapping = r.Table("mapping");
    if (mapping == nullptr) return Status::InvalidArgument("[mapping] is required: how answers become measurements (docs/pull.md)");
    TC_ASSIGN_OR_RETURN(c.mapping, files::LoadProfileTable(*mapping, path + " [mapping]", !c.module.empty()));
    if (c.mapping.format != files::Profile::Format::kJson && c.mapping.format != files::Profile::Format::kNdjson)
      return Status::InvalidArgument("mapping.format must be json or ndjson for an API answer");
    TC_RETURN_IF_ERROR(r.CheckTable("response"));
    TableReader ch(r.Table("response"), "response");
    TC_RETURN_IF_ERROR(ReadChecks(ch, c.checks, c.mapping));
    TC_RETURN_IF_ERROR(r.Leftovers());
    if (c.meters.empty()) {
      bool uses_meter = c.url.find("{meter}") != std::string::npos || c.body.find("{meter}") != std::string::npos ||
                        c.module.find("{meter}") != std::string::npos;
      for (const auto& kv : c.query) uses_meter = uses_meter || kv.second.find("{meter}") != std::string::npos;
      if (uses_meter) return Status::InvalidArgument("{meter} is used but no meter is listed: add [[meters]] tables with id = \"...\"");
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) return s.WithContext("connector " + path);
  return c;
}

ApiConnectorSet LoadApiConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file,
                                  const std::string& state_key_file) {
  ApiConnectorSet set;
  LoadConnectorFiles<ApiConnector>(
      dirs, IsApiConnectorFile, [&](const std::string& path) { return LoadApiConnectorFile(path, secrets_file); },
      set.connectors, set.refused);
  for (ApiConnector& c : set.connectors) c.auth.state_key_file = state_key_file;
  return set;
}

}  // namespace telecollect::pull
