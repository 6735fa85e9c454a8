#include "server/query_params.h"

#include <charconv>

namespace telecollect::server {
namespace {

// The value as quoted in an error: bounded, so that a huge parameter does not make a huge answer.
std::string Quoted(std::string_view v) {
  std::string out = "\"" + std::string(v.substr(0, 64));
  if (v.size() > 64) out += "...";
  return out + "\"";
}

template <typename Int>
bool ParseInt(std::string_view v, Int& out) {
  if (v.empty() || v[0] < '0' || v[0] > '9') return false;  // no sign, no space
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

}  // namespace

std::string_view QueryParams::Text(std::string_view key) const {
  auto it = params_.find(std::string(key));
  return it == params_.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<std::string> QueryParams::List(std::string_view key, size_t max) {
  std::vector<std::string> out;
  if (!pairs_) {
    if (auto v = Text(key); !v.empty()) out.emplace_back(v);
    return out;
  }
  const std::string allowed = "1 to " + std::to_string(max) + " non-empty values (repeat the parameter)";
  for (const auto& [k, v] : *pairs_) {
    if (k != key) continue;
    if (v.empty()) {
      Refuse(std::string(key), "an empty " + std::string(key) + " value", allowed);
      return {};
    }
    if (out.size() == max) {
      Refuse(std::string(key), "more than " + std::to_string(max) + " " + std::string(key) + " values", allowed);
      return {};
    }
    out.push_back(v);
  }
  return out;
}

void QueryParams::Refuse(std::string parameter, std::string message, std::string allowed) {
  if (!error_) error_ = ParamError{std::move(parameter), std::move(message), std::move(allowed)};
}

std::optional<EpochMs> QueryParams::Time(std::string_view key) {
  const std::string_view v = Text(key);
  if (v.empty()) return std::nullopt;
  Result<EpochMs> t = ParseTimeBound(key, v);
  if (!t.ok()) {
    Refuse(std::string(key), t.status().message(), std::string(kTimeRange));
    return std::nullopt;
  }
  return *t;
}

std::optional<int64_t> QueryParams::Duration(std::string_view key, int64_t min_ms, int64_t max_ms) {
  const std::string_view v = Text(key);
  if (v.empty()) return std::nullopt;
  const std::string allowed = FormatDurationMs(min_ms) + " to " + FormatDurationMs(max_ms);
  Result<int64_t> d = ParseDurationMs(v);
  if (!d.ok()) {
    Refuse(std::string(key), std::string(key) + ": " + d.status().message(), allowed);
    return std::nullopt;
  }
  if (*d < min_ms || *d > max_ms) {
    Refuse(std::string(key), std::string(key) + " " + Quoted(v) + " is out of range (" + allowed + ")", allowed);
    return std::nullopt;
  }
  return *d;
}

size_t QueryParams::Limit(std::string_view key, size_t dflt, size_t max) {
  const std::string_view v = Text(key);
  if (v.empty()) return dflt;
  size_t n = 0;
  if (!ParseInt(v, n) || n == 0 || n > max) {
    const std::string allowed = "1 to " + std::to_string(max);
    Refuse(std::string(key), std::string(key) + " must be an integer from " + allowed + ", got " + Quoted(v), allowed);
    return dflt;
  }
  return n;
}

std::optional<int64_t> QueryParams::Id(std::string_view key) {
  const std::string_view v = Text(key);
  if (v.empty()) return std::nullopt;
  int64_t id = 0;
  if (!ParseInt(v, id) || id < 1) {
    const std::string allowed = "1 to " + std::to_string(kMaxFrameId);
    Refuse(std::string(key), std::string(key) + " must be a frame id (" + allowed + "), got " + Quoted(v), allowed);
    return std::nullopt;
  }
  return id;
}

bool QueryParams::Flag(std::string_view key) {
  return Choice(key, "false", {"true", "false"}) == "true";
}

std::optional<Env> QueryParams::EnvParam(std::string_view key) {
  const std::string_view v = Text(key);
  if (v.empty()) return std::nullopt;
  Result<Env> e = ParseEnv(v);
  if (!e.ok()) {
    Refuse(std::string(key), std::string(key) + " must be \"preprod\" or \"prod\", got " + Quoted(v), "preprod, prod");
    return std::nullopt;
  }
  return *e;
}

std::optional<DecodeStatus> QueryParams::StatusParam(std::string_view key, bool allow_all, bool* all) {
  const std::string_view v = Text(key);
  if (all != nullptr) *all = false;
  if (v.empty()) return std::nullopt;
  if (allow_all && v == "all") {
    if (all != nullptr) *all = true;
    return std::nullopt;
  }
  Result<DecodeStatus> s = ParseDecodeStatus(v);
  if (!s.ok()) {
    const std::string allowed = std::string("decoded, no-decoder, pending, failed") + (allow_all ? ", all" : "");
    Refuse(std::string(key), std::string(key) + " must be one of " + allowed + ", got " + Quoted(v), allowed);
    return std::nullopt;
  }
  return *s;
}

std::string_view QueryParams::Choice(std::string_view key, std::string_view dflt,
                                     std::initializer_list<std::string_view> choices) {
  const std::string_view v = Text(key);
  if (v.empty()) return dflt;
  for (std::string_view c : choices) {
    if (v == c) return c;
  }
  std::string allowed;
  for (std::string_view c : choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
  Refuse(std::string(key), std::string(key) + " must be one of " + allowed + ", got " + Quoted(v), allowed);
  return dflt;
}

}  // namespace telecollect::server
