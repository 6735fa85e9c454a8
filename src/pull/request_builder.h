#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "core/time_util.h"
#include "files/local_time.h"
#include "pull/api_connector.h"
#include "pull/http_client.h"

namespace telecollect::pull {

// Placeholder values of one request: the connector's variables, the meter's,
// then {from}, {to}, {page}, {offset}, {limit}, {cursor}.
using Vars = std::map<std::string, std::string>;

// Replaces each {name} of `text` with its value; an unknown name is an error
// (a typo would otherwise reach the vendor). "{{" and "}}" are literal braces.
Result<std::string> Expand(std::string_view text, const Vars& vars);

// A window bound as the API wants it (window.time_format in window.timezone);
// `is_end`: the window's end, made inclusive when the API wants that.
std::string FormatBound(EpochMs t, bool is_end, const Window& w, const files::Zone& zone);

// Local midnight at or before `t`, and `days` local days after the midnight
// at or before `t` (a DST day is 23 or 25 hours).
EpochMs LocalMidnight(EpochMs t, const files::Zone& zone);
EpochMs AddLocalDays(EpochMs t, int64_t days, const files::Zone& zone);

// The request URL for people (connector list, logs): the connector's
// [variables] expanded, per-meter and per-window placeholders ({meter},
// {from}…) left as they are, credentials in it redacted (RedactUrl).
std::string DisplayUrl(const ApiConnector& c);

// A `connector try` bound (--from/--to, ?from=&to=): a bare date (2026-10-25)
// is that day's local midnight in the connector's window.timezone, whatever
// window.align says (a day window starts there anyway); an ISO-8601 instant
// with its offset or Z, or epoch seconds/ms, is that instant.
Result<EpochMs> ParseTryBound(std::string_view name, std::string_view text, const Window& window);

// The request of one page: URL with its query (a parameter whose template is a
// lone placeholder with an empty value — the first page's cursor — is left
// out), headers and body, placeholders expanded. `next_url`, when not empty,
// replaces the URL and query (next_url and link_header paging).
Result<HttpRequest> BuildRequest(const ApiConnector& c, const Vars& vars, const std::string& next_url);

}  // namespace telecollect::pull
