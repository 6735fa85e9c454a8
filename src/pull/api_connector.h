#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "files/profile.h"

namespace telecollect::pull {

// How requests prove who we are. Secrets (api_key, password, token,
// client_secret, refresh_token) come from the secrets file or environment
// variables, never from the connector file.
struct AuthConfig {
  enum class Kind { kNone, kApiKey, kBasic, kBearer, kOAuth2ClientCredentials, kOAuth2RefreshToken };
  Kind kind = Kind::kNone;
  // api_key: in a header (default X-API-Key) or, with `param`, a query parameter.
  std::string header = "X-API-Key";
  std::string param;
  std::string user;  // basic
  // OAuth2.
  std::string token_url;
  std::string scope;
  std::string client_id;
  bool client_basic = false;  // client_auth = "basic": client id and secret as HTTP Basic on the token call
  std::map<std::string, std::string> token_params;  // extra form fields of the token call
  std::map<std::string, std::string> secrets;
  // The key that seals a rotated refresh token kept in the store
  // (pull/stored_token.h): <data_dir>/state.key, set by LoadApiConnectors.
  std::string state_key_file;
};

// TLS options of every call (the API's and the token endpoint's).
struct TlsConfig {
  std::string client_cert, client_key;  // mutual TLS (PEM files)
  std::string ca_file;                  // a private CA
};

struct Pagination {
  enum class Kind { kNone, kPage, kOffset, kCursor, kNextUrl, kLinkHeader };
  Kind kind = Kind::kNone;
  int64_t first_page = 1;   // page: the number of the first page ({page})
  int64_t limit = 100;      // page/offset: records asked per page ({limit}); a shorter page is the last
  std::string cursor_path;  // cursor: where the next cursor is in the answer ({cursor}); absent/empty = last page
  std::string next_path;    // next_url: where the next page's URL is in the answer
  int max_pages = 1000;     // per window, a guard against an API that never stops
};

struct Limits {
  double per_second = 0;     // 0 = no limit
  int64_t per_hour = 0;
  int max_attempts = 5;      // per request: 1 + retries on 429, 5xx, timeouts, connection errors
  int64_t backoff_ms = 1000;       // first retry delay (doubled each time, with jitter)
  int64_t backoff_max_ms = 60000;
  int64_t retry_after_max_ms = 300000;  // a longer Retry-After stops the run (resumed next time)
  int64_t timeout_ms = 30000;      // per request
  int64_t max_requests = 2000;     // per run
};

// Answers that are errors although HTTP says 200.
struct ResponseChecks {
  std::vector<std::string> error_paths;    // present and not null/false/empty: the answer is an error (its value says why)
  std::vector<std::string> status_paths;   // present: its value must be one of status_ok
  std::vector<std::string> status_ok;
  std::vector<std::string> message_paths;  // what to say with a bad status
  // Per record (NDJSON: each data line): a record carrying its own error (one
  // gas day "no data available") is left out and named, the others are stored.
  std::vector<std::string> record_error_paths;    // present and not null/false/empty: this record is in error
  std::vector<std::string> record_status_paths;   // present and not null: must be one of status_ok
  std::vector<std::string> record_message_paths;  // what to say with a bad record status
  bool empty() const { return error_paths.empty() && status_paths.empty() && !has_record_checks(); }
  bool has_record_checks() const { return !record_error_paths.empty() || !record_status_paths.empty(); }
};

struct Window {
  int64_t max_ms = 86400000;        // one request covers at most this
  int64_t history_ms = 7 * 86400000LL;  // first run: from now − history
  int64_t overlap_ms = 0;           // each run goes back this far before the watermark (late, corrected data)
  int64_t lag_ms = 0;               // data is published this late: windows end at now − lag
  // A record in error (response.record_*) is asked for again on later runs
  // while it is younger than this; then it is given up (named in the run record).
  int64_t record_retry_ms = 31 * 86400000LL;
  bool align_days = false;          // align = "day": windows start and end at local midnight
  std::string time_format = "iso8601";  // {from}/{to}: date | iso8601 | iso8601_utc | epoch_s | epoch_ms | strftime pattern
  std::string timezone = "Europe/Paris";  // the API's zone for dates and local times (and the schedule's)
  bool end_inclusive = false;           // the API's end bound is inclusive (the last day, or the last second)
};

// A vendor cloud API telecollect polls: request template, auth, paging,
// windows and quotas, and the mapping of answers into measurements. One TOML
// file per connector (type = "api") in the connectors directories; every key
// in docs/pull.md.
struct ApiConnector {
  std::string name;
  std::string origin;
  Scope scope;
  std::string schedule;
  bool enabled = true;

  std::string method = "GET";
  std::string url;  // with placeholders
  std::vector<std::pair<std::string, std::string>> query, headers;
  std::string body;
  std::map<std::string, std::string> variables;           // connector-wide placeholders
  std::vector<std::map<std::string, std::string>> meters;  // one watermark each; "id" names it
  std::string module;  // module name template (e.g. "enedis.{prm}.load_curve"); empty: from the mapping

  AuthConfig auth;
  TlsConfig tls;
  Pagination pagination;
  Limits limits;
  Window window;
  ResponseChecks checks;
  files::Profile mapping;
};

// Whether a connector file is an API connector (type = "api").
bool IsApiConnectorFile(const std::string& path);
Result<ApiConnector> LoadApiConnectorFile(const std::string& path, const std::string& secrets_file);

struct ApiConnectorSet {
  std::vector<ApiConnector> connectors;
  std::vector<std::pair<std::string, std::string>> refused;  // file, why
};
// Every *.toml with type = "api" of the directories (a later one wins on the
// same name); each one's auth.state_key_file is `state_key_file`.
ApiConnectorSet LoadApiConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file,
                                  const std::string& state_key_file);

}  // namespace telecollect::pull
