#include "server/routes.h"

#include <cassert>

namespace telecollect::server {
namespace {

bool IsParam(std::string_view part) { return part.size() > 2 && part.front() == '{' && part.back() == '}'; }

std::string_view ParamName(std::string_view part) {
  part = part.substr(1, part.size() - 2);
  if (part.ends_with("...")) part.remove_suffix(3);
  return part;
}

}  // namespace

RouteTable::RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {
  for (const Route& r : routes_) {
    assert(r.pattern.starts_with("/"));
    Compiled c;
    std::string_view p = r.pattern.substr(1);
    while (!p.empty()) {
      const size_t slash = p.find('/');
      c.parts.push_back(p.substr(0, slash));
      p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    }
    c.rest = !c.parts.empty() && IsParam(c.parts.back()) && c.parts.back().ends_with("...}");
    compiled_.push_back(std::move(c));
  }
}

bool RouteTable::Matches(const Compiled& c, const std::vector<std::string>& segments,
                         std::map<std::string, std::string, std::less<>>* args) {
  const size_t fixed = c.rest ? c.parts.size() - 1 : c.parts.size();
  if (c.rest ? segments.size() < fixed : segments.size() != fixed) return false;
  for (size_t i = 0; i < fixed; ++i) {
    if (IsParam(c.parts[i])) {
      if (segments[i].empty()) return false;
      if (args) args->emplace(ParamName(c.parts[i]), segments[i]);
    } else if (c.parts[i] != segments[i]) {
      return false;
    }
  }
  if (c.rest && args) {
    std::string rest;
    for (size_t i = fixed; i < segments.size(); ++i) rest += (i > fixed ? "/" : "") + segments[i];
    args->emplace(ParamName(c.parts.back()), std::move(rest));
  }
  return true;
}

RouteMatch RouteTable::Find(std::string_view method, const std::vector<std::string>& segments) const {
  RouteMatch m;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].method == method) {
      if (Matches(compiled_[i], segments, &m.args)) {
        m.route = &routes_[i];
        m.allow.clear();
        return m;
      }
      m.args.clear();
    } else if (Matches(compiled_[i], segments, nullptr) &&
               m.allow.find(routes_[i].method) == std::string::npos) {
      m.allow += (m.allow.empty() ? "" : ", ") + std::string(routes_[i].method);
    }
  }
  return m;
}

}  // namespace telecollect::server
