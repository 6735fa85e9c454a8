#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pull/api_connector.h"

namespace telecollect::pull {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string basic_user, basic_password;  // HTTP Basic when basic_user is set
  int64_t timeout_ms = 30000;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // the Retry-After header, as sent
  std::string link;         // the Link header, as sent
};

// One HTTP exchange with libcurl (HTTPS with the system CAs or the TLS
// options' CA, mutual TLS when a client certificate is given). A transport
// failure (DNS, connection, timeout, TLS) is kUnavailable, with curl's words
// and the URL without its query (which may carry a key).
Result<HttpResponse> HttpExchange(const HttpRequest& request, const TlsConfig& tls);

// Percent-encodes a query component (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);
// `url` with its query string removed: what logs and errors may show.
std::string RedactUrl(const std::string& url);
// The URL `ref` (absolute or relative) resolved against `base`.
Result<std::string> ResolveUrl(const std::string& base, const std::string& ref);
// The rel="next" target of a Link header ("" if none).
std::string NextLink(std::string_view link_header);

}  // namespace telecollect::pull
