#include "pull/request_builder.h"

#include <ctime>

#include <fmt/format.h>

namespace telecollect::pull {

Result<std::string> Expand(std::string_view text, const Vars& vars) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const size_t end = text.find('}', i);
      if (end == std::string_view::npos) return Status::InvalidArgument("unclosed { in \"" + std::string(text) + "\"");
      const std::string name(text.substr(i + 1, end - i - 1));
      auto it = vars.find(name);
      if (it == vars.end()) {
        std::string known;
        for (const auto& [k, v] : vars) known += (known.empty() ? "" : ", ") + k;
        return Status::InvalidArgument("unknown placeholder {" + name + "} in \"" + std::string(text) + "\" (known: " + known + ")");
      }
      out += it->second;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

EpochMs LocalMidnight(EpochMs t, const files::Zone& zone) {
  const files::LocalMs local = zone.ToLocal(t);
  const files::LocalMs day = local - ((local % 86400000) + 86400000) % 86400000;
  const files::LocalResolution r = zone.Resolve(day);
  // Midnight in a spring gap (some zones): the first instant after it.
  return r.kind == files::LocalResolution::kGap ? zone.Resolve(day + 3600000).first : r.first;
}

std::string DisplayUrl(const ApiConnector& c) {
  std::string url = c.url;
  for (const auto& [k, v] : c.variables) {
    const std::string key = "{" + k + "}";
    for (size_t at = url.find(key); at != std::string::npos; at = url.find(key, at + v.size())) url.replace(at, key.size(), v);
  }
  return RedactUrl(url);
}

Result<EpochMs> ParseTryBound(std::string_view name, std::string_view text, const Window& window) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    TC_ASSIGN_OR_RETURN(EpochMs utc_midnight, ParseTimeBound(name, text));
    TC_ASSIGN_OR_RETURN(files::Zone zone, files::Zone::Locate(window.timezone));
    const files::LocalResolution r = zone.Resolve(utc_midnight);  // the same wall time, local
    return r.kind == files::LocalResolution::kGap ? zone.Resolve(utc_midnight + 3600000).first : r.first;
  }
  return ParseTimeBound(name, text);
}

EpochMs AddLocalDays(EpochMs t, int64_t days, const files::Zone& zone) {
  const EpochMs midnight = LocalMidnight(t, zone);
  const files::LocalMs local = zone.ToLocal(midnight) + days * 86400000;
  const files::LocalResolution r = zone.Resolve(local);
  return r.kind == files::LocalResolution::kGap ? zone.Resolve(local + 3600000).first : r.first;
}

std::string FormatBound(EpochMs t, bool is_end, const Window& w, const files::Zone& zone) {
  const std::string& f = w.time_format;
  if (is_end && w.end_inclusive) {
    if (f == "date") t = AddLocalDays(t - 1, 0, zone);  // the last day covered
    else if (f == "epoch_ms") t -= 1;
    else t -= 1000;
  }
  if (f == "epoch_s") return std::to_string(t / 1000);
  if (f == "epoch_ms") return std::to_string(t);
  if (f == "iso8601_utc") return FormatIso8601(t).substr(0, 19) + "Z";  // whole seconds
  const files::LocalMs local = zone.ToLocal(t);
  const time_t secs = static_cast<time_t>((local - (((local % 1000) + 1000) % 1000)) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[128];
  if (f == "date") {
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
  }
  if (f == "iso8601" || f == "iso8601_local") {
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (f == "iso8601_local") return buf;
    const int64_t offset_min = (local - t) / 60000;
    if (offset_min == 0 && zone.name() == "UTC") return std::string(buf) + "Z";
    const int64_t a = offset_min < 0 ? -offset_min : offset_min;
    return fmt::format("{}{}{:02}:{:02}", buf, offset_min < 0 ? '-' : '+', a / 60, a % 60);
  }
  // A strftime pattern, in local time.
  const size_t n = std::strftime(buf, sizeof buf, f.c_str(), &tm);
  return std::string(buf, n);
}

Result<HttpRequest> BuildRequest(const ApiConnector& c, const Vars& vars, const std::string& next_url) {
  HttpRequest req;
  req.method = c.method;
  req.timeout_ms = c.limits.timeout_ms;
  if (!next_url.empty()) {
    req.url = next_url;
  } else {
    TC_ASSIGN_OR_RETURN(req.url, Expand(c.url, vars));
    std::string query;
    for (const auto& [key, tmpl] : c.query) {
      TC_ASSIGN_OR_RETURN(std::string v, Expand(tmpl, vars));
      const bool lone_placeholder = tmpl.size() > 2 && tmpl.front() == '{' && tmpl.back() == '}' &&
                                    tmpl.find('{', 1) == std::string::npos;
      if (v.empty() && lone_placeholder) continue;
      query += (query.empty() ? "" : "&") + UrlEncode(key) + "=" + UrlEncode(v);
    }
    if (!query.empty()) req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + query;
  }
  for (const auto& [key, tmpl] : c.headers) {
    TC_ASSIGN_OR_RETURN(std::string v, Expand(tmpl, vars));
    req.headers.emplace_back(key, std::move(v));
  }
  if (!c.body.empty()) {
    TC_ASSIGN_OR_RETURN(req.body, Expand(c.body, vars));
  }
  return req;
}

}  // namespace telecollect::pull
